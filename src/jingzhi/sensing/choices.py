"""Enumerations of the sensing app, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    GATE = "gate", _("Gate")
    CAMERA = "camera", _("Camera")
    ELEVATOR = "elevator", _("Elevator controller")
    NOISE_METER = "noise_meter", _("Noise meter")
    SPEAKER = "speaker", _("Speaker controller")


class Vendor(models.TextChoices):
    GENERIC = "generic", _("Event contract (any vendor)")
    HIKVISION = "hikvision", _("Hikvision ISAPI")


class Transport(models.TextChoices):
    HTTP = "http", "HTTP"
    MQTT = "mqtt", "MQTT"
    ISAPI = "isapi", "ISAPI"


class PersonKind(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VISITOR = "visitor", _("Visitor")
    UNKNOWN = "unknown", _("Unknown credential")


class CommandStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    ACKED = "acked", _("Acknowledged")
    FAILED = "failed", _("Failed")


class RuleAction(models.TextChoices):
    OPEN_CASE = "open_case", _("Open a case")
    COMMAND = "command", _("Command the device (case for repeat offenders)")
    RECORD = "record", _("Record only")


#: Days an event's snapshot or clip is kept, by event type; gate photos the shortest.
#: Override with JINGZHI_MEDIA_RETENTION="access.pass=3,throw.detected=365".
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "access.pass": 7,
    "access.denied": 30,
    "throw.detected": 180,
    "litter.detected": 90,
    "ebike.elevator": 90,
    "noise.exceeded": 180,
    "camera.alarm": 30,
}
FALLBACK_RETENTION_DAYS = 30
