"""Households and residents: the register every other module joins to."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingzhi.core import idnumber
from jingzhi.core.choices import PlaceKind
from jingzhi.core.fields import DigestField, EncryptedField
from jingzhi.registry.choices import Gender, Relationship, ResidenceType, ResidentStatus, TagCode, Tenure


def _normalise_phone(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    for prefix in ("0086", "86"):
        if len(digits) > 11 and digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


class Household(models.Model):
    """A household living in a room; a room may hold several households over time."""

    SCOPE_PREFIX = "room"

    room = models.ForeignKey(
        "core.Place",
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"kind": PlaceKind.ROOM},
    )
    tenure = models.CharField(_("tenure"), max_length=16, choices=Tenure.choices, default=Tenure.OWNER)
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["room", "moved_out"], name="household_room_current")]

    def __str__(self) -> str:
        return f"{self.room} #{self.pk}"


class Tag(models.Model):
    """One term of the managed tag vocabulary."""

    code = models.CharField(_("code"), max_length=32, unique=True, choices=TagCode.choices)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return str(TagCode(self.code).label) if self.code in TagCode.values else self.code


class Resident(models.Model):
    """A person in the register. Identity number and phone are encrypted at rest."""

    SCOPE_PREFIX = "household__room"
    SENSITIVE_FIELDS = frozenset({"id_number", "phone"})

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("name"), max_length=64, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedField(_("identity number"), digest_field="id_number_digest", normalizer=idnumber.normalise)
    id_number_digest = DigestField()
    phone = EncryptedField(_("phone"), digest_field="phone_digest", normalizer=_normalise_phone)
    phone_digest = DigestField()
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True, default="汉族")
    residence_type = models.CharField(
        _("residence type"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ResidentStatus.choices, default=ResidentStatus.PRESENT
    )
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="residents")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_digest"], condition=~Q(id_number_digest=""), name="resident_id_number_unique"
            ),
        ]
        indexes = [models.Index(fields=["birth_date"], name="resident_birth")]

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"

    def age(self, on: dt.date | None = None) -> int:
        on = on or timezone.localdate()
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
