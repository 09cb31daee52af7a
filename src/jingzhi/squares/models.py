"""Squares with music (广场舞): their noise policy, meter and speaker, the controller's state, the
per-minute levels, every decision taken and the complaints filed about them."""

from __future__ import annotations

import datetime as dt
import math

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingzhi.acoustics.controller import VolumeController
from jingzhi.acoustics.policy import GB3096_LIMITS, SquarePolicy, Window
from jingzhi.core.models.scoped import ScopedToPlace


class Square(ScopedToPlace):
    ZONES = [(z, z) for z in GB3096_LIMITS]

    name = models.CharField(_("name"), max_length=80)
    place = models.ForeignKey("core.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    meter = models.OneToOneField(
        "sensing.Device", verbose_name=_("noise meter"), on_delete=models.PROTECT, related_name="square"
    )
    speaker = models.ForeignKey(
        "sensing.Device",
        verbose_name=_("speaker controller"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    zone = models.CharField(_("acoustic zone (GB 3096)"), max_length=3, choices=ZONES, default="1")
    standard = models.CharField(
        _("standard"),
        max_length=8,
        choices=[("gb3096", "GB 3096-2008"), ("gb22337", "GB 22337-2008")],
        default="gb3096",
    )
    windows = models.CharField(
        _("activity windows"), max_length=120, default="19:00-21:00", help_text=_("e.g. 07:00-08:00,19:00-21:00")
    )
    volume_cap_db = models.FloatField(_("volume cap, dB(A) at the meter"), null=True, blank=True)
    position = models.CharField(
        _("meter position"),
        max_length=8,
        choices=[("square", _("at the square")), ("facade", _("at the nearest façade"))],
        default="square",
    )
    meter_distance_m = models.FloatField(_("music → meter (m)"), default=10.0)
    facade_distance_m = models.FloatField(_("music → nearest façade (m)"), default=40.0)
    volumes = models.CharField(_("volume steps (%)"), max_length=60, default="100,80,60,45,30")
    window_s = models.PositiveIntegerField(_("LAeq window (s)"), default=300)
    hold_s = models.PositiveIntegerField(_("wait between steps (s)"), default=60)
    hysteresis_db = models.FloatField(_("hysteresis (dB)"), default=5.0)
    recover_s = models.PositiveIntegerField(_("quiet time before raising (s)"), default=300)
    manager = models.CharField(_("manager"), max_length=80, blank=True)
    state = models.JSONField(default=dict, blank=True, editable=False)
    last_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_laeq = models.FloatField(null=True, blank=True, editable=False)
    last_lafmax = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("square")
        verbose_name_plural = _("squares")

    def __str__(self) -> str:
        return self.name

    def policy(self) -> SquarePolicy:
        return SquarePolicy(
            zone=self.zone,
            standard=self.standard,  # type: ignore[arg-type]
            windows=tuple(Window.parse(w) for w in self.windows.split(",") if w.strip()),
            volume_cap_db=self.volume_cap_db,
            position=self.position,  # type: ignore[arg-type]
            meter_distance_m=self.meter_distance_m,
            facade_distance_m=self.facade_distance_m,
        )

    def controller(self) -> VolumeController:
        return VolumeController(
            self.policy(),
            volumes=tuple(int(v) for v in self.volumes.split(",")),
            window_s=self.window_s,
            hold_s=self.hold_s,
            hysteresis_db=self.hysteresis_db,
            recover_s=self.recover_s,
            tz=timezone.get_default_timezone_name(),
        )


class NoiseMinute(models.Model):
    """One minute of a square's levels: the energy sum of its seconds, their count, the maximum."""

    square = models.ForeignKey(Square, on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()
    energy = models.FloatField()
    seconds = models.PositiveSmallIntegerField()
    lafmax = models.FloatField(null=True)
    limit = models.FloatField()
    allowed = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["square", "minute"], name="noise_minute_unique")]

    def __str__(self) -> str:
        return f"{self.square_id} {self.minute:%Y-%m-%d %H:%M}"

    @property
    def laeq(self) -> float:
        return 10 * math.log10(self.energy / self.seconds)


class NoiseDecision(models.Model):
    """A volume decision with the levels that drove it."""

    square = models.ForeignKey(Square, on_delete=models.CASCADE, related_name="decisions")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=8)
    volume = models.PositiveSmallIntegerField(_("volume (%)"))
    laeq = models.FloatField(_("LAeq"))
    limit = models.FloatField(_("limit"))
    reason = models.CharField(_("reason"), max_length=16)
    basis = models.CharField(_("basis"), max_length=200)
    command = models.ForeignKey("sensing.DeviceCommand", null=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["square", "-at"], name="noise_decision_square_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M:%S}"


class NoiseComplaint(models.Model):
    """A resident's noise report joined to the square, with what the meter measured at the time."""

    square = models.ForeignKey(Square, on_delete=models.CASCADE, related_name="complaints")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    laeq_5min = models.FloatField(null=True)
    lafmax_5min = models.FloatField(null=True)
    limit = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"{self.square_id} {self.at:%Y-%m-%d %H:%M}"


def minute_of(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)
