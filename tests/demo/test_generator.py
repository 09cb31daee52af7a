"""The demo sub-district is deterministic and has the promised shape."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count

from jingzhi.core import idnumber
from jingzhi.core.choices import PlaceKind
from jingzhi.core.models import Place
from jingzhi.demo.generator import DemoExistsError, generate
from jingzhi.registry.choices import Tenure
from jingzhi.registry.models import Household, Resident

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def demo(db: None) -> dict[str, object]:
    return generate(residents=2500, seed=3, today=TODAY).as_dict()


def test_counts_and_shape(demo: dict[str, object]) -> None:
    residents = list(Resident.objects.all())
    assert len(residents) == 2500 == demo["residents"]
    households = Household.objects.count()
    assert 2.4 <= len(residents) / households <= 2.8
    ages = [r.age(TODAY) for r in residents]
    assert 0.16 <= sum(a >= 60 for a in ages) / len(ages) <= 0.26
    rented = Household.objects.filter(tenure=Tenure.RENTED).count() / households
    assert 0.10 <= rented <= 0.20
    alone_elderly = (
        Household.objects.filter(members__birth_date__lte=dt.date(1966, 11, 26))
        .distinct()
        .annotate(n=Count("members"))
        .filter(n=1)
        .count()
    )
    assert alone_elderly > 50
    party = Resident.objects.filter(tags__code="party_member").count()
    assert 0.04 <= party / len(residents) <= 0.12
    assert Place.objects.filter(kind=PlaceKind.COMMUNITY).count() >= 3


def test_identity_numbers_are_valid_unique_and_match_the_person(demo: dict[str, object]) -> None:
    residents = list(Resident.objects.all())
    numbers = [r.id_number for r in residents]
    assert len(set(numbers)) == len(numbers)
    for person in residents:
        parsed = idnumber.parse(person.id_number, today=TODAY)
        assert parsed.birth_date == person.birth_date
        assert parsed.is_male == (person.gender == "M")
    names = Counter(len(r.name) for r in residents)
    assert names[2] + names[3] > 0.9 * len(residents)


def test_every_household_has_a_head_in_a_room(demo: dict[str, object]) -> None:
    assert not Household.objects.exclude(members__relationship="head").exists()
    assert not Household.objects.exclude(room__kind=PlaceKind.ROOM).exists()


class _Rollback(Exception):
    pass


def test_same_seed_same_data(db: None) -> None:
    try:
        with transaction.atomic():
            first = generate(residents=400, seed=11, today=TODAY)
            snapshot = sorted((r.name, r.id_number, r.phone) for r in Resident.objects.all())
            raise _Rollback
    except _Rollback:
        pass
    assert not Resident.objects.exists()
    second = generate(residents=400, seed=11, today=TODAY)
    assert sorted((r.name, r.id_number, r.phone) for r in Resident.objects.all()) == snapshot
    assert first.places == second.places
    third = sorted(r.name for r in Resident.objects.all())
    assert len(set(third)) > 300


def test_second_run_is_refused(demo: dict[str, object]) -> None:
    with pytest.raises(DemoExistsError):
        generate(residents=10, seed=1, today=TODAY)


def test_logins_cover_every_role(demo: dict[str, object]) -> None:
    logins = demo["logins"]
    assert isinstance(logins, list)
    roles = {entry["role"] for entry in logins}
    assert roles >= {
        "platform_admin",
        "subdistrict_admin",
        "auditor",
        "community_secretary",
        "community_staff",
        "grid_worker",
        "property_manager",
        "volunteer",
        "resident",
    }


def test_demo_has_leases_and_a_resident_login_with_a_record(demo: dict[str, object]) -> None:
    from jingzhi.core.models import User
    from jingzhi.registry.models import Rental

    assert Rental.objects.count() == Household.objects.filter(tenure=Tenure.RENTED).count() > 0
    assert User.objects.get(username="resident").resident.relationship == "head"
