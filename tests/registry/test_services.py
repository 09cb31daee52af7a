"""Registering through services: identity checks, duplicates, heads of household, moves, status, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jingzhi.core import idnumber
from jingzhi.core.models import AuditEntry
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import CredentialKind, Relationship, ResidentStatus, Tenure
from jingzhi.registry.models import Household, Resident
from jingzhi.registry.selectors import resident_timeline
from jingzhi.registry.services import (
    household_create,
    household_set_head,
    resident_move,
    resident_register,
    resident_set_status,
    resident_update,
)
from jingzhi.registry.services.corrections import correction_request, correction_review
from jingzhi.registry.services.credentials import credential_issue, credential_match
from jingzhi.registry.services.rentals import rental_create
from tests import factories as f
from tests.conftest import World

ID_1980 = idnumber.make("320505", dt.date(1980, 3, 5), 13)  # male
ID_1985 = idnumber.make("320505", dt.date(1985, 7, 1), 24)  # female


@pytest.fixture
def staff(world: World) -> Actor:
    return Actor.for_user(world.users["community_staff_a"])


def test_register_derives_birth_date_and_gender_from_the_id(world: World, staff: Actor) -> None:
    person = resident_register(
        actor=staff,
        household=world.a.household,
        name=" 李  四 ",
        id_number=ID_1980.lower(),
        relationship=Relationship.SPOUSE,
    )
    assert (person.name, person.birth_date, person.gender) == ("李 四", dt.date(1980, 3, 5), "M")
    assert person.name_initials == "ls" and person.name_pinyin == "lisi"
    assert AuditEntry.objects.filter(action="resident.create", object_id=str(person.pk)).exists()


def test_bad_identity_numbers_are_refused_with_the_reason(world: World, staff: Actor) -> None:
    bad = ID_1980[:-1] + ("0" if ID_1980[-1] != "0" else "1")
    with pytest.raises(ValidationError) as info:
        resident_register(
            actor=staff, household=world.a.household, name="x", id_number=bad, relationship=Relationship.CHILD
        )
    assert "check character" in str(info.value)
    with pytest.raises(ValidationError) as mismatch:
        resident_register(
            actor=staff,
            household=world.a.household,
            name="x",
            id_number=ID_1980,
            relationship=Relationship.CHILD,
            birth_date=dt.date(1981, 1, 1),
        )
    assert mismatch.value.error_dict["birth_date"][0].code == "birth_date_mismatch"


def test_duplicate_identity_number_names_the_existing_person(world: World, staff: Actor) -> None:
    with pytest.raises(ValidationError) as info:
        resident_register(
            actor=staff,
            household=world.a.household,
            name="重复",
            id_number=world.a.resident.id_number,
            relationship=Relationship.CHILD,
        )
    assert info.value.error_dict["id_number"][0].code == "duplicate"
    assert info.value.error_dict["id_number"][0].params == {"existing": world.a.resident.pk}


def test_a_household_has_one_head_and_is_never_left_without_one(world: World, staff: Actor) -> None:
    head = world.a.resident
    with pytest.raises(ValidationError) as second:
        resident_register(
            actor=staff, household=world.a.household, name="x", id_number=ID_1980, relationship=Relationship.HEAD
        )
    assert second.value.error_dict["relationship"][0].code == "second_head"
    spouse = resident_register(
        actor=staff, household=world.a.household, name="配偶", id_number=ID_1985, relationship=Relationship.SPOUSE
    )
    with pytest.raises(ValidationError) as no_head:
        resident_update(actor=staff, resident=head, relationship=Relationship.PARENT)
    assert no_head.value.error_dict["relationship"][0].code == "no_head"
    with pytest.raises(ValidationError) as no_head:
        resident_set_status(actor=staff, resident=head, status=ResidentStatus.DECEASED)
    assert no_head.value.error_dict["status"][0].code == "no_head"
    household_set_head(
        actor=staff, household=world.a.household, resident=spouse, former_head_becomes=Relationship.SPOUSE
    )
    resident_set_status(actor=staff, resident=Resident.objects.get(pk=head.pk), status=ResidentStatus.DECEASED)
    assert Resident.objects.get(pk=spouse.pk).relationship == Relationship.HEAD


def test_household_is_created_with_its_head(world: World, staff: Actor) -> None:
    room = f.place("room", world.a.unit, "601", "601", floor=6, room_number="601")
    household = household_create(
        actor=staff,
        room=room,
        tenure=Tenure.RENTED,
        head={"name": "王五", "id_number": ID_1980, "phone": "13900001111"},
    )
    assert household.members.get().relationship == Relationship.HEAD


def test_moves_keep_history_and_empty_households_close(world: World, staff: Actor) -> None:
    room = f.place("room", world.a.unit, "602", "602", floor=6, room_number="602")
    target = household_create(actor=staff, room=room, head={"name": "赵六", "id_number": ID_1985})
    mover = world.a.resident
    resident_move(actor=staff, resident=mover, to_household=target, relationship=Relationship.SPOUSE)
    assert Household.objects.get(pk=world.a.household.pk).moved_out is not None
    timeline = list(resident_timeline(resident=Resident.objects.get(pk=mover.pk)))
    move = next(e for e in timeline if e.action == "resident.move")
    assert move.changes["room"] == {"from": world.a.room.pk, "to": room.pk}
    assert move.changes["household_id"]["from"] == world.a.household.pk


def test_staff_cannot_move_someone_into_another_community(world: World, staff: Actor) -> None:
    with pytest.raises(PermissionDenied):
        resident_move(
            actor=staff, resident=world.a.resident, to_household=world.b.household, relationship=Relationship.CHILD
        )


def test_away_needs_a_reason_and_keeps_expected_return(world: World, staff: Actor) -> None:
    with pytest.raises(ValidationError):
        resident_set_status(actor=staff, resident=world.a.resident, status=ResidentStatus.AWAY)
    person = resident_set_status(
        actor=staff,
        resident=world.a.resident,
        status=ResidentStatus.AWAY,
        away_reason="hospital",
        expected_return=dt.date(2026, 12, 20),
    )
    assert (person.away_reason, person.expected_return) == ("hospital", dt.date(2026, 12, 20))
    back = resident_set_status(actor=staff, resident=person, status=ResidentStatus.PRESENT)
    assert back.away_reason == "" and back.expected_return is None


def test_sensitive_changes_are_in_the_timeline_without_values(world: World, staff: Actor) -> None:
    resident_update(actor=staff, resident=world.a.resident, phone="13700002222", ethnicity="回族")
    entry = resident_timeline(resident=world.a.resident).first()
    assert entry is not None and entry.changes["phone"] == {"changed": True}
    assert entry.changes["ethnicity"] == {"from": "汉族", "to": "回族"}
    assert "13700002222" not in str(entry.changes)


def test_rental_marks_the_household_rented(world: World, staff: Actor) -> None:
    rental = rental_create(
        actor=staff,
        tenant_household=world.a.household,
        lease_start=dt.date(2026, 1, 1),
        lease_end=dt.date(2026, 12, 31),
        landlord_name="房东",
        landlord_phone="13600003333",
    )
    assert Household.objects.get(pk=world.a.household.pk).tenure == Tenure.RENTED
    assert rental.landlord_phone == "13600003333"
    with pytest.raises(ValidationError):
        rental_create(
            actor=staff,
            tenant_household=world.a.household,
            lease_start=dt.date(2026, 1, 1),
            lease_end=dt.date(2025, 1, 1),
            landlord_name="x",
        )


def test_credentials_match_by_keyed_hash_and_faces_need_consent(world: World, staff: Actor) -> None:
    credential_issue(actor=staff, resident=world.a.resident, kind=CredentialKind.CARD, reference="A1B2C3D4")
    assert credential_match(kind=CredentialKind.CARD, reference=" A1B2C3D4 ").resident_id == world.a.resident.pk  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        credential_issue(
            actor=staff, resident=world.b.resident, kind=CredentialKind.CARD, reference="zz"
        )  # other community
    with pytest.raises(ValidationError) as duplicate:
        credential_issue(actor=staff, resident=world.a.resident, kind=CredentialKind.CARD, reference="A1B2C3D4")
    assert duplicate.value.error_dict["reference"][0].code == "duplicate"
    with pytest.raises(ValidationError) as consent:
        credential_issue(actor=staff, resident=world.a.resident, kind=CredentialKind.FACE, reference="face-17")
    assert "consent_at" in consent.value.error_dict


def test_correction_request_from_the_resident_and_review_by_staff(world: World, staff: Actor) -> None:
    person = world.a.resident
    user = world.users["resident_a"]
    person.user = user
    person.save()
    request = correction_request(actor=Actor.for_user(user), resident=person, field="phone", proposed="13511112222")
    with pytest.raises(PermissionDenied):
        correction_request(
            actor=Actor.for_user(world.users["resident_b"]), resident=person, field="phone", proposed="1"
        )
    correction_review(actor=staff, request=request, approve=True)
    assert Resident.objects.get(pk=person.pk).phone == "13511112222"
    with pytest.raises(ValidationError):
        correction_review(actor=staff, request=request, approve=False)


def test_scope_columns_follow_the_resident(world: World) -> None:
    admin = Actor.for_user(world.users["subdistrict_admin"])
    mover = world.a.resident
    assert (mover.subdistrict_id, mover.community_id, mover.grid_id) == (
        world.sub.pk,
        world.a.community.pk,
        world.a.grid.pk,
    )
    spouse = resident_register(
        actor=admin, household=world.a.household, name="配偶", id_number=ID_1985, relationship=Relationship.SPOUSE
    )
    household_set_head(actor=admin, household=world.a.household, resident=spouse)
    resident_move(
        actor=admin,
        resident=Resident.objects.get(pk=mover.pk),
        to_household=world.b.household,
        relationship=Relationship.PARENT,
    )
    moved = Resident.objects.get(pk=mover.pk)
    assert (moved.community_id, moved.grid_id) == (world.b.community.pk, world.b.grid.pk)
    b_staff = Actor.for_user(world.users["community_staff_b"])
    from jingzhi.registry.selectors import residents_visible

    assert moved.pk in set(residents_visible(actor=b_staff).values_list("pk", flat=True))
    assert moved.pk not in set(
        residents_visible(actor=Actor.for_user(world.users["community_staff_a"])).values_list("pk", flat=True)
    )
