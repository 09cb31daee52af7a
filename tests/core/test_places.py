"""The places tree: kinds, codes, ancestors, bulk rooms, and the staff pages that edit it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jingzhi.core.choices import PlaceKind
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor
from jingzhi.core.services.places import building_rooms_bulk_create, place_create, place_update
from tests.conftest import World


def test_ancestor_columns_point_up_the_tree_and_at_self(world: World) -> None:
    room = Place.objects.get(pk=world.a.room.pk)
    assert room.community_id == world.a.community.pk
    assert room.building_id == world.a.building.pk
    assert Place.objects.get(pk=world.a.community.pk).community_id == world.a.community.pk
    assert world.a.community.contains(room) and not world.b.community.contains(room)


def test_child_kind_must_follow_the_tree(world: World) -> None:
    system = Actor.system()
    with pytest.raises(ValidationError):
        place_create(actor=system, kind=PlaceKind.ROOM, parent=world.a.community, code="101", name="101")


def test_codes_are_unique_within_the_parent_only(world: World) -> None:
    system = Actor.system()
    with pytest.raises(ValidationError) as info:
        place_create(actor=system, kind=PlaceKind.GRID, parent=world.a.community, code="G01", name="dup")
    assert info.value.error_dict["code"][0].code == "duplicate_code"
    other = place_create(actor=system, kind=PlaceKind.GRID, parent=world.b.community, code="G02", name="ok")
    assert other.pk


def test_staff_can_manage_only_inside_their_community(world: World) -> None:
    staff = Actor.for_user(world.users["community_staff_a"])
    grid = place_create(actor=staff, kind=PlaceKind.GRID, parent=world.a.community, code="G05", name="第5网格")
    assert grid.community_id == world.a.community.pk
    with pytest.raises(PermissionDenied):
        place_create(actor=staff, kind=PlaceKind.GRID, parent=world.b.community, code="G05", name="x")
    grid_worker = Actor.for_user(world.users["grid_worker_a"])
    with pytest.raises(PermissionDenied):
        place_update(actor=grid_worker, place=world.a.estate, name="x")


def test_update_is_audited_with_the_difference(world: World) -> None:
    staff = Actor.for_user(world.users["community_staff_a"])
    place_update(actor=staff, place=world.a.estate, name="甲花苑二期")
    entry = AuditEntry.objects.filter(action="place.update").latest("id")
    assert entry.changes == {"name": {"from": "甲花苑", "to": "甲花苑二期"}}
    assert entry.actor_name == "community_staff_a"
    assert entry.place_id == world.a.estate.pk


def test_bulk_rooms_creates_units_and_floors_and_is_repeatable(world: World) -> None:
    system = Actor.system()
    building = place_create(actor=system, kind=PlaceKind.BUILDING, parent=world.a.estate, code="8", name="8幢")
    created = building_rooms_bulk_create(actor=system, building=building, floors=6, units=2, rooms_per_floor=2)
    rooms = Place.objects.filter(building=building, kind=PlaceKind.ROOM)
    assert rooms.count() == 24 and len(created) == 26
    assert sorted(rooms.filter(unit__code="1", floor=5).values_list("room_number", flat=True)) == ["501", "502"]
    assert all(r.community_id == world.a.community.pk for r in rooms)
    again = building_rooms_bulk_create(actor=system, building=building, floors=7, units=2, rooms_per_floor=2)
    assert len(again) == 4
    building.refresh_from_db()
    assert building.floors == 7


def test_bulk_rooms_rejects_nonsense(world: World) -> None:
    with pytest.raises(ValidationError):
        building_rooms_bulk_create(
            actor=Actor.system(), building=world.a.building, floors=0, units=1, rooms_per_floor=1
        )
    with pytest.raises(ValidationError):
        building_rooms_bulk_create(actor=Actor.system(), building=world.a.estate, floors=1, units=1, rooms_per_floor=1)


def test_staff_pages_create_edit_and_generate_rooms(world: World) -> None:
    client = world.client("community_secretary_a")
    response = client.post(
        f"/places/{world.a.estate.pk}/new/", {"code": "9", "name": "9幢", "floors": 3, "unit_count": 1}
    )
    assert response.status_code == 302
    building = Place.objects.get(parent=world.a.estate, code="9")
    response = client.post(f"/places/{building.pk}/rooms/", {"floors": 3, "units": 1, "rooms_per_floor": 2})
    assert response.status_code == 302
    assert Place.objects.filter(building=building, kind=PlaceKind.ROOM).count() == 6
    response = client.post(f"/places/{building.pk}/edit/", {"code": "9", "name": "9号楼", "floors": 3, "unit_count": 1})
    assert response.status_code == 302
    building.refresh_from_db()
    assert building.name == "9号楼"
    page = client.get(f"/places/{building.pk}/").content.decode()
    assert "9号楼" in page and "1单元" in page
    unit = Place.objects.get(parent=building, code="1")
    assert "301" in client.get(f"/places/{unit.pk}/").content.decode()


def test_duplicate_code_shows_a_form_error_not_a_crash(world: World) -> None:
    client = world.client("community_secretary_a")
    response = client.post(f"/places/{world.a.community.pk}/new/", {"code": "G01", "name": "dup"})
    assert response.status_code == 200
    assert "G01" in response.content.decode()
    assert Place.objects.filter(parent=world.a.community, code="G01").count() == 1


def test_api_lists_only_places_in_scope(world: World) -> None:
    client = world.client("grid_worker_a")
    payload = client.get("/api/v1/places?limit=100").json()
    ids = {p["id"] for p in payload["items"]}
    assert ids == {p.pk for p in world.a.places[1:]}
