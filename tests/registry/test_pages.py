"""The register's pages used by staff and residents."""

from __future__ import annotations

import json

from jingzhi.core import idnumber
from jingzhi.core.models import AuditEntry
from jingzhi.registry.choices import CorrectionStatus
from jingzhi.registry.models import CorrectionRequest, Household, Resident
from tests import factories as f
from tests.conftest import World

NEW_ID = "11010519491231002X"


def test_room_page_lists_households_and_registers_a_new_one(world: World) -> None:
    client = world.client("community_staff_a")
    page = client.get(f"/places/{world.a.room.pk}/").content.decode()
    assert "张甲一" in page and f"/register/rooms/{world.a.room.pk}/households/new/" in page
    room = f.place("room", world.a.unit, "502", "502", floor=5, room_number="502")
    response = client.post(
        f"/register/rooms/{room.pk}/households/new/",
        {
            "name": "钱七",
            "id_number": NEW_ID,
            "phone": "13700001111",
            "ethnicity": "汉族",
            "residence_type": "registered",
            "tenure": "rented",
        },
    )
    assert response.status_code == 302
    household = Household.objects.get(room=room)
    assert household.members.get().name == "钱七"


def test_duplicate_shows_a_link_to_the_existing_person(world: World) -> None:
    client = world.client("community_staff_a")
    response = client.post(
        f"/register/households/{world.a.household.pk}/members/new/",
        {
            "name": "重复",
            "id_number": world.a.resident.id_number,
            "ethnicity": "汉族",
            "residence_type": "registered",
            "relationship": "child",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"/register/residents/{world.a.resident.pk}/" in page
    assert Resident.objects.filter(name="重复").count() == 0


def test_edit_and_status_pages_change_the_record_and_show_in_history(world: World) -> None:
    client = world.client("grid_worker_a")
    person = world.a.resident
    response = client.post(
        f"/register/residents/{person.pk}/edit/",
        {
            "name": "张甲一",
            "phone": "13600002222",
            "ethnicity": "回族",
            "residence_type": "permanent",
            "relationship": "head",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/register/residents/{person.pk}/status/",
        {"status": "away", "away_reason": "hospital", "expected_return": "2026-12-31"},
    )
    assert response.status_code == 302
    page = client.get(f"/register/residents/{person.pk}/").content.decode()
    assert "resident.update" in page and "resident.status" in page
    assert "13600002222" not in page


def test_a_grid_worker_cannot_edit_outside_the_grid(world: World) -> None:
    client = world.client("grid_worker_a")
    assert client.get(f"/register/residents/{world.b.resident.pk}/edit/").status_code == 404


def test_resident_self_service_view_correction_and_copy(world: World) -> None:
    me = world.a.resident
    me.user = world.users["resident_a"]
    me.save()
    client = world.client("resident_a")
    page = client.get("/register/me/").content.decode()
    assert "张甲一" in page and me.id_number not in page
    response = client.post(
        "/register/me/corrections/", {"resident": me.pk, "field": "phone", "proposed": "13500005555", "note": "换号了"}
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert request.status == CorrectionStatus.PENDING
    copy = json.loads(client.get("/register/me/copy/").content)
    assert copy["me"]["id_number"] == me.id_number
    assert AuditEntry.objects.filter(action="resident.self_copy").exists()
    # Staff of the community review it; the change is applied through the service.
    staff = world.client("community_secretary_a")
    assert "13500005555" not in staff.get("/register/corrections/").content.decode()  # phones are masked in the queue
    staff.post(f"/register/corrections/{request.pk}/review/", {"approve": "1", "note": "核实"})
    assert Resident.objects.get(pk=me.pk).phone == "13500005555"
    assert (
        world.client("community_secretary_b")
        .post(f"/register/corrections/{request.pk}/review/", {"approve": "0"})
        .status_code
        == 404
    )


def test_a_resident_cannot_ask_about_another_household(world: World) -> None:
    me = world.a.resident
    me.user = world.users["resident_a"]
    me.save()
    client = world.client("resident_a")
    response = client.post(
        "/register/me/corrections/", {"resident": world.b.resident.pk, "field": "phone", "proposed": "1"}
    )
    assert response.status_code == 404
    assert not CorrectionRequest.objects.exists()
    assert idnumber.is_valid(NEW_ID)
