"""Device pages: the map, the live feed, the rules and their community overrides, event media, rejections."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jingzhi.cases.models import Case, Category
from jingzhi.core.models import AuditEntry
from jingzhi.sensing.models import Device, Event, RejectedEvent, Rule
from tests import factories as f
from tests.conftest import World
from tests.sensing.helpers import doc

URL = "/api/v1/ingest/events"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300 + b"\xff\xd9"


def post(token: str, body: dict[str, Any]) -> Any:
    return Client().post(URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _templates(response: Any) -> set[str]:
    return {t.name for t in response.templates if t.name}


# --- the device map and the live feed ------------------------------------------------------


def test_device_map_groups_by_estate_and_building_and_counts_offline(world: World) -> None:
    f.device(world.a.building, "cam-a-b3", "camera", name="3幢立面")
    f.device(world.a.unit, "lift-a-b3", "elevator", name="3幢2单元电梯")
    f.device(world.a.estate, "gate-a-s", "gate", name="甲花苑南门")
    f.device(world.b.building, "cam-b-b3", "camera", name="乙3幢立面")
    Device.objects.filter(code="cam-a-b3").update(online=True, last_seen_at=timezone.now())
    response = world.client("community_secretary_a").get("/devices/")
    assert response.status_code == 200
    assert response.context["total"] == 3
    [tile] = response.context["tiles"]
    assert tile["name"] == world.a.estate.name
    assert tile["offline"] == 2
    buildings = {name: sorted(d.code for d in devices) for name, devices in tile["buildings"]}
    assert buildings[world.a.building.name] == ["cam-a-b3", "lift-a-b3"]
    assert ["gate-a-s"] in buildings.values()  # the estate-wide group
    page = response.content.decode()
    assert "3幢立面" in page and "乙3幢立面" not in page
    assert 'class="dot off"' in page and 'class="dot on"' in page
    assert world.client("volunteer_a").get("/devices/").status_code == 403


def test_live_feed_shows_latest_events_and_todays_gate_counts(world: World) -> None:
    _gate, gate_token = f.device(world.a.estate, "gate-live", "gate", name="甲花苑北门")
    _cam, cam_token = f.device(world.a.building, "cam-live", "camera")
    _other, other_token = f.device(world.b.estate, "gate-b-live", "gate")
    for direction in ("in", "in", "out"):
        assert post(gate_token, doc("gate-live", "access.pass", direction=direction)).status_code == 201
    assert post(cam_token, doc("cam-live", "litter.detected")).status_code == 201
    assert post(other_token, doc("gate-b-live", "access.pass")).status_code == 201

    client = world.client("community_staff_a")
    page = client.get("/devices/live/")
    assert page.status_code == 200
    assert "sensing/live.html" in _templates(page)
    assert [(g["device"].code, g["in"], g["out"]) for g in page.context["gates"]] == [("gate-live", 2, 1)]
    events = page.context["events"]
    assert [e.type for e in events][:1] == ["litter.detected"]  # newest first
    assert {e.device.code for e in events} == {"gate-live", "cam-live"}
    assert page.context["status"] == {"n_online": 2, "n_offline": 0}

    partial = client.get("/devices/live/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "sensing/_live.html" in _templates(partial) and "sensing/live.html" not in _templates(partial)
    assert "<html" not in partial.content.decode()
    assert 'id="event-feed"' in partial.content.decode()


# --- rules ---------------------------------------------------------------------------------


def _rule_form(rule: Rule, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enabled": "on" if rule.enabled else "",
        "action": rule.action,
        "category": str(rule.category_id or ""),
        "priority": rule.priority,
        "min_confidence": str(rule.min_confidence),
        "suppression_s": str(rule.suppression_s),
        "repeat_threshold": str(rule.repeat_threshold),
        "repeat_window_s": str(rule.repeat_window_s),
        "command": rule.command,
        "params": json.dumps(rule.params),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if not (k == "enabled" and not v)}


def test_secretary_overrides_a_rule_for_the_community_only_and_resets_it(world: World) -> None:
    _cam_a, token_a = f.device(world.a.building, "cam-rule-a", "camera")
    _cam_b, token_b = f.device(world.b.building, "cam-rule-b", "camera")
    secretary = world.client("community_secretary_a")
    community = world.a.community.pk
    listing = secretary.get(f"/devices/rules/?community={community}")
    assert listing.status_code == 200 and listing.context["chosen"] == world.a.community
    assert world.b.community not in listing.context["communities"]
    assert not any(row["own"] for row in listing.context["rows"])

    base = Rule.objects.get(community__isnull=True, event_type="throw.detected")
    url = f"/devices/rules/{community}/throw.detected/"
    assert secretary.get(url).status_code == 200
    saved = secretary.post(url, _rule_form(base, min_confidence="0.8"))
    assert saved.status_code == 302 and saved["Location"].endswith(f"/devices/rules/?community={community}")
    own = Rule.objects.get(community=world.a.community, event_type="throw.detected")
    assert own.min_confidence == 0.8 and own.category == base.category and own.name == base.name
    assert AuditEntry.objects.filter(action="rule.update").exists()
    rows = {row["type"]: row for row in secretary.get(f"/devices/rules/?community={community}").context["rows"]}
    assert rows["throw.detected"]["own"] and rows["throw.detected"]["rule"] == own

    a = post(token_a, doc("cam-rule-a", confidence=0.6)).json()
    b = post(token_b, doc("cam-rule-b", confidence=0.6)).json()
    assert a["status"] == b["status"] == "stored"
    assert a["case"] is None
    assert b["case"] is not None and Case.objects.get(pk=b["case"]).community_id == world.b.community.pk

    reset = secretary.post(f"/devices/rules/{community}/throw.detected/reset/")
    assert reset.status_code == 302
    assert not Rule.objects.filter(community=world.a.community).exists()
    assert AuditEntry.objects.filter(action="rule.reset").exists()
    assert post(token_a, doc("cam-rule-a", confidence=0.6)).json()["case"] is not None


def test_a_community_switching_a_rule_off_gets_no_cases(world: World) -> None:
    _cam, token = f.device(world.a.building, "cam-off-a", "camera")
    base = Rule.objects.get(community__isnull=True, event_type="throw.detected")
    secretary = world.client("community_secretary_a")
    url = f"/devices/rules/{world.a.community.pk}/throw.detected/"
    assert secretary.post(url, _rule_form(base, enabled="")).status_code == 302
    assert Rule.objects.get(community=world.a.community, event_type="throw.detected").enabled is False
    body = post(token, doc("cam-off-a")).json()
    assert body["status"] == "stored" and body["case"] is None


def test_rule_form_with_empty_parameters_or_bad_json(world: World) -> None:
    base = Rule.objects.get(community__isnull=True, event_type="litter.detected")
    secretary = world.client("community_secretary_a")
    url = f"/devices/rules/{world.a.community.pk}/litter.detected/"
    assert secretary.post(url, _rule_form(base, params="{not json")).status_code == 200  # the form again
    assert secretary.post(url, _rule_form(base, params="[1, 2]")).status_code == 200  # not named parameters
    assert not Rule.objects.filter(community=world.a.community).exists()
    assert secretary.post(url, _rule_form(base, params="")).status_code == 302
    assert Rule.objects.get(community=world.a.community, event_type="litter.detected").params == {}


def test_who_may_edit_rules(world: World) -> None:
    base = Rule.objects.get(community__isnull=True, event_type="throw.detected")
    form = _rule_form(base, min_confidence="0.9")
    url_a = f"/devices/rules/{world.a.community.pk}/throw.detected/"
    for who in ("grid_worker_a", "community_staff_a", "property_manager_a"):
        client = world.client(who)
        assert client.get(url_a).status_code in (403, 404)
        assert client.post(url_a, form).status_code in (403, 404)
        assert client.post(url_a + "reset/").status_code in (403, 404)
    assert world.client("community_secretary_b").post(url_a, form).status_code == 404
    assert (
        world.client("community_secretary_a").get(f"/devices/rules/{world.a.community.pk}/no.such/").status_code == 404
    )
    assert not Rule.objects.filter(community__isnull=False).exists()
    # The sub-district administrator may edit every community's rules.
    assert world.client("subdistrict_admin").post(url_a, form).status_code == 302
    # Grid workers read the rules in force (no community to choose).
    listing = world.client("grid_worker_a").get("/devices/rules/")
    assert listing.status_code == 200 and listing.context["communities"] == []


# --- event media and rejected messages -----------------------------------------------------


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_event_media_served_in_scope_and_audited(world: World, media_root: Path) -> None:
    _cam, token = f.device(world.a.building, "cam-media", "camera")
    response = Client().post(
        URL,
        {
            "event": json.dumps(doc("cam-media", "litter.detected", event_id="m-1")),
            "media": SimpleUploadedFile("snap.jpg", JPEG, content_type="image/jpeg"),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201
    event = Event.objects.get(event_id="m-1")
    url = f"/devices/events/{event.pk}/media/"
    for who in ("community_staff_a", "grid_worker_a", "property_manager_a"):
        served = world.client(who).get(url)
        assert served.status_code == 200, who
        assert b"".join(served.streaming_content) == JPEG  # type: ignore[attr-defined]
    entries = AuditEntry.objects.filter(action="event.media", object_id=str(event.pk))
    assert entries.count() == 3
    assert {e.actor_name for e in entries} == {"community_staff_a", "grid_worker_a", "property_manager_a"}
    for who in ("community_staff_b", "grid_worker_b", "volunteer_a"):
        assert world.client(who).get(url).status_code == 404, who
    assert AuditEntry.objects.filter(action="event.media").count() == 3
    # An event without a snapshot has nothing to serve.
    assert post(token, doc("cam-media", "litter.detected", event_id="m-2")).status_code == 201
    bare = Event.objects.get(event_id="m-2")
    assert world.client("community_staff_a").get(f"/devices/events/{bare.pk}/media/").status_code == 404


def test_rejected_messages_for_those_who_manage_devices(world: World) -> None:
    f.device(world.a.building, "cam-rej-a", "camera")
    f.device(world.b.building, "cam-rej-b", "camera")
    assert post("wrong-token", doc("cam-rej-a")).status_code == 401
    assert post("wrong-token", doc("cam-rej-b")).status_code == 401
    assert post("wrong-token", doc("no-such-device")).status_code == 404
    mine = RejectedEvent.objects.get(device_code="cam-rej-a")
    assert mine.community_id == world.a.community.pk

    page = world.client("community_secretary_a").get("/devices/rejected/")
    assert page.status_code == 200
    assert [r.device_code for r in page.context["rows"]] == ["cam-rej-a"]
    assert "cam-rej-a" in page.content.decode() and "cam-rej-b" not in page.content.decode()
    assert world.client("grid_worker_a").get("/devices/rejected/").status_code == 403
    admin = world.client("subdistrict_admin").get("/devices/rejected/")
    assert {r.device_code for r in admin.context["rows"]} == {"cam-rej-a", "cam-rej-b", "no-such-device"}
    api = world.client("community_staff_a").get("/api/v1/events/rejected").json()
    assert [item["device_code"] for item in api["items"]] == ["cam-rej-a"]
    assert world.client("grid_worker_a").get("/api/v1/events/rejected").json()["items"] == []


def test_pages_need_a_login(world: World, db: None) -> None:
    for url in ("/devices/", "/devices/live/", "/devices/rules/", "/devices/rejected/"):
        assert Client().get(url).status_code == 302
    assert Category.objects.filter(code="thrown_object").exists()
