"""One exception tree for Relocbot.

::

    RelocbotError
    ├── ConfigError              settings missing or inconsistent
    ├── CorpusError              a corpus file cannot be read or validated
    │   └── SchemaError          a record breaks the schema (file, record, field)
    ├── IndexError_              the index is missing, stale or unreachable
    │   └── EmbedderError        the embedder failed or changed
    ├── AnswerError              composing an answer failed
    │   └── LLMError             the chat model timed out, failed or cited nothing valid
    ├── StorageError             the database failed
    ├── DeliveryError            a lead notification was not delivered (``transient``: retry it)
    ├── AccessDenied             someone acted where they may not (refused and audited)
    └── InputError               a user message or payload that we refuse (polite answer)

The knowledge layer's part (``RelocbotError`` down to ``EmbedderError``) lives in
``knowledge.errors`` and is re-exported here.

Adapters catch ``RelocbotError`` (and anything else) in their single error handler, log it with
its traceback, and answer the user politely.
"""

from __future__ import annotations

from knowledge.errors import (
    ConfigError,
    CorpusError,
    EmbedderError,
    IndexError_,
    RelocbotError,
    SchemaError,
)

__all__ = [
    "AccessDenied",
    "AnswerError",
    "ConfigError",
    "CorpusError",
    "DeliveryError",
    "EmbedderError",
    "IndexError_",
    "InputError",
    "LLMError",
    "RelocbotError",
    "SchemaError",
    "StorageError",
    "user_message_key",
]


class AnswerError(RelocbotError):
    pass


class LLMError(AnswerError):
    pass


class StorageError(RelocbotError):
    pass


class DeliveryError(RelocbotError):
    """A notifier failed; ``transient`` says whether a retry may succeed, ``code`` is the
    remote API's error code when it gave one (e.g. Slack's ``message_not_found``).

    The message names the failure (exception class, status code, API error), never a
    recipient or any lead data, because it is stored and logged.
    """

    def __init__(self, message: str, *, transient: bool, code: str | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


class AccessDenied(RelocbotError):
    """An advisor action by someone who is not an advisor of the lead's desk."""


class InputError(RelocbotError):
    pass


def user_message_key(error: BaseException) -> str:
    """The catalog key of the polite answer a channel's error handler gives for ``error``:
    a database that is down gets "your answers are kept, resend in a minute"; anything else
    the generic apology."""
    if isinstance(error, StorageError):
        return "error_unavailable"
    return "error"
