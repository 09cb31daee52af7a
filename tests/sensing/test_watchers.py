"""Watchers that run on a clock: devices offline, elderly living alone unseen, frequent strangers;
and the nightly purge of expired event snapshots."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingzhi.cases.models import Case
from jingzhi.core.masking import mask_name
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import AwayReason, CredentialKind, ResidentStatus
from jingzhi.registry.models import Credential, Household, Resident
from jingzhi.registry.services.credentials import credential_issue
from jingzhi.registry.services.rentals import rental_create
from jingzhi.registry.services.residents import resident_set_status
from jingzhi.sensing.models import AccessPass, Device, Event, Presence, Rule
from jingzhi.sensing.services.devices import set_status
from jingzhi.sensing.services.retention import purge_expired_media
from jingzhi.sensing.services.watchers import watch_offline, watch_tenants, watch_welfare
from tests import factories as f
from tests.conftest import World
from tests.sensing.helpers import doc

URL = "/api/v1/ingest/events"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9"


def post(token: str, body: dict[str, Any]) -> Any:
    return Client().post(URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _device(place: Any, code: str, kind: str = "camera", **extra: Any) -> tuple[Device, str]:
    device, token = f.device(place, code, kind, **extra)
    assert isinstance(device, Device)
    return device, token


# --- offline -------------------------------------------------------------------------------


def test_silent_device_goes_offline_and_gets_one_maintenance_case(world: World) -> None:
    device, _token = _device(world.a.building, "cam-off", heartbeat_s=60, offline_allowance_s=600)
    now = timezone.now()
    Device.objects.filter(pk=device.pk).update(online=True, last_seen_at=now - dt.timedelta(seconds=150))
    assert watch_offline(now=now) == 0  # two missed heartbeats: still online
    device.refresh_from_db()
    assert device.online

    later = now + dt.timedelta(seconds=60)  # 210 s silent: more than three heartbeats
    assert watch_offline(now=later) == 0  # offline now, but not beyond its allowance
    device.refresh_from_db()
    assert not device.online and device.status_changed_at == later
    assert Case.objects.count() == 0

    beyond = later + dt.timedelta(seconds=601)
    assert watch_offline(now=beyond) == 1
    case = Case.objects.get()
    assert case.category.code == "device_fault"
    assert case.assignee == world.users["community_staff_a"]
    assert case.place == world.a.building and case.community_id == world.a.community.pk
    assert case.incident_key == f"offline:{device.pk}"

    assert watch_offline(now=beyond + dt.timedelta(minutes=5)) == 0  # one incident, one case
    set_status("cam-off", True, now=beyond + dt.timedelta(minutes=6))  # it comes back
    assert watch_offline(now=beyond + dt.timedelta(minutes=7)) == 0
    assert watch_offline(now=beyond + dt.timedelta(hours=3)) == 0
    assert Case.objects.count() == 1


def test_device_offline_within_allowance_or_inactive_opens_nothing(world: World) -> None:
    now = timezone.now()
    quiet, _t = _device(world.a.building, "cam-brief", offline_allowance_s=3600)
    retired, _t = _device(world.a.building, "cam-retired")
    Device.objects.filter(pk=quiet.pk).update(online=False, status_changed_at=now - dt.timedelta(minutes=30))
    Device.objects.filter(pk=retired.pk).update(active=False, status_changed_at=now - dt.timedelta(days=3))
    assert watch_offline(now=now) == 0
    assert watch_offline(now=now + dt.timedelta(minutes=31)) == 1
    assert Case.objects.get().incident_key == f"offline:{quiet.pk}"


def test_offline_rule_disabled_for_a_community(world: World) -> None:
    now = timezone.now()
    a, _t = _device(world.a.building, "cam-oa")
    b, _t = _device(world.b.building, "cam-ob")
    Device.objects.update(online=False, status_changed_at=now - dt.timedelta(hours=2))
    default = Rule.objects.get(community__isnull=True, event_type="watch.offline")
    Rule.objects.create(
        community=world.a.community, event_type="watch.offline", name="off", category=default.category, enabled=False
    )
    assert watch_offline(now=now) == 1
    assert Case.objects.get().incident_key == f"offline:{b.pk}"
    assert not Case.objects.filter(incident_key=f"offline:{a.pk}").exists()


# --- welfare -------------------------------------------------------------------------------


def _card(resident: Resident, reference: str, *, issued_ago: dt.timedelta = dt.timedelta(days=10)) -> Credential:
    credential = credential_issue(
        actor=Actor.system(), resident=resident, kind=CredentialKind.CARD, reference=reference
    )
    Credential.objects.filter(pk=credential.pk).update(issued_at=timezone.now() - issued_ago)
    return credential


def _welfare_rule() -> Rule:
    return Rule.objects.get(community__isnull=True, event_type="watch.welfare")


def test_elderly_living_alone_unseen_gets_a_welfare_case_with_masked_name(world: World) -> None:
    resident = world.a.resident  # born 1950, the only member of the household
    assert Household.objects.get(pk=resident.household_id).member_count == 1
    _card(resident, "CARD-W-1")
    assert watch_welfare() == 1
    case = Case.objects.get()
    assert case.category.code == "welfare_check"
    assert case.assignee == world.users["grid_worker_a"]
    assert case.place == world.a.room
    assert resident.name not in case.title and resident.name not in case.description
    assert mask_name(resident.name) in case.title
    assert watch_welfare() == 0  # the open case is not duplicated
    assert Case.objects.count() == 1


def test_no_welfare_case_without_a_credential_or_with_a_fresh_one(world: World) -> None:
    assert watch_welfare() == 0  # no gate card: the platform cannot know
    _card(world.a.resident, "CARD-W-2", issued_ago=dt.timedelta(hours=10))
    assert watch_welfare() == 0  # issued 10 h ago: not 48 h without a pass yet


def test_no_welfare_case_for_younger_or_not_alone(world: World) -> None:
    resident = world.a.resident
    _card(resident, "CARD-W-3")
    Resident.objects.filter(pk=resident.pk).update(birth_date=dt.date.today() - dt.timedelta(days=365 * 40))
    assert watch_welfare() == 0
    Resident.objects.filter(pk=resident.pk).update(birth_date=dt.date(1950, 3, 5))
    f.resident(resident.household, "张小妹", male=False, born=dt.date(1990, 1, 1), relationship="child")
    assert watch_welfare() == 0  # two in the household now


def test_gate_pass_in_the_last_48_hours_prevents_the_case(world: World) -> None:
    _card(world.a.resident, "CARD-W-4")
    _gate, token = _device(world.a.estate, "gate-w", "gate")
    response = post(token, doc("gate-w", "access.pass", credential_kind="card", credential_ref="CARD-W-4"))
    assert response.status_code == 201, response.content
    assert Presence.objects.filter(resident=world.a.resident).exists()
    assert watch_welfare() == 0
    # Two days later without another pass, the case opens.
    assert watch_welfare(now=timezone.now() + dt.timedelta(hours=49)) == 1


def test_presence_row_older_than_the_window_does_not_count(world: World) -> None:
    _card(world.a.resident, "CARD-W-5")
    Presence.objects.create(resident=world.a.resident, last_seen_at=timezone.now() - dt.timedelta(hours=47))
    assert watch_welfare() == 0
    Presence.objects.filter(resident=world.a.resident).update(last_seen_at=timezone.now() - dt.timedelta(hours=50))
    assert watch_welfare() == 1


def test_resident_marked_away_gets_no_case(world: World) -> None:
    _card(world.a.resident, "CARD-W-6")
    resident_set_status(
        actor=Actor.system(), resident=world.a.resident, status=ResidentStatus.AWAY, away_reason=AwayReason.HOSPITAL
    )
    assert Household.objects.get(pk=world.a.household.pk).member_count == 1
    assert watch_welfare() == 0


def test_community_rule_overrides_the_hours_for_that_community_only(world: World) -> None:
    for resident, card in ((world.a.resident, "CARD-WA"), (world.b.resident, "CARD-WB")):
        _card(resident, card)
        Presence.objects.create(resident=resident, last_seen_at=timezone.now() - dt.timedelta(hours=30))
    assert watch_welfare() == 0  # both seen within 48 h
    Rule.objects.create(
        community=world.a.community,
        event_type="watch.welfare",
        name="24 h",
        category=_welfare_rule().category,
        params={"hours": 24},
    )
    assert watch_welfare() == 1
    case = Case.objects.get()
    assert case.community_id == world.a.community.pk
    assert case.assignee == world.users["grid_worker_a"]


def test_disabled_rule_stops_the_welfare_watch(world: World) -> None:
    _card(world.a.resident, "CARD-WD-A")
    _card(world.b.resident, "CARD-WD-B")
    Rule.objects.create(
        community=world.a.community,
        event_type="watch.welfare",
        name="off",
        category=_welfare_rule().category,
        enabled=False,
    )
    assert watch_welfare() == 1  # only community B (the platform's rule)
    assert Case.objects.get().community_id == world.b.community.pk
    Case.objects.all().delete()
    Rule.objects.filter(event_type="watch.welfare", community__isnull=True).update(enabled=False)
    assert watch_welfare() == 0


def test_welfare_watch_runs_on_the_29th_of_february(world: World) -> None:
    leap = dt.datetime(2028, 2, 29, 10, 0, tzinfo=dt.UTC)
    Rule.objects.filter(pk=_welfare_rule().pk).update(params={"hours": 48, "min_age": 65})  # 1963: no 29 February
    credential = _card(world.a.resident, "CARD-LEAP")
    Credential.objects.filter(pk=credential.pk).update(issued_at=leap - dt.timedelta(days=20))
    assert watch_welfare(now=leap) == 1


# --- tenants -------------------------------------------------------------------------------


def _rent(world: World) -> None:
    rental_create(
        actor=Actor.system(),
        tenant_household=world.a.household,
        lease_start=dt.date.today() - dt.timedelta(days=60),
        landlord_name="王房东",
    )


def _passes(token: str, code: str, card: str, n: int) -> None:
    for i in range(n):
        at = timezone.now() - dt.timedelta(days=i, minutes=5)
        body = doc(code, "access.pass", credential_kind="card", credential_ref=card)
        body["occurred_at"] = at.isoformat()
        assert post(token, body).status_code == 201


def test_unknown_card_passing_an_estate_with_rentals_five_times_opens_one_case(world: World) -> None:
    _rent(world)
    _gate, token = _device(world.a.estate, "gate-t", "gate")
    _passes(token, "gate-t", "3055466183", 5)
    assert AccessPass.objects.filter(person_kind="unknown").count() == 5
    assert watch_tenants() == 1
    case = Case.objects.get()
    assert case.category.code == "tenant_registration"
    assert case.place == world.a.estate
    assert case.assignee == world.users["grid_worker_a"]
    assert "3055466183" not in case.title and "3055466183" not in case.description
    assert "3055466183" not in case.incident_key
    assert watch_tenants() == 0
    assert Case.objects.count() == 1


def test_four_passes_are_not_enough(world: World) -> None:
    _rent(world)
    _gate, token = _device(world.a.estate, "gate-t4", "gate")
    _passes(token, "gate-t4", "3055466184", 4)
    assert watch_tenants() == 0


def test_estate_without_rentals_gets_no_case(world: World) -> None:
    _rent(world)  # community A rents; community B does not
    _gate, token = _device(world.b.estate, "gate-tb", "gate")
    _passes(token, "gate-tb", "3055466185", 6)
    assert watch_tenants() == 0


def test_registered_card_is_not_a_stranger(world: World) -> None:
    _rent(world)
    _card(world.a.resident, "3055466186")
    _gate, token = _device(world.a.estate, "gate-tr", "gate")
    _passes(token, "gate-tr", "3055466186", 6)
    assert watch_tenants() == 0


def test_tenant_rule_of_a_community(world: World) -> None:
    _rent(world)
    default = Rule.objects.get(community__isnull=True, event_type="watch.tenant")
    rule = Rule.objects.create(
        community=world.a.community,
        event_type="watch.tenant",
        name="3",
        category=default.category,
        params={"passes": 3, "days": 7},
    )
    _gate, token = _device(world.a.estate, "gate-t3", "gate")
    _passes(token, "gate-t3", "3055466187", 3)
    assert watch_tenants() == 1
    Case.objects.all().delete()
    Rule.objects.filter(pk=rule.pk).update(enabled=False)
    _passes(token, "gate-t3", "3055466188", 6)
    assert watch_tenants() == 0  # disabled for the community: the platform's rule does not step in


# --- media retention -----------------------------------------------------------------------


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _snapshot(token: str, code: str, type_: str, event_id: str) -> Event:
    response = Client().post(
        URL,
        {
            "event": json.dumps(doc(code, type_, event_id=event_id)),
            "media": SimpleUploadedFile("snap.jpg", JPEG, content_type="image/jpeg"),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    return Event.objects.get(event_id=event_id)


def test_purge_deletes_expired_snapshots_and_keeps_the_rows(world: World, media_root: Path) -> None:
    _cam, token = _device(world.a.building, "cam-r")
    litter = _snapshot(token, "cam-r", "litter.detected", "r-1")
    throw = _snapshot(token, "cam-r", "throw.detected", "r-2")
    assert litter.media_expires_at is not None and throw.media_expires_at is not None
    assert litter.media_expires_at < throw.media_expires_at  # 90 days against 180
    litter_path, throw_path = litter.media.name, throw.media.name
    assert default_storage.exists(litter_path) and default_storage.exists(throw_path)

    assert purge_expired_media(now=litter.media_expires_at - dt.timedelta(minutes=1)) == 0
    assert purge_expired_media(now=litter.media_expires_at + dt.timedelta(seconds=1)) == 1
    assert not default_storage.exists(litter_path)
    assert default_storage.exists(throw_path)
    litter.refresh_from_db()
    throw.refresh_from_db()
    assert not litter.media and litter.media_expires_at is None
    assert litter.type == "litter.detected" and litter.case_id is not None  # the event and its case stay
    assert throw.media.name == throw_path
    assert purge_expired_media(now=timezone.now() + dt.timedelta(days=100)) == 0  # the throw is kept 180 days
