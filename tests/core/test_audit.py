"""The audit log: append-only at two levels, written for every reveal and detail view, read by auditors."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jingzhi.core.models import AuditEntry
from jingzhi.core.models.audit import AppendOnlyError
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from tests.conftest import World


def test_entries_cannot_be_changed_or_deleted_through_the_app(world: World) -> None:
    entry = audit_log(actor=Actor.system(), action="test.event")
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_database_refuses_an_update_behind_the_apps_back(world: World) -> None:
    entry = audit_log(actor=Actor.system(), action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.event"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps only the UPDATE trigger (see migration)")
def test_postgres_refuses_a_delete_behind_the_apps_back(world: World) -> None:
    entry = audit_log(actor=Actor.system(), action="test.event")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])


def test_detail_view_and_reveal_are_recorded_with_who_and_where(world: World) -> None:
    client = world.client("community_secretary_a")
    resident = world.a.resident
    client.get(f"/register/residents/{resident.pk}/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="phone")
    view = AuditEntry.objects.filter(action="resident.view").latest("id")
    assert (view.actor_name, view.object_id, view.ip_address, view.user_agent) == (
        "community_secretary_a",
        str(resident.pk),
        "10.1.2.3",
        "phone",
    )
    assert view.object_repr == "张**"  # names in the log are masked
    response = client.post(f"/register/residents/{resident.pk}/reveal/", {"field": "id_number"})
    assert resident.id_number in response.content.decode()
    reveal = AuditEntry.objects.filter(action="pii.reveal").latest("id")
    assert reveal.changes == {"field": "id_number"} and reveal.object_id == str(resident.pk)
    assert resident.id_number not in str(reveal.changes)


def test_auditor_reads_the_log_and_others_do_not(world: World) -> None:
    audit_log(actor=Actor.system(), action="test.visible", place=world.a.community)
    assert "test.visible" in world.client("auditor").get("/audit/").content.decode()
    assert world.client("community_secretary_a").get("/audit/").status_code == 403
    assert world.client("auditor").get("/api/v1/audit").json()["count"] >= 1
    assert world.client("community_secretary_a").get("/api/v1/audit").status_code == 403


def test_logins_and_failed_logins_are_recorded(world: World) -> None:
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    client.post("/login/", {"username": "community_staff_a", "password": "wrong"})
    client.post("/login/", {"username": "community_staff_a", "password": PASSWORD})
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["auth.login_failed", "auth.login"]
