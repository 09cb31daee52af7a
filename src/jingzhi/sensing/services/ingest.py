"""Ingestion: from bytes on the wire to stored events, gate passes, device commands and cases.

Every transport (HTTP, MQTT, the Hikvision adapter) hands :func:`ingest_batch` a list of
:class:`Incoming` items. One batch is one database transaction: the events, their derived rows
and the cases they open are written together or not at all. Each item gets an :class:`Outcome`:
``stored``, ``duplicate`` (the same (device, event_id) was stored before: acknowledged, not
stored twice) or ``rejected`` (kept as a :class:`RejectedEvent` with the reason).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from jingzhi.core.crypto import keyring
from jingzhi.core.fields import digest_for
from jingzhi.core.services.bulk import insert_rows
from jingzhi.registry.models import Credential
from jingzhi.sensing import contract
from jingzhi.sensing.choices import CommandStatus, PersonKind, Transport
from jingzhi.sensing.models import AccessPass, Device, DeviceCommand, Event, Presence, RejectedEvent
from jingzhi.sensing.services.retention import retention_days

#: How much of a rejected body is kept for inspection.
KEEP_BODY_CHARS = 16 * 1024
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "video/mp4": "mp4"}


@dataclass
class Incoming:
    """One message as received. ``body`` is the JSON document (bytes or already decoded)."""

    transport: str
    body: bytes | dict[str, Any]
    #: The device the transport vouches for: the MQTT topic's device, or the adapter's match.
    device_code: str | None = None
    #: The bearer token of an HTTP request (checked against the device's token).
    token: str | None = None
    media: contract.Media | None = None
    content_type: str = "application/json"
    remote: str = ""
    #: Set by the ingester: when the device published it (for latency measurements), opaque here.
    tag: Any = None


@dataclass
class Outcome:
    status: str  # stored | duplicate | rejected
    code: str = ""
    detail: str = ""
    event: int | None = None
    case: int | None = None
    device: str = ""


@dataclass
class _Accepted:
    index: int
    item: Incoming
    event: contract.Event
    device: Device
    resident_id: int | None = None
    person_kind: str = ""
    credential_digest: str = ""
    pk: int | None = None


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    commands: list[DeviceCommand] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def token_digest(token: str) -> str:
    return keyring().digest(token, purpose="sensing.device_token")


def _reject(item: Incoming, code: str, detail: str, device: Device | None, code_hint: str = "") -> RejectedEvent:
    body = item.body
    if isinstance(body, dict):
        text = json.dumps(body, ensure_ascii=False, default=str)
        size = len(text.encode())
    else:
        size = len(body)
        text = body[:KEEP_BODY_CHARS].decode("utf-8", errors="replace")
    return RejectedEvent(
        transport=item.transport,
        device_code=(item.device_code or code_hint or "")[:64],
        device=device,
        community_id=device.community_id if device is not None else None,
        code=code,
        detail=detail[:300],
        content_type=item.content_type[:100],
        body=text[:KEEP_BODY_CHARS],
        body_bytes=size,
        remote=item.remote[:64],
    )


#: Other holders of a right to send as a device (a vision worker leasing the camera), registered by
#: the apps that issue them: ``check(device, token) -> bool``.
_token_checks: list[Callable[[Device, str], bool]] = []


def register_token_check(check: Callable[[Device, str], bool]) -> None:
    if check not in _token_checks:
        _token_checks.append(check)


def token_allows(device: Device, token: str | None) -> bool:
    """The device's own token, or a token another app vouches for on this device."""
    if not token:
        return False
    if device.token_digest and hmac.compare_digest(token_digest(token), device.token_digest):
        return True
    return any(check(device, token) for check in _token_checks)


def _check_device(item: Incoming, event: contract.Event, device: Device | None) -> tuple[str, str] | None:
    if item.device_code is not None and item.device_code != event.device:
        return "device_mismatch", f"sent on the channel of {item.device_code!r} but names {event.device!r}"
    if device is None:
        return "unknown_device", f"no device with code {event.device!r}"
    if not device.active:
        return "device_inactive", f"device {device.code} is deactivated"
    if item.transport == Transport.HTTP:
        if not item.token:
            return "bad_token", "missing device token"
        if not token_allows(device, item.token):
            return "bad_token", "wrong device token"
    return None


