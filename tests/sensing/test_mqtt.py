"""MQTT ingestion against the real Mosquitto broker with real paho-mqtt publishers (no mocks).

The ingester runs in the test's thread (so it sees the test's database transaction) while the
publishers run in background threads, as devices would.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from jingzhi.core.mqtt import client_for
from jingzhi.sensing import contract
from jingzhi.sensing.ingester import Ingester
from jingzhi.sensing.models import Device, Event, RejectedEvent
from tests import factories as f
from tests.sensing.helpers import doc

pytestmark = pytest.mark.services
URL = "mqtt://127.0.0.1:1883"
#: Long enough for a restart inside a test, short enough not to leave sessions on the shared broker.
SESSION_S = 30


def _unique() -> str:
    return uuid.uuid4().hex[:10]


def _publisher(*, will: tuple[str, str] | None = None, client_id: str = "") -> mqtt.Client:
    client, connect = client_for(URL, client_id=client_id or f"dev-{_unique()}", will=will)
    client.connect(**connect)
    client.loop_start()
    return client


def _publish_all(client: mqtt.Client, messages: list[tuple[str, bytes | str]]) -> None:
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)


def _run_until(ingester: Ingester, done: Callable[[], bool], *, timeout: float = 15.0) -> None:
    """Run the ingester in this thread until ``done()`` (checked from a watcher thread) or timeout."""
    deadline = time.monotonic() + timeout

    def watch() -> None:
        while not ingester.stopping.is_set() and time.monotonic() < deadline:
            if done():
                time.sleep(0.2)  # let the last batch commit and be acknowledged
                ingester.stopping.set()
                return
            time.sleep(0.05)
        ingester.stopping.set()

    threading.Thread(target=watch, daemon=True).start()
    ingester.run(until=deadline)


def _in_background(fn: Callable[[], Any], after: threading.Event) -> threading.Thread:
    def go() -> None:
        after.wait(10)
        fn()

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def test_events_over_mqtt_stored_once_with_rejections_kept(world) -> None:  # type: ignore[no-untyped-def]
    code = f"cam-{_unique()}"
    f.device(world.a.building, code, "camera", location="3幢立面")
    ingester = Ingester(URL, client_id=f"ing-{_unique()}", group=f"g{_unique()}", batch_size=50, session_expiry_s=0)
    topic = contract.events_topic(code)
    good = [doc(code, "litter.detected") for _ in range(30)]
    messages: list[tuple[str, bytes | str]] = [(topic, json.dumps(d)) for d in good]
    messages += [(topic, json.dumps(good[0])), (topic, json.dumps(good[1]))]  # redelivered by the device
    messages += [(topic, b"{broken json"), (topic, json.dumps({**doc(code), "payload": {"floor": "x"}}))]
    other = f"ghost-{_unique()}"
    messages += [(contract.events_topic(other), json.dumps(doc(other)))]  # no such device
    messages += [(topic, json.dumps(doc("someone-else")))]  # body names another device than the topic
    publisher = _publisher()
    _in_background(lambda: _publish_all(publisher, messages), ingester.connected)
    _run_until(ingester, lambda: ingester.stats.received >= len(messages))
    publisher.loop_stop()
    publisher.disconnect()

    assert Event.objects.filter(device__code=code).count() == 30
    assert ingester.stats.duplicate == 2
    # (Other publishers on the shared local broker may add rejections of their own devices.)
    codes = sorted(RejectedEvent.objects.filter(device_code__in=[code, other]).values_list("code", flat=True))
    assert codes == ["device_mismatch", "invalid_payload", "malformed_json", "unknown_device"]
    assert RejectedEvent.objects.get(code="malformed_json").body == "{broken json"
    assert all(e.transport == "mqtt" for e in Event.objects.all())


def test_persistent_session_keeps_messages_while_the_ingester_is_down(world) -> None:  # type: ignore[no-untyped-def]
    code = f"cam-{_unique()}"
    f.device(world.a.building, code, "camera")
    client_id, group = f"ing-{_unique()}", f"g{_unique()}"
    first = Ingester(URL, client_id=client_id, group=group, session_expiry_s=SESSION_S)
    _run_until(first, lambda: first.connected.is_set() and time.sleep(0.3) is None)  # subscribe, then stop
    assert first.stats.stored == 0

    events = [doc(code, "litter.detected") for _ in range(20)]
    publisher = _publisher()
    _publish_all(publisher, [(contract.events_topic(code), json.dumps(d)) for d in events])
    publisher.loop_stop()
    publisher.disconnect()

    second = Ingester(URL, client_id=client_id, group=group, session_expiry_s=SESSION_S)  # the same ingester, restarted
    _run_until(second, lambda: second.stats.received >= 20)
    assert Event.objects.filter(device__code=code).count() == 20


def test_unacknowledged_messages_are_redelivered_and_stored_once(world) -> None:  # type: ignore[no-untyped-def]
    """An ingester that died before acknowledging: the broker sends the messages again."""
    code = f"cam-{_unique()}"
    f.device(world.a.building, code, "camera")
    client_id, group = f"ing-{_unique()}", f"g{_unique()}"
    # A crashed ingester: same session, receives the messages, never acknowledges them.
    crashed, connect = client_for(URL, client_id=client_id, session_expiry_s=SESSION_S, manual_ack=True)
    got: list[bytes] = []
    subscribed = threading.Event()
    crashed.on_message = lambda c, u, m: got.append(m.payload)
    crashed.on_subscribe = lambda *a: subscribed.set()
    crashed.connect(**connect)
    crashed.subscribe(f"$share/{group}/jingzhi/v1/+/events", qos=1)
    crashed.loop_start()
    assert subscribed.wait(5)
    events = [doc(code, "litter.detected") for _ in range(10)]
    publisher = _publisher()
    _publish_all(publisher, [(contract.events_topic(code), json.dumps(d)) for d in events])
    deadline = time.monotonic() + 5
    while len(got) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(got) == 10
    crashed.socket().close()  # die without DISCONNECT or PUBACK
    crashed.loop_stop()
    # The device also resends two of them (its own redelivery).
    _publish_all(publisher, [(contract.events_topic(code), json.dumps(d)) for d in events[:2]])
    publisher.loop_stop()
    publisher.disconnect()

    restarted = Ingester(URL, client_id=client_id, group=group, session_expiry_s=SESSION_S)
    _run_until(restarted, lambda: restarted.stats.received >= 12)
    assert Event.objects.filter(device__code=code).count() == 10
    assert restarted.stats.duplicate == 2


def test_status_and_last_will_mark_devices_online_and_offline(world) -> None:  # type: ignore[no-untyped-def]
    code = f"gate-{_unique()}"
    f.device(world.a.estate, code, "gate")
    status = contract.status_topic(code)
    ingester = Ingester(URL, client_id=f"ing-{_unique()}", group=f"g{_unique()}", session_expiry_s=0)
    device_client: dict[str, mqtt.Client] = {}

    def device_life() -> None:
        client = _publisher(will=(status, "offline"))
        device_client["c"] = client
        client.publish(status, "online", qos=1).wait_for_publish(timeout=5)
        time.sleep(0.5)
        client.socket().close()  # the device loses power: the broker publishes its last will
        client.loop_stop()

    _in_background(device_life, ingester.connected)
    _run_until(ingester, lambda: ingester.stats.last_status.get(code) is False)
    device = Device.objects.get(code=code)
    assert device.online is False
    assert device.last_seen_at is not None and device.status_changed_at is not None
    # Clear the retained last will so the broker does not keep it after the test.
    cleaner = _publisher()
    cleaner.publish(status, b"", qos=1, retain=True).wait_for_publish(timeout=5)
    cleaner.loop_stop()
    cleaner.disconnect()


def test_hold_door_command_published_to_the_elevator(world) -> None:  # type: ignore[no-untyped-def]
    code = f"lift-{_unique()}"
    f.device(world.a.unit, code, "elevator")
    ingester = Ingester(URL, client_id=f"ing-{_unique()}", group=f"g{_unique()}", session_expiry_s=0)
    received: list[dict[str, Any]] = []
    lift, connect = client_for(URL, client_id=f"lift-{_unique()}")
    ready = threading.Event()
    lift.on_message = lambda c, u, m: received.append(json.loads(m.payload))
    lift.on_subscribe = lambda *a: ready.set()
    lift.connect(**connect)
    lift.subscribe(contract.commands_topic(code), qos=1)
    lift.loop_start()
    assert ready.wait(5)
    publisher = _publisher()
    _in_background(
        lambda: _publish_all(publisher, [(contract.events_topic(code), json.dumps(doc(code, "ebike.elevator")))]),
        ingester.connected,
    )
    _run_until(ingester, lambda: bool(received))
    lift.loop_stop()
    publisher.loop_stop()
    assert received and received[0]["name"] == "hold_door"
    assert received[0]["params"]["seconds"] == 30


def test_a_batch_applies_statuses_and_events_in_the_order_they_came(world) -> None:  # type: ignore[no-untyped-def]
    """A device's last events and its closing "offline" often share a batch. An event marks its
    device online, so the batch's statuses must not be applied before its events."""
    code = f"gate-{_unique()}"
    f.device(world.a.estate, code, "gate")
    ingester = Ingester(URL, client_id=f"ing-{_unique()}", session_expiry_s=0)

    def message(topic: str, payload: bytes | str) -> mqtt.MQTTMessage:
        m = mqtt.MQTTMessage(topic=topic.encode())
        m.payload = payload.encode() if isinstance(payload, str) else payload
        return m

    events = contract.events_topic(code)
    status = contract.status_topic(code)
    result = ingester.handle(
        [
            message(status, "online"),
            message(events, json.dumps(doc(code, "access.pass"))),
            message(events, json.dumps(doc(code, "access.pass"))),
            message(status, "offline"),
        ]
    )
    assert result.count("stored") == 2
    assert Device.objects.get(code=code).online is False
    ingester.handle([message(events, json.dumps(doc(code, "access.pass")))])
    assert Device.objects.get(code=code).online is True  # an event after the "offline": back online
