"""The square-dance controller on the platform: meter levels in, speaker commands, decisions,
per-minute levels and cases out; residents' noise complaints joined to the square's record."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.acoustics.controller import ControllerState, Decision
from jingzhi.cases.choices import ActivityKind, Source
from jingzhi.cases.models import Case, CaseActivity, CaseReport, Category
from jingzhi.cases.services import case_open
from jingzhi.sensing import contract
from jingzhi.sensing.models import Device, DeviceCommand, Rule
from jingzhi.sensing.services.rules import Effects
from jingzhi.squares.models import NoiseComplaint, NoiseDecision, NoiseMinute, Square, minute_of

#: How far back a complaint looks for the levels it is about.
COMPLAINT_LOOKBACK = dt.timedelta(minutes=5)


def _command(square: Square, decision: Decision, event_pk: int) -> DeviceCommand | None:
    if square.speaker_id is None:
        return None
    if decision.action == "mute":
        name, params = "mute", {}
    else:
        name, params = "set_volume", {"volume": decision.volume, "step": decision.step}
    return DeviceCommand(
        device_id=square.speaker_id,
        command_id=uuid.uuid4().hex,
        name=name,
        params={**params, "reason": decision.reason, "laeq": decision.laeq, "limit": decision.limit},
        event_id=event_pk,
    )


def _curve(square: Square, until: dt.datetime, minutes: int = 15) -> str:
    rows = NoiseMinute.objects.filter(square=square, minute__gt=until - dt.timedelta(minutes=minutes)).order_by(
        "minute"
    )
    return " · ".join(f"{timezone.localtime(m.minute):%H:%M} {m.laeq:.1f}" for m in rows)


def _open_case(square: Square, decision: Decision, at: dt.datetime, basis: str) -> Case | None:
    # A community's own rule replaces the platform's, also when it is switched off.
    rule = Rule.objects.filter(event_type="noise.exceeded", community=square.community_id).first()
    rule = rule or Rule.objects.filter(event_type="noise.exceeded", community__isnull=True).first()
    if rule is not None and not rule.enabled:
        return None
    category = rule.category if rule is not None and rule.category is not None else Category.objects.get(code="noise")
    what = (
        _("Music outside the allowed hours")
        if decision.reason == "outside_window"
        else _("Still over the limit at the lowest volume")
    )
    description = _(
        "%(what)s: LAeq %(laeq).1f dB(A) against %(limit).1f dB(A) (%(basis)s). The speaker was muted at %(at)s. "
        "Level per minute: %(curve)s"
    ) % {
        "what": what,
        "laeq": decision.laeq,
        "limit": decision.limit,
        "basis": basis,
        "at": f"{timezone.localtime(at):%H:%M:%S}",
        "curve": _curve(square, at) or "—",
    }
    return case_open(
        actor=None,
        category=category,
        place=square.place,
        title=_("Square noise · %(square)s") % {"square": square.name},
        description=description,
        location=square.name,
        priority=(rule.priority if rule is not None and rule.priority else None),
        source=Source.SYSTEM,
        incident_key=f"square:{square.pk}:{timezone.localdate(at).isoformat()}:{decision.reason}",
        now=at,
    )


def _add_minutes(square: Square, seconds: list[tuple[dt.datetime, float, float | None]]) -> None:
    """Fold per-second levels into the square's per-minute rows."""
    policy = square.policy()
    buckets: dict[dt.datetime, list[tuple[float, float | None]]] = {}
    for at, laeq, lafmax in seconds:
        buckets.setdefault(minute_of(at), []).append((laeq, lafmax))
    existing = {m.minute: m for m in NoiseMinute.objects.filter(square=square, minute__in=list(buckets))}
    new: list[NoiseMinute] = []
    for minute, values in buckets.items():
        energy = sum(10 ** (laeq / 10) for laeq, _m in values)
        maxima = [m for _l, m in values if m is not None]
        peak = max(maxima) if maxima else None
        row = existing.get(minute)
        if row is None:
            limit = policy.limit(timezone.localtime(minute).time())
            new.append(
                NoiseMinute(
                    square=square,
                    minute=minute,
                    energy=energy,
                    seconds=len(values),
                    lafmax=peak,
                    limit=limit.db,
                    allowed=limit.allowed,
                )
            )
        else:
            row.energy += energy
            row.seconds += len(values)
            if peak is not None:
                row.lafmax = peak if row.lafmax is None else max(row.lafmax, peak)
            row.save(update_fields=["energy", "seconds", "lafmax"])
    NoiseMinute.objects.bulk_create(new)


