"""clickatell_protocol: the Clickatell SMS HTTP API wire protocol, sans I/O.

Build requests and read them back (:mod:`~clickatell_protocol.requests`,
:func:`parse_request`), encode texts and count their parts (:func:`encode_text`), with every
limit of the protocol in one :class:`Limits` profile.  Any exception other than
:class:`ProtocolError` escaping a parser is a bug.
"""

from ._http import HttpRequest
from .codes import (
    ErrorCode,
    MessageStatusCode,
    ReqFeat,
    statuses_for_callback,
)
from .errors import ProtocolError, RequestRejected, TextError, UnknownEndpoint
from .limits import DEFAULT_BASE_URL, Limits
from .request_parsing import command_for_path, parse_request
from .requests import (
    COMMANDS,
    Auth,
    DelMsg,
    EndBatch,
    GetBalance,
    GetMsgCharge,
    IndPush,
    MsgType,
    Ping,
    QueryMsg,
    QuickSend,
    Request,
    RouteCoverage,
    SendItem,
    SendMsg,
    SiAction,
    SiPush,
    StartBatch,
    TokenPay,
)
from .text import EncodedText, count_parts, encode_text, is_plain_sendable

__version__ = "0.1.0"

__all__ = [
    "COMMANDS",
    "DEFAULT_BASE_URL",
    "Auth",
    "DelMsg",
    "EncodedText",
    "EndBatch",
    "ErrorCode",
    "GetBalance",
    "GetMsgCharge",
    "HttpRequest",
    "IndPush",
    "Limits",
    "MessageStatusCode",
    "MsgType",
    "Ping",
    "ProtocolError",
    "QueryMsg",
    "QuickSend",
    "ReqFeat",
    "Request",
    "RequestRejected",
    "RouteCoverage",
    "SendItem",
    "SendMsg",
    "SiAction",
    "SiPush",
    "StartBatch",
    "TextError",
    "TokenPay",
    "UnknownEndpoint",
    "__version__",
    "command_for_path",
    "count_parts",
    "encode_text",
    "is_plain_sendable",
    "parse_request",
    "statuses_for_callback",
]
