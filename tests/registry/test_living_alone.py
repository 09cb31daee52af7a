"""The stored ``lives_alone`` flag follows every change of a household's members."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhi.core import idnumber
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import Relationship, ResidentStatus
from jingzhi.registry.models import LIVING, Household, Resident, households_recount
from jingzhi.registry.selectors import residents_search
from jingzhi.registry.services import household_create, resident_move, resident_register, resident_set_status
from tests import factories as f
from tests.conftest import World

ID_1940 = idnumber.make("320505", dt.date(1940, 3, 5), 13)
ID_1945 = idnumber.make("320505", dt.date(1945, 7, 1), 24)
ID_1990 = idnumber.make("320505", dt.date(1990, 1, 2), 35)


@pytest.fixture
def staff(world: World) -> Actor:
    return Actor.for_user(world.users["community_staff_a"])


def _alone() -> set[str]:
    return set(Resident.objects.filter(lives_alone=True).values_list("name", flat=True))


def _derived_alone() -> set[str]:
    """The definition the flag stores: living, in a household of one living member."""
    return set(Resident.objects.filter(status__in=LIVING, household__member_count=1).values_list("name", flat=True))


def test_flag_follows_registration_status_and_moves(world: World, staff: Actor) -> None:
    room = f.place("room", world.a.unit, "601", "601", floor=6, room_number="601")
    household = household_create(actor=staff, room=room, head={"name": "孤老甲", "id_number": ID_1940})
    assert "孤老甲" in _alone()

    resident_register(
        actor=staff, household=household, name="老伴乙", id_number=ID_1945, relationship=Relationship.SPOUSE
    )
    assert not {"孤老甲", "老伴乙"} & _alone()

    spouse = Resident.objects.get(name="老伴乙")
    resident_set_status(actor=staff, resident=spouse, status=ResidentStatus.DECEASED)
    assert "孤老甲" in _alone() and "老伴乙" not in _alone()

    # Away still lives here: the flag stays.
    head = Resident.objects.get(name="孤老甲")
    resident_set_status(actor=staff, resident=head, status=ResidentStatus.AWAY, away_reason="hospital")
    assert "孤老甲" in _alone()

    # Moving in with someone ends it for both; the household left behind has no one alone.
    mover = Resident.objects.get(name="孤老甲")
    resident_set_status(actor=staff, resident=mover, status=ResidentStatus.PRESENT)
    resident_move(
        actor=staff, resident=Resident.objects.get(pk=mover.pk), to_household=world.a.household, relationship="parent"
    )
    assert not {"孤老甲", world.a.resident.name} & _alone()
    assert _alone() == _derived_alone()


def test_a_stale_copy_saved_later_does_not_restore_the_old_flag(world: World, staff: Actor) -> None:
    stale = Resident.objects.get(pk=world.a.resident.pk)
    assert stale.lives_alone
    resident_register(
        actor=staff, household=world.a.household, name="新成员", id_number=ID_1990, relationship=Relationship.CHILD
    )
    stale.phone = "13700001111"
    stale.save()
    assert not Resident.objects.get(pk=stale.pk).lives_alone
    assert Resident.objects.get(pk=stale.pk).phone == "13700001111"


def test_recount_of_many_households_matches_the_definition(world: World) -> None:
    households = []
    for n in range(3):
        room = f.place("room", world.b.unit, f"70{n}", f"70{n}", floor=7, room_number=f"70{n}")
        household = Household.objects.create(room=room)
        households.append(household)
        for i in range(n + 1):
            f.resident(household, f"成员{n}{i}", relationship="head" if i == 0 else "child")
    # Break the stored values, then recount them all at once.
    Household.objects.update(member_count=0)
    Resident.objects.update(lives_alone=True)
    households_recount([h.pk for h in Household.objects.all()])
    assert _alone() == _derived_alone()
    assert "成员00" in _alone() and "成员10" not in _alone()
    assert [Household.objects.get(pk=h.pk).member_count for h in households] == [1, 2, 3]


def test_living_alone_search_uses_the_flag_and_stays_scoped(world: World) -> None:
    secretary_a = Actor.for_user(world.users["community_secretary_a"])
    found = {r.name for r in residents_search(actor=secretary_a, text="独居")}
    assert found == {world.a.resident.name}
    assert world.b.resident.name not in found
    Resident.objects.filter(pk=world.a.resident.pk).update(lives_alone=False)
    assert not residents_search(actor=secretary_a, text="独居").exists()
