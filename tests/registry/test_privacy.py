"""Identity numbers and phones are masked in pages, API and exports unless revealed by someone allowed."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from jingzhi.core.masking import mask_id_number, mask_phone
from jingzhi.core.models import AuditEntry
from jingzhi.registry.models import Resident
from tests import factories as f
from tests.conftest import World


@pytest.mark.parametrize(
    "persona", ["community_secretary_a", "community_staff_a", "grid_worker_a", "auditor", "subdistrict_admin"]
)
def test_pages_and_api_show_masked_values_only(world: World, persona: str) -> None:
    client = world.client(persona)
    person = world.a.resident
    for url in (
        "/register/residents/",
        f"/register/residents/{person.pk}/",
        f"/register/households/{person.household_id}/",
        "/api/v1/residents",
        f"/api/v1/residents/{person.pk}",
        f"/api/v1/households/{person.household_id}",
    ):
        body = client.get(url).content.decode()
        assert person.id_number not in body and "13812345678" not in body, url
        assert mask_id_number(person.id_number) in body, url
        assert mask_phone(person.phone) in body, url


@pytest.mark.parametrize("persona", ["community_secretary_a", "subdistrict_admin"])
def test_roles_with_reveal_permission_can_reveal_and_it_is_audited(world: World, persona: str) -> None:
    client = world.client(persona)
    person = world.a.resident
    response = client.post(
        f"/api/v1/residents/{person.pk}/reveal", {"field": "phone", "reason": "家访"}, content_type="application/json"
    )
    assert response.json() == {"field": "phone", "value": "13812345678"}
    entry = AuditEntry.objects.filter(action="pii.reveal").latest("id")
    assert entry.actor_name == world.users[persona].username and entry.reason == "家访"


@pytest.mark.parametrize("persona", ["community_staff_a", "grid_worker_a", "auditor"])
def test_roles_without_reveal_permission_are_refused_and_the_attempt_is_logged(world: World, persona: str) -> None:
    client = world.client(persona)
    person = world.a.resident
    response = client.post(
        f"/api/v1/residents/{person.pk}/reveal", {"field": "id_number"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert person.id_number not in response.content.decode()
    assert AuditEntry.objects.filter(action="pii.reveal_denied", actor_name=world.users[persona].username).exists()
    page = client.get(f"/register/residents/{person.pk}/").content.decode()
    assert "hx-post" not in page  # no reveal button


def test_export_is_masked_and_neutralises_formulas(world: World) -> None:
    f.resident(world.a.household, '=HYPERLINK("http://x")', relationship="other", male=False)
    response = world.client("community_staff_a").get("/register/residents/export/?format=csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 3  # header + A's two residents; nothing of B
    flat = text
    assert world.a.resident.id_number not in flat and mask_id_number(world.a.resident.id_number) in flat
    assert world.b.resident.name not in flat
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert AuditEntry.objects.filter(action="resident.export").exists()


def test_unmasked_export_needs_reveal_permission(world: World) -> None:
    assert world.client("community_staff_a").get("/register/residents/export/?format=xlsx&reveal=1").status_code == 403
    response = world.client("community_secretary_a").get("/register/residents/export/?format=xlsx&reveal=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert world.a.resident.id_number in values
    assert AuditEntry.objects.filter(action="resident.export_revealed", actor_name="community_secretary_a").exists()


def test_xlsx_export_is_masked_by_default(world: World) -> None:
    response = world.client("community_secretary_a").get("/register/residents/export/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert world.a.resident.id_number not in values
    assert mask_id_number(world.a.resident.id_number) in values


def test_resident_sees_only_their_own_household(world: World) -> None:
    neighbour_room = f.place("room", world.a.unit, "502", "502", floor=5, room_number="502")
    from jingzhi.registry.models import Household

    neighbour = f.resident(Household.objects.create(room=neighbour_room), "李邻居")
    former = f.resident(
        Household.objects.create(room=world.a.room, moved_out=world.a.household.created_at.date()), "前住户"
    )
    client = world.client("resident_a")
    assert client.get("/api/v1/residents").json()["count"] == 0  # residents do not browse the register
    members = {r["id"] for r in client.get("/api/v1/me/household").json()["members"]}
    assert members == {world.a.resident.pk}  # not the neighbour, not the room's former household
    assert client.get(f"/api/v1/residents/{neighbour.pk}").status_code == 404
    assert client.get(f"/api/v1/residents/{former.pk}").status_code == 404
    assert Resident.objects.count() == 4


def test_home_lists_attention_items_for_the_scope(world: World) -> None:
    page = world.client("community_secretary_a").get("/").content.decode()
    assert "甲社区" in page
    assert 'class="count"' in page