def _match_credentials(accepted: list[_Accepted]) -> None:
    """Match gate passes to residents by their credential's keyed hash (one query per batch)."""
    wanted: dict[tuple[str, str], list[_Accepted]] = {}
    for acc in accepted:
        if acc.event.type != "access.pass":
            continue
        kind, ref = acc.event.payload.get("credential_kind"), acc.event.payload.get("credential_ref")
        if not kind or not ref:
            acc.person_kind = PersonKind.VISITOR
            continue
        digest = digest_for(Credential, "reference", str(ref).strip())
        acc.credential_digest = digest
        wanted.setdefault((kind, digest), []).append(acc)
    if not wanted:
        return
    rows = Credential.objects.filter(reference_digest__in={d for _k, d in wanted}, revoked_at__isnull=True).values_list(
        "kind", "reference_digest", "resident_id"
    )
    found = {(k, d): r for k, d, r in rows}
    for key, items in wanted.items():
        resident_id = found.get(key)
        for acc in items:
            if resident_id is not None:
                acc.resident_id, acc.person_kind, acc.credential_digest = resident_id, PersonKind.RESIDENT, ""
            else:
                acc.person_kind = PersonKind.UNKNOWN


_COLUMNS = (
    ("device_id", "bigint"),
    ("event_id", "text"),
    ("type", "text"),
    ("occurred_at", "timestamptz"),
    ("received_at", "timestamptz"),
    ("transport", "text"),
    ("payload", "jsonb"),
    ("media", "text"),
    ("media_expires_at", "timestamptz"),
    ("place_id", "bigint"),
    ("subdistrict_id", "bigint"),
    ("community_id", "bigint"),
    ("grid_id", "bigint"),
    ("estate_id", "bigint"),
    ("resident_id", "bigint"),
)


def _when(value: dt.datetime | None) -> Any:
    return (
        value if value is None or connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(value)
    )


def _insert_events(accepted: list[_Accepted], now: dt.datetime) -> dict[tuple[int, str], int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the new rows' ids by (device id, event_id)."""
    rows = []
    for acc in accepted:
        device, ev = acc.device, acc.event
        expires = now + dt.timedelta(days=retention_days(ev.type)) if ev.media is not None else None
        rows.append(
            (
                device.pk,
                ev.event_id,
                ev.type,
                _when(ev.occurred_at),
                _when(now),
                acc.item.transport,
                json.dumps(ev.payload, ensure_ascii=False),
                "",
                _when(expires),
                device.place_id,
                device.subdistrict_id,
                device.community_id,
                device.grid_id,
                device.estate_id,
                acc.resident_id,
            )
        )
    inserted = insert_rows(
        Event._meta.db_table,
        [c for c, _t in _COLUMNS],
        [t for _c, t in _COLUMNS],
        rows,
        conflict=("device_id", "event_id"),
        returning=("id", "device_id", "event_id"),
    )
    return {(device_id, event_id): pk for pk, device_id, event_id in inserted}


def _save_media(accepted: list[_Accepted], saved: list[str]) -> None:
    for acc in accepted:
        media = acc.event.media
        if acc.pk is None or media is None:
            continue
        at = acc.event.occurred_at.astimezone(dt.UTC)
        name = (
            f"events/{acc.event.type}/{at:%Y/%m/%d}/{acc.device.code}-{acc.event.event_id}."
            f"{_EXTENSIONS.get(media.content_type, 'bin')}"
        )
        path = default_storage.save(name, ContentFile(media.data))
        saved.append(path)
        Event.objects.filter(pk=acc.pk).update(media=path)


_PASS_COLUMNS = (
    "event_id",
    "device_id",
    "occurred_at",
    "direction",
    "person_kind",
    "resident_id",
    "credential_kind",
    "credential_digest",
    "community_id",
    "estate_id",
)
_PASS_TYPES = ("bigint", "bigint", "timestamptz", "text", "text", "bigint", "text", "text", "bigint", "bigint")


def _derive_access(new: list[_Accepted]) -> None:
    passes = [a for a in new if a.event.type == "access.pass"]
    if not passes:
        return
    insert_rows(
        AccessPass._meta.db_table,
        _PASS_COLUMNS,
        _PASS_TYPES,
        [
            (
                a.pk,
                a.device.pk,
                _when(a.event.occurred_at),
                a.event.payload["direction"],
                a.person_kind or PersonKind.VISITOR,
                a.resident_id,
                a.event.payload.get("credential_kind") or "",
                a.credential_digest,
                a.device.community_id,
                a.device.estate_id,
            )
            for a in passes
        ],
    )
    latest: dict[int, _Accepted] = {}
    for a in passes:
        if a.resident_id is not None:
            seen = latest.get(a.resident_id)
            if seen is None or a.event.occurred_at > seen.event.occurred_at:
                latest[a.resident_id] = a
    if not latest:
        return
    current = dict(Presence.objects.filter(resident_id__in=latest).values_list("resident_id", "last_seen_at"))
    rows = [
        Presence(
            resident_id=rid,
            last_seen_at=a.event.occurred_at,
            device=a.device,
            direction=a.event.payload["direction"],
        )
        for rid, a in latest.items()
        if current.get(rid) is None or a.event.occurred_at > current[rid]
    ]
    if rows:
        Presence.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["resident"],
            update_fields=["last_seen_at", "device", "direction"],
        )


