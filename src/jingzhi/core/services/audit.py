"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from jingzhi.core.context import current_request
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor


def audit_log(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    place: Place | None = None,
    object_repr: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Never pass plaintext sensitive values in ``changes``."""
    ctx = current_request.get()
    user = actor.user if actor is not None else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=(user.get_username() if user is not None else "system"),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[:200],
        place=place,
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent,
        changes=changes or {},
        reason=reason[:200],
    )


def model_changes(
    before: dict[str, Any], after: dict[str, Any], *, sensitive: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Field-level diff for the audit log; sensitive fields are recorded as changed, not by value."""
    diff: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            diff[key] = {"changed": True} if key in sensitive else {"from": _jsonable(old), "to": _jsonable(new)}
    return diff


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