def on_noise_levels(items: list[tuple[int, contract.Event, Device]], now: dt.datetime) -> Effects:
    """Handler for ``noise.level`` events (inside the ingest transaction)."""
    effects = Effects()
    meters = {device.pk for _pk, _e, device in items}
    squares = {
        s.meter_id: s
        for s in Square.objects.select_for_update().filter(meter_id__in=meters).select_related("place", "meter")
    }
    for meter_id, square in squares.items():
        mine = sorted(((pk, e) for pk, e, d in items if d.pk == meter_id), key=lambda pe: pe[1].occurred_at)
        if not mine:
            continue
        controller = square.controller()
        state = ControllerState.from_dict(square.state)
        seconds: list[tuple[dt.datetime, float, float | None]] = []
        decisions: list[tuple[NoiseDecision, DeviceCommand | None]] = []
        commands: list[DeviceCommand] = []
        for pk, event in mine:
            period = float(event.payload.get("period_s", 1.0))
            laeq, lafmax = float(event.payload["laeq"]), event.payload.get("lafmax")
            seconds.append((event.occurred_at, laeq, lafmax))
            # A meter reporting every N seconds: each report stands for N seconds at its LAeq.
            for n in range(max(1, round(period))):
                at = event.occurred_at + dt.timedelta(seconds=n)
                for decision in controller.feed(state, at, laeq):
                    limit = controller.policy.limit(timezone.localtime(at).time())
                    command = _command(square, decision, pk)
                    if command is not None:
                        commands.append(command)
                    case = _open_case(square, decision, at, limit.basis) if decision.open_case else None
                    if case is not None:
                        effects.cases[pk] = case.pk
                    row = NoiseDecision(
                        square=square,
                        at=at,
                        action=decision.action,
                        volume=decision.volume,
                        laeq=decision.laeq,
                        limit=decision.limit,
                        reason=decision.reason,
                        basis=limit.basis[:200],
                        case=case,
                    )
                    decisions.append((row, command))
        effects.commands.extend(DeviceCommand.objects.bulk_create(commands))
        for row, command in decisions:
            row.command = command  # saved just above: it has its id now
        NoiseDecision.objects.bulk_create([row for row, _command in decisions])
        _add_minutes(square, seconds)
        _last_pk, last = mine[-1]
        square.state = state.as_dict()
        square.last_at, square.last_laeq = last.occurred_at, float(last.payload["laeq"])
        square.last_lafmax = last.payload.get("lafmax")
        square.save(update_fields=["state", "last_at", "last_laeq", "last_lafmax"])
    return effects


def levels_between(square: Square, start: dt.datetime, end: dt.datetime) -> tuple[float | None, float | None]:
    """LAeq and LAFmax of the square's measured minutes in [start, end)."""
    rows = list(NoiseMinute.objects.filter(square=square, minute__gte=minute_of(start), minute__lt=end))
    if not rows:
        return None, None
    energy = sum(r.energy for r in rows)
    seconds = sum(r.seconds for r in rows)
    maxima = [r.lafmax for r in rows if r.lafmax is not None]
    return 10 * math.log10(energy / seconds), (max(maxima) if maxima else None)


def on_report(sender: Any, instance: CaseReport, created: bool, **kwargs: Any) -> None:
    """A resident's noise report: join it to the squares of their community, with the levels
    measured there in the five minutes before it, and note them on the case."""
    if not created or instance.case.category.code != "noise":
        return
    case = instance.case
    at = instance.created_at
    notes = []
    for square in Square.objects.filter(community_id=case.community_id):
        laeq, lafmax = levels_between(square, at - COMPLAINT_LOOKBACK, at + dt.timedelta(minutes=1))
        limit = square.policy().limit(timezone.localtime(at).time())
        NoiseComplaint.objects.create(
            square=square, case=case, at=at, laeq_5min=laeq, lafmax_5min=lafmax, limit=limit.db
        )
        if laeq is not None:
            notes.append(
                _("%(square)s, 5 minutes before the report: LAeq %(laeq).1f dB(A), limit %(limit).1f dB(A)")
                % {"square": square.name, "laeq": laeq, "limit": limit.db}
            )
    if notes:
        CaseActivity.objects.create(case=case, kind=ActivityKind.COMMENT, actor_name="system", note="\n".join(notes))
