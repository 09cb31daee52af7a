"""Register benchmark on PostgreSQL: search per query kind, household page, 100k import, 100k export.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jingzhi_bench \
        .venv/bin/python bench/registry/run.py [--residents 1000000] [--import-rows 100000] [--update-doc]

Creates the demo sub-district with ``--residents`` people if the database holds fewer,
then measures. Each figure comes with the baseline measured in the same run: a plain
indexed ``SELECT`` for searches and pages, openpyxl read-only iteration for the import,
and a plain ``SELECT`` of the same rows for the export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhi.settings")
os.environ.setdefault("JINGZHI_DATA_DIR", str(ROOT / "var" / "bench"))
os.environ.setdefault("JINGZHI_QUIET_DEV_KEYS", "1")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn: Any, repeat: int = 1) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40, help="queries per kind")
    parser.add_argument("--update-doc", action="store_true", help="write the results into docs/PERFORMANCE.md")
    parser.add_argument("--search-only", action="store_true", help="measure search and the household page only")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (this benchmark is defined on PostgreSQL)")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from jingzhi.core.models import User
    from jingzhi.core.pagination import capped_count
    from jingzhi.core.scope import Actor
    from jingzhi.demo.generator import generate
    from jingzhi.registry.models import Household, Resident
    from jingzhi.registry.presenters import resident_row
    from jingzhi.registry.selectors import residents_search

    call_command("migrate", verbosity=0)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    removed = _remove_imported()
    existing = Resident.objects.count()
    if existing < args.residents:
        if existing:
            sys.exit(f"the database holds {existing} residents (< {args.residents}); use an empty database")
        start = time.perf_counter()
        summary = generate(residents=args.residents, seed=1)
        gen_s = time.perf_counter() - start
        gen_note = f"generated now: {summary.residents:,} residents, {summary.households:,} households in {gen_s:.0f} s"
    else:
        gen_note = f"reused: {existing:,} residents already in the database"
    if removed:
        gen_note += f"; {removed:,} people of earlier runs' imports removed first"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Resident.objects.count()

    rng = random.Random(7)
    admin = Actor.for_user(User.objects.get(username="jiedao"))
    secretary = Actor.for_user(User.objects.get(username="c1_secretary"))
    max_id = Resident.objects.order_by("-id").values_list("id", flat=True).first() or 1
    sample_ids = [rng.randrange(1, max_id) for _ in range(args.queries * 3)]
    sample = list(
        Resident.objects.filter(pk__in=sample_ids).select_related(
            "household__room__estate", "household__room__building", "household__room__unit"
        )
    )[: args.queries]

    kinds: dict[str, list[str]] = {
        "name (prefix)": [r.name for r in sample],
        "pinyin initials": [r.name_initials for r in sample],
        "full pinyin": [r.name_pinyin for r in sample],
        "identity number": [r.id_number for r in sample],
        "phone": [r.phone for r in sample if r.phone],
        "last 4 digits": [r.id_number[-4:] for r in sample],
        "last 6 digits": [r.phone[-6:] for r in sample if r.phone],
        "address": [
            f"{r.household.room.building.code}幢{r.household.room.unit.code}单元{r.household.room.code}" for r in sample
        ],
        "address with estate": [
            f"{r.household.room.estate.name}{r.household.room.building.code}幢{r.household.room.unit.code}单元"
            f"{r.household.room.code}"
            for r in sample
        ],
        "tag": ["党员"] * 10,
        "derived tag": ["独居老人"] * 10,
    }

    def page_of(actor: Actor, text: str) -> None:
        qs = residents_search(actor=actor, text=text).select_related(
            "household__room__estate", "household__room__building", "household__room__unit"
        )
        capped_count(qs)
        [resident_row(r) for r in qs[:25]]

    def baseline() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, name, birth_date FROM registry_resident WHERE id = %s", [rng.randrange(1, max_id)]
            )
            cursor.fetchall()

    cpu = _cpu()
    say("## Register (bench/registry)")
    say("")
    say(f"- Machine: {cpu}; Python {platform.python_version()}; PostgreSQL {connection.pg_version // 10000}")
    say(f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(
        f"- Command: `DATABASE_URL=postgres://… .venv/bin/python bench/registry/run.py --residents {args.residents} --import-rows {args.import_rows}`"
    )
    say(f"- Data: {total:,} residents ({gen_note})")
    say("")
    say("### Search (one page of 25 results plus the total count, masked rows built)")
    say("")
    say("| query kind | scope | p50 ms | p95 ms |")
    say("|---|---|---:|---:|")
    base = timed(baseline, repeat=200)
    for kind, texts in kinds.items():
        for label, actor in (("sub-district (all)", admin), ("one community", secretary)):
            times: list[float] = []
            for text in texts:
                page_of(actor, text)  # warm
                times += timed(lambda t=text, a=actor: page_of(a, t))
            say(f"| {kind} | {label} | {statistics.median(times):.1f} | {pct(times, 95):.1f} |")
    say(f"| *baseline: indexed `SELECT … WHERE id = ?`* | — | {statistics.median(base):.2f} | {pct(base, 95):.2f} |")
    say("")

    client = Client()
    client.force_login(User.objects.get(username="jiedao"))
    hh_ids = list(
        Household.objects.filter(pk__in=[rng.randrange(1, max_id // 2) for _ in range(80)]).values_list("pk", flat=True)
    )[:40]
    for pk in hh_ids[:3]:
        client.get(f"/register/households/{pk}/")
    page_times = [t for pk in hh_ids for t in timed(lambda pk=pk: client.get(f"/register/households/{pk}/"))]
    say("### Household page (`GET /register/households/<id>/`, sub-district admin, rendered HTML)")
    say("")
    say(
        f"p50 {statistics.median(page_times):.1f} ms, p95 {pct(page_times, 95):.1f} ms over {len(page_times)} households "
        f"(baseline indexed SELECT p50 {statistics.median(base):.2f} ms)."
    )
    say("")

    if not args.search_only:
        _import_and_export(args, say, admin)
    if args.update_doc:
        _update_doc("\n".join(lines))


def _import_and_export(args: Any, say: Any, admin: Any) -> None:
    from openpyxl import load_workbook
    from tests.registry.importing import messy

    from jingzhi.core.choices import PlaceKind
    from jingzhi.core.models import Place
    from jingzhi.registry.exports import residents_export
    from jingzhi.registry.models import Resident
    from jingzhi.registry.services.imports import import_residents

    community = Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("code").first()
    assert community is not None
    # Chinese numerals: digits at the end of an estate name would read as a building number.
    estate_name = "基准小区" + f"{dt.datetime.now():%H%M%S}".translate(
        str.maketrans("0123456789", "〇一二三四五六七八九")
    )
    addresses = messy.default_addresses(estate_name, buildings=40, units=4, floors=24, per_floor=4)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.xlsx"
        start = time.perf_counter()
        messy.write_xlsx(
            path,
            rows=args.import_rows,
            seed=Resident.objects.count(),  # a new file each run: earlier runs' people are registered
            clean=True,
            addresses=addresses,
            # Address codes no earlier run and not the demo used (6xxxxx), so nothing collides.
            regions=tuple(str(600000 + (Resident.objects.count() // 1000 * 4 + i) % 100000) for i in range(4)),
        )
        write_s = time.perf_counter() - start

        start = time.perf_counter()
        workbook = load_workbook(path, read_only=True, data_only=True)
        n = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        read_s = time.perf_counter() - start

        # Fresh identity numbers: the generator's seeded people must not collide with the demo's.
        start = time.perf_counter()
        dry = import_residents(actor=admin, source=str(path), community=community, create_places=True, dry_run=True)
        dry_s = time.perf_counter() - start
        start = time.perf_counter()
        done = import_residents(actor=admin, source=str(path), community=community, create_places=True, dry_run=False)
        commit_s = time.perf_counter() - start
    say(f"### Import of a {args.import_rows:,}-row .xlsx (`import_residents`, --create-places)")
    say("")
    say("| step | seconds | vs. baseline |")
    say("|---|---:|---:|")
    say(f"| *baseline: openpyxl read-only iteration ({n:,} rows)* | {read_s:.1f} | 1.0x |")
    say(f"| dry run (read, validate, check against the register) | {dry_s:.1f} | {dry_s / read_s:.1f}x |")
    say(f"| commit (the same, then write households, residents, history) | {commit_s:.1f} | {commit_s / read_s:.1f}x |")
    say("")
    say(
        f"Dry run: {dry.rows:,} rows, {dry.valid:,} valid, {len(dry.problems)} problems. "
        f"Commit: {done.residents:,} residents, {done.households:,} households, {done.places:,} places; committed={done.committed}. "
        f"(Writing the file took {write_s:.1f} s, not counted.)"
    )
    steps = "; ".join(
        f"{label}: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items())
        for label, result in (("dry run", dry), ("commit", done))
    )
    say("")
    say(f"Steps ({steps}).")
    say("")

    from django.db import connection

    ids = list(Resident.objects.order_by("id").values_list("id", flat=True)[: args.import_rows])
    qs = Resident.objects.filter(id__in=ids)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_resident WHERE id <= %s ORDER BY id", [ids[-1]])
        cursor.fetchall()
    base_s = time.perf_counter() - start
    start = time.perf_counter()
    payload = residents_export(actor=admin, residents=qs, fmt="xlsx")
    export_s = time.perf_counter() - start
    start = time.perf_counter()
    residents_export(actor=admin, residents=qs, fmt="csv")
    csv_s = time.perf_counter() - start
    say(f"### Export of {len(ids):,} rows (masked)")
    say("")
    say("| step | seconds |")
    say("|---|---:|")
    say(f"| *baseline: plain `SELECT *` of the same rows* | {base_s:.1f} |")
    say(f"| .xlsx ({len(payload) / 1e6:.1f} MB) | {export_s:.1f} |")
    say(f"| .csv | {csv_s:.1f} |")
    say("")
    removed = _remove_imported()
    say(f"The {removed:,} imported people were removed afterwards, so every run measures the same register.")
    say("")


#: Estates the benchmark's imports create (``_import_and_export``).
IMPORT_ESTATE_PREFIX = "基准小区"


def _remove_imported() -> int:
    """Delete the residents (with their tags) and households the benchmark's imports put into
    its estates. Their places and audit entries stay: the audit log is append-only, and its
    entries point at the rooms."""
    from django.db import connection, transaction

    in_estates = (
        "SELECT h.id FROM registry_household h JOIN core_place room ON room.id = h.room_id "
        "JOIN core_place estate ON estate.id = room.estate_id "
        "WHERE estate.kind = 'estate' AND estate.name LIKE %s"
    )
    pattern = IMPORT_ESTATE_PREFIX + "%"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM registry_residenttag WHERE resident_id IN "
            f"(SELECT id FROM registry_resident WHERE household_id IN ({in_estates}))",
            [pattern],
        )
        cursor.execute(f"DELETE FROM registry_resident WHERE household_id IN ({in_estates})", [pattern])
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM registry_household WHERE id IN ({in_estates})", [pattern])
    if removed:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE registry_resident")
    return removed


def _cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")
    except OSError:
        model = "?"
    return f"{model}, {os.cpu_count()} cores"


def _update_doc(section: str) -> None:
    doc = ROOT / "docs" / "PERFORMANCE.md"
    text = doc.read_text() if doc.exists() else "# Performance\n"
    head = "## Register (bench/registry)"
    if head in text:
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + section.rstrip() + "\n" + (text[nxt:] if nxt != -1 else "")
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