def _apply_acks(new: list[_Accepted], now: dt.datetime) -> None:
    for a in new:
        if a.event.type != "command.ack":
            continue
        p = a.event.payload
        DeviceCommand.objects.filter(device=a.device, command_id=p["command_id"]).update(
            status=CommandStatus.ACKED if p["ok"] else CommandStatus.FAILED,
            acked_at=now,
            detail=str(p.get("detail", ""))[:200],
        )


def _touch_devices(devices: Iterable[Device], now: dt.datetime) -> None:
    ids = {d.pk for d in devices}
    if not ids:
        return
    Device.objects.filter(pk__in=ids).update(last_seen_at=now)
    Device.objects.filter(pk__in=ids, online=False).update(online=True, status_changed_at=now)


def ingest_batch(
    items: list[Incoming],
    *,
    now: dt.datetime | None = None,
    on_commit: Callable[[BatchResult], None] | None = None,
) -> BatchResult:
    """Validate, store and act on a batch of incoming events in one transaction."""
    from jingzhi.sensing.services.rules import apply_rules

    now = now or timezone.now()
    outcomes: list[Outcome | None] = [None] * len(items)
    parsed: list[tuple[int, contract.Event]] = []
    rejected: list[RejectedEvent] = []
    for index, item in enumerate(items):
        try:
            data = item.body if isinstance(item.body, dict) else contract.decode_json(item.body)
            event = contract.parse_event(data, now=now)
            if item.media is not None:
                if event.media is not None:
                    raise contract.ContractError("media_twice", "media sent both inline and as a file part")
                event = contract.Event(**{**event.__dict__, "media": item.media})
            parsed.append((index, event))
        except contract.ContractError as exc:
            hint = item.body.get("device", "") if isinstance(item.body, dict) else ""
            rejected.append(_reject(item, exc.code, exc.detail, None, code_hint=str(hint)))
            outcomes[index] = Outcome("rejected", exc.code, exc.detail)
    devices = {
        d.code: d for d in Device.objects.filter(code__in={e.device for _i, e in parsed}).select_related("place")
    }
    accepted: list[_Accepted] = []
    for index, event in parsed:
        device = devices.get(event.device)
        problem = _check_device(items[index], event, device)
        if problem is not None:
            rejected.append(_reject(items[index], *problem, device, code_hint=event.device))
            outcomes[index] = Outcome("rejected", *problem, device=event.device)
            continue
        assert device is not None
        accepted.append(_Accepted(index=index, item=items[index], event=event, device=device))
    # Two copies of one event in the same batch: keep the first.
    unique: dict[tuple[int, str], _Accepted] = {}
    for acc in accepted:
        key = (acc.device.pk, acc.event.event_id)
        if key in unique:
            outcomes[acc.index] = Outcome("duplicate", device=acc.device.code)
        else:
            unique[key] = acc
    accepted = list(unique.values())
    _match_credentials(accepted)
    result = BatchResult(outcomes=[])
    saved: list[str] = []
    try:
        with transaction.atomic():
            if rejected:
                RejectedEvent.objects.bulk_create(rejected)
            new: list[_Accepted] = []
            if accepted:
                ids = _insert_events(accepted, now)
                for acc in accepted:
                    acc.pk = ids.get((acc.device.pk, acc.event.event_id))
                    if acc.pk is None:
                        outcomes[acc.index] = Outcome("duplicate", device=acc.device.code)
                    else:
                        new.append(acc)
                _save_media(new, saved)
                _derive_access(new)
                _apply_acks(new, now)
                _touch_devices((a.device for a in accepted), now)
                effects = apply_rules([(a.pk, a.event, a.device) for a in new if a.pk is not None], now=now)
                result.commands = effects.commands
                for acc in new:
                    outcomes[acc.index] = Outcome(
                        "stored", event=acc.pk, case=effects.cases.get(acc.pk or 0), device=acc.device.code
                    )
            result.outcomes = [o or Outcome("rejected", "internal", "not processed") for o in outcomes]
            if on_commit is not None:
                transaction.on_commit(lambda: on_commit(result))
    except Exception:
        for path in saved:
            default_storage.delete(path)
        raise
    return result


def ingest_one(item: Incoming, *, now: dt.datetime | None = None) -> Outcome:
    """Ingest a single message (the HTTP endpoint), dispatching any device commands it causes."""
    from jingzhi.sensing.services.commands import dispatch_after_commit

    result = ingest_batch([item], now=now, on_commit=dispatch_after_commit)
    return result.outcomes[0]


def store_rejection(item: Incoming, code: str, detail: str, device: Device | None = None) -> None:
    """Keep a message that never reached the contract (e.g. an adapter could not read it)."""
    _reject(item, code, detail, device).save()
