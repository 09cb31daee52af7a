"""Rentals (leases) of rooms, vehicles and parking spaces."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log, model_changes
from jingzhi.registry.choices import RentalRegistration, Tenure, VehicleKind
from jingzhi.registry.models import Household, ParkingSpace, Rental, Vehicle
from jingzhi.registry.services.common import require

RENTAL_FIELDS = ("lease_start", "lease_end", "registration", "landlord_name", "landlord_phone", "ended_at")


def rental_create(
    *,
    actor: Actor,
    tenant_household: Household,
    lease_start: dt.date,
    lease_end: dt.date | None = None,
    landlord_household: Household | None = None,
    landlord_name: str = "",
    landlord_phone: str = "",
    registration: str = RentalRegistration.PENDING,
) -> Rental:
    """Record a lease of the tenant household's room; the household's tenure becomes "rented"."""
    room = tenant_household.room
    require(actor, Capability.MANAGE_REGISTER, room)
    if lease_end is not None and lease_end < lease_start:
        raise ValidationError({"lease_end": _("The lease cannot end before it starts.")})
    if landlord_household is None and not landlord_name.strip():
        raise ValidationError({"landlord_name": _("Name the landlord or the landlord's household.")})
    rental = Rental(
        room=room,
        tenant_household=tenant_household,
        landlord_household=landlord_household,
        landlord_name=landlord_name.strip(),
        landlord_phone=landlord_phone.strip(),
        lease_start=lease_start,
        lease_end=lease_end,
        registration=registration,
    )
    rental.full_clean(validate_constraints=False)
    with transaction.atomic():
        rental.save()
        Household.objects.filter(pk=tenant_household.pk).update(tenure=Tenure.RENTED)
        audit_log(
            actor=actor,
            action="rental.create",
            obj=rental,
            place=room,
            changes={"lease_start": str(lease_start), "lease_end": str(lease_end or ""), "registration": registration},
        )
    return rental


def rental_update(*, actor: Actor, rental: Rental, **values: object) -> Rental:
    """Change lease dates, registration status or landlord; audited field by field."""
    require(actor, Capability.MANAGE_REGISTER, rental.room)
    unknown = set(values) - set(RENTAL_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    before = {f: getattr(rental, f) for f in RENTAL_FIELDS}
    for key, value in values.items():
        setattr(rental, key, value)
    rental.full_clean(validate_constraints=False)
    if rental.lease_end is not None and rental.lease_end < rental.lease_start:
        raise ValidationError({"lease_end": _("The lease cannot end before it starts.")})
    with transaction.atomic():
        rental.save()
        changes = model_changes(
            before, {f: getattr(rental, f) for f in RENTAL_FIELDS}, sensitive=frozenset({"landlord_phone"})
        )
        if changes:
            audit_log(actor=actor, action="rental.update", obj=rental, place=rental.room, changes=changes)
    return rental


def rental_end(*, actor: Actor, rental: Rental, on: dt.date | None = None) -> Rental:
    return rental_update(actor=actor, rental=rental, ended_at=on or timezone.localdate())


def vehicle_add(
    *,
    actor: Actor,
    household: Household,
    kind: str = VehicleKind.CAR,
    plate: str = "",
    description: str = "",
    parking_space: ParkingSpace | None = None,
) -> Vehicle:
    require(actor, Capability.MANAGE_REGISTER, household.room)
    plate = "".join(plate.split()).upper()
    if kind == VehicleKind.CAR and not plate:
        raise ValidationError({"plate": _("A car needs its plate number.")})
    vehicle = Vehicle(household=household, kind=kind, plate=plate, description=description, parking_space=parking_space)
    vehicle.full_clean()
    with transaction.atomic():
        vehicle.save()
        audit_log(
            actor=actor,
            action="vehicle.create",
            obj=vehicle,
            place=household.room,
            changes={"kind": kind, "plate": plate},
        )
    return vehicle
