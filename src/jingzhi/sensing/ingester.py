"""The MQTT ingester (``jingzhi ingest mqtt``).

- Subscribes with QoS 1 to ``jingzhi/v1/+/events`` and ``…/+/status``; with a group, to
  ``$share/<group>/…``: an MQTT 5 shared subscription, so several ingesters split the stream.
  (Mosquitto 2.0 does not keep shared subscriptions across a broker restart: messages published
  after the restart and before the ingesters re-subscribe are dropped by the broker. One ingester
  without a group loses nothing; see docs/PERFORMANCE.md, "Ingest".)
- Persistent session (clean start off, session expiry): while an ingester restarts, the broker
  keeps its subscription and queues its messages.
- Manual acknowledgement: a message is PUBACKed only after the transaction holding its event
  committed. An ingester killed mid-batch leaves its messages unacknowledged and the broker
  delivers them again; (device, event_id) uniqueness makes that redelivery harmless.
- Messages are handled in batches (up to ``batch_size``, or whatever arrived within ``max_wait``
  seconds of the first one), in the order they arrived: one transaction per run of events, a
  status message applied between the events before and after it (an event marks its device
  online, so a device's closing "offline" must come after its last events).
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection
from django.db.utils import DatabaseError, InterfaceError

from jingzhi.core.mqtt import client_for
from jingzhi.sensing import contract
from jingzhi.sensing.choices import Transport
from jingzhi.sensing.models import DeviceCommand
from jingzhi.sensing.services import commands
from jingzhi.sensing.services.devices import parse_status, set_status
from jingzhi.sensing.services.ingest import BatchResult, Incoming, Outcome, ingest_batch, store_rejection

log = logging.getLogger(__name__)


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    status: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    #: The last status each device reported (online True / offline False), for operators and tests.
    last_status: dict[str, bool] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("started", "last_status")}


class Ingester:
    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        group: str | None = None,
        batch_size: int = 500,
        max_wait: float = 0.05,
        session_expiry_s: int = 7 * 24 * 3600,
    ) -> None:
        self.url = url
        self.group = group
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.stats = Stats()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.client, self.connect_args = client_for(
            url, client_id=client_id, session_expiry_s=session_expiry_s, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)

    # paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        share = f"$share/{self.group}/" if self.group else ""
        topics = [(f"{share}jingzhi/v1/+/{kind}", 1) for kind in ("events", "status")]
        client.subscribe(topics)
        log.info("ingester connected (session present: %s)", getattr(flags, "session_present", "?"))

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reasons: Any, properties: Any) -> None:
        self.connected.set()  # subscribed: from now on nothing published is missed

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connected.clear()
        if not self.stopping.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.inbox.put(message)

    # batch loop (main thread) --------------------------------------------------------------
    def _next_batch(self) -> list[Any]:
        try:
            first = self.inbox.get(timeout=0.5)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def handle(self, messages: list[Any]) -> BatchResult:
        """Store one batch in the order it arrived; returns after its transactions committed (or raises).

        A status applies where it came among the events: the events before it are stored first.
        An event marks its device online, so a device's closing "offline" (or its last will) that
        shares a batch with its last events must not be applied before them. Retried whole after
        a database error (``run``): the events stored before it are then answered "duplicate", and
        the statuses applied again, to the same effect.
        """
        outcomes: list[Outcome] = []
        commands: list[DeviceCommand] = []
        items: list[Incoming] = []

        def store_events() -> None:
            if not items:
                return
            part = ingest_batch(items)
            self._send_commands(part)  # ingest_batch's transaction has committed when it returns
            outcomes.extend(part.outcomes)
            commands.extend(part.commands)
            items.clear()

        for message in messages:
            parsed = contract.device_from_topic(message.topic)
            if parsed is None:
                continue
            device, kind = parsed
            if kind != "status":
                items.append(Incoming(Transport.MQTT, message.payload, device_code=device, remote=message.topic))
                continue
            store_events()
            state = parse_status(message.payload)
            if state is None:
                store_rejection(
                    Incoming(Transport.MQTT, message.payload, device_code=device),
                    "invalid_status",
                    "status is online or offline",
                )
            else:
                set_status(device, state)
                self.stats.last_status[device] = state
            self.stats.status += 1
        store_events()
        result = BatchResult(outcomes=outcomes, commands=commands)
        self.stats.stored += result.count("stored")
        self.stats.duplicate += result.count("duplicate")
        self.stats.rejected += result.count("rejected")
        return result

    def _send_commands(self, result: BatchResult) -> None:
        if result.commands:
            commands.publish(result.commands, self.client)

    def _ack(self, messages: list[Any]) -> None:
        for message in messages:
            self.client.ack(message.mid, message.qos)

    def run(self, *, until: float | None = None) -> Stats:
        """Connect and ingest until stopped (SIGINT/SIGTERM) or ``until`` (monotonic time)."""
        self.client.connect_async(**self.connect_args)
        self.client.loop_start()
        try:
            while not self.stopping.is_set() and (until is None or time.monotonic() < until):
                batch = self._next_batch()
                if not batch:
                    continue
                self.stats.received += len(batch)
                while True:
                    try:
                        self.handle(batch)
                        break
                    except (DatabaseError, InterfaceError) as exc:  # database restarting: keep the batch
                        log.warning("database error, retrying the batch: %s", exc)
                        connection.close()
                        time.sleep(1)
                        if self.stopping.is_set():
                            return self.stats  # unacknowledged: the broker redelivers
                self._ack(batch)
                self.stats.batches += 1
                if not connection.in_atomic_block:  # (a test's transaction must survive)
                    close_old_connections()
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.stats

    def install_signal_handlers(self) -> None:
        def stop(signum: int, frame: object) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
