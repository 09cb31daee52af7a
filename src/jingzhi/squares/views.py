"""Square pages: live level and volume, today's curve against the limit, decisions, complaints,
monthly statistics; the manager's settings."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.acoustics.controller import ControllerState
from jingzhi.acoustics.policy import Window
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor, scope_q
from jingzhi.core.services.audit import audit_log, model_changes
from jingzhi.core.views.common import actor_view
from jingzhi.squares.models import NoiseComplaint, NoiseDecision, NoiseMinute, Square


def squares_visible(actor: Actor, cap: Capability = Capability.VIEW_DEVICES) -> QuerySet[Square]:
    return Square.objects.filter(scope_q(actor, cap, Square.SCOPE_PREFIX, Square.SCOPE_DIRECT))


def _now_row(square: Square) -> dict[str, Any]:
    now = timezone.localtime()
    limit = square.policy().limit(now.time())
    state = ControllerState.from_dict(square.state)
    volumes = [int(v) for v in square.volumes.split(",")]
    fresh = square.last_at is not None and timezone.now() - square.last_at < dt.timedelta(minutes=2)
    return {
        "square": square,
        "limit": limit,
        "level": square.last_laeq if fresh else None,
        "over": fresh and square.last_laeq is not None and square.last_laeq > limit.db,
        "muted": state.muted,
        "volume": 0 if state.muted else volumes[min(state.step, len(volumes) - 1)],
    }


@actor_view
def index(request: HttpRequest, actor: Actor) -> HttpResponse:
    if not actor.has_capability(Capability.VIEW_DEVICES):
        raise PermissionDenied
    rows = [_now_row(s) for s in squares_visible(actor).select_related("place").order_by("name")]
    template = "squares/_cards.html" if request.htmx else "squares/index.html"  # type: ignore[attr-defined]
    return render(request, template, {"rows": rows})


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return start, start + dt.timedelta(days=1)


def _monthly(square: Square, today: dt.date) -> list[dict[str, Any]]:
    first = today.replace(day=1)
    start, _end = _day_bounds(first)
    _s, end = _day_bounds(today)
    days: dict[dt.date, dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0, "over": 0, "energy": 0.0, "seconds": 0, "max": None, "lowered": 0, "muted": 0}
    )
    for m in NoiseMinute.objects.filter(square=square, minute__gte=start, minute__lt=end):
        row = days[timezone.localtime(m.minute).date()]
        row["minutes"] += 1
        row["over"] += int(m.laeq > m.limit)
        row["energy"] += m.energy
        row["seconds"] += m.seconds
        if m.lafmax is not None:
            row["max"] = m.lafmax if row["max"] is None else max(row["max"], m.lafmax)
    for d in NoiseDecision.objects.filter(square=square, at__gte=start, at__lt=end):
        row = days[timezone.localtime(d.at).date()]
        row["lowered"] += int(d.action == "lower")
        row["muted"] += int(d.action == "mute")
    complaints: dict[dt.date, int] = defaultdict(int)
    for c in NoiseComplaint.objects.filter(square=square, at__gte=start, at__lt=end):
        complaints[timezone.localtime(c.at).date()] += 1
    out = []
    for day in sorted(set(days) | set(complaints)):
        row = days[day]
        laeq = 10 * math.log10(row["energy"] / row["seconds"]) if row["seconds"] else None
        out.append({"day": day, "laeq": laeq, "complaints": complaints.get(day, 0), **row})
    return out


@actor_view
def detail(request: HttpRequest, actor: Actor, square_id: int) -> HttpResponse:
    square = get_object_or_404(squares_visible(actor).select_related("place", "meter", "speaker"), pk=square_id)
    today = timezone.localdate()
    start, _end = _day_bounds(today)
    return render(
        request,
        "squares/detail.html",
        {
            "row": _now_row(square),
            "square": square,
            "decisions": NoiseDecision.objects.filter(square=square, at__gte=start).select_related("command")[:200],
            "complaints": NoiseComplaint.objects.filter(square=square).select_related("case").order_by("-at")[:20],
            "monthly": _monthly(square, today),
            "can_edit": actor.can(Capability.MANAGE_DEVICES, square.place),
        },
    )


@actor_view
def curve(request: HttpRequest, actor: Actor, square_id: int) -> JsonResponse:
    """Today's per-minute LAeq, LAFmax and limit (the chart's data)."""
    square = get_object_or_404(squares_visible(actor), pk=square_id)
    start, end = _day_bounds(timezone.localdate())
    rows = NoiseMinute.objects.filter(square=square, minute__gte=start, minute__lt=end).order_by("minute")
    decisions = NoiseDecision.objects.filter(square=square, at__gte=start, at__lt=end).order_by("at")
    return JsonResponse(
        {
            "minutes": [f"{timezone.localtime(m.minute):%H:%M}" for m in rows],
            "laeq": [round(m.laeq, 1) for m in rows],
            "lafmax": [round(m.lafmax, 1) if m.lafmax is not None else None for m in rows],
            "limit": [m.limit for m in rows],
            "decisions": [
                {"at": f"{timezone.localtime(d.at):%H:%M}", "action": d.action, "volume": d.volume, "laeq": d.laeq}
                for d in decisions
            ],
        }
    )


class SquareForm(forms.ModelForm):
    class Meta:
        model = Square
        fields = [
            "name",
            "zone",
            "standard",
            "windows",
            "volume_cap_db",
            "position",
            "meter_distance_m",
            "facade_distance_m",
            "volumes",
            "window_s",
            "hold_s",
            "hysteresis_db",
            "recover_s",
            "manager",
        ]

    def clean_windows(self) -> str:
        text = str(self.cleaned_data["windows"])
        try:
            parsed = [Window.parse(w) for w in text.split(",") if w.strip()]
        except ValueError:
            raise ValidationError(_("Write windows as 19:00-21:00, separated by commas."), code="windows") from None
        return ",".join(w.label().replace("–", "-") for w in parsed)

    def clean_volumes(self) -> str:
        try:
            steps = [int(v) for v in str(self.cleaned_data["volumes"]).split(",")]
        except ValueError:
            raise ValidationError(_("Write volume steps as 100,80,60,45,30."), code="volumes") from None
        if not steps or steps != sorted(steps, reverse=True) or not all(0 < v <= 100 for v in steps):
            raise ValidationError(_("Volume steps go down from full (100) to the lowest step."), code="volumes")
        return ",".join(str(v) for v in steps)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        meter, facade = data.get("meter_distance_m"), data.get("facade_distance_m")
        if data.get("position") == "square" and meter is not None and facade is not None and not 0 < meter <= facade:
            raise ValidationError(_("The meter stands between the music and the façade."), code="distances")
        return data


@actor_view
def edit(request: HttpRequest, actor: Actor, square_id: int) -> HttpResponse:
    square = get_object_or_404(squares_visible(actor), pk=square_id)
    if not actor.can(Capability.MANAGE_DEVICES, square.place):
        raise PermissionDenied
    before = {f: getattr(square, f) for f in SquareForm.Meta.fields}
    form = SquareForm(request.POST or None, instance=square)
    if request.method == "POST" and form.is_valid():
        form.save()
        changes = model_changes(before, {f: getattr(square, f) for f in SquareForm.Meta.fields})
        audit_log(actor=actor, action="square.update", obj=square, place=square.place, changes=changes)
        messages.success(request, _("Saved."))
        return redirect("squares:detail", square_id=square.pk)
    return render(request, "squares/form.html", {"form": form, "square": square})
