"""Cases (工单): categories with their SLA and routing, cases, their history, evidence and reporters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jingzhi.cases.choices import ActivityKind, CaseState, Escalation, Priority, RouteTo, Source
from jingzhi.core.models.scoped import ScopedToPlace


class Category(models.Model):
    """A kind of case (an Open311 "service"): who handles it and how fast."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[RegexValidator(r"^[a-z0-9_.-]+$")])
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    group = models.CharField(_("group"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    route_to = models.CharField(_("route to"), max_length=20, choices=RouteTo.choices, default=RouteTo.GRID_WORKER)
    priority = models.CharField(_("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    response_minutes = models.PositiveIntegerField(_("response within (minutes)"), default=120)
    resolution_minutes = models.PositiveIntegerField(_("resolve within (minutes)"), default=2880)
    residents_may_report = models.BooleanField(_("residents may report"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["group", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = get_language() or ""
        return self.name_en if lang.startswith("en") and self.name_en else self.name


class Case(ScopedToPlace):
    """One incident someone owns until it is closed."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    place = models.ForeignKey("core.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("location"), max_length=120, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices, default=CaseState.NEW)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    response_due = models.DateTimeField(_("response due"))
    resolution_due = models.DateTimeField(_("resolution due"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalation = models.PositiveSmallIntegerField(_("escalation"), choices=Escalation.choices, default=Escalation.NONE)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    #: Groups repeats of one incident (rule + device or place); see ``case_for_incident``.
    incident_key = models.CharField(max_length=120, blank=True, editable=False)
    repeats = models.PositiveIntegerField(_("repeats"), default=0)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["community", "state", "-created_at"], name="case_community_state"),
            models.Index(fields=["grid", "state"], name="case_grid_state"),
            models.Index(fields=["estate", "state"], name="case_estate_state"),
            models.Index(fields=["subdistrict", "state"], name="case_subdistrict_state"),
            models.Index(fields=["incident_key", "state"], name="case_incident"),
            models.Index(fields=["state", "resolution_due"], name="case_state_due"),
            models.Index(fields=["assignee", "state"], name="case_assignee_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"GD{self.pk or 0:07d}"

    @property
    def is_open(self) -> bool:
        from jingzhi.cases.choices import OPEN_STATES

        return self.state in OPEN_STATES

    def overdue(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.is_open and self.resolution_due < now


class CaseActivity(models.Model):
    """The case's history: every assignment, state change, comment, escalation, attached repeat."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="activities")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case activity")
        verbose_name_plural = _("case activities")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


def _evidence_path(instance: CaseEvidence, filename: str) -> str:
    now = timezone.now()
    return f"cases/{now:%Y/%m}/{instance.case_id}-{filename}"


class CaseEvidence(models.Model):
    """A photo or clip attached to a case by staff or a reporter (device snapshots stay on the event)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    content_type = models.CharField(max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.file.name


class CaseReport(models.Model):
    """A resident's report joined to a case: the original one, or a later report of the same incident.

    Each reporter is told the result and may confirm it and rate it (1–5).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_reports")
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="case_report_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="case_report_user")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.user_id}"


class ApiKey(models.Model):
    """An Open311 ``api_key``: lets a 311 client file and follow cases as the key's user.

    Only a keyed digest of the key is stored; the key itself is shown once when issued.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("client name"), max_length=80)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return self.name
