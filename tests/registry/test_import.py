"""Importing a messy spreadsheet: every planted problem reported, nothing half-written, clean re-run imports all."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from jingzhi.core.choices import PlaceKind
from jingzhi.core.models import AuditEntry, Place
from jingzhi.core.scope import Actor
from jingzhi.registry.importing import ParsedAddress
from jingzhi.registry.models import Household, Resident
from jingzhi.registry.services.imports import import_residents
from tests import factories as f
from tests.conftest import World
from tests.registry.importing import messy

ESTATE = "西渚花苑"


def _addresses() -> list[ParsedAddress]:
    return messy.default_addresses(ESTATE, buildings=3, units=2, floors=6, per_floor=2)


@pytest.fixture
def estate(world: World) -> Place:
    """西渚花苑 in community A with the rooms the generated file uses."""
    from jingzhi.core.services.places import building_rooms_bulk_create

    estate = f.place(PlaceKind.ESTATE, world.a.grid, "E09", ESTATE)
    for b in range(1, 4):
        building = f.place(PlaceKind.BUILDING, estate, str(b), f"{b}幢")
        building_rooms_bulk_create(actor=Actor.system(), building=building, floors=6, units=2, rooms_per_floor=2)
    return estate


def _run(path: Path, community: str, *args: str) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    try:
        call_command("registry", "import", str(path), "--community", community, "--json", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())


def test_messy_file_reports_every_planted_problem_and_imports_nothing(
    world: World, estate: Place, tmp_path: Path
) -> None:
    path = tmp_path / "messy.xlsx"
    planted = messy.write_xlsx(path, rows=2000, seed=5, addresses=_addresses())
    before = (Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count())
    code, summary = _run(path, world.a.community.code)
    assert code == 1
    assert summary["rows"] == 2000
    problems = summary["problems"]
    assert isinstance(problems, list)
    found = {(p["row"], p["code"]) for p in problems}
    missing = [p for p in planted if (p.row, p.code) not in found]
    assert missing == []
    # Nothing is reported that was not planted (members of a household whose head row has
    # problems are not reported again).
    unplanted = [p for p in problems if (p["row"], p["code"]) not in {(x.row, x.code) for x in planted}]
    assert unplanted == []
    assert len(planted) >= 40
    assert summary["valid"] == 2000 - len({p["row"] for p in problems})
    assert (Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count()) == before


def test_clean_file_imports_everything_and_counts_reconcile(world: World, estate: Place, tmp_path: Path) -> None:
    path = tmp_path / "clean.xlsx"
    messy.write_xlsx(path, rows=2000, seed=6, clean=True, addresses=_addresses())
    code, dry = _run(path, world.a.community.code, "--dry-run")
    assert code == 0 and dry == {"rows": 2000, "valid": 2000, "problems": []}
    assert Resident.objects.filter(household__room__estate=estate).count() == 0
    code, summary = _run(path, world.a.community.code)
    assert code == 0 and summary["valid"] == 2000
    imported = Resident.objects.filter(household__room__estate=estate)
    assert imported.count() == 2000
    households = Household.objects.filter(room__estate=estate)
    assert not households.exclude(members__relationship="head").exists()
    assert AuditEntry.objects.filter(action="resident.import").count() == 1
    assert AuditEntry.objects.filter(action="resident.create", changes__source="import").count() == 2000
    # Re-running the same file now reports every row as already registered and writes nothing.
    code, again = _run(path, world.a.community.code)
    assert code == 1 and {p["code"] for p in again["problems"]} == {"duplicate_in_register"}  # type: ignore[union-attr]
    assert imported.count() == 2000


def test_unknown_rooms_are_reported_or_created(world: World, tmp_path: Path) -> None:
    path = tmp_path / "new-estate.xlsx"
    messy.write_xlsx(
        path,
        rows=60,
        seed=7,
        clean=True,
        addresses=messy.default_addresses("新建小区", buildings=1, units=1, floors=3, per_floor=2),
    )
    code, summary = _run(path, world.a.community.code)
    assert code == 1 and {p["code"] for p in summary["problems"]} == {"unknown_place"}  # type: ignore[union-attr]
    code, summary = _run(path, world.a.community.code, "--create-places")
    assert code == 0
    estate = Place.objects.get(kind=PlaceKind.ESTATE, name="新建小区")
    assert estate.community_id == world.a.community.pk
    assert Resident.objects.filter(household__room__estate=estate).count() == 60


def test_report_workbook_marks_the_problem_cells(world: World, estate: Place, tmp_path: Path) -> None:
    from jingzhi.registry.importing import write_report

    path = tmp_path / "messy.xlsx"
    messy.write_xlsx(path, rows=200, seed=8, addresses=_addresses())
    result = import_residents(actor=Actor.system(), source=str(path), community=world.a.community)
    report = load_workbook(io.BytesIO(write_report(str(path), result.problems)))
    listing = report["问题清单"]
    assert listing.max_row - 1 == len(result.problems)


def test_imports_need_register_rights_in_that_community(world: World, tmp_path: Path) -> None:
    from django.core.exceptions import PermissionDenied

    path = tmp_path / "x.xlsx"
    messy.write_xlsx(path, rows=5, seed=9, clean=True, addresses=_addresses())
    with pytest.raises(PermissionDenied):
        import_residents(
            actor=Actor.for_user(world.users["community_staff_a"]), source=str(path), community=world.b.community
        )


def test_member_rows_without_a_head_are_reported(world: World, tmp_path: Path) -> None:
    path = tmp_path / "no-head.csv"
    path.write_text(
        "姓名,身份证号,与户主关系,地址\n王一,11010519491231002X,配偶,甲花苑3幢2单元502室\n",
        encoding="utf-8",
    )
    f.place(PlaceKind.ROOM, world.a.unit, "502", "502", floor=5, room_number="502")
    result = import_residents(actor=Actor.system(), source=str(path), community=world.a.community, dry_run=True)
    assert [(p.row, p.code) for p in result.problems] == [(2, "no_head")]
    # The same member row joins the household already living in 501.
    path.write_text(
        "姓名,身份证号,与户主关系,地址\n王一,11010519491231002X,配偶,甲花苑3幢2单元501室\n", encoding="utf-8"
    )
    result = import_residents(actor=Actor.system(), source=str(path), community=world.a.community, dry_run=False)
    assert result.committed and Resident.objects.get(name="王一").household_id == world.a.household.pk


def test_import_in_the_browser_checks_then_commits(world: World, estate: Place, tmp_path: Path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = tmp_path / "clean.xlsx"
    messy.write_xlsx(path, rows=30, seed=10, clean=True, addresses=_addresses())
    client = world.client("community_secretary_a")
    response = client.post(
        "/register/import/",
        {"community": world.a.community.pk, "file": SimpleUploadedFile("clean.xlsx", path.read_bytes())},
    )
    check_url = response["Location"]
    page = client.get(check_url).content.decode()
    assert "30" in page and Resident.objects.filter(household__room__estate=estate).count() == 0
    client.post(check_url)
    assert Resident.objects.filter(household__room__estate=estate).count() == 30
    assert client.get(check_url).status_code == 404  # the upload is gone once imported
    messy_path = tmp_path / "messy.xlsx"
    messy.write_xlsx(messy_path, rows=100, seed=11, addresses=_addresses())
    response = client.post(
        "/register/import/",
        {"community": world.a.community.pk, "file": SimpleUploadedFile("messy.xlsx", messy_path.read_bytes())},
    )
    report = client.get(response["Location"] + "report.xlsx")
    assert load_workbook(io.BytesIO(report.content))["问题清单"].max_row > 1
    assert world.client("community_secretary_b").get(response["Location"]).status_code == 404


def test_bulk_written_rows_equal_what_saving_each_resident_writes(world: World, estate: Place, tmp_path: Path) -> None:
    """The import writes plain column values (COPY on PostgreSQL); saving each row again through
    the model recomputes the keyed hashes, search columns, scope columns and the living-alone flag
    and must change nothing."""
    from jingzhi.core.fields import digest_for
    from jingzhi.registry.models import LIVING, ResidentTag

    path = tmp_path / "clean.xlsx"
    messy.write_xlsx(path, rows=300, seed=8, clean=True, addresses=_addresses())
    code, summary = _run(path, world.a.community.code)
    assert code == 0 and summary["valid"] == 300
    imported = Resident.objects.filter(household__room__estate=estate).order_by("id")
    skip = {"id_number", "phone", "updated_at"}  # ciphertexts get a fresh nonce on every save
    before = {r["id"]: {k: v for k, v in r.items() if k not in skip} for r in imported.values()}
    plain = {r.pk: (r.id_number, r.phone) for r in imported}
    assert len(before) == 300
    for resident in imported.select_related("household__room"):
        assert resident.id_number_digest == digest_for(Resident, "id_number", resident.id_number)
        resident.save()
    after = {r["id"]: {k: v for k, v in r.items() if k not in skip} for r in imported.values()}
    assert after == before
    assert {r.pk: (r.id_number, r.phone) for r in imported} == plain
    # The flag matches its definition (the model computes it from the household on insert).
    definition = set(imported.filter(status__in=LIVING, household__member_count=1).values_list("pk", flat=True))
    assert set(imported.filter(lives_alone=True).values_list("pk", flat=True)) == definition
    assert definition  # the generated file has one-person households
    # One history entry per person, on the person's room, by the importing actor.
    entries = AuditEntry.objects.filter(action="resident.create", changes__source="import")
    assert entries.count() == 300
    by_object = {e.object_id: e for e in entries}
    for resident in imported.select_related("household"):
        entry = by_object[str(resident.pk)]
        assert entry.object_type == "registry.resident"
        assert entry.place_id == resident.household.room_id
        assert entry.actor_name == "system" and isinstance(entry.changes["row"], int)
        assert entry.object_repr and entry.object_repr != resident.name  # masked
    assert ResidentTag.objects.filter(resident__in=imported).exists()
