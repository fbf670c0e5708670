"""Masking secrets in the lines the server logs."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_plus

__all__ = ["mask_secrets"]

# A parameter whose (percent-decoded) name contains one of these words carries a secret: the
# password and session id of the protocol, the callback password, a voucher token.
_SECRET_NAMES: Final = ("password", "passwd", "session", "secret", "token")
# ``name=value`` in a log line. The value ends at a separator, a quote or the " HTTP/" of a
# request line -- not at a blank, so a malformed request line with a raw space still hides
# the whole value.
_PARAMETER: Final = re.compile(r"""([^\s&;?=/"']+)=((?:(?! HTTP/)[^&;"'\r\n])*)""")


def mask_secrets(text: str) -> str:
    """Return ``text`` with the value of every secret-bearing ``name=value`` pair replaced by
    ``***`` (``password``, ``session_id``, ``callback_password``, ``token``..., in any case and
    percent-encoding of the name)."""

    def mask(match: re.Match[str]) -> str:
        name = unquote_plus(match.group(1)).lower()
        if any(word in name for word in _SECRET_NAMES):
            return f"{match.group(1)}=***"
        return match.group(0)

    return _PARAMETER.sub(mask, text)
