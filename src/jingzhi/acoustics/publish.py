"""``noise.level`` events from a streaming meter, delivered to the platform over HTTP or MQTT.

* :func:`run_meter` feeds the blocks of an audio source (:mod:`.stream`) through a
  :class:`~jingzhi.acoustics.meter.SoundLevelMeter` and turns every ``period`` complete seconds into one
  ``noise.level`` event: ``laeq`` the energy mean of the seconds' LAeq, ``lafmax`` their largest LAFmax,
  ``period_s`` the number of seconds. The event id is ``nm-<start epoch>-<index of the first second>``
  (the start of the run, so a restart does not collide; the same file with the same start gives the
  same ids, which the platform acknowledges as duplicates); ``occurred_at`` is the wall-clock time at the
  start of the period's first second, with the local UTC offset.
* :class:`HttpPublisher` posts to ``<url>/api/v1/ingest/events`` with the device token from a sender
  thread, so that a slow or unreachable platform never stalls the audio: connection errors, 408, 429
  and 5xx are retried with exponential backoff; other 4xx answers give up on that event (the code is
  logged); 401, 403 and 404 mean the platform rejects the device (:class:`DeviceRejected`).
* :class:`MqttPublisher` publishes with QoS 1 to ``jingzhi/v1/<device>/events`` over a persistent
  session, with ``online``/``offline`` retained on ``jingzhi/v1/<device>/status`` and the last will
  ``offline``.

Framework-free: the standard library's HTTP client, paho-mqtt, and the event contract.
"""

from __future__ import annotations

import collections
import http.client
import json
import logging
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

from ..core.mqtt import client_for
from ..sensing.contract import event_document, events_topic, status_topic
from .config import MeterConfig
from .meter import SoundLevelMeter
from .metrics import energy_mean_db
from .results import SecondResult
from .stream import AudioBlock

__all__ = [
    "DeviceRejected",
    "HttpPublisher",
    "MeterRun",
    "MqttPublisher",
    "Publisher",
    "noise_level_document",
    "run_meter",
]

log = logging.getLogger(__name__)

EVENT_TYPE = "noise.level"
#: HTTP answers that reject the device itself (bad token, inactive or mismatched, unknown device).
DEVICE_REJECTED_STATUS = frozenset({401, 403, 404})
#: HTTP answers worth retrying besides 5xx: request timeout and rate limiting.
RETRY_STATUS = frozenset({408, 429})
#: MQTT 5 CONNACK reason codes that reject the client: bad client id, bad credentials, not authorized, banned.
MQTT_REJECTED_CODES = frozenset({0x85, 0x86, 0x87, 0x8A})
#: A meter is replaced by a fresh one after this many seconds (at a second boundary), which bounds the
#: memory of a meter that runs for months; the filters restart, which changes that second by < 0.01 dB.
METER_ROLLOVER_S = 3600


class DeviceRejected(RuntimeError):
    """The platform (or the broker) refuses this device: wrong token, unknown or inactive device."""

    def __init__(self, status: int | str, code: str, detail: str) -> None:
        super().__init__(f"the platform rejects the device ({status} {code}: {detail})")
        self.status = status
        self.code = code
        self.detail = detail


class Publisher(Protocol):
    """Delivers event documents. ``publish`` must not block on the network."""

    @property
    def error(self) -> DeviceRejected | None: ...

    def start(self) -> None: ...

    def publish(self, document: dict[str, Any]) -> None: ...

    def close(self, timeout_s: float = 30.0) -> int:
        """Deliver what is pending (within ``timeout_s``), say goodbye; return how many were not delivered."""
        ...


# -- HTTP --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: dict[str, Any]

    @property
    def reason(self) -> str:
        code = str(self.body.get("code", "")) or f"http_{self.status}"
        detail = str(self.body.get("detail", ""))[:200]
        return f"{code}: {detail}" if detail else code


