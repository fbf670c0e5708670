"""Run a Python 2 client from PyPI, unmodified but for the standard 2to3 translation.

:func:`translated_sdist` does three things, each with the standard tool and nothing else:

1. ``pip download --no-deps --no-binary :all: NAME==VERSION`` (the sdist, from PyPI);
2. unpack it and run ``python -m lib2to3 -w -n`` over the tree: every default fixer, no other edit;
3. keep the result in a cache directory, so the download happens once.

:func:`import_isolated` imports the translated package without disturbing an installed package
of the same name (``python-clickatell`` calls its package ``clickatell``, like PyPI
``clickatell``). :func:`python2_urlopen` restores the one Python 2 behaviour 2to3 cannot
translate, and points a hard-coded host at the loopback server.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DOWNLOAD_TIMEOUT = 300
TRANSLATE_TIMEOUT = 120


class Unavailable(Exception):
    """The client cannot be fetched or translated here (the message says why)."""


def translated_sdist(name: str, version: str, package: str, cache: Path) -> Path:
    """Fetch ``name==version``'s sdist, translate it with 2to3, and return the import root.

    Args:
        name, version: the PyPI distribution.
        package: the top-level package it provides (to find the import root in the tree).
        cache: where the translated tree is kept across calls.

    Returns:
        The directory holding ``package/`` (put it on ``sys.path`` to import it).

    Raises:
        Unavailable: lib2to3 is missing, PyPI is unreachable, or the sdist has no ``package``.
    """
    target = cache / f"{name}-{version}"
    if not (target / "TRANSLATED").exists():
        if importlib.util.find_spec("lib2to3") is None:
            raise Unavailable(f"lib2to3 is not in this Python ({sys.version.split()[0]})")
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=cache))
        try:
            _download(name, version, work / "sdist")
            tree = work / "tree"
            _unpack(work / "sdist", tree)
            _translate(tree)
            (work / "TRANSLATED").write_text(f"{name}=={version} translated by lib2to3\n")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(work, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _import_root(target / "tree", package)


def _download(name: str, version: str, into: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(into),
        f"{name}=={version}",
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise Unavailable(f"pip download {name}=={version} took over {error.timeout}s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"pip download {name}=={version} failed (network to PyPI?): {last}")


def _unpack(sdists: Path, into: Path) -> None:
    archives = sorted(sdists.iterdir())
    if len(archives) != 1:
        raise Unavailable(f"expected one sdist, got {[a.name for a in archives]}")
    archive = archives[0]
    if archive.name.endswith((".tar.gz", ".tgz", ".tar.bz2")):
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    elif archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)
    else:
        raise Unavailable(f"unknown sdist format: {archive.name}")


def _translate(tree: Path) -> None:
    # All default fixers (no -f), written in place (-w) without .bak copies (-n).
    command = [sys.executable, "-W", "ignore", "-m", "lib2to3", "-w", "-n", str(tree)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TRANSLATE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise Unavailable(f"2to3 took over {error.timeout}s") from None
    if done.returncode != 0:
        raise Unavailable(f"2to3 failed: {done.stderr.strip()[-500:]}")


def _import_root(tree: Path, package: str) -> Path:
    found = sorted(
        (init.parent.parent for init in tree.rglob(f"{package}/__init__.py")),
        key=lambda root: len(root.parts),
    )
    if not found:
        raise Unavailable(f"the sdist has no package {package!r}")
    return found[0]


def import_isolated(root: Path, package: str, modules: Iterable[str]) -> dict[str, ModuleType]:
    """Import ``package`` and its ``modules`` from ``root``, leaving ``sys.modules`` as it was.

    An installed package of the same name is set aside during the import and put back after,
    so both can be used in one process (the translated modules keep references to each other).

    Returns:
        The imported modules by dotted name (``{"clickatell.api": <module>, ...}``).
    """

    def ours(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    saved = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        for module in (package, *modules):
            importlib.import_module(module)
        return {name: module for name, module in sys.modules.items() if ours(name)}
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        importlib.invalidate_caches()


class Python2Response:
    """An ``urlopen`` answer whose ``read()`` returns ``str``, as Python 2's ``urllib2`` did.

    In Python 2, ``urllib2.urlopen(...).read()`` returned the native ``str``; the clients
    compare it with ``str`` literals (``response.startswith('OK')``). 2to3 cannot know that the
    value becomes ``bytes`` on Python 3, so every call would end in a ``TypeError`` before the
    client's own logic runs. Decoding as ISO-8859-1 maps each byte to one character: the same
    length, lines and slices the client saw on Python 2.
    """

    def __init__(self, response: Any) -> None:
        self._response = response

    def read(self, *args: Any) -> str:
        return bytes(self._response.read(*args)).decode("latin-1")

    def close(self) -> None:
        self._response.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


def python2_urlopen(
    monkeypatch: pytest.MonkeyPatch, redirect: Mapping[str, str] | None = None
) -> list[str]:
    """Make ``urllib.request.urlopen`` answer as Python 2's ``urllib2.urlopen`` for this test.

    Args:
        monkeypatch: the test's monkeypatch (undone when the test ends).
        redirect: URL prefixes to replace, e.g. ``{"http://api.clickatell.com": base_url}``:
            the in-process equivalent of a hosts entry, for a client that writes the host
            into every URL it builds.

    Returns:
        The list the URLs requested are appended to (after redirection).
    """
    real = urllib.request.urlopen
    seen: list[str] = []

    def urlopen(url: Any, *args: Any, **kwargs: Any) -> Python2Response:
        target = url.full_url if isinstance(url, urllib.request.Request) else str(url)
        for old, new in (redirect or {}).items():
            if target.startswith(old + "/"):
                target = new + target[len(old) :]
        seen.append(target)
        if isinstance(url, urllib.request.Request):
            url.full_url = target
        else:
            url = target
        kwargs.setdefault("timeout", 10)
        return Python2Response(real(url, *args, **kwargs))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return seen
