"""Per-device MQTT accounts: the files `jingzhi devices mosquitto` writes, checked by Mosquitto itself.

The broker tests start a private ``mosquitto`` (password and ACL files, no anonymous access) on a
free port and talk to it with real paho clients, as devices and the ingester do.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingzhi.core.mqtt import client_for
from jingzhi.sensing import contract
from jingzhi.sensing.models import Device
from jingzhi.sensing.mosquitto import password_hash, password_matches, write_auth_files
from jingzhi.sensing.services.ingest import token_digest
from tests import factories as f
from tests.sensing.helpers import doc

pytestmark = pytest.mark.services


def _tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )


MOSQUITTO = _tool("mosquitto")
MOSQUITTO_PASSWD = _tool("mosquitto_passwd")
needs_mosquitto = pytest.mark.skipif(MOSQUITTO is None, reason="mosquitto is not installed")
WAIT_S = 5.0


def _device(at: Any, code: str, kind: str) -> tuple[Device, str]:
    device, token = f.device(at, code, kind)
    assert isinstance(device, Device)
    return device, token


# Hashes and files ----------------------------------------------------------------------------


@pytest.mark.skipif(MOSQUITTO_PASSWD is None, reason="mosquitto_passwd is not installed")
def test_password_hash_is_what_mosquitto_passwd_writes(tmp_path: Path) -> None:
    password = secrets.token_urlsafe(24) + "-ü"
    passwd = tmp_path / "passwd"
    subprocess.run([str(MOSQUITTO_PASSWD), "-c", "-b", str(passwd), "dev-1", password], check=True, timeout=10)
    user, written = passwd.read_text().strip().split(":", 1)
    _, kind, iterations, salt, _digest = written.split("$")
    assert (user, kind) == ("dev-1", "7")
    # The same salt and iterations give Mosquitto's line byte for byte.
    assert password_hash(password, iterations=int(iterations), salt=base64.b64decode(salt)) == written
    ours = password_hash(password)
    assert ours.startswith("$7$101$") and ours != password_hash(password)  # a fresh salt each time
    assert password_matches(password, ours) and password_matches(password, written)
    assert not password_matches(password + "x", ours) and not password_matches(password, "garbage")


def test_write_auth_files_lists_active_devices_and_the_ingester(world: Any, tmp_path: Path) -> None:
    _, token_a = _device(world.a.building, "cam-auth-a", "camera")
    _device(world.b.estate, "gate-auth-b", "gate")
    off, _ = _device(world.a.estate, "gate-auth-off", "gate")
    old, _ = _device(world.a.estate, "gate-auth-old", "gate")
    Device.objects.filter(pk=off.pk).update(active=False)
    Device.objects.filter(pk=old.pk).update(mqtt_password_hash="")
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    passwd.write_text("stale:entry\n")

    assert write_auth_files(passwd, acl, ingester_user="ingester", ingester_password="s3cret") == 2

    accounts = dict(line.split(":", 1) for line in passwd.read_text().splitlines())
    assert sorted(accounts) == ["cam-auth-a", "gate-auth-b", "ingester"]
    assert password_matches(token_a, accounts["cam-auth-a"])
    assert password_matches("s3cret", accounts["ingester"])
    rules = acl.read_text()
    assert "pattern write jingzhi/v1/%u/events\n" in rules and "pattern read jingzhi/v1/%u/commands\n" in rules
    assert "user ingester\ntopic read jingzhi/v1/+/events\n" in rules
    for path in (passwd, acl):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acl", "passwd"]  # no temporary files left

    with pytest.raises(ValueError, match="device code"):
        write_auth_files(passwd, acl, ingester_user="cam-auth-a", ingester_password="x")
    with pytest.raises(ValueError, match="ingester user"):
        write_auth_files(passwd, acl, ingester_user="bad:name", ingester_password="x")


def test_devices_command_writes_files_and_rotates_tokens(
    world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    device, old_token = _device(world.a.building, "cam-cmd-a", "camera")
    args = ["--password-file", str(tmp_path / "passwd"), "--acl-file", str(tmp_path / "acl")]
    monkeypatch.delenv("JINGZHI_MQTT_INGESTER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="JINGZHI_MQTT_INGESTER_PASSWORD"):
        call_command("devices", "mosquitto", *args, "--ingester-user", "ingester")
    assert not (tmp_path / "passwd").exists()

    monkeypatch.setenv("JINGZHI_MQTT_INGESTER_PASSWORD", "pw-of-the-ingester")
    call_command("devices", "mosquitto", *args, "--ingester-user", "ingester")
    out = capsys.readouterr().out
    assert "1 device account and the ingester (ingester)" in out and "kill -HUP" in out

    call_command("devices", "token", "cam-cmd-a")
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token and token != old_token and "shown only now" in captured.err
    device = Device.objects.get(code="cam-cmd-a")
    assert device.token_digest == token_digest(token)
    assert password_matches(token, device.mqtt_password_hash)
    assert not password_matches(old_token, device.mqtt_password_hash)
    with pytest.raises(CommandError, match="no device"):
        call_command("devices", "token", "no-such-device")


# Against Mosquitto ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _broker(directory: Path, password_file: Path, acl_file: Path) -> Iterator[int]:
    """A private Mosquitto with these files on a free port; stopped on exit."""
    assert MOSQUITTO is not None
    port = _free_port()
    conf = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {password_file}",
        f"acl_file {acl_file}",
        "persistence false",
        "log_dest none",
    ]
    if os.geteuid() == 0:
        conf.append("user root")  # otherwise Mosquitto drops to `mosquitto`, who cannot read the test's files
    (directory / "mosquitto.conf").write_text("\n".join(conf) + "\n")
    with (directory / "mosquitto.out").open("w") as out:
        broker = subprocess.Popen([MOSQUITTO, "-c", str(directory / "mosquitto.conf")], stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + WAIT_S
            while True:
                if broker.poll() is not None:
                    raise AssertionError(f"mosquitto exited: {(directory / 'mosquitto.out').read_text()}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
                assert time.monotonic() < deadline, "mosquitto did not start listening"
                time.sleep(0.05)
            yield port
        finally:
            broker.terminate()
            try:
                broker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()


def _until(condition: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Peer:
    """A paho client (MQTT 5, as ``client_for`` builds it) that records what the broker answers."""

    def __init__(self, port: int, username: str = "", password: str = "", **kwargs: Any) -> None:
        credentials = f"{username}:{password}@" if username else ""
        self.client, self.connect_args = client_for(
            f"mqtt://{credentials}127.0.0.1:{port}",
            client_id=f"t-{username or 'anon'}-{uuid.uuid4().hex[:8]}",
            reconnect_on_failure=False,
            **kwargs,
        )
        self.connack: Any = None
        self.messages: list[tuple[str, bytes]] = []
        self.pubacks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self._lock = threading.Lock()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.connack = reason

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload))

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        self.pubacks[mid] = reason

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: list[Any], properties: Any) -> None:
        self.subacks[mid] = reasons

    def connect(self) -> Any:
        """The CONNACK's reason code."""
        self.client.connect(**self.connect_args)
        self.client.loop_start()
        assert _until(lambda: self.connack is not None), "no CONNACK"
        return self.connack

    def publish(self, topic: str, payload: str | bytes) -> Any:
        """Publish with QoS 1; the PUBACK's reason code."""
        mid = self.client.publish(topic, payload, qos=1).mid
        assert _until(lambda: mid in self.pubacks), f"no PUBACK for {topic}"
        return self.pubacks[mid]

    def subscribe(self, *topics: str) -> list[Any]:
        """Subscribe with QoS 1; the SUBACK's reason code per topic."""
        _, mid = self.client.subscribe([(topic, 1) for topic in topics])
        assert mid is not None
        assert _until(lambda: mid in self.subacks), "no SUBACK"
        return self.subacks[mid]

    def received(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()


@needs_mosquitto
def test_mosquitto_keeps_each_device_to_its_own_topics(world: Any, tmp_path: Path) -> None:
    a, token_a = _device(world.a.building, "cam-mq-a", "camera")
    b, token_b = _device(world.b.estate, "gate-mq-b", "gate")
    ingester_password = secrets.token_urlsafe(16)
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    assert write_auth_files(passwd, acl, ingester_user="ingester", ingester_password=ingester_password) == 2
    peers: list[Peer] = []

    def peer(username: str = "", password: str = "", **kwargs: Any) -> Peer:
        peers.append(Peer(port, username, password, **kwargs))
        return peers[-1]

    with _broker(tmp_path, passwd, acl) as port:
        try:
            # Wrong passwords, another device's token and anonymous clients are refused at CONNECT.
            for username, password in ((a.code, "wrong"), (a.code, token_b), ("ingester", token_a), ("", "")):
                assert peer(username, password).connect().is_failure, (username, password)

            ingester = peer("ingester", ingester_password)
            assert not ingester.connect().is_failure
            shared_events = "$share/ingesters/jingzhi/v1/+/events"  # as `jingzhi ingest mqtt --group`
            assert not any(r.is_failure for r in ingester.subscribe(shared_events, "jingzhi/v1/+/status"))

            # Device A with its token: its QoS 1 event and status reach the ingester.
            device_a = peer(a.code, token_a, will=(contract.status_topic(a.code), "offline"))
            assert not device_a.connect().is_failure
            event = json.dumps(doc(a.code, "litter.detected"))
            assert not device_a.publish(contract.events_topic(a.code), event).is_failure
            assert not device_a.publish(contract.status_topic(a.code), "online").is_failure
            assert _until(lambda: ingester.received(contract.events_topic(a.code)) == [event.encode()])
            assert _until(lambda: ingester.received(contract.status_topic(a.code)) == [b"online"])

            # A posing as B: Mosquitto answers "not authorized" (MQTT 5) and drops the message.
            forged = json.dumps(doc(b.code, "litter.detected"))
            assert device_a.publish(contract.events_topic(b.code), forged).is_failure
            assert device_a.publish(contract.status_topic(b.code), "offline").is_failure
            marker = json.dumps(doc(a.code, "litter.detected"))  # published after the forgeries, so delivered after
            assert not device_a.publish(contract.events_topic(a.code), marker).is_failure
            assert _until(lambda: marker.encode() in ingester.received(contract.events_topic(a.code)))
            assert ingester.received(contract.events_topic(b.code)) == []
            assert ingester.received(contract.status_topic(b.code)) == []

            # Commands: A reads its own; B's never reach it. Mosquitto 2.0's ACL file is applied when a
            # message is delivered, not at SUBSCRIBE, so the SUBACK for B's topic may well be a grant.
            device_b = peer(b.code, token_b)
            assert not device_b.connect().is_failure
            assert not any(r.is_failure for r in device_b.subscribe(contract.commands_topic(b.code)))
            own, _other, _events = device_a.subscribe(
                contract.commands_topic(a.code), contract.commands_topic(b.code), "jingzhi/v1/+/events"
            )
            assert not own.is_failure
            assert not ingester.publish(contract.commands_topic(b.code), b'{"name": "for-b"}').is_failure
            assert not ingester.publish(contract.commands_topic(a.code), b'{"name": "for-a"}').is_failure
            assert _until(lambda: device_b.received(contract.commands_topic(b.code)) == [b'{"name": "for-b"}'])
            assert _until(lambda: device_a.received(contract.commands_topic(a.code)) == [b'{"name": "for-a"}'])
            # B's own event reaches the ingester but not A (subscribed to every device's events).
            b_event = json.dumps(doc(b.code, "access.pass"))
            assert not device_b.publish(contract.events_topic(b.code), b_event).is_failure
            assert _until(lambda: ingester.received(contract.events_topic(b.code)) == [b_event.encode()])
            # A device cannot command another one either.
            assert device_a.publish(contract.commands_topic(b.code), b'{"name": "from-a"}').is_failure
            assert not ingester.publish(contract.commands_topic(b.code), b'{"name": "marker"}').is_failure
            assert _until(lambda: len(device_b.received(contract.commands_topic(b.code))) == 2)
            assert device_b.received(contract.commands_topic(b.code))[-1] == b'{"name": "marker"}'
            assert device_a.received(contract.commands_topic(b.code)) == []
            assert [t for t, _ in device_a.messages] == [contract.commands_topic(a.code)]
        finally:
            for p in peers:
                p.close()
