"""Households, residents, rentals, vehicles and credentials: the register every module joins to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingzhi.core import idnumber
from jingzhi.core.choices import PlaceKind
from jingzhi.core.fields import DerivedField, DigestField, EncryptedField
from jingzhi.core.models import Place
from jingzhi.registry import pinyin
from jingzhi.registry.choices import (
    AwayReason,
    CorrectionStatus,
    CredentialKind,
    Gender,
    ParkingKind,
    Relationship,
    RentalRegistration,
    ResidenceType,
    ResidentStatus,
    TagCode,
    Tenure,
    VehicleKind,
)


def normalise_phone(value: str) -> str:
    """Digits only, without a +86/0086 country prefix; landlines keep their area code."""
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
    #: Members present or away (not moved out or deceased); kept by the services, so that
    #: "living alone" is an indexed lookup rather than a count over every household.
    member_count = models.PositiveSmallIntegerField(_("members"), default=0, editable=False)
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            models.Index(fields=["room", "moved_out"], name="household_room_current"),
            models.Index(fields=["member_count"], name="household_member_count"),
        ]

    def __str__(self) -> str:
        return f"{self.room} #{self.pk}"


#: Statuses of people who still live in their household (counted in ``member_count``).
LIVING = (ResidentStatus.PRESENT, ResidentStatus.AWAY)
RECOUNT_BATCH = 500


def households_recount(ids: set[int] | list[int]) -> None:
    """Recompute ``member_count`` of these households from their members, and the members'
    ``lives_alone`` flag from it (two set-based updates per batch, whatever the number of households)."""
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), RECOUNT_BATCH):
        batch = ordered[i : i + RECOUNT_BATCH]
        living = (
            Resident.objects.filter(household_id=OuterRef("pk"), status__in=LIVING)
            .order_by()
            .values("household_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Household.objects.filter(pk__in=batch).update(member_count=Coalesce(Subquery(living), 0))
        alone = Household.objects.filter(pk=OuterRef("household_id"), member_count=1)
        Resident.objects.filter(household_id__in=batch).update(
            lives_alone=Case(When(Q(status__in=LIVING) & Exists(alone), then=Value(True)), default=Value(False))
        )


def residents_repath(sender: Any = None, *, place: Any, **kwargs: Any) -> None:
    """Copy the rooms' new code paths onto their residents after a building's, unit's or room's
    code changed (receiver of ``place_codes_changed``)."""
    level = "pk" if place.kind == PlaceKind.ROOM else f"{place.kind}_id"
    rooms = Place.objects.filter(kind=PlaceKind.ROOM, **{level: place.pk})
    path = Household.objects.filter(pk=OuterRef("household_id")).values("room__code_path")[:1]
    Resident.objects.filter(household__room__in=rooms).update(room_path=Subquery(path))


class LivesAloneField(models.BooleanField):
    """Whether a resident is the only living member of their household, stored so that the
    "living alone" searches are an indexed lookup instead of a join to every household.

    An inserted row (``save()`` and bulk inserts alike) takes it from the household's
    ``member_count`` at that moment; every later change of a household's members goes through
    :func:`households_recount`, which rewrites the flag of all its members.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", False)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if add:
            household = getattr(model_instance, "household", None)
            status = getattr(model_instance, "status", "")
            alone = household is not None and household.member_count == 1 and status in LIVING
            setattr(model_instance, self.attname, alone)
        return getattr(model_instance, self.attname)


