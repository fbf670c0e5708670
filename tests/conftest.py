"""Hypothesis profiles: ``ci`` (thorough, the default under CI=true), ``dev`` (quick) and
``fuzz`` (50,000 examples a property, for long runs by hand).

Choose explicitly with ``HYPOTHESIS_PROFILE=ci|dev|fuzz``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
# For long fuzzing runs by hand: HYPOTHESIS_PROFILE=fuzz pytest -k "arbitrary or random or fuzz"
settings.register_profile(
    "fuzz",
    max_examples=50_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
