"""Masking secrets in the lines the server logs."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_plus

__all__ = ["mask_secrets"]

# A parameter whose (percent-decoded) name contains one of these words carries a secret: the
# password and session id of the protocol, the callback password, a voucher token.
_SECRET_NAMES: Final = ("password", "passwd", "session", "secret", "token")
# ``name=value`` in a log line. The value runs to the next "&", as the server reads it (a ";", a
# quote or an apostrophe is part of it), or to the " HTTP/" of a request line -- not to a blank,
# so a malformed request line with a raw space still hides the whole value.
_PARAMETER: Final = re.compile(r"""([^\s&;?=/"']+)=((?:(?! HTTP/)[^&\r\n])*)""")


def mask_secrets(text: str) -> str:
    """Return ``text`` with the value of every secret-bearing ``name=value`` pair replaced by
    ``***`` (``password``, ``session_id``, ``callback_password``, ``token``..., in any case and
    percent-encoding of the name).

    A value is hidden up to the next ``&``; a pair hidden inside another one's value
    (``user=u;password=...``, a client that separates with ``;``) is hidden too.
    """

    def mask(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if any(word in unquote_plus(name).lower() for word in _SECRET_NAMES):
            return f"{name}=***"
        if "=" in value:
            return f"{name}={_PARAMETER.sub(mask, value)}"
        return match.group(0)

    return _PARAMETER.sub(mask, text)
