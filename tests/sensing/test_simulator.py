"""The device simulators against the real ingest paths: HTTP (live server) and MQTT (local broker)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from jingzhi.cases.models import Case
from jingzhi.core.choices import PlaceKind
from jingzhi.core.mqtt import client_for
from jingzhi.core.scope import Actor
from jingzhi.registry.choices import CredentialKind
from jingzhi.registry.services.credentials import credential_issue
from jingzhi.sensing.choices import CommandStatus
from jingzhi.sensing.ingester import Ingester
from jingzhi.sensing.models import AccessPass, Device, DeviceCommand, Event, RejectedEvent
from jingzhi.sensing.simulator import Faults, MqttTransport, Sent, SimDevice, Simulator, load_devices
from tests import factories as f

MQTT_URL = "mqtt://127.0.0.1:1883"
CARD = "C000000123"


def transactional(test: Any) -> Any:
    """Committed rows (the live server and the ingester see them), with the built-in rules and
    case categories seeded again after an earlier transactional test's flush."""
    return pytest.mark.usefixtures("builtin")(pytest.mark.django_db(transaction=True)(test))


def _fleet(tmp_path: Path) -> tuple[str, dict[str, str], Path]:
    """One community with a device of every kind (unique codes); returns (suffix, tokens, tokens file)."""
    sub = f.place(PlaceKind.SUBDISTRICT, None, "320505407", "科技城")
    a = f.community(sub, "320505407001", "甲社区", "张甲一", "甲花苑")
    credential_issue(actor=Actor.system(), resident=a.resident, kind=CredentialKind.CARD, reference=CARD)
    s = uuid.uuid4().hex[:6]
    specs: list[tuple[Any, str, str, dict[str, Any]]] = [
        (a.estate, f"gate-{s}-s", "gate", {}),
        (a.estate, f"cam-{s}-g", "camera", {}),
        (a.building, f"cam-{s}-b3", "camera", {"config": {"floors": 6}}),
        (a.unit, f"lift-{s}-b3-u2", "elevator", {}),
        (a.community, f"sq-{s}-meter", "noise_meter", {}),
        (a.community, f"sq-{s}-speaker", "speaker", {}),
    ]
    tokens: dict[str, str] = {}
    for place, code, kind, extra in specs:
        _device, token = f.device(place, code, kind, **extra)
        tokens[code] = token
    path = tmp_path / "simulator-tokens.json"
    path.write_text(json.dumps(tokens))
    return s, tokens, path


def _evening() -> dt.datetime:
    """Just before the square dance: the gates' evening peak, then the dance."""
    return timezone.localtime().replace(hour=18, minute=58, second=0, microsecond=0)


@transactional
def test_http_simulation_stores_events_once_and_keeps_the_malformed(live_server: Any, tmp_path: Path) -> None:
    s, _tokens, path = _fleet(tmp_path)
    lift = Device.objects.get(code=f"lift-{s}-b3-u2")
    DeviceCommand.objects.create(device=lift, command_id=f"cmd-{s}", name="hold_door", params={"seconds": 30})
    devices = load_devices()
    assert {d.code: d.cards for d in devices if d.kind == "gate"} == {f"gate-{s}-s": [CARD]}
    assert next(d for d in devices if d.code == f"cam-{s}-b3").facade
    assert not next(d for d in devices if d.code == f"cam-{s}-g").facade

    faults = Faults(duplicate=0.2, malformed=0.1, drop_every_s=240, drop_min_s=60, drop_max_s=90)
    sim = Simulator(
        devices, "http", url=live_server.url, tokens_file=path, speed=300, faults=faults, seed=7, start_at=_evening()
    )
    sim.transport.poll_s = 0.2  # type: ignore[attr-defined]
    counters = sim.run(3.0)  # at 300x: 15 simulated minutes (fewer on a loaded machine)

    assert counters.errors == 0
    assert counters.events_sent >= 30, counters
    # every valid event stored exactly once; redeliveries answered "duplicate"
    assert Event.objects.count() == len(sim.delivered) == counters.stored
    assert counters.duplicates_sent > 0 and counters.duplicate == counters.duplicates_sent
    # malformed ones refused and kept with their reason
    assert counters.malformed_sent > 0
    assert RejectedEvent.objects.count() == counters.malformed_sent == counters.rejected
    assert set(RejectedEvent.objects.values_list("code", flat=True)) <= {"malformed_json", "invalid_payload"}
    # the elevator fetched its pending command and acknowledged it
    assert DeviceCommand.objects.get(command_id=f"cmd-{s}").status == CommandStatus.ACKED
    assert counters.acks_sent >= 1 and Event.objects.filter(type="command.ack").exists()
    # the streams look like the place
    noise = list(Event.objects.filter(type="noise.level").values_list("payload", flat=True))
    assert len(noise) >= 20
    assert all(p["period_s"] == 10 and p["lafmax"] > p["laeq"] for p in noise)
    assert {p["laeq"] >= 60 for p in noise} == {True, False}  # before and during the square dance
    passes = Event.objects.filter(type="access.pass").count()
    assert passes >= 5
    assert AccessPass.objects.filter(person_kind="resident").exists()
    assert Device.objects.get(code=f"sq-{s}-speaker").last_seen_at is not None  # heartbeats only
    assert counters.drops >= 1


