"""A deterministic synthetic sub-district: places, households, residents and logins.

The same ``seed`` and ``residents`` always give the same data. Rows are
written with bulk inserts level by level, so a million residents take minutes.
Shape targets (checked by tests): about 2.6 persons per household, about 20 %
aged 60+, about 15 % of occupied rooms rented, elderly people living alone,
party members among adults, valid GB 11643 identity numbers whose birth date
and sex match the person.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from jingzhi.core import idnumber
from jingzhi.core.choices import PlaceKind, Role
from jingzhi.core.models import Place, RoleAssignment, User
from jingzhi.core.services.audit import audit_log
from jingzhi.core.services.places import places_bulk_insert
from jingzhi.demo import names
from jingzhi.demo.devices import create_devices, issue_cards
from jingzhi.registry.choices import (
    Gender,
    Relationship,
    RentalRegistration,
    ResidenceType,
    ResidentStatus,
    TagCode,
    Tenure,
)
from jingzhi.registry.models import Household, Rental, Resident, Tag

SUBDISTRICT_CODE = "320505407"
SUBDISTRICT_NAME = "科技城（东渚街道）"
DEMO_PASSWORD = "jingzhi-demo-2026"  # noqa: S105 - printed for the demo logins; demo data only
BATCH = 2000
OCCUPANCY = 0.92

# (type, probability): the household mix; sizes and ages are drawn per type.
HOUSEHOLD_TYPES: tuple[tuple[str, float], ...] = (
    ("elderly_alone", 0.07),
    ("elderly_couple", 0.10),
    ("single", 0.11),
    ("couple", 0.12),
    ("nuclear", 0.36),
    ("three_generation", 0.14),
    ("shared_rental", 0.10),
)


RENTAL_REGISTRATION: tuple[tuple[str, float], ...] = (
    (RentalRegistration.REGISTERED, 0.8),
    (RentalRegistration.PENDING, 0.15),
    (RentalRegistration.UNREGISTERED, 0.05),
)


class DemoExistsError(Exception):
    """The demo sub-district is already in the database."""


@dataclass
class Summary:
    seed: int
    residents: int = 0
    households: int = 0
    rooms: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    places: dict[str, Any] = field(default_factory=dict)
    logins: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "residents": self.residents,
            "households": self.households,
            "places": self.places,
            "place_counts": self.counts,
            "logins": self.logins,
            "seconds": round(self.seconds, 2),
        }


def _weighted(rng: random.Random, items: tuple[tuple[str, int], ...] | tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _i, w in items)
    pick = rng.random() * total
    for item, weight in items:
        pick -= weight
        if pick < 0:
            return item
    return items[-1][0]


class _People:
    """Draws names, birth dates, identity numbers and phones without collisions."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.used: dict[str, int] = {}

    def name(self, male: bool, age: int) -> str:
        rng = self.rng
        surname = _weighted(rng, names.SURNAMES)
        if age >= 60:
            pool = names.ELDER_MALE_CHARS if male else names.ELDER_FEMALE_CHARS
            pool2 = names.MALE_CHARS if male else names.FEMALE_CHARS
            given = rng.choice(pool2) + rng.choice(pool) if rng.random() < 0.8 else rng.choice(pool)
        else:
            pool = names.MALE_CHARS if male else names.FEMALE_CHARS
            given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
        return surname + given

    def birth(self, age: int) -> dt.date:
        year = self.today.year - age
        start = dt.date(year - 1, self.today.month, 1) + dt.timedelta(days=1)
        day = start + dt.timedelta(days=self.rng.randrange(365))
        # Make sure the age is exactly ``age`` today.
        while _age(day, self.today) > age:
            day += dt.timedelta(days=1)
        while _age(day, self.today) < age:
            day -= dt.timedelta(days=1)
        return day

    def id_number(self, birth: dt.date, male: bool, local: bool) -> str:
        region = self.rng.choice(names.LOCAL_REGIONS if local else names.OTHER_REGIONS)
        key = f"{region}{birth:%Y%m%d}{int(male)}"
        seq = self.used.get(key)
        seq = self.rng.randrange(0, 200) * 2 + (1 if male else 0) if seq is None else seq + 2
        if seq > 999:  # pragma: no cover - needs >400 people of one sex born the same day in one county
            raise RuntimeError("identity number space exhausted for " + key)
        self.used[key] = seq
        return idnumber.make(region, birth, seq)

    def phone(self) -> str:
        return self.rng.choice(names.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


Member = tuple[Relationship, int, bool]


def _household_members(rng: random.Random, kind: str) -> list[Member]:
    """(relationship, age, male) for each member; the head first."""

    def adult(lo: int, hi: int) -> int:
        return rng.randint(lo, hi)

    male_head = rng.random() < 0.6
    if kind == "elderly_alone":
        return [(Relationship.HEAD, adult(65, 96), rng.random() < 0.35)]
    if kind == "elderly_couple":
        age = adult(60, 90)
        return [(Relationship.HEAD, age, True), (Relationship.SPOUSE, max(58, age - rng.randint(0, 5)), False)]
    if kind == "single":
        return [(Relationship.HEAD, adult(20, 59), male_head)]
    if kind == "couple":
        age = adult(22, 66)
        return [(Relationship.HEAD, age, True), (Relationship.SPOUSE, max(20, age - rng.randint(0, 4)), False)]
    if kind == "nuclear":
        age = adult(27, 55)
        members = [
            (Relationship.HEAD, age, male_head),
            (Relationship.SPOUSE, max(22, age + rng.randint(-4, 3)), not male_head),
        ]
        for _ in range(1 if rng.random() < 0.72 else 2):
            members.append((Relationship.CHILD, rng.randint(0, min(age - 20, 25)), rng.random() < 0.52))
        return members
    if kind == "three_generation":
        age = adult(30, 50)
        members = [
            (Relationship.HEAD, age, male_head),
            (Relationship.SPOUSE, max(24, age + rng.randint(-4, 3)), not male_head),
        ]
        grand = age + rng.randint(24, 32)
        members.append((Relationship.PARENT, grand, rng.random() < 0.45))
        if rng.random() < 0.5:
            members.append((Relationship.PARENT, grand + rng.randint(-3, 3), not members[-1][2]))
        members.append((Relationship.CHILD, rng.randint(0, min(age - 20, 20)), rng.random() < 0.52))
        return members
    # shared_rental
    count = 2 if rng.random() < 0.6 else 3
    return [(Relationship.HEAD, adult(20, 42), male_head)] + [
        (Relationship.TENANT, adult(19, 45), rng.random() < 0.55) for _ in range(count - 1)
    ]


@dataclass
class _Building:
    floors: int
    units: int
    per_floor: int

    @property
    def rooms(self) -> int:
        return self.floors * self.units * self.per_floor


def _building_type(rng: random.Random) -> _Building:
    kind = rng.random()
    if kind < 0.5:
        return _Building(floors=6, units=rng.choice((2, 3, 4)), per_floor=2)
    if kind < 0.8:
        return _Building(floors=rng.choice((11, 12)), units=2, per_floor=2)
    return _Building(floors=rng.choice((18, 24)), units=2, per_floor=rng.choice((2, 4)))


def _bulk(objs: list[Any], model: Any) -> None:
    for i in range(0, len(objs), BATCH):
        model.objects.bulk_create(objs[i : i + BATCH], batch_size=BATCH)


def generate(*, residents: int, seed: int, today: dt.date | None = None, communities: int | None = None) -> Summary:
    """Create the demo sub-district in one transaction and return its summary."""
    if residents < 1:
        raise ValueError("residents must be at least 1")
    if Place.objects.filter(parent__isnull=True, code=SUBDISTRICT_CODE).exists():
        raise DemoExistsError(f"the demo sub-district {SUBDISTRICT_CODE} already exists")
    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    people = _People(rng, today)
    summary = Summary(seed=seed)

    n_communities = communities or max(3, min(len(names.COMMUNITY_NAMES) * 10, round(residents / 6000)))
    per_community = [
        residents // n_communities + (1 if i < residents % n_communities else 0) for i in range(n_communities)
    ]

    with transaction.atomic():
        sub = Place(kind=PlaceKind.SUBDISTRICT, code=SUBDISTRICT_CODE, name=SUBDISTRICT_NAME)
        sub.save()
        comms = [
            Place(
                kind=PlaceKind.COMMUNITY,
                parent=sub,
                code=f"{SUBDISTRICT_CODE}{i + 1:03d}",
                name=_community_name(i) + "社区",
            )
            for i in range(n_communities)
        ]
        places_bulk_insert(comms)

        # Plan grids and estates per community from the rooms its households need.
        grids: list[Place] = []
        grid_rooms: list[int] = []
        for comm, people_here in zip(comms, per_community, strict=True):
            rooms_needed = math.ceil(people_here / 2.65 / OCCUPANCY) + 1
            n_grids = max(2, math.ceil(rooms_needed / 600))
            for g in range(n_grids):
                grids.append(Place(kind=PlaceKind.GRID, parent=comm, code=f"G{g + 1:02d}", name=f"第{g + 1}网格"))
                grid_rooms.append(math.ceil(rooms_needed / n_grids))
        places_bulk_insert(grids)

        estates: list[Place] = []
        estate_buildings: list[list[_Building]] = []
        estate_names_used: set[str] = set()
        for grid, need in zip(grids, grid_rooms, strict=True):
            n_estates = 1 if need < 400 else 2
            share = math.ceil(need / n_estates)
            for e in range(n_estates):
                plan: list[_Building] = []
                while sum(b.rooms for b in plan) < share:
                    plan.append(_building_type(rng))
                name = _estate_name(rng, grid, estate_names_used)
                estates.append(Place(kind=PlaceKind.ESTATE, parent=grid, code=f"E{e + 1:02d}", name=name))
                estate_buildings.append(plan)
        places_bulk_insert(estates)

        buildings: list[Place] = []
        building_plans: list[_Building] = []
        for estate, plan in zip(estates, estate_buildings, strict=True):
            for b, spec in enumerate(plan):
                buildings.append(
                    Place(
                        kind=PlaceKind.BUILDING,
                        parent=estate,
                        code=str(b + 1),
                        name=f"{b + 1}幢",
                        floors=spec.floors,
                        unit_count=spec.units,
                    )
                )
                building_plans.append(spec)
        places_bulk_insert(buildings)

        units: list[Place] = []
        unit_plans: list[_Building] = []
        for building, spec in zip(buildings, building_plans, strict=True):
            for u in range(spec.units):
                units.append(Place(kind=PlaceKind.UNIT, parent=building, code=str(u + 1), name=f"{u + 1}单元"))
                unit_plans.append(spec)
        places_bulk_insert(units)

        rooms: list[Place] = []
        for unit, spec in zip(units, unit_plans, strict=True):
            for floor in range(1, spec.floors + 1):
                for r in range(1, spec.per_floor + 1):
                    number = f"{floor}{r:02d}"
                    rooms.append(
                        Place(
                            kind=PlaceKind.ROOM, parent=unit, code=number, name=number, floor=floor, room_number=number
                        )
                    )
        places_bulk_insert(rooms)

        summary.counts = {
            "communities": len(comms),
            "grids": len(grids),
            "estates": len(estates),
            "buildings": len(buildings),
            "units": len(units),
            "rooms": len(rooms),
        }
        summary.rooms = len(rooms)

        # Rooms by community, in a shuffled but seeded order, to receive households.
        rooms_by_comm: dict[int, list[Place]] = {c.pk: [] for c in comms}
        for room in rooms:
            rooms_by_comm[room.community_id].append(room)  # type: ignore[index]
        for room_list in rooms_by_comm.values():
            rng.shuffle(room_list)

        tags = {t.code: t for t in Tag.objects.all()}
        party = tags[TagCode.PARTY_MEMBER]
        households_made = 0
        residents_made = 0
        sample_resident_room: Place | None = None
        Through = Resident.tags.through
        card_rng = random.Random(seed * 7919 + 1)  # a stream of its own: the register stays as it was
        card_number = 0

        for comm, people_here in zip(comms, per_community, strict=True):
            free_rooms = iter(rooms_by_comm[comm.pk])
            remaining = people_here
            for chunk in _household_chunks(rng, remaining):
                hh_objs: list[Household] = []
                member_specs: list[list[Member]] = []
                for kind, members in chunk:
                    room = next(free_rooms)
                    rented = (
                        kind == "shared_rental"
                        or (kind in ("single", "couple") and rng.random() < 0.15)
                        or (kind == "nuclear" and rng.random() < 0.03)
                    )
                    hh_objs.append(
                        Household(
                            room=room,
                            member_count=len(members),
                            tenure=Tenure.RENTED if rented else Tenure.OWNER,
                            moved_in=today - dt.timedelta(days=rng.randrange(30, 365 * 25)),
                        )
                    )
                    member_specs.append(members)
                    if sample_resident_room is None and kind == "nuclear":
                        sample_resident_room = room
                _bulk(hh_objs, Household)
                _bulk(
                    [
                        Rental(
                            room=hh.room,
                            tenant_household=hh,
                            landlord_name=people.name(rng.random() < 0.5, 55),
                            landlord_phone=people.phone(),
                            lease_start=hh.moved_in or today,
                            lease_end=today + dt.timedelta(days=rng.randrange(-20, 400)),
                            registration=_weighted(rng, RENTAL_REGISTRATION),
                        )
                        for hh in hh_objs
                        if hh.tenure == Tenure.RENTED
                    ],
                    Rental,
                )
                res_objs: list[Resident] = []
                for hh, members in zip(hh_objs, member_specs, strict=True):
                    local = hh.tenure == Tenure.OWNER or rng.random() < 0.3
                    for relationship, age, male in members:
                        birth = people.birth(age)
                        person = Resident(
                            household=hh,
                            name=people.name(male, age),
                            gender=Gender.MALE if male else Gender.FEMALE,
                            birth_date=birth,
                            id_number=people.id_number(birth, male, local),
                            phone=people.phone() if age >= 16 else "",
                            ethnicity=_weighted(rng, names.ETHNICITIES),
                            residence_type=ResidenceType.REGISTERED if local else ResidenceType.FLOATING,
                            relationship=relationship,
                            status=_status(rng, age),
                            moved_in=hh.moved_in,
                        )
                        person.fill_scope(room=hh.room)
                        res_objs.append(person)
                _bulk(res_objs, Resident)
                links = [
                    Through(resident_id=r.pk, tag_id=party.pk)
                    for r in res_objs
                    if _age(r.birth_date, today) >= 18 and rng.random() < 0.085
                ]
                _bulk(links, Through)
                card_number = issue_cards(res_objs, card_rng, card_number)
                households_made += len(hh_objs)
                residents_made += len(res_objs)

        tokens = create_devices(comms, estates)
        summary.counts["devices"] = len(tokens)
        summary.counts["gate_cards"] = card_number
        summary.households = households_made
        summary.residents = residents_made
        summary.logins = _create_logins(sub, comms, grids, estates, sample_resident_room)
        summary.places = {
            "subdistrict": {"code": sub.code, "name": sub.name},
            "communities": [
                {
                    "code": c.code,
                    "name": c.name,
                    "grids": [g.code for g in grids if g.parent_id == c.pk],
                    "estates": [
                        {"code": e.code, "name": e.name, "grid": _parent_code(e, grids)}
                        for e in estates
                        if e.community_id == c.pk
                    ],
                }
                for c in comms
            ],
        }
        audit_log(
            actor=None, action="demo.generate", obj=sub, place=sub, changes={"seed": seed, "residents": residents_made}
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _parent_code(place: Place, parents: list[Place]) -> str:
    for p in parents:
        if p.pk == place.parent_id:
            return p.code
    return ""


def _status(rng: random.Random, age: int) -> str:
    if 20 <= age <= 45 and rng.random() < 0.05:
        return ResidentStatus.AWAY
    return ResidentStatus.PRESENT


def _household_chunks(rng: random.Random, people: int) -> Iterator[list[tuple[str, list[Member]]]]:
    """Households (type, members) until ``people`` residents exist, in chunks for bulk insertion."""
    chunk: list[tuple[str, list[Member]]] = []
    while people > 0:
        kind = _weighted(rng, HOUSEHOLD_TYPES)
        members = _household_members(rng, kind)[:people]
        people -= len(members)
        chunk.append((kind, members))
        if len(chunk) >= BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _community_name(i: int) -> str:
    base = names.COMMUNITY_NAMES[i % len(names.COMMUNITY_NAMES)]
    return base if i < len(names.COMMUNITY_NAMES) else f"{base}{i // len(names.COMMUNITY_NAMES) + 1}"


def _estate_name(rng: random.Random, grid: Place, used: set[str]) -> str:
    for _ in range(50):
        name = rng.choice(names.COMMUNITY_NAMES) + rng.choice(names.ESTATE_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(names.COMMUNITY_NAMES)}{len(used) + 1}{rng.choice(names.ESTATE_SUFFIXES)}"
    used.add(name)
    return name


def _create_logins(
    sub: Place, comms: list[Place], grids: list[Place], estates: list[Place], resident_room: Place | None
) -> list[dict[str, str]]:
    """One login per role: the sub-district, the first two communities, a resident."""
    specs: list[tuple[str, str, str | None, Place | None]] = [
        ("admin", "平台管理员", None, None),
        ("jiedao", "街道管理员", Role.SUBDISTRICT_ADMIN, sub),
        ("auditor", "审计员", Role.AUDITOR, sub),
    ]
    for index, comm in enumerate(comms[:2]):
        prefix = f"c{index + 1}"
        first_grid = next(g for g in grids if g.parent_id == comm.pk)
        first_estate = next(e for e in estates if e.community_id == comm.pk)
        specs += [
            (f"{prefix}_secretary", f"{comm.name}书记", Role.COMMUNITY_SECRETARY, comm),
            (f"{prefix}_staff", f"{comm.name}社工", Role.COMMUNITY_STAFF, comm),
            (f"{prefix}_grid", f"{comm.name}网格员", Role.GRID_WORKER, first_grid),
            (f"{prefix}_property", f"{first_estate.name}物业", Role.PROPERTY_MANAGER, first_estate),
            (f"{prefix}_volunteer", f"{comm.name}党员志愿者", Role.VOLUNTEER, comm),
        ]
    if resident_room is not None:
        specs.append(("resident", "居民", Role.RESIDENT, resident_room))
    logins: list[dict[str, str]] = []
    users: list[User] = []
    for username, full_name, _role, _place in specs:
        user = User(username=username, full_name=full_name, is_superuser=_role is None, is_staff=_role is None)
        user.set_password(DEMO_PASSWORD)
        users.append(user)
    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=by_name[u], role=role, place=place) for u, _n, role, place in specs if role and place]
    )
    if resident_room is not None:
        # The resident login is the head of a household in that room (self-service pages).
        Resident.objects.filter(household__room=resident_room, relationship=Relationship.HEAD).update(
            user=by_name["resident"]
        )
    for username, full_name, role, place in specs:
        logins.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": role or "platform_admin",
                "place": place.code if place is not None else "",
                "name": full_name,
            }
        )
    return logins
