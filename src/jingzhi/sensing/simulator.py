"""Device simulators for the demo sub-district (``jingzhi simulate``).

Every active device is driven by one scheduler loop on a simulated clock (``speed`` times real
time): gates report passes following a daily profile, cameras detections, elevators e-bikes
(and they acknowledge the commands they receive), noise meters a level every 10 s, and every
device a heartbeat. The events go through the same doors as real devices': HTTP
(``POST /api/v1/ingest/events`` with the device's token) or MQTT (``jingzhi/v1/<code>/events``,
QoS 1, one client per device with a retained ``offline`` last will).

Faults (on by default) exercise the platform's defences: a few events are sent twice, a few are
malformed, and now and then one device drops off the network for a few simulated minutes (over
MQTT its TCP connection is cut without a DISCONNECT, so the broker publishes its last will).

``occurred_at`` is always the real current time (the server refuses events from the future);
the simulated clock only sets the time of day the rates and levels follow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import itertools
import json
import logging
import math
import queue
import random
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.utils import timezone

from jingzhi.sensing import contract

log = logging.getLogger(__name__)

#: Passes per second through one gate, by hour of the day (peaks 7–9 and 17–19).
GATE_RATE_BY_HOUR: tuple[float, ...] = (
    *(1 / 1200,) * 6,  # 0–6: a few night owls
    1 / 90,  # 6–7
    *(1 / 20,) * 2,  # 7–9: morning peak
    *(1 / 90,) * 8,  # 9–17
    *(1 / 20,) * 2,  # 17–19: evening peak
    *(1 / 60,) * 3,  # 19–22
    *(1 / 300,) * 2,  # 22–24
)
LITTER_EVERY_S = 30 * 60
THROW_EVERY_S = 3 * 3600
EBIKE_EVERY_S = 3600
NOISE_PERIOD_S = 10
#: Square dance: noise meters read 60–72 dB between these hours.
DANCE_HOURS = (19, 21)
#: Devices that receive commands (and acknowledge them): elevators hold doors, speakers change volume.
COMMANDED_KINDS = ("elevator", "speaker")
#: Shares of gate passes: a resident's card, an unknown card, the rest visitors without credential.
CARD_SHARE, UNKNOWN_CARD_SHARE = 0.80, 0.05
#: Payload values that fail the schema of their event type (for malformed events).
_BAD_PAYLOADS: dict[str, dict[str, Any]] = {
    "access.pass": {"direction": "sideways"},
    "noise.level": {"laeq": -5.0},
    "command.ack": {"ok": "perhaps"},
}
#: Heartbeats of one device at most this often in real seconds (whatever the speed).
MIN_HEARTBEAT_REAL_S = 1.0


@dataclass(frozen=True)
class Faults:
    """How often things go wrong. ``drop_every_s`` is the mean simulated time between drops (0: never)."""

    duplicate: float = 0.01
    malformed: float = 0.005
    drop_every_s: float = 2 * 3600
    drop_min_s: float = 3 * 60
    drop_max_s: float = 10 * 60

    @classmethod
    def off(cls) -> Faults:
        return cls(duplicate=0.0, malformed=0.0, drop_every_s=0.0)


@dataclass
class SimDevice:
    """What the simulator needs of a device (read from the database once, at start)."""

    code: str
    kind: str
    heartbeat_s: int = 60
    floors: int | None = None
    cards: list[str] = field(default_factory=list)

    @property
    def facade(self) -> bool:
        """A facade camera (thrown objects) rather than a garbage-room one (litter)."""
        return self.floors is not None or re.search(r"-b[^-]*$", self.code) is not None


@dataclass
class Counters:
    events_sent: int = 0
    duplicates_sent: int = 0
    malformed_sent: int = 0
    acks_sent: int = 0
    heartbeats_sent: int = 0
    commands_received: int = 0
    #: Answers: HTTP ``stored``/``duplicate``/``rejected``; MQTT ``published`` (the broker's PUBACK).
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    published: int = 0
    errors: int = 0
    drops: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def load_devices(*, codes: Iterable[str] | None = None, cards_per_gate: int = 200) -> list[SimDevice]:
    """Active devices, with a sample of the active gate cards of residents where each gate stands."""
    from jingzhi.registry.models import Credential
    from jingzhi.sensing.choices import DeviceKind
    from jingzhi.sensing.models import Device

    qs = Device.objects.filter(active=True).order_by("code")
    if codes is not None:
        qs = qs.filter(code__in=list(codes))
    cards_by_scope: dict[tuple[str, int], list[str]] = {}
    result: list[SimDevice] = []
    for device in qs:
        cards: list[str] = []
        if device.kind == DeviceKind.GATE:
            if device.estate_id is not None:
                scope = ("estate", device.estate_id)
            elif device.community_id is not None:
                scope = ("community", device.community_id)
            else:
                scope = ("none", 0)
            if scope not in cards_by_scope:
                credentials = Credential.objects.filter(kind="card", revoked_at__isnull=True)
                if scope[0] == "estate":
                    credentials = credentials.filter(resident__household__room__estate_id=scope[1])
                elif scope[0] == "community":
                    credentials = credentials.filter(resident__community_id=scope[1])
                else:
                    credentials = credentials.none()
                cards_by_scope[scope] = [str(c.reference) for c in credentials.order_by("?")[:cards_per_gate]]
            cards = cards_by_scope[scope]
        floors = device.config.get("floors") if isinstance(device.config, dict) else None
        try:
            floors = int(floors) if floors is not None else None
        except (TypeError, ValueError):
            floors = None
        result.append(
            SimDevice(
                code=device.code, kind=device.kind, heartbeat_s=device.heartbeat_s or 60, floors=floors, cards=cards
            )
        )
    return result


def load_tokens(path: Path) -> dict[str, str]:
    """The {device code: token} file written by the demo generator."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return {str(k): str(v) for k, v in data.items()}