class HttpPublisher:
    """POST events to ``<url>/api/v1/ingest/events`` with ``Authorization: Bearer <token>``.

    Events wait in a bounded queue (``max_pending``; the oldest is dropped when it is full) and are sent
    in order by one thread. ``start`` reports the device online on ``/api/v1/ingest/status`` (a 401 there
    raises :class:`DeviceRejected` before any audio is read); ``close`` reports it offline.
    """

    def __init__(
        self,
        url: str,
        device: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 30.0,
        max_pending: int = 100_000,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"the platform URL must be http(s)://host[:port], not {url!r}")
        base = url.rstrip("/")
        self.events_url = f"{base}/api/v1/ingest/events"
        self.status_url = f"{base}/api/v1/ingest/status"
        self.device = device
        self._token = token
        self.timeout_s = timeout_s
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.max_pending = max_pending
        self.delivered = 0
        self.refused = 0  # events the platform answered 4xx for (given up)
        self.dropped = 0  # events dropped because the queue was full
        self._error: DeviceRejected | None = None
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._inflight: dict[str, Any] | None = None
        self._cv = threading.Condition()
        self._closing = False
        self._abort = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def error(self) -> DeviceRejected | None:
        return self._error

    def _post(self, url: str, document: dict[str, Any]) -> _Answer:
        """One POST; the answer for any HTTP status, ``OSError``/``HTTPException`` when there is none."""
        body = json.dumps(document, allow_nan=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self._token}",
            "User-Agent": "jingzhi-noise-meter",
        }
        req = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 (http(s) only)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
                status, raw = int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = int(exc.code), exc.read()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"detail": raw[:200].decode("utf-8", errors="replace")}
        return _Answer(status, parsed if isinstance(parsed, dict) else {})

    def _status(self, state: str) -> _Answer | None:
        try:
            return self._post(self.status_url, {"device": self.device, "state": state})
        except (OSError, http.client.HTTPException) as exc:
            log.warning("%s: cannot report %s to %s (%s)", self.device, state, self.status_url, exc)
            return None

    def start(self) -> None:
        answer = self._status("online")
        if answer is not None and answer.status in DEVICE_REJECTED_STATUS:
            raise DeviceRejected(answer.status, str(answer.body.get("code", "")), str(answer.body.get("detail", "")))
        if answer is None or answer.status >= 300:
            log.warning("%s: the platform is not answering yet; events are kept and retried", self.device)
        self._thread = threading.Thread(target=self._run, name=f"noise-http-{self.device}", daemon=True)
        self._thread.start()

    def publish(self, document: dict[str, Any]) -> None:
        if self._error is not None:
            raise self._error
        with self._cv:
            if len(self._queue) >= self.max_pending:
                dropped = self._queue.popleft()
                self.dropped += 1
                log.warning("%s: %d events waiting; dropped %s", self.device, len(self._queue), dropped["event_id"])
            self._queue.append(document)
            self._cv.notify_all()

    @property
    def pending(self) -> int:
        with self._cv:
            return len(self._queue) + (self._inflight is not None)

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closing:
                    self._cv.wait()
                if not self._queue or self._abort.is_set():
                    return
                self._inflight = self._queue.popleft()
            done = self._deliver(self._inflight)
            with self._cv:
                if not done:  # aborted: put it back so that it is counted as undelivered
                    self._queue.appendleft(self._inflight)
                self._inflight = None
                self._cv.notify_all()
                if not done:
                    return

    def _deliver(self, document: dict[str, Any]) -> bool:
        """Send one event until it is stored, refused or the publisher aborts (False)."""
        delay = self.retry_initial_s
        event_id = document.get("event_id")
        attempt = 0
        while not self._abort.is_set():
            attempt += 1
            try:
                answer = self._post(self.events_url, document)
            except (OSError, http.client.HTTPException) as exc:
                problem = f"platform unreachable ({exc})"
            else:
                if answer.status < 300:
                    self.delivered += 1
                    return True
                if answer.status in DEVICE_REJECTED_STATUS:
                    self._error = DeviceRejected(
                        answer.status, str(answer.body.get("code", "")), str(answer.body.get("detail", ""))
                    )
                    log.error("%s: %s", self.device, self._error)
                    self._abort.set()
                    return False
                if 400 <= answer.status < 500 and answer.status not in RETRY_STATUS:
                    self.refused += 1
                    log.warning("%s: event %s refused (%d %s)", self.device, event_id, answer.status, answer.reason)
                    return True
                problem = f"HTTP {answer.status} {answer.reason}"
            log.warning(
                "%s: event %s not delivered: %s; retry %d in %.1f s", self.device, event_id, problem, attempt, delay
            )
            if self._abort.wait(delay):
                break
            delay = min(delay * 2.0, self.retry_max_s)
        return False

    def close(self, timeout_s: float = 30.0) -> int:
        deadline = time.monotonic() + timeout_s
        with self._cv:
            self._closing = True
            self._cv.notify_all()
            while (self._queue or self._inflight is not None) and self._error is None and self._thread is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cv.wait(min(left, 0.5))
        self._abort.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_s + 1.0)
        undelivered = self.pending
        if undelivered:
            log.error("%s: %d events could not be delivered", self.device, undelivered)
        if self._error is None and self._thread is not None:
            self._status("offline")
        return undelivered


