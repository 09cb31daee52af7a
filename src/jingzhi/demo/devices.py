"""Demo devices and gate cards: what the simulators drive.

Each estate gets a gate and a garbage-room camera; its tallest buildings a facade camera
(thrown objects) and elevators in their units; each community a square with a noise meter
and a speaker controller. A share of residents hold a gate card. Device tokens are written to
``JINGZHI_DATA_DIR/simulator-tokens.json`` (0600) for the HTTP simulators.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from jingzhi.core.choices import PlaceKind
from jingzhi.core.models import Place
from jingzhi.registry.choices import CredentialKind, ResidentStatus
from jingzhi.registry.models import Credential, Resident
from jingzhi.sensing.choices import DeviceKind
from jingzhi.sensing.models import Device
from jingzhi.sensing.mosquitto import password_hash
from jingzhi.sensing.services.ingest import token_digest
from jingzhi.squares.models import Square

CARD_SHARE = 0.6
CAMERAS_PER_ESTATE = 2
ELEVATORS_PER_ESTATE = 4


def tokens_path() -> Path:
    return Path(settings.JINGZHI_DATA_DIR) / "simulator-tokens.json"


def _device(
    code: str, name: str, kind: str, place: Place, location: str, tokens: dict[str, str], **extra: Any
) -> Device:
    token = secrets.token_urlsafe(24)
    tokens[code] = token
    device = Device(
        code=code,
        name=name,
        kind=kind,
        place=place,
        location=location,
        token_digest=token_digest(token),
        mqtt_password_hash=password_hash(token),
        heartbeat_s=60,
        offline_allowance_s=1800,
        **extra,
    )
    device.fill_scope(place)
    return device


def create_devices(communities: list[Place], estates: list[Place]) -> dict[str, str]:
    """Create the demo devices; returns {device code: HTTP token}."""
    tokens: dict[str, str] = {}
    devices: list[Device] = []
    buildings = list(Place.objects.filter(kind=PlaceKind.BUILDING, estate__in=estates).order_by("-floors", "id"))
    units = list(Place.objects.filter(kind=PlaceKind.UNIT, estate__in=estates).order_by("id"))
    community_codes = {c.pk: c.code for c in communities}
    grid_codes = dict(Place.objects.filter(kind=PlaceKind.GRID, community__in=communities).values_list("pk", "code"))
    for estate in estates:
        base = (
            f"{community_codes[estate.community_id or 0][-3:]}-{grid_codes[estate.grid_id or 0]}-{estate.code}".lower()
        )
        devices.append(_device(f"gate-{base}-s", f"{estate.name}南门闸机", DeviceKind.GATE, estate, "南门", tokens))
        devices.append(
            _device(f"cam-{base}-g", f"{estate.name}垃圾房摄像机", DeviceKind.CAMERA, estate, "垃圾房", tokens)
        )
        tall = [b for b in buildings if b.estate_id == estate.pk][:CAMERAS_PER_ESTATE]
        for b in tall:
            devices.append(
                _device(
                    f"cam-{base}-b{b.code}",
                    f"{estate.name}{b.name}立面摄像机",
                    DeviceKind.CAMERA,
                    b,
                    f"{b.name}立面",
                    tokens,
                    config={"floors": b.floors},
                )
            )
        lifts = [u for u in units if u.building_id in {b.pk for b in tall}][:ELEVATORS_PER_ESTATE]
        for u in lifts:
            building = next(b for b in tall if b.pk == u.building_id)
            devices.append(
                _device(
                    f"lift-{base}-b{building.code}-u{u.code}",
                    f"{estate.name}{building.name}{u.name}电梯",
                    DeviceKind.ELEVATOR,
                    u,
                    f"{building.name}{u.name}电梯",
                    tokens,
                )
            )
    for community in communities:
        square = f"sq-{community.code[-3:]}"
        devices.append(
            _device(
                f"{square}-meter", f"{community.name}广场声级计", DeviceKind.NOISE_METER, community, "中心广场", tokens
            )
        )
        devices.append(
            _device(
                f"{square}-speaker",
                f"{community.name}广场音箱控制器",
                DeviceKind.SPEAKER,
                community,
                "中心广场",
                tokens,
            )
        )
    Device.objects.bulk_create(devices, batch_size=1000)
    by_code = {d.code: d for d in devices}
    for community in communities:
        square = f"sq-{community.code[-3:]}"
        Square(
            name=f"{community.name}中心广场",
            place=community,
            meter=by_code[f"{square}-meter"],
            speaker=by_code[f"{square}-speaker"],
            zone="1",
            windows="07:00-08:30,19:00-21:00",
            volume_cap_db=65,
            meter_distance_m=10,
            facade_distance_m=40,
            manager=f"{community.name}居委会",
        ).save()
    path = tokens_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=1))
    os.chmod(path, 0o600)
    return tokens


def issue_cards(residents: list[Resident], rng: random.Random, start: int) -> int:
    """Gate cards for a share of the residents aged 12+ who live here; returns the next card number."""
    today = timezone.localdate()
    cards: list[Credential] = []
    number = start
    for person in residents:
        age = today.year - person.birth_date.year
        if age < 12 or person.status != ResidentStatus.PRESENT or rng.random() > CARD_SHARE:
            continue
        number += 1
        cards.append(
            Credential(
                resident_id=person.pk,
                kind=CredentialKind.CARD,
                reference=f"C{number:09d}",
                issued_at=timezone.now() - dt.timedelta(days=rng.randrange(60, 2000)),
            )
        )
    Credential.objects.bulk_create(cards, batch_size=2000)
    return number
