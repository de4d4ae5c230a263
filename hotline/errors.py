"""The one error model of the product: a code, the field at fault, a Chinese and an English message.

The API renders every error as `{code, field, message_zh, message_en}`.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "validation_error"
    NOT_FOUND = "not_found"
    NOT_AUTHENTICATED = "not_authenticated"
    FORBIDDEN = "forbidden"
    ILLEGAL_TRANSITION = "illegal_transition"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    LIMIT_EXCEEDED = "limit_exceeded"
    CHAIN_BROKEN = "chain_broken"
    UNAVAILABLE = "unavailable"


class HotlineError(Exception):
    status = 400
    code = ErrorCode.VALIDATION

    def __init__(self, message_zh: str, message_en: str, *, field: str | None = None, code=None):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        if code is not None:
            self.code = code

    def as_dict(self) -> dict:
        return {
            "code": str(self.code),
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


class InvalidInput(HotlineError):
    """Bad input: 400 (or 422 from schema validation), nothing changed."""


class NotFound(HotlineError):
    status = 404
    code = ErrorCode.NOT_FOUND


class Forbidden(HotlineError):
    """The actor lacks the role in the right unit; the ticket itself is in scope."""

    status = 403
    code = ErrorCode.FORBIDDEN


class IllegalTransition(HotlineError):
    """The ticket's state (or a concurrent change) does not allow the action: 409."""

    status = 409
    code = ErrorCode.ILLEGAL_TRANSITION


class Unavailable(HotlineError):
    """The database cannot be reached (crashed, restarting, failing over): 503 with
    Retry-After. Nothing the request asked for can be assumed done or not done, except where
    the message says so; a registration is retried with the same external reference."""

    status = 503
    code = ErrorCode.UNAVAILABLE