# Transports -------------------------------------------------------------------------------


class Stopped(Exception):
    """The simulator was asked to stop while waiting for the server or broker."""


@dataclass
class Sent:
    """One message handed to a transport; ``on_done(ok, reply)`` is called once it is settled."""

    device: str
    event_id: str | None
    on_done: Callable[[bool, dict[str, Any] | None], None] | None = None


class Transport(Protocol):
    name: str

    def open(self, devices: list[SimDevice]) -> None: ...
    def send_event(self, device: SimDevice, body: str, sent: Sent) -> None: ...
    def heartbeat(self, device: SimDevice) -> bool: ...
    def commands(self, skip: set[str]) -> list[tuple[str, dict[str, Any]]]: ...
    def settle(self) -> None: ...
    def drop(self, device: SimDevice) -> None: ...
    def restore(self, device: SimDevice) -> None: ...
    def close(self, timeout: float = 2.0) -> None: ...


class HttpTransport:
    """The ingest HTTP API through ``urllib``; waits (with backoff) while the server is not up."""

    name = "http"

    def __init__(
        self, url: str, tokens: dict[str, str], *, stop: threading.Event, poll_s: float = 3.0, timeout: float = 10.0
    ) -> None:
        self.base = url.rstrip("/")
        self.tokens = tokens
        self.stop = stop
        self.poll_s = poll_s
        self.timeout = timeout
        self._next_poll: dict[str, float] = {}
        self._waiting = False

    def open(self, devices: list[SimDevice]) -> None:
        elevators = [d for d in devices if d.kind in COMMANDED_KINDS]
        now = time.monotonic()
        for i, device in enumerate(elevators):  # staggered
            self._next_poll[device.code] = now + self.poll_s * i / max(1, len(elevators))

    def _call(self, method: str, path: str, code: str, body: bytes | None = None) -> tuple[int, Any]:
        """One request, retried with backoff while the server cannot be reached (or answers 502–504)."""
        headers = {"Authorization": f"Bearer {self.tokens.get(code, '')}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        delay = 0.5
        while True:
            request = urllib.request.Request(self.base + path, data=body, headers=headers, method=method)  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    status, raw = response.status, response.read()
            except urllib.error.HTTPError as exc:
                status, raw = exc.code, exc.read()
                if status not in (502, 503, 504):
                    return status, _json_or_text(raw)
                problem = f"HTTP {status}"
            except (urllib.error.URLError, OSError) as exc:
                problem = str(getattr(exc, "reason", exc))
            else:
                if self._waiting:
                    log.warning("server at %s reachable again", self.base)
                    self._waiting = False
                return status, _json_or_text(raw)
            if not self._waiting:
                log.warning("server at %s not reachable (%s); retrying", self.base, problem)
                self._waiting = True
            if self.stop.wait(delay):
                raise Stopped
            delay = min(delay * 2, 10.0)

    def send_event(self, device: SimDevice, body: str, sent: Sent) -> None:
        status, reply = self._call("POST", "/api/v1/ingest/events", device.code, body.encode())
        reply = reply if isinstance(reply, dict) else {"detail": reply}
        reply["http_status"] = status
        if sent.on_done is not None:
            sent.on_done(status < 500, reply)

    def heartbeat(self, device: SimDevice) -> bool:
        body = json.dumps({"device": device.code, "state": "online"}).encode()
        status, _reply = self._call("POST", "/api/v1/ingest/status", device.code, body)
        return status == 200

    def commands(self, skip: set[str]) -> list[tuple[str, dict[str, Any]]]:
        now = time.monotonic()
        found: list[tuple[str, dict[str, Any]]] = []
        for code, due in self._next_poll.items():
            if due > now:
                continue
            self._next_poll[code] = now + self.poll_s
            if code in skip:
                continue
            status, reply = self._call("GET", f"/api/v1/ingest/commands?device={code}", code)
            if status == 200 and isinstance(reply, list):
                found += [(code, c) for c in reply if isinstance(c, dict)]
        return found

    def settle(self) -> None:
        pass  # requests are synchronous

    def drop(self, device: SimDevice) -> None:
        pass  # an HTTP device that drops simply falls silent

    def restore(self, device: SimDevice) -> None:
        pass

    def close(self, timeout: float = 2.0) -> None:
        pass


def _json_or_text(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")[:200]


class MqttTransport:
    """One MQTT client per device (QoS 1), each with a retained ``offline`` last will.

    With ``presence`` off the clients only publish events (a one-off scenario next to a running
    simulator): their own client ids, no last will, no ``online``/``offline`` status.
    """

    name = "mqtt"

    def __init__(
        self, url: str, *, stop: threading.Event, connect_timeout: float = 10.0, presence: bool = True
    ) -> None:
        self.url = url
        self.stop = stop
        self.presence = presence
        self.connect_timeout = connect_timeout
        self.clients: dict[str, Any] = {}
        self._inflight: list[tuple[Any, Sent]] = []
        self._inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._announce: queue.Queue[str] = queue.Queue()
        self._elevators: set[str] = set()

    def _client(self, device: SimDevice) -> Any:
        from jingzhi.core.mqtt import client_for

        code = device.code
        if self.presence:
            client, connect = client_for(
                self.url, client_id=f"jingzhi-sim-{code}", will=(contract.status_topic(code), "offline")
            )
        else:
            client, connect = client_for(self.url, client_id=f"jingzhi-sim-{code}-{secrets.token_hex(4)}")
        client.reconnect_delay_set(min_delay=1, max_delay=10)

        def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
            if reason.is_failure:
                log.warning("%s: MQTT connection refused: %s", code, reason)
                return
            if code in self._elevators:
                client.subscribe(contract.commands_topic(code), qos=1)
            if self.presence:
                self._announce.put(code)  # "online" is published from the simulator's thread

        def on_message(client: Any, userdata: Any, message: Any) -> None:
            self._inbox.put((code, bytes(message.payload)))

        client.on_connect = on_connect
        client.on_message = on_message
        client.connect_async(**connect)
        client.loop_start()
        return client

    def open(self, devices: list[SimDevice]) -> None:
        self._elevators |= {d.code for d in devices if d.kind in COMMANDED_KINDS}
        for device in devices:
            if device.code not in self.clients:
                self.clients[device.code] = self._client(device)
        warned = False
        deadline = time.monotonic() + self.connect_timeout
        while not all(self.clients[d.code].is_connected() for d in devices):
            if not warned and time.monotonic() > deadline:
                log.warning("MQTT broker at %s not reachable yet; waiting", self.url)
                warned = True
            if self.stop.wait(0.05):
                raise Stopped

    def announced(self) -> list[str]:
        """Devices that (re)connected since the last call: they owe an ``online`` status."""
        codes: list[str] = []
        while True:
            try:
                codes.append(self._announce.get_nowait())
            except queue.Empty:
                return codes

    def _publish(self, code: str, topic: str, payload: str, *, retain: bool = False) -> Any:
        return self.clients[code].publish(topic, payload, qos=1, retain=retain)

    def send_event(self, device: SimDevice, body: str, sent: Sent) -> None:
        info = self._publish(device.code, contract.events_topic(device.code), body)
        self._inflight.append((info, sent))

    def heartbeat(self, device: SimDevice) -> bool:
        client = self.clients.get(device.code)
        if not self.presence or client is None or not client.is_connected():
            return False
        self._publish(device.code, contract.status_topic(device.code), "online", retain=True)
        return True

    def commands(self, skip: set[str]) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = []
        while True:
            try:
                code, raw = self._inbox.get_nowait()
            except queue.Empty:
                return found
            try:
                command = json.loads(raw)
            except ValueError:
                log.warning("%s: unreadable command %r", code, raw[:80])
                continue
            if isinstance(command, dict) and code not in skip:
                found.append((code, command))

    def settle(self) -> None:
        """Report the events whose PUBACK came (or whose publication failed)."""
        pending: list[tuple[Any, Sent]] = []
        for info, sent in self._inflight:
            try:
                done = info.is_published()
            except (RuntimeError, ValueError):  # not connected when published, or queue full
                if sent.on_done is not None:
                    sent.on_done(False, None)
                continue
            if done:
                if sent.on_done is not None:
                    sent.on_done(True, {"status": "published"})
            else:
                pending.append((info, sent))
        self._inflight = pending

    def drop(self, device: SimDevice) -> None:
        """Cut the TCP connection without a DISCONNECT: the broker publishes the last will."""
        client = self.clients.pop(device.code, None)
        if client is None:
            return
        _cut(client)
        self._inflight = [(info, sent) for info, sent in self._inflight if sent.device != device.code]

    def restore(self, device: SimDevice) -> None:
        if device.code not in self.clients:
            self.clients[device.code] = self._client(device)

    def close(self, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while self._inflight and time.monotonic() < deadline:
            self.settle()
            time.sleep(0.02)
        self.settle()
        # A clean stop says "offline", then leaves without the will. A client whose "offline" the
        # broker has not acknowledged (queued behind unacknowledged events, or not connected) is cut
        # off instead, so that the broker publishes its will: a clean DISCONNECT would discard the
        # will and leave the device "online" for good.
        offline = {}
        for code, client in self.clients.items():
            if self.presence and client.is_connected():
                offline[code] = self._publish(code, contract.status_topic(code), "offline", retain=True)
        deadline = time.monotonic() + timeout  # its own wait: the events' may be spent
        for info in offline.values():
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=max(0.0, deadline - time.monotonic()))
        for code, client in self.clients.items():
            if self.presence and not _published(offline.get(code)):
                _cut(client)
            else:
                client.disconnect()
                client.loop_stop()
        self.clients.clear()


def _published(info: Any) -> bool:
    try:
        return info is not None and bool(info.is_published())
    except (RuntimeError, ValueError):  # not connected when published, or queue full
        return False


def _cut(client: Any) -> None:
    """Close a client's TCP connection without a DISCONNECT: the broker publishes its last will.

    The socket goes first: paho's network thread does not stop while messages wait for their
    acknowledgement, until the connection is lost (a keepalive later, otherwise).
    """
    sock = client.socket()
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    client.loop_stop()
    if sock is not None:
        sock.close()


# The simulator ----------------------------------------------------------------------------


class Simulator:
    """Drives ``devices`` over ``transport`` ("http" or "mqtt") until stopped or for a duration.

    ``tokens`` (or ``tokens_file``) hold the HTTP tokens by device code. ``start_at`` is the
    simulated time of day to begin at (default: now). ``poll_s`` is how often (real seconds)
    HTTP elevators fetch their commands. ``presence=False`` (for :meth:`send_once` next to a
    running simulator) leaves the devices' online status alone. ``track=False`` (long runs) keeps
    no record of the delivered event ids.
    """

    def __init__(
        self,
        devices: list[SimDevice],
        transport: str = "http",
        *,
        url: str = "http://127.0.0.1:8000/",
        mqtt_url: str | None = None,
        tokens: dict[str, str] | None = None,
        tokens_file: Path | None = None,
        speed: float = 1.0,
        faults: Faults | bool = True,
        seed: int | None = None,
        start_at: dt.datetime | None = None,
        poll_s: float = 3.0,
        presence: bool = True,
        track: bool = True,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.devices = {d.code: d for d in devices}
        self.speed = speed
        self.faults = Faults() if faults is True else Faults.off() if faults is False else faults
        self.rng = random.Random(seed)
        self.start_at = timezone.localtime(start_at) if start_at is not None else timezone.localtime()
        self.counters = Counters()
        #: (device, event_id) of the events the server stored or acknowledged (HTTP) / the broker
        #: accepted (MQTT); kept only with ``track`` (it grows with every event).
        self.delivered: set[tuple[str, str]] = set()
        self.track = track
        #: The latest answers, for inspection.
        self.replies: deque[dict[str, Any]] = deque(maxlen=100)
        self._stop = threading.Event()
        self._counter = itertools.count(1)
        self._salt = secrets.token_hex(3)
        self._dropped: dict[str, float] = {}
        self._acked: set[str] = set()
        #: The volume (percent) each speaker was last commanded to; the square's meter hears it.
        self.volumes: dict[str, int] = {}
        self.transport: Transport
        if transport == "http":
            if tokens is None:
                tokens = load_tokens(tokens_file) if tokens_file is not None else {}
            self.transport = HttpTransport(url, tokens, stop=self._stop, poll_s=poll_s)
        elif transport == "mqtt":
            if not mqtt_url:
                raise ValueError("an MQTT broker URL is needed for the mqtt transport")
            self.transport = MqttTransport(mqtt_url, stop=self._stop, presence=presence)
        else:
            raise ValueError(f"unknown transport {transport!r}")
        self._opened = False

    # control ------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def sim_time(self, sim_s: float) -> dt.datetime:
        return self.start_at + dt.timedelta(seconds=sim_s)

    # documents ----------------------------------------------------------------------------
    def new_event_id(self) -> str:
        return f"sim-{next(self._counter)}-{self._salt}{secrets.token_hex(2)}"

    def document(self, device: SimDevice, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        return contract.event_document(
            event_id=self.new_event_id(),
            device=device.code,
            type=event_type,
            occurred_at=timezone.localtime(),
            payload=payload,
        )

    def payload_for(self, device: SimDevice, at: dt.datetime) -> tuple[str, dict[str, Any]] | None:
        """The next event of a device at simulated time ``at`` (None for devices that only beat)."""
        rng = self.rng
        if device.kind == "gate":
            out_share = 0.7 if 6 <= at.hour < 10 else 0.3 if 16 <= at.hour < 20 else 0.5
            payload: dict[str, Any] = {"direction": "out" if rng.random() < out_share else "in"}
            roll = rng.random()
            if roll < CARD_SHARE and device.cards:
                payload |= {"credential_kind": "card", "credential_ref": rng.choice(device.cards)}
            elif roll < CARD_SHARE + UNKNOWN_CARD_SHARE or (roll < CARD_SHARE and not device.cards):
                payload |= {"credential_kind": "card", "credential_ref": f"C9{rng.randrange(10**8):08d}"}
            return "access.pass", payload
        if device.kind == "camera":
            if device.facade:
                return "throw.detected", {
                    "floor": rng.randint(2, max(2, device.floors or 18)),
                    "column": rng.randint(1, 4),
                    "confidence": round(rng.uniform(0.6, 0.95), 2),
                }
            zone = rng.choice(["垃圾房门口", "分类桶旁", "通道"])
            return "litter.detected", {"confidence": round(rng.uniform(0.55, 0.95), 2), "zone": zone}
        if device.kind == "elevator":
            return "ebike.elevator", {"confidence": round(rng.uniform(0.7, 0.98), 2), "floor": rng.choice([1, 1, -1])}
        if device.kind == "noise_meter":
            laeq = rng.uniform(45, 50) if 7 <= at.hour < 22 else rng.uniform(38, 44)
            if DANCE_HOURS[0] <= at.hour < DANCE_HOURS[1]:
                # The music, at the volume the platform last set on the square's speaker (closed loop).
                volume = self.volumes.get(device.code.replace("-meter", "-speaker"), 100)
                if volume > 0:
                    music = rng.uniform(60, 72) + 20 * math.log10(volume / 100)
                    laeq = 10 * math.log10(10 ** (music / 10) + 10 ** (laeq / 10))
            return "noise.level", {
                "laeq": round(laeq, 1),
                "lafmax": round(laeq + rng.uniform(3, 8), 1),
                "period_s": NOISE_PERIOD_S,
            }
        return None

    def next_interval(self, device: SimDevice, at: dt.datetime) -> float | None:
        """Simulated seconds to the device's next event (None: it sends no events)."""
        rng = self.rng
        if device.kind == "gate":
            return rng.expovariate(GATE_RATE_BY_HOUR[at.hour])
        if device.kind == "camera":
            return rng.expovariate(1 / (THROW_EVERY_S if device.facade else LITTER_EVERY_S))
        if device.kind == "elevator":
            return rng.expovariate(1 / EBIKE_EVERY_S)
        if device.kind == "noise_meter":
            return float(NOISE_PERIOD_S)
        return None

    def _malformed(self, doc: dict[str, Any]) -> str:
        """An invalid JSON text, or a document whose payload fails its schema."""
        if self.rng.random() < 0.5:
            text = json.dumps(doc, ensure_ascii=False)
            return text[: self.rng.randrange(1, len(text) - 1)]
        bad = _BAD_PAYLOADS.get(doc["type"], {"confidence": 1.7})
        return json.dumps({**doc, "payload": {**doc["payload"], **bad}}, ensure_ascii=False)

    # sending ------------------------------------------------------------------------------
    def _settled(self, doc: dict[str, Any], ok: bool, reply: dict[str, Any] | None, *, valid: bool) -> None:
        if not ok:
            self.counters.errors += 1
            return
        status = (reply or {}).get("status")
        if status == "stored":
            self.counters.stored += 1
        elif status == "duplicate":
            self.counters.duplicate += 1
        elif status == "published":
            self.counters.published += 1
        elif status == "rejected" or (reply or {}).get("code"):
            self.counters.rejected += 1
            if valid:
                log.warning("%s %s rejected: %s", doc["device"], doc["event_id"], reply)
        if self.track and valid and status in ("stored", "duplicate", "published"):
            self.delivered.add((doc["device"], doc["event_id"]))

    def _send(self, device: SimDevice, doc: dict[str, Any], *, text: str | None = None) -> None:
        valid = text is None

        def done(ok: bool, reply: dict[str, Any] | None) -> None:
            self._settled(doc, ok, reply, valid=valid)
            if reply is not None:
                self.replies.append({"device": doc["device"], "event_id": doc["event_id"], **reply})

        body = text if text is not None else json.dumps(doc, ensure_ascii=False)
        self.transport.send_event(device, body, Sent(device.code, doc["event_id"], done))

    def emit(self, device: SimDevice, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one event, with the configured faults; returns its document."""
        doc = self.document(device, event_type, payload)
        if self.rng.random() < self.faults.malformed:
            self.counters.malformed_sent += 1
            self._send(device, doc, text=self._malformed(doc))
            return doc
        self.counters.events_sent += 1
        self._send(device, doc)
        if self.rng.random() < self.faults.duplicate:
            self.counters.duplicates_sent += 1
            self._send(device, doc)  # a redelivery: same event_id
        return doc

    def _open(self, devices: list[SimDevice]) -> None:
        self.transport.open(devices)
        self._opened = True

    def send_once(self, device_code: str, event_type: str, **payload: Any) -> dict[str, Any]:
        """Send one valid event now (no faults) and return the reply: for HTTP the server's answer
        (``status``, ``event``, ``case``, ``http_status``), for MQTT ``{"status": "published"}``."""
        device = self.devices[device_code]
        if event_type not in contract.EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        if not self._opened:
            self._open([device])
        doc = self.document(device, event_type, payload)
        replies: list[dict[str, Any]] = []

        def done(ok: bool, reply: dict[str, Any] | None) -> None:
            self._settled(doc, ok, reply, valid=True)
            replies.append(reply or {"status": "error"})

        self.counters.events_sent += 1
        self.transport.send_event(device, json.dumps(doc, ensure_ascii=False), Sent(device.code, doc["event_id"], done))
        deadline = time.monotonic() + 5
        while not replies and time.monotonic() < deadline:
            self.transport.settle()
            if not replies:
                time.sleep(0.02)
        reply = replies[0] if replies else {"status": "timeout"}
        return {"device": device.code, "event_id": doc["event_id"], **reply}

    def _ack_commands(self) -> None:
        for code, command in self.transport.commands(set(self._dropped)):
            self.counters.commands_received += 1
            command_id = str(command.get("command_id", ""))[:64]
            device = self.devices.get(code)
            if device is None or not command_id or command_id in self._acked:
                continue
            self._acked.add(command_id)
            if device.kind == "speaker":
                params = command.get("params") or {}
                self.volumes[code] = 0 if command.get("name") == "mute" else int(params.get("volume", 100))
            self.counters.acks_sent += 1
            doc = self.document(device, "command.ack", {"command_id": command_id, "ok": True})
            self._send(device, doc)

    def _announce(self) -> None:
        announced = getattr(self.transport, "announced", None)
        if announced is None:
            return
        for code in announced():
            device = self.devices.get(code)
            if device is not None and code not in self._dropped and self.transport.heartbeat(device):
                self.counters.heartbeats_sent += 1

    # the loop -----------------------------------------------------------------------------
    def run(self, duration_s: float | None = None) -> Counters:
        """Simulate until :meth:`stop` (or a signal handler calling it) or ``duration_s`` real seconds."""
        devices = list(self.devices.values())
        end = time.monotonic() + duration_s if duration_s is not None else None
        try:
            if devices:
                self._open(devices)
        except Stopped:
            self.transport.close()
            return self.counters
        started = time.monotonic()
        if duration_s is not None:
            end = started + duration_s  # counted from when the devices are connected
        heap: list[tuple[float, int, str, str]] = []
        seq = itertools.count()
        for device in devices:
            beat = self._beat_interval(device)
            # HTTP devices announce themselves at once; MQTT ones did on connecting.
            first_beat = self.rng.uniform(0, 0.1) * self.speed if self.transport.name == "http" else beat
            heapq.heappush(heap, (first_beat, next(seq), "beat", device.code))
            interval = self.next_interval(device, self.start_at)
            if interval is not None:
                first = self.rng.uniform(0, interval) if device.kind == "noise_meter" else interval
                heapq.heappush(heap, (first, next(seq), "event", device.code))
        if self.faults.drop_every_s > 0 and devices:
            heapq.heappush(heap, (self.rng.expovariate(1 / self.faults.drop_every_s), next(seq), "drop", ""))
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if end is not None and now >= end:
                    break
                sim_now = (now - started) * self.speed
                self._announce()
                self._ack_commands()
                while heap and heap[0][0] <= sim_now and not self._stop.is_set():
                    due, _s, action, code = heapq.heappop(heap)
                    # heartbeats missed while a send blocked are not caught up; events are (a backlog)
                    base = max(due, sim_now) if action == "beat" else due
                    for delay, next_action, next_code in self._act(action, code, due):
                        heapq.heappush(heap, (base + delay, next(seq), next_action, next_code))
                    if end is not None and time.monotonic() >= end:
                        break
                self.transport.settle()
                wait = 0.1
                if heap:
                    wait = min(wait, max(0.0, (heap[0][0] - (time.monotonic() - started) * self.speed) / self.speed))
                if end is not None:
                    wait = min(wait, max(0.0, end - time.monotonic()))
                self._stop.wait(max(wait, 0.001))
        except Stopped:
            pass
        finally:
            self.transport.close()
        return self.counters

    def _beat_interval(self, device: SimDevice) -> float:
        return max(float(device.heartbeat_s), self.speed * MIN_HEARTBEAT_REAL_S)

    def _act(self, action: str, code: str, due: float) -> list[tuple[float, str, str]]:
        """Do one scheduled action; returns what to schedule next as (delay, action, device code)."""
        if action == "drop":
            return self._drop(due)
        device = self.devices[code]
        if action == "restore":
            self._dropped.pop(code, None)
            self.transport.restore(device)  # an MQTT device announces itself on reconnecting
            log.info("%s back online", code)
            if self.transport.name == "http" and self.transport.heartbeat(device):
                self.counters.heartbeats_sent += 1
            return []
        if action == "beat":
            if code not in self._dropped and self.transport.heartbeat(device):
                self.counters.heartbeats_sent += 1
            return [(self._beat_interval(device), "beat", code)]
        if action == "event":
            at = self.sim_time(due)
            if code not in self._dropped:
                made = self.payload_for(device, at)
                if made is not None:
                    self.emit(device, *made)
            interval = self.next_interval(device, at)
            return [(interval, "event", code)] if interval is not None else []
        raise ValueError(action)

    def _drop(self, due: float) -> list[tuple[float, str, str]]:
        """One device falls off the network for a few simulated minutes."""
        follow = [(self.rng.expovariate(1 / self.faults.drop_every_s), "drop", "")]
        candidates = [c for c in self.devices if c not in self._dropped]
        if not candidates:
            return follow
        code = self.rng.choice(candidates)
        length = self.rng.uniform(self.faults.drop_min_s, self.faults.drop_max_s)
        self._dropped[code] = due + length
        self.counters.drops += 1
        log.info("%s drops offline for %.0f simulated seconds", code, length)
        self.transport.drop(self.devices[code])
        return [*follow, (length, "restore", code)]