class HashColumn(DigestField):
    """A ``DigestField`` without the field-level index: ``db_index`` on a CharField also builds
    a pattern-ops index on PostgreSQL, which a hash is never searched with (the model declares
    the plain index it needs in ``Meta``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("db_index", False)
        super().__init__(*args, **kwargs)


class Tag(models.Model):
    """One term of the managed tag vocabulary."""

    code = models.CharField(_("code"), max_length=32, unique=True, choices=TagCode.choices)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return str(TagCode(self.code).label) if self.code in TagCode.values else self.code


class Resident(models.Model):
    """A person in the register. Identity number and phone are encrypted at rest.

    Search columns are derived on save (bulk inserts included): full pinyin and
    initials of the name, and keyed hashes of the last four characters of the
    identity number and phone, so "…1234" is found without decrypting the table.
    """

    SCOPE_PREFIX = "household__room"
    #: Levels copied from the household's room onto the row (see ``fill_scope``).
    SCOPE_DIRECT = ("subdistrict", "community", "grid")
    SENSITIVE_FIELDS = frozenset({"id_number", "phone"})

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    # Searched by prefix only: one pattern-ops index in Meta (``db_index`` would add a second,
    # plain one that no query uses and every insert maintains).
    name = models.CharField(_("name"), max_length=64)
    # Pinyin columns: (column, id) pattern-ops indexes in Meta serve the prefix searches.
    name_pinyin = DerivedField(max_length=128, source="name", derive=pinyin.full)
    name_initials = DerivedField(max_length=32, source="name", derive=pinyin.initials)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedField(
        _("identity number"),
        digest_field="id_number_digest",
        tail_digest_field="id_number_tail",
        normalizer=idnumber.normalise,
    )
    # Hash columns: plain indexes in Meta; the identity number's digest is served by the
    # unique constraint's index.
    id_number_digest = HashColumn()
    id_number_tail = HashColumn()
    phone = EncryptedField(
        _("phone"), digest_field="phone_digest", tail_digest_field="phone_tail", normalizer=normalise_phone
    )
    phone_digest = HashColumn()
    phone_tail = HashColumn()
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True, default="汉族")
    residence_type = models.CharField(
        _("residence type"), max_length=16, choices=ResidenceType.choices, default=ResidenceType.REGISTERED
    )
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ResidentStatus.choices, default=ResidentStatus.PRESENT
    )
    away_reason = models.CharField(_("away because"), max_length=24, choices=AwayReason.choices, blank=True)
    expected_return = models.DateField(_("expected back"), null=True, blank=True)
    moved_in = models.DateField(_("moved in"), null=True, blank=True)
    moved_out = models.DateField(_("moved out"), null=True, blank=True)
    tags: models.ManyToManyField[Tag, ResidentTag] = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="residents", through="ResidentTag"
    )
    # Copies of the room's upper ancestor columns, so a community's or grid's residents are
    # one indexed lookup at a million rows (kept by save(), fill_scope() for bulk inserts).
    subdistrict = models.ForeignKey(
        "core.Place", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    # (subdistrict, id), (community, id) and (grid, id) below serve every lookup a single-column
    # index would.
    community = models.ForeignKey(
        "core.Place", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    grid = models.ForeignKey(
        "core.Place", null=True, on_delete=models.PROTECT, related_name="+", editable=False, db_index=False
    )
    #: The room's ``code_path`` ("3/2/501": building, unit, room codes), copied like the scope
    #: columns; an address search in every estate at once is one walk of (room_path, id).
    #: Rewritten when a code above changes (``core.models.places.place_codes_changed``).
    room_path = models.CharField(max_length=100, blank=True, default="", editable=False)
    #: Present or away, and the only such member of the household (see ``LivesAloneField``).
    lives_alone = LivesAloneField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
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
            models.CheckConstraint(
                condition=Q(status=ResidentStatus.AWAY) | Q(away_reason=""), name="resident_away_reason_only_when_away"
            ),
        ]
        indexes = [
            models.Index(fields=["birth_date"], name="resident_birth"),
            models.Index(fields=["id_number_tail"], name="resident_id_tail"),
            models.Index(fields=["phone_digest"], name="resident_phone_digest"),
            models.Index(fields=["phone_tail"], name="resident_phone_tail"),
            # A sub-district's, community's or grid's residents in id order: pages of a scoped
            # search stop early, and a capped count merges an index-only walk of the scope with
            # the matching ids (a tag's holders) instead of reading each row for its scope.
            models.Index(fields=["subdistrict", "id"], name="resident_subdistrict_id"),
            models.Index(fields=["community", "id"], name="resident_community_id"),
            models.Index(fields=["grid", "id"], name="resident_grid_id"),
            # Pinyin prefix searches ('zs%', 'zhangs%') read the matching ids in scope from these
            # alone (index-only scans, the scope columns included); see ``search._by_pinyin``.
            # Pattern ops: LIKE uses them whatever the database collation.
            models.Index(
                fields=["name_initials", "id"],
                name="resident_initials_id",
                opclasses=["varchar_pattern_ops", "int8_ops"],
                include=["subdistrict", "community", "grid"],
            ),
            models.Index(
                fields=["name_pinyin", "id"],
                name="resident_pinyin_id",
                opclasses=["varchar_pattern_ops", "int8_ops"],
                include=["subdistrict", "community", "grid"],
            ),
            # Name prefix search ('张三%'); pattern ops: LIKE uses it whatever the collation.
            models.Index(fields=["name"], name="resident_name_prefix", opclasses=["varchar_pattern_ops"]),
            # Residents of "3幢2单元501" in every estate, in id order: a page stops after 25 rows and
            # the capped count reads the index alone (scope columns included).
            models.Index(
                fields=["room_path", "id"],
                name="resident_room_path_id",
                include=["subdistrict", "community", "grid"],
            ),
            # The few percent living alone, in id order, overall and per community/grid: the
            # "独居(老人)" searches read a short index instead of joining households.
            models.Index(fields=["id"], condition=Q(lives_alone=True), name="resident_alone_id"),
            models.Index(fields=["community", "id"], condition=Q(lives_alone=True), name="resident_alone_community"),
            models.Index(fields=["grid", "id"], condition=Q(lives_alone=True), name="resident_alone_grid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.pk})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_scope()
        if not self._state.adding and not args and kwargs.get("update_fields") is None:
            # ``lives_alone`` is written on insert and then only by ``households_recount``: a copy
            # loaded before the household changed must not put the old value back.
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "lives_alone"
            ]
        super().save(*args, **kwargs)

    def fill_scope(self, room: Any = None) -> None:
        """Copy the sub-district, community, grid and code path of the household's room onto the row."""
        room = room or self.household.room
        self.subdistrict_id, self.community_id, self.grid_id = room.subdistrict_id, room.community_id, room.grid_id
        self.room_path = room.code_path

    def age(self, on: dt.date | None = None) -> int:
        on = on or timezone.localdate()
        return on.year - self.birth_date.year - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))


