"""Commands to devices: published on ``jingzhi/v1/<device>/commands`` (MQTT, QoS 1) or handed to
HTTP devices when they poll; acknowledged by a ``command.ack`` event through the contract."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.utils import timezone

from jingzhi.sensing import contract
from jingzhi.sensing.choices import CommandStatus
from jingzhi.sensing.models import Device, DeviceCommand

log = logging.getLogger(__name__)
_lock = threading.Lock()
_publisher: Any = None


def command_document(command: DeviceCommand) -> dict[str, Any]:
    return {
        "command_id": command.command_id,
        "name": command.name,
        "params": command.params,
        "issued_at": command.created_at.isoformat(),
    }


def _shared_publisher() -> Any:
    """One connected MQTT client per process for commands sent from web requests and jobs."""
    global _publisher
    with _lock:
        if _publisher is None:
            from jingzhi.core.mqtt import client_for

            client, connect = client_for(str(settings.MQTT_URL))
            client.connect(**connect)
            client.loop_start()
            _publisher = client
        return _publisher


def publish(commands: list[DeviceCommand], client: Any = None, *, timeout: float = 2.0) -> int:
    """Publish pending commands over MQTT; returns how many the broker accepted."""
    if not commands:
        return 0
    if client is None:
        if not settings.MQTT_URL:
            return 0  # HTTP devices fetch their commands by polling
        client = _shared_publisher()
    sent = 0
    codes = dict(Device.objects.filter(pk__in={c.device_id for c in commands}).values_list("pk", "code"))
    for command in commands:
        info = client.publish(
            contract.commands_topic(codes[command.device_id]),
            json.dumps(command_document(command), ensure_ascii=False),
            qos=1,
        )
        try:
            info.wait_for_publish(timeout=timeout)
        except (RuntimeError, ValueError) as exc:
            log.warning("command %s not published: %s", command.command_id, exc)
            continue
        if info.is_published():
            DeviceCommand.objects.filter(pk=command.pk, status=CommandStatus.PENDING).update(
                status=CommandStatus.SENT, sent_at=timezone.now()
            )
            sent += 1
    return sent


def dispatch_after_commit(result: Any) -> None:
    """``ingest_batch`` on-commit hook for requests and jobs: send the batch's commands."""
    if result.commands:
        try:
            publish(result.commands)
        except OSError as exc:  # broker down: the commands stay pending for the retry job
            log.warning("commands not published: %s", exc)


def poll(device: Device, *, limit: int = 20) -> list[dict[str, Any]]:
    """Pending commands for an HTTP device, marked sent as they are handed over."""
    pending = list(DeviceCommand.objects.filter(device=device, status=CommandStatus.PENDING).order_by("id")[:limit])
    if pending:
        DeviceCommand.objects.filter(pk__in=[c.pk for c in pending]).update(
            status=CommandStatus.SENT, sent_at=timezone.now()
        )
    return [command_document(c) for c in pending]
