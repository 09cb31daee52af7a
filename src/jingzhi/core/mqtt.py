"""MQTT clients from an ``mqtt://user:pass@host:port`` URL (paho-mqtt 2, MQTT 5)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def client_for(
    url: str,
    *,
    client_id: str = "",
    session_expiry_s: int = 0,
    will: tuple[str, str] | None = None,
    **kwargs: Any,
) -> tuple[mqtt.Client, dict[str, Any]]:
    """A configured (not yet connected) client and the keyword arguments for ``connect``.

    A non-zero ``session_expiry_s`` asks the broker to keep the session (subscriptions and
    unacknowledged QoS 1 messages) that long after a disconnect: a persistent session.
    """
    parts = urlsplit(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, **kwargs)
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    if parts.scheme == "mqtts":
        client.tls_set()
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry_s
    connect = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (8883 if parts.scheme == "mqtts" else 1883),
        "keepalive": 30,
        "clean_start": session_expiry_s == 0,
        "properties": props,
    }
    return client, connect
