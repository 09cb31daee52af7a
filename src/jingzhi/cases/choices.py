"""Enumerations of the cases app, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    REOPENED = "reopened", _("Reopened")


#: States in which a case is still somebody's work (and its SLA clocks run).
OPEN_STATES: tuple[str, ...] = (CaseState.NEW, CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.REOPENED)
#: Allowed transitions: state → states reachable from it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CaseState.NEW: (CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.REJECTED),
    CaseState.ASSIGNED: (CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.REJECTED),
    CaseState.IN_PROGRESS: (CaseState.ASSIGNED, CaseState.RESOLVED),
    CaseState.RESOLVED: (CaseState.CLOSED, CaseState.REOPENED),
    CaseState.REOPENED: (CaseState.ASSIGNED, CaseState.IN_PROGRESS, CaseState.RESOLVED),
    CaseState.REJECTED: (CaseState.REOPENED,),
    CaseState.CLOSED: (CaseState.REOPENED,),
}


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class RouteTo(models.TextChoices):
    """Who a category's cases go to, found from the case's place."""

    GRID_WORKER = "grid_worker", _("Grid worker")
    PROPERTY = "property_manager", _("Property manager")
    COMMUNITY = "community_staff", _("Community staff")


class Source(models.TextChoices):
    DEVICE = "device", _("Device")
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")
    OPEN311 = "open311", _("Open311 client")
    SYSTEM = "system", _("Platform rule")


class ActivityKind(models.TextChoices):
    CREATED = "created", _("Created")
    ASSIGNED = "assigned", _("Assigned")
    STATE = "state", _("State changed")
    COMMENT = "comment", _("Comment")
    EVIDENCE = "evidence", _("Evidence added")
    ESCALATED = "escalated", _("Escalated")
    ATTACHED = "attached", _("Repeat attached")
    REPORT = "report", _("Report joined")
    RATED = "rated", _("Rated")


class Escalation(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    SECRETARY = 1, _("Community secretary")
    SUBDISTRICT = 2, _("Sub-district")
