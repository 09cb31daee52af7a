"""Per-request context (address, user agent) for the audit log."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""


_EMPTY = RequestContext()
current_request: ContextVar[RequestContext] = ContextVar("jingzhi_request", default=_EMPTY)
