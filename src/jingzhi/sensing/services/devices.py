"""Devices: registration with a one-time token, status from heartbeats and last wills, the offline sweep."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.sensing.models import Device
from jingzhi.sensing.mosquitto import password_hash
from jingzhi.sensing.services.ingest import token_digest

DEVICE_FIELDS = ("name", "kind", "location", "vendor", "vendor_key", "heartbeat_s", "offline_allowance_s", "config")
_MAC = re.compile(r"^[0-9a-f]{2}([:.-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$")


def normalise_vendor_key(value: str) -> str:
    """A MAC address as the adapters report it (``aa:bb:cc:dd:ee:ff``), however it was typed
    (``AA-BB-CC-DD-EE-FF``, ``aabbccddeeff``, ``aabb.ccdd.eeff``); anything else as given."""
    key = value.strip()
    if not _MAC.match(key.lower()):
        return key
    digits = re.sub(r"[^0-9a-f]", "", key.lower())
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def device_create(*, actor: Actor, code: str, place: Place, **values: Any) -> tuple[Device, str]:
    """Register a device; returns it with its token (shown once, only its digest and MQTT hash are kept).

    The token authenticates the device over HTTP and, with its code as the username, to Mosquitto.
    """
    if not actor.can(Capability.MANAGE_DEVICES, place):
        raise PermissionDenied(_("You may not register devices here."))
    if place.kind == PlaceKind.SUBDISTRICT:
        raise ValidationError({"place": _("Bind the device to a community or a place inside one.")})
    unknown = set(values) - set(DEVICE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "vendor_key" in values:
        values["vendor_key"] = normalise_vendor_key(str(values["vendor_key"] or ""))
    token = secrets.token_urlsafe(24)
    device = Device(
        code=code.strip(),
        place=place,
        token_digest=token_digest(token),
        mqtt_password_hash=password_hash(token),
        **values,
    )
    device.full_clean(validate_constraints=False)
    if Device.objects.filter(code=device.code).exists():
        raise ValidationError({"code": ValidationError(_("A device with this code exists."), code="duplicate")})
    with transaction.atomic():
        device.save()
        audit_log(actor=actor, action="device.create", obj=device, place=place, changes={"code": device.code})
    return device, token


def device_rotate_token(*, actor: Actor, device: Device) -> str:
    """A new token for the device (HTTP and MQTT); the old one stops working.

    Over MQTT, once Mosquitto's password file is rewritten (``jingzhi devices mosquitto``) and reloaded.
    """
    if not actor.can(Capability.MANAGE_DEVICES, device.place):
        raise PermissionDenied(_("You may not manage this device."))
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        device.token_digest, device.mqtt_password_hash = token_digest(token), password_hash(token)
        Device.objects.filter(pk=device.pk).update(
            token_digest=device.token_digest, mqtt_password_hash=device.mqtt_password_hash
        )
        audit_log(actor=actor, action="device.token", obj=device, place=device.place)
    return token


def set_status(code: str, online: bool, *, now: dt.datetime | None = None) -> bool:
    """A status message (heartbeat, ``online``/``offline``, the broker's last will). False if unknown."""
    now = now or timezone.now()
    devices = Device.objects.filter(code=code)
    if online:
        devices.update(last_seen_at=now)
        changed = devices.filter(online=False).update(online=True, status_changed_at=now)
    else:
        changed = devices.filter(online=True).update(online=False, status_changed_at=now)
    return bool(changed) or devices.exists()


def parse_status(raw: bytes) -> bool | None:
    """``online``/``offline`` as plain text or ``{"state": "online"}``; None when unreadable."""
    text = raw.decode("utf-8", errors="replace").strip().strip('"').lower()
    if text.startswith("{"):
        import json

        try:
            text = str(json.loads(raw).get("state", "")).lower()
        except (ValueError, AttributeError):
            return None
    return {"online": True, "offline": False}.get(text)


def mark_silent_offline(*, now: dt.datetime | None = None) -> int:
    """Devices that stopped sending without a last will: offline after three missed heartbeats."""
    now = now or timezone.now()
    changed = 0
    for device in Device.objects.filter(online=True, active=True).only("pk", "heartbeat_s", "last_seen_at"):
        if device.last_seen_at is None or device.last_seen_at < now - dt.timedelta(seconds=3 * device.heartbeat_s):
            changed += Device.objects.filter(pk=device.pk, online=True).update(online=False, status_changed_at=now)
    return changed
