"""clickatell_protocol: the Clickatell SMS HTTP API wire protocol, sans I/O.

Parse responses with the Lark grammar (:func:`parse_response`) and render them
(:func:`render_response`); build requests and read them back (:mod:`~clickatell_protocol.requests`,
:func:`parse_request`), encode texts and count their parts (:func:`encode_text`), with every
limit of the protocol in one :class:`Limits` profile.  Any exception other than
:class:`ProtocolError` escaping a parser is a bug.
"""

from ._http import HttpRequest
from .callbacks import (
    CallbackError,
    CallbackUrlCheck,
    IncomingMessage,
    MoReassembler,
    StatusCallback,
    parse_mo_callback,
    parse_status_callback,
    render_mo_callback,
    render_status_callback,
)
from .codes import (
    ErrorCode,
    MessageStatusCode,
    ReqFeat,
    statuses_for_callback,
)
from .errors import ProtocolError, RequestRejected, TextError, UnknownEndpoint
from .limits import DEFAULT_BASE_URL, Limits
from .parsing import ResponseSyntaxError, parse_response
from .rendering import render_response
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
from .responses import (
    Accepted,
    AuthOK,
    Balance,
    BatchEnded,
    BatchStarted,
    Coverage,
    ErrorReply,
    MessageCharge,
    MessageStatus,
    PingOK,
    Rejected,
    Response,
    SendResult,
    TokenPaid,
)
from .text import EncodedText, count_parts, encode_text, is_plain_sendable

__version__ = "0.1.0"

__all__ = [
    "COMMANDS",
    "DEFAULT_BASE_URL",
    "Accepted",
    "Auth",
    "AuthOK",
    "Balance",
    "BatchEnded",
    "BatchStarted",
    "CallbackError",
    "CallbackUrlCheck",
    "Coverage",
    "DelMsg",
    "EncodedText",
    "EndBatch",
    "ErrorCode",
    "ErrorReply",
    "GetBalance",
    "GetMsgCharge",
    "HttpRequest",
    "IncomingMessage",
    "IndPush",
    "Limits",
    "MessageCharge",
    "MessageStatus",
    "MessageStatusCode",
    "MoReassembler",
    "MsgType",
    "Ping",
    "PingOK",
    "ProtocolError",
    "QueryMsg",
    "QuickSend",
    "Rejected",
    "ReqFeat",
    "Request",
    "RequestRejected",
    "Response",
    "ResponseSyntaxError",
    "RouteCoverage",
    "SendItem",
    "SendMsg",
    "SendResult",
    "SiAction",
    "SiPush",
    "StartBatch",
    "StatusCallback",
    "TextError",
    "TokenPaid",
    "TokenPay",
    "UnknownEndpoint",
    "__version__",
    "command_for_path",
    "count_parts",
    "encode_text",
    "is_plain_sendable",
    "parse_mo_callback",
    "parse_request",
    "parse_response",
    "parse_status_callback",
    "render_mo_callback",
    "render_response",
    "render_status_callback",
    "statuses_for_callback",
]