@transactional
def test_scenario_throw_prints_the_ingest_answer(live_server: Any, tmp_path: Path, settings: Any) -> None:
    s, _tokens, _path = _fleet(tmp_path)
    settings.JINGZHI_DATA_DIR = tmp_path  # the default tokens file
    out = io.StringIO()
    call_command(
        "simulate", "--scenario", "throw", "--device", f"cam-{s}-b3", "--floor", "5", "--url", live_server.url,
        "--transport", "http", stdout=out,
    )  # fmt: skip
    line = json.loads(out.getvalue())
    assert line["device"] == f"cam-{s}-b3" and line["status"] == "stored"
    event = Event.objects.get(event_id=line["event_id"])
    assert event.type == "throw.detected" and event.payload["floor"] == 5
    assert Case.objects.get(pk=line["case"]).category.code == "thrown_object"


@pytest.mark.django_db
def test_simulate_without_devices_idles(tmp_path: Path) -> None:
    out = io.StringIO()
    started = time.monotonic()
    call_command("simulate", "--transport", "http", "--duration", "0.3", stdout=out)
    assert "no active devices" in out.getvalue()
    assert time.monotonic() - started >= 0.3


# MQTT ---------------------------------------------------------------------------------------


@pytest.fixture
def broker() -> str:
    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", 1883), timeout=0.5).close()
        except OSError:
            return False
        return True

    if not up() and shutil.which("mosquitto"):
        subprocess.run(["mosquitto", "-d", "-c", "/etc/mosquitto/mosquitto.conf"], check=False, timeout=10)
        for _ in range(20):
            if up():
                break
            time.sleep(0.1)
    if not up():
        pytest.skip("no MQTT broker at 127.0.0.1:1883 (start mosquitto)")
    return MQTT_URL


def _clear_retained(url: str, codes: set[str]) -> None:
    """Remove the retained statuses the simulated devices left on the broker."""
    client, connect = client_for(url, client_id=f"cleanup-{uuid.uuid4().hex[:8]}")
    client.connect(**connect)
    client.loop_start()
    try:
        for code in codes:
            client.publish(f"jingzhi/v1/{code}/status", b"", qos=1, retain=True).wait_for_publish(2)
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.mark.services
@transactional
def test_mqtt_simulation_through_the_ingester(broker: str, tmp_path: Path) -> None:
    s, _tokens, _path = _fleet(tmp_path)
    codes = set(Device.objects.values_list("code", flat=True))
    devices = load_devices()
    faults = Faults(duplicate=0.2, malformed=0.1, drop_every_s=0)
    sim = Simulator(devices, "mqtt", mqtt_url=broker, speed=300, faults=faults, seed=3, start_at=_evening())
    ingester = Ingester(broker, client_id=f"test-ingest-{s}", group=f"test-{s}", session_expiry_s=0)
    result: dict[str, Any] = {}

    def simulate() -> None:  # no database access in this thread: the ingester (main thread) stores
        try:
            assert ingester.connected.wait(10)
            time.sleep(0.3)  # the subscription's SUBACK
            # an e-bike: the rule commands the elevator, over MQTT, and it acknowledges
            result["ebike"] = sim.send_once(f"lift-{s}-b3-u2", "ebike.elevator", confidence=0.95)
            result["counters"] = sim.run(2.5)
            # The run ends with every device's "offline" (QoS 1): wait until the ingester has stored
            # them (on a loaded machine the one second below was once not enough), then the tail.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(
                ingester.stats.last_status.get(d.code) is not False for d in devices
            ):
                time.sleep(0.05)
            result["not_offline"] = sorted(
                d.code for d in devices if ingester.stats.last_status.get(d.code) is not False
            )
            time.sleep(1.0)  # let the ingester store the tail
        finally:
            ingester.stopping.set()

    thread = threading.Thread(target=simulate)
    thread.start()
    try:
        ingester.run(until=time.monotonic() + 20)
        thread.join(5)
    finally:
        _clear_retained(broker, codes)
    counters = result["counters"]

    assert result["not_offline"] == []  # every device said "offline" (or its last will did)
    assert result["ebike"]["status"] == "published"
    assert counters.errors == 0 and counters.events_sent >= 30, counters
    assert Event.objects.filter(device__code__in=codes).count() == len(sim.delivered)
    assert counters.duplicates_sent > 0 and ingester.stats.duplicate >= counters.duplicates_sent
    rejected = RejectedEvent.objects.filter(device_code__in=codes)
    assert rejected.count() == counters.malformed_sent > 0
    command = DeviceCommand.objects.get(device__code=f"lift-{s}-b3-u2", name="hold_door")
    assert command.status == CommandStatus.ACKED
    assert counters.commands_received >= 1 and counters.acks_sent >= 1
    assert ingester.stats.status >= len(devices)  # online announcements, then offline at the end
    assert not Device.objects.filter(code__in=codes, online=True).exists()  # clean stop: "offline"