# -- MQTT --------------------------------------------------------------------------------------------


class MqttPublisher:
    """QoS 1 to ``jingzhi/v1/<device>/events`` over a persistent session (stable client id per device).

    The broker keeps the session ``session_expiry_s`` after a disconnect; paho keeps unacknowledged
    messages (at most ``max_queued``) and sends them again after reconnecting, which it does by itself.
    """

    def __init__(
        self,
        mqtt_url: str,
        device: str,
        *,
        client_id: str | None = None,
        session_expiry_s: int = 7 * 24 * 3600,
        connect_timeout_s: float = 10.0,
        max_queued: int = 100_000,
    ) -> None:
        parts = urlsplit(mqtt_url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"the MQTT URL must be mqtt(s)://[user:password@]host[:port], not {mqtt_url!r}")
        self.device = device
        self.events_topic = events_topic(device)
        self.status_topic = status_topic(device)
        self.connect_timeout_s = connect_timeout_s
        self.client, self._connect = client_for(
            mqtt_url,
            client_id=client_id or f"jingzhi-noise-{device}",
            session_expiry_s=session_expiry_s,
            will=(self.status_topic, "offline"),
        )
        self.client.reconnect_delay_set(1, 30)
        self.client.max_queued_messages_set(max_queued)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self._connected = threading.Event()
        self._answered = threading.Event()
        self._error: DeviceRejected | None = None
        self._infos: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self._started = False
        self._closing = False

    @property
    def error(self) -> DeviceRejected | None:
        return self._error

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self._answered.set()
        if reason_code.is_failure:
            if int(reason_code.value) in MQTT_REJECTED_CODES:
                self._error = DeviceRejected(f"MQTT {int(reason_code.value)}", "mqtt_refused", str(reason_code))
                log.error("%s: %s", self.device, self._error)
                client.disconnect()
            else:
                log.warning("%s: the broker refused the connection (%s); retrying", self.device, reason_code)
            return
        self._connected.set()
        log.info("%s: connected to the MQTT broker", self.device)
        client.publish(self.status_topic, "online", qos=1, retain=True)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if self._connected.is_set() and not self._closing:
            log.warning("%s: disconnected from the MQTT broker (%s); reconnecting", self.device, reason_code)
        self._connected.clear()

    def start(self) -> None:
        self.client.connect_async(**self._connect)
        self.client.loop_start()
        self._started = True
        self._answered.wait(self.connect_timeout_s)
        if self._error is not None:
            self.client.loop_stop()
            raise self._error
        if not self._connected.is_set():
            log.warning("%s: the MQTT broker is not reachable yet; events are kept and sent later", self.device)

    def publish(self, document: dict[str, Any]) -> None:
        if self._error is not None:
            raise self._error
        info = self.client.publish(self.events_topic, json.dumps(document, allow_nan=False), qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            log.warning("%s: too many events waiting for the broker; dropped %s", self.device, document["event_id"])
            return
        self._infos.append(info)
        while self._infos and self._infos[0].is_published():
            self._infos.popleft()

    def _wait_published(self, deadline: float) -> int:
        while self._error is None:
            while self._infos and self._infos[0].is_published():
                self._infos.popleft()
            if not self._infos or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return len(self._infos)

    def close(self, timeout_s: float = 30.0) -> int:
        if not self._started:
            return len(self._infos)
        undelivered = self._wait_published(time.monotonic() + timeout_s)
        if undelivered:
            log.error("%s: %d events were not acknowledged by the broker", self.device, undelivered)
        if self._connected.is_set():
            # A clean disconnect suppresses the will: say offline ourselves.
            info = self.client.publish(self.status_topic, "offline", qos=1, retain=True)
            end = time.monotonic() + 2.0
            while not info.is_published() and time.monotonic() < end and self._connected.is_set():
                time.sleep(0.01)
        self._closing = True
        self.client.disconnect()
        self.client.loop_stop()
        return undelivered


# -- the meter loop ----------------------------------------------------------------------------------


def _level(value: float) -> float:
    """A level for the contract (0 … 160 dB): rounded to 0.01 dB; digital silence and levels below 0 read 0."""
    return round(value, 2) if math.isfinite(value) and value > 0.0 else 0.0


def noise_level_document(
    device: str, event_id: str, occurred_at: datetime, seconds: list[SecondResult]
) -> dict[str, Any]:
    """The ``noise.level`` event of consecutive seconds: energy-mean LAeq, largest LAFmax."""
    laeq = energy_mean_db([s.laeq for s in seconds])
    lafmax = max(s.lafmax for s in seconds)
    payload = {
        "laeq": _level(laeq),
        "lafmax": _level(lafmax) if math.isfinite(lafmax) else None,
        "period_s": float(len(seconds)),
    }
    return event_document(event_id=event_id, device=device, type=EVENT_TYPE, occurred_at=occurred_at, payload=payload)


@dataclass(slots=True)
class MeterRun:
    """What a run did: complete seconds measured, events published, segments (connections) seen."""

    seconds: int = 0
    events: int = 0
    segments: int = 0
    start_epoch: int | None = None


def _split(block: AudioBlock, at: int) -> tuple[AudioBlock, AudioBlock]:
    head = AudioBlock(block.samples[:at], block.sample_rate, block.start_time, block.segment)
    tail = AudioBlock(block.samples[at:], block.sample_rate, block.start_time + at / block.sample_rate, block.segment)
    return head, tail


def run_meter(
    blocks: Iterable[AudioBlock],
    config: MeterConfig,
    device: str,
    publisher: Publisher,
    *,
    period: int = 1,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> MeterRun:
    """Measure ``blocks`` and publish a ``noise.level`` event every ``period`` complete seconds.

    A new segment (a reconnection) restarts the meter; the seconds of an unfinished period are
    published then (and at the end) with their own ``period_s``. A trailing partial second is not.
    Raises :class:`DeviceRejected` as soon as the publisher reports it.
    """
    if not 1 <= period <= 3600:
        raise ValueError("period must be between 1 and 3600 seconds")
    run = MeterRun()
    meter: SoundLevelMeter | None = None
    segment: int | None = None
    base = 0  # run-wide index of the meter's second 0
    pending: list[tuple[int, float, SecondResult]] = []  # (run-wide index, start time, levels)

    def flush() -> None:
        if not pending:
            return
        index, start, _ = pending[0]
        occurred_at = datetime.fromtimestamp(round(start, 3), tz=UTC).astimezone()  # the local UTC offset
        doc = noise_level_document(device, f"nm-{run.start_epoch}-{index}", occurred_at, [p[2] for p in pending])
        pending.clear()
        publisher.publish(doc)
        run.events += 1
        if on_event is not None:
            on_event(doc)

    def feed(block: AudioBlock) -> None:
        nonlocal meter, segment, base
        if meter is None or block.segment != segment or block.sample_rate != meter.sample_rate:
            flush()  # the signal is not continuous: close the period
            if meter is not None:
                base += len(meter.seconds)
            meter, segment = SoundLevelMeter(block.sample_rate, config), block.segment
            run.segments += 1
            if run.start_epoch is None:
                run.start_epoch = int(block.start_time)
        elif meter.samples_seen >= METER_ROLLOVER_S * meter.sample_rate:
            base += len(meter.seconds)
            meter = SoundLevelMeter(block.sample_rate, config)
        rate, first = meter.sample_rate, meter.samples_seen
        for second in meter.process(block.samples):
            # The second's first sample, on the clock of this block (a live source's clock is an estimate).
            start = block.start_time + (second.index * rate - first) / rate
            pending.append((base + second.index, start, second))
            run.seconds += 1
            if len(pending) >= period:
                flush()

    iterator: Iterator[AudioBlock] = iter(blocks)
    try:
        for block in iterator:
            if publisher.error is not None:
                raise publisher.error
            while True:
                if meter is not None and block.segment == segment and block.sample_rate == meter.sample_rate:
                    room = METER_ROLLOVER_S * meter.sample_rate - meter.samples_seen
                    if 0 < room < block.samples.size:  # end this meter exactly at a second boundary
                        head, block = _split(block, room)
                        feed(head)
                        continue
                feed(block)
                break
        flush()
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
    if publisher.error is not None:
        raise publisher.error
    return run