class ResidentTag(models.Model):
    """A tag held by a resident, with a grade where the tag has one (disability grade 1–4)."""

    # No single-column indexes: (resident, tag) and (tag, resident) below lead with each.
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tag_links", db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="+", db_index=False)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("resident tag")
        verbose_name_plural = _("resident tags")
        constraints = [models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_unique")]
        indexes = [models.Index(fields=["tag", "resident"], name="resident_tag_by_tag")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.tag}"


class Rental(models.Model):
    """A lease of a room: landlord, tenant household, lease dates and police registration status."""

    SCOPE_PREFIX = "room"

    room = models.ForeignKey(
        "core.Place",
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        related_name="rentals",
        limit_choices_to={"kind": PlaceKind.ROOM},
    )
    landlord_household = models.ForeignKey(
        Household,
        verbose_name=_("landlord household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lettings",
    )
    landlord_name = models.CharField(_("landlord"), max_length=64, blank=True)
    landlord_phone = EncryptedField(_("landlord phone"), normalizer=normalise_phone)
    tenant_household = models.ForeignKey(
        Household, verbose_name=_("tenant household"), on_delete=models.PROTECT, related_name="leases"
    )
    lease_start = models.DateField(_("lease start"))
    lease_end = models.DateField(_("lease end"), null=True, blank=True)
    registration = models.CharField(
        _("registration"), max_length=16, choices=RentalRegistration.choices, default=RentalRegistration.PENDING
    )
    ended_at = models.DateField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rental")
        verbose_name_plural = _("rentals")
        indexes = [models.Index(fields=["lease_end"], name="rental_lease_end")]
        constraints = [
            models.CheckConstraint(
                condition=Q(lease_end__isnull=True) | Q(lease_end__gte=models.F("lease_start")),
                name="rental_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.lease_start}–{self.lease_end or ''}"


class ParkingSpace(models.Model):
    """A parking space in an estate, optionally held by a household."""

    SCOPE_PREFIX = "estate"

    estate = models.ForeignKey(
        "core.Place",
        verbose_name=_("estate"),
        on_delete=models.PROTECT,
        related_name="parking_spaces",
        limit_choices_to={"kind": PlaceKind.ESTATE},
    )
    code = models.CharField(_("code"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=ParkingKind.choices, default=ParkingKind.OWNED)
    holder = models.ForeignKey(
        Household,
        verbose_name=_("holder"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parking_spaces",
    )

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        constraints = [models.UniqueConstraint(fields=["estate", "code"], name="parking_code_unique_in_estate")]

    def __str__(self) -> str:
        return self.code


class Vehicle(models.Model):
    """A vehicle of a household (cars by plate; e-bikes for the elevator rule)."""

    SCOPE_PREFIX = "household__room"

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="vehicles"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=VehicleKind.choices, default=VehicleKind.CAR)
    plate = models.CharField(_("plate"), max_length=16, blank=True, db_index=True)
    description = models.CharField(_("description"), max_length=100, blank=True)
    parking_space = models.ForeignKey(
        ParkingSpace,
        verbose_name=_("parking space"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicles",
    )

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return self.plate or str(VehicleKind(self.kind).label)


class Credential(models.Model):
    """A gate credential of a resident: a card number or the id of a face template held on the device.

    No raw biometrics are stored: for faces the reference is the device-side template id
    (GB/T 35273 §6.3, PIPL art. 28), with the date separate consent was recorded.
    """

    SCOPE_PREFIX = "resident__household__room"

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="credentials"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=CredentialKind.choices)
    reference = EncryptedField(_("reference"), digest_field="reference_digest")
    reference_digest = DigestField()
    consent_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference_digest"],
                condition=Q(revoked_at__isnull=True),
                name="credential_active_unique",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CredentialKind.FACE) | Q(consent_at__isnull=False),
                name="credential_face_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{CredentialKind(self.kind).label} #{self.pk}"


class CorrectionRequest(models.Model):
    """A resident's request to correct their own data (PIPL art. 46), reviewed by staff."""

    SCOPE_PREFIX = "resident__household__room"

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="corrections"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("field"), max_length=32)
    proposed = EncryptedField(_("proposed value"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        indexes = [models.Index(fields=["status", "created_at"], name="correction_status")]

    def __str__(self) -> str:
        return f"{self.resident_id}:{self.field} ({self.status})"