@pytest.mark.services
def test_mqtt_drop_makes_the_broker_publish_the_last_will(broker: str) -> None:
    code = f"t-{uuid.uuid4().hex[:8]}"
    seen: list[tuple[str, bytes]] = []
    watcher, connect = client_for(broker, client_id=f"watch-{code}")
    watcher.on_connect = lambda c, u, fl, r, p: c.subscribe(f"jingzhi/v1/{code}/status", qos=1)
    watcher.on_message = lambda c, u, m: seen.append((m.topic, bytes(m.payload)))
    watcher.connect(**connect)
    watcher.loop_start()
    transport = MqttTransport(broker, stop=threading.Event())
    device = SimDevice(code, "speaker")
    try:
        time.sleep(0.3)
        transport.open([device])
        assert transport.announced() == [code]
        assert transport.heartbeat(device)
        results: list[bool] = []
        transport.send_event(device, "{}", Sent(code, None, lambda ok, reply: results.append(ok)))
        for _ in range(50):
            transport.settle()
            if results:
                break
            time.sleep(0.02)
        assert results == [True]
        transport.drop(device)  # TCP cut without DISCONNECT
        for _ in range(50):
            if seen and seen[-1][1] == b"offline":
                break
            time.sleep(0.02)
        assert [p for _t, p in seen] == [b"online", b"offline"]
        transport.restore(device)
        for _ in range(100):
            if transport.announced() == [code]:
                break
            time.sleep(0.02)
        else:
            pytest.fail("no reconnection")
    finally:
        transport.close()
        watcher.publish(f"jingzhi/v1/{code}/status", b"", qos=1, retain=True).wait_for_publish(2)
        watcher.disconnect()
        watcher.loop_stop()


class _StallingProxy:
    """A TCP relay in front of the broker that can hold back what the broker sends (its PUBACKs),
    as a congested network or a starved client does, while the client's packets still get through."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.stall = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                near, _addr = self.server.accept()
                far = socket.create_connection(self.target)
                self.sockets += [near, far]
                threading.Thread(target=self._pipe, args=(near, far, False), daemon=True).start()
                threading.Thread(target=self._pipe, args=(far, near, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, stallable: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                while stallable and self.stall.is_set() and not self.closed.is_set():
                    time.sleep(0.01)
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Stop relaying: the held-back bytes are dropped with the connections."""
        self.closed.set()
        self.server.close()
        for sock in self.sockets:
            sock.close()


@pytest.mark.services
def test_mqtt_close_with_an_unacknowledged_offline_leaves_the_last_will_to_say_it(broker: str) -> None:
    """At a stop whose "offline" cannot go out (queued behind 20 events the broker has not
    acknowledged yet), a clean DISCONNECT would discard the last will and leave the device
    "online" for good: the connection is cut instead and the broker's will says "offline"."""
    code = f"t-{uuid.uuid4().hex[:8]}"
    seen: list[bytes] = []
    watcher, connect = client_for(broker, client_id=f"watch-{code}")
    watcher.on_connect = lambda c, u, fl, r, p: c.subscribe(f"jingzhi/v1/{code}/status", qos=1)
    watcher.on_message = lambda c, u, m: seen.append(bytes(m.payload))
    watcher.connect(**connect)
    watcher.loop_start()
    host, port = broker.rsplit("@", 1)[-1].removeprefix("mqtt://").split(":")
    proxy = _StallingProxy(host, int(port))
    transport = MqttTransport(broker.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}"), stop=threading.Event())
    device = SimDevice(code, "speaker")
    try:
        time.sleep(0.3)
        transport.open([device])
        assert transport.heartbeat(device)
        for _ in range(100):
            if seen:
                break
            time.sleep(0.02)
        assert seen == [b"online"]
        proxy.stall.set()  # from now on the broker's acknowledgements do not reach the device
        for n in range(25):  # more than paho's 20 messages in flight
            transport.send_event(device, json.dumps({"n": n}), Sent(code, None, None))
        transport.close(timeout=0.3)
        for _ in range(150):
            if len(seen) > 1:
                break
            time.sleep(0.02)
        assert seen == [b"online", b"offline"]
    finally:
        proxy.close()
        watcher.publish(f"jingzhi/v1/{code}/status", b"", qos=1, retain=True).wait_for_publish(2)
        watcher.disconnect()
        watcher.loop_stop()
