"""Devices, their events (accepted and rejected), gate passes, presence, commands and the rules."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingzhi.cases.choices import Priority
from jingzhi.core.models.scoped import ScopedToPlace
from jingzhi.sensing.choices import CommandStatus, DeviceKind, PersonKind, RuleAction, Transport, Vendor


class Device(ScopedToPlace):
    """A gate, camera, elevator controller, noise meter or speaker controller at a place."""

    code = models.CharField(
        _("code"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$")],
        help_text=_("Used in MQTT topics: jingzhi/v1/<code>/events"),
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=DeviceKind.choices)
    place = models.ForeignKey("core.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("location"), max_length=80, blank=True)
    vendor = models.CharField(_("protocol"), max_length=12, choices=Vendor.choices, default=Vendor.GENERIC)
    vendor_key = models.CharField(_("vendor id (MAC)"), max_length=64, blank=True, db_index=True)
    token_digest = models.CharField(max_length=64, blank=True, editable=False)
    #: The same token hashed for Mosquitto's password file (``jingzhi devices mosquitto``).
    mqtt_password_hash = models.CharField(max_length=200, blank=True, editable=False)
    heartbeat_s = models.PositiveIntegerField(_("heartbeat every (s)"), default=60)
    offline_allowance_s = models.PositiveIntegerField(_("offline allowance (s)"), default=600)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    online = models.BooleanField(_("online"), default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["community", "kind"], name="device_community_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def _media_path(instance: Event, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    at = instance.occurred_at or timezone.now()
    return f"events/{instance.type}/{at:%Y/%m/%d}/{instance.device_id}-{instance.event_id}.{extension}"


class Event(ScopedToPlace):
    """An accepted device event. (device, event_id) is unique: redelivery is idempotent."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64)
    type = models.CharField(_("type"), max_length=40)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    transport = models.CharField(max_length=8, choices=Transport.choices)
    payload = models.JSONField(default=dict)
    media = models.FileField(upload_to=_media_path, max_length=200, blank=True)
    media_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [models.UniqueConstraint(fields=["device", "event_id"], name="event_device_event_id")]
        indexes = [
            models.Index(fields=["community", "-id"], name="event_community_id"),
            models.Index(fields=["type", "occurred_at"], name="event_type_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class RejectedEvent(models.Model):
    """Something a device sent that could not be accepted, kept with the reason for inspection."""

    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    transport = models.CharField(max_length=8, choices=Transport.choices)
    device_code = models.CharField(_("device"), max_length=64, blank=True)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    community = models.ForeignKey("core.Place", null=True, on_delete=models.SET_NULL, related_name="+")
    code = models.CharField(_("reason"), max_length=32)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    body_bytes = models.PositiveIntegerField(default=0)
    remote = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("rejected event")
        verbose_name_plural = _("rejected events")
        indexes = [models.Index(fields=["community", "-id"], name="rejected_community_id")]

    def __str__(self) -> str:
        return f"{self.code} {self.device_code}"


class AccessPass(models.Model):
    """One pass through a gate, matched to a resident where a registered credential was used."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="access")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    direction = models.CharField(max_length=3)
    person_kind = models.CharField(max_length=10, choices=PersonKind.choices)
    resident = models.ForeignKey(
        "registry.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credential_kind = models.CharField(max_length=12, blank=True)
    #: Keyed digest of an unregistered credential (to count repeat strangers, never the number).
    credential_digest = models.CharField(max_length=64, blank=True)
    community = models.ForeignKey("core.Place", null=True, on_delete=models.PROTECT, related_name="+")
    estate = models.ForeignKey("core.Place", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["device", "occurred_at"], name="pass_device_time"),
            models.Index(fields=["credential_digest", "occurred_at"], name="pass_credential_time"),
            models.Index(fields=["resident", "occurred_at"], name="pass_resident_time"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.occurred_at:%Y-%m-%d %H:%M}"


class Presence(models.Model):
    """Per-resident "last seen" at a gate."""

    resident = models.OneToOneField("registry.Resident", primary_key=True, on_delete=models.CASCADE)
    last_seen_at = models.DateTimeField(db_index=True)
    device = models.ForeignKey(Device, null=True, on_delete=models.SET_NULL, related_name="+")
    direction = models.CharField(max_length=3, blank=True)

    def __str__(self) -> str:
        return f"{self.resident_id} {self.last_seen_at:%Y-%m-%d %H:%M}"


class DeviceCommand(models.Model):
    """A command sent to a device (hold the elevator door, lower the volume), tracked to its ack."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    command_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("command"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=CommandStatus.choices, default=CommandStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="commands")

    class Meta:
        indexes = [models.Index(fields=["device", "status"], name="command_device_status")]

    def __str__(self) -> str:
        return f"{self.name} {self.command_id}"


class Rule(models.Model):
    """What an event type leads to in a community (or everywhere, when ``community`` is empty).

    A community's own rule for a type replaces the platform-wide one for that type. Watchers that
    run on a clock rather than on an event use the types ``watch.welfare`` (elderly living alone
    not seen at a gate), ``watch.tenant`` (an unregistered credential passing often) and
    ``watch.offline`` (a device offline beyond its allowance).
    """

    community = models.ForeignKey(
        "core.Place",
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    event_type = models.CharField(_("event type"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    enabled = models.BooleanField(_("enabled"), default=True)
    action = models.CharField(_("action"), max_length=10, choices=RuleAction.choices, default=RuleAction.OPEN_CASE)
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("case category"), null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, blank=True)
    min_confidence = models.FloatField(_("minimum confidence"), default=0.0)
    suppression_s = models.PositiveIntegerField(_("suppression window (s)"), default=600)
    repeat_threshold = models.PositiveSmallIntegerField(_("case after N events"), default=1)
    repeat_window_s = models.PositiveIntegerField(_("counting window (s)"), default=86400)
    command = models.CharField(_("device command"), max_length=40, blank=True)
    #: Command parameters, or a watcher's settings (``{"hours": 48}``, ``{"passes": 5, "days": 7}``).
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        constraints = [
            models.UniqueConstraint(fields=["community", "event_type"], name="rule_community_type"),
            models.UniqueConstraint(
                fields=["event_type"], condition=models.Q(community__isnull=True), name="rule_default_type"
            ),
        ]

    def __str__(self) -> str:
        return self.name
