"""/healthz and /readyz, including a real MQTT broker when one is configured."""

from __future__ import annotations

import socket

import pytest
from django.test import Client, override_settings

from jingzhi.core.connectivity import tcp_reachable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_healthz_answers_without_a_login() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_job_queue() -> None:
    payload = Client().get("/readyz").json()
    assert payload["status"] == "ok"
    assert payload["checks"]["database"]["ok"] and payload["checks"]["jobs"]["ok"]
    assert "broker" not in payload["checks"]


@pytest.mark.django_db
def test_readyz_fails_when_the_configured_broker_is_down() -> None:
    with override_settings(MQTT_URL=f"mqtt://127.0.0.1:{_free_port()}"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_reaches_the_local_mosquitto_broker() -> None:
    assert tcp_reachable("127.0.0.1", 1883), "start Mosquitto: mosquitto -d -c /etc/mosquitto/mosquitto.conf"
    with override_settings(MQTT_URL="mqtt://127.0.0.1:1883"):
        response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"]["ok"] is True
