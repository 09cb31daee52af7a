"""Rules: what a stored event leads to (a case, a device command, nothing), read from the Rule table.

One incident is one case: while a case opened by a rule for a device is open and was touched
within the rule's suppression window, further events of that rule and device attach to it as
repeats instead of opening another.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Case as DbCase
from django.db.models import Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.cases.choices import OPEN_STATES, Source
from jingzhi.cases.models import Case
from jingzhi.cases.services import Repeat, case_open, cases_attach_repeats
from jingzhi.sensing import contract
from jingzhi.sensing.choices import RuleAction
from jingzhi.sensing.models import Device, DeviceCommand, Event, Rule


@dataclass
class Effects:
    cases: dict[int, int] = field(default_factory=dict)  # event pk → case pk
    commands: list[DeviceCommand] = field(default_factory=list)


#: Apps that act on an event type themselves (the squares' noise controller on ``noise.level``)
#: register a handler: it gets the batch's new events of that type inside the ingest transaction.
Handler = Callable[[list[tuple[int, contract.Event, Device]], dt.datetime], Effects]
_handlers: dict[str, list[Handler]] = {}


def register_handler(event_type: str, handler: Handler) -> None:
    if handler not in _handlers.setdefault(event_type, []):
        _handlers[event_type].append(handler)


def _run_handlers(new: list[tuple[int | None, contract.Event, Device]], now: dt.datetime, effects: Effects) -> None:
    by_type: dict[str, list[tuple[int, contract.Event, Device]]] = {}
    for pk, event, device in new:
        if pk is not None and event.type in _handlers:
            by_type.setdefault(event.type, []).append((pk, event, device))
    for event_type, items in by_type.items():
        for handler in _handlers[event_type]:
            result = handler(items, now)
            effects.cases.update(result.cases)
            effects.commands.extend(result.commands)


def rules_by_type() -> dict[tuple[int | None, str], Rule]:
    """Rules keyed by (community id or None for the platform default, event type), disabled ones
    included: a community's own rule replaces the platform's even when it is switched off."""
    return {(r.community_id, r.event_type): r for r in Rule.objects.select_related("category")}


def rule_for(rules: dict[tuple[int | None, str], Rule], community_id: int | None, event_type: str) -> Rule | None:
    """The rule in force: a community's own rule for the type, else the platform-wide one; None
    when that rule is switched off."""
    key = (community_id, event_type)
    rule = rules[key] if key in rules else rules.get((None, event_type))
    return rule if rule is not None and rule.enabled else None


def incident_key(rule: Rule, device: Device) -> str:
    return f"rule:{rule.event_type}:{device.pk}"


def _title(rule: Rule, device: Device, event: contract.Event) -> str:
    assert rule.category is not None
    title = f"{rule.category.label} · {device.location or device.place.name}"
    floor, column = event.payload.get("floor"), event.payload.get("column")
    if floor is not None:
        title += " · " + _("floor %(floor)s") % {"floor": floor}
        if column is not None:
            title += " " + _("window column %(column)s") % {"column": column}
    return title


def _describe(event: contract.Event, device: Device) -> str:
    payload = ", ".join(f"{k}={v}" for k, v in sorted(event.payload.items()) if not isinstance(v, (dict, list)))
    return f"{event.type} @ {device.code} {event.occurred_at.isoformat()} ({payload})"


def raise_case(
    rule: Rule,
    *,
    device: Device,
    key: str,
    title: str,
    description: str,
    now: dt.datetime,
    repeats: list[tuple[int, str]],
    open_cases: dict[str, Case],
) -> tuple[Case, Repeat | None]:
    """The open case of this incident (``open_cases``, looked up for the whole batch) if it was
    touched within the suppression window, else a new one; with the repeats to record on it.
    ``repeats`` are further (event pk, description) of the same incident in this batch."""
    assert rule.category is not None
    existing = open_cases.get(key)
    if existing is not None and existing.updated_at >= now - dt.timedelta(seconds=rule.suppression_s):
        more = [(0, description), *repeats]
        case = existing
    else:
        case = case_open(
            actor=None,
            category=rule.category,
            place=device.place,
            title=title,
            description=description,
            location=device.location,
            priority=rule.priority or None,
            source=Source.DEVICE,
            incident_key=key,
            now=now,
        )
        more = repeats
    if not more:
        return case, None
    note = more[-1][1] if len(more) == 1 else f"{len(more)} × {more[-1][1]}"
    return case, Repeat(case=case, count=len(more), note=note, events=[pk for pk, _d in more if pk])


def _repeat_count(rule: Rule, device: Device, event: contract.Event) -> int:
    since = event.occurred_at - dt.timedelta(seconds=rule.repeat_window_s)
    return Event.objects.filter(device=device, type=event.type, occurred_at__gte=since).count()


def apply_rules(new: list[tuple[int | None, contract.Event, Device]], *, now: dt.datetime | None = None) -> Effects:
    """Act on newly stored events (inside the ingest transaction).

    Events of one incident in the batch are handled together: one lookup of the open case,
    one update of its repeat count and one history entry, whatever their number.
    """
    now = now or timezone.now()
    effects = Effects()
    rules: dict[tuple[int | None, str], Rule] | None = None
    commands: list[DeviceCommand] = []
    incidents: dict[str, list[tuple[int, contract.Event, Device, Rule]]] = {}
    for pk, event, device in new:
        if pk is None or event.type in ("access.pass", "noise.level", "command.ack"):
            continue  # high-volume types without case rules are never looked up
        if rules is None:
            rules = rules_by_type()
        rule = rule_for(rules, device.community_id, event.type)
        if rule is None or rule.action == RuleAction.RECORD:
            continue
        if float(event.payload.get("confidence", 1.0)) < rule.min_confidence:
            continue
        if rule.action == RuleAction.COMMAND and rule.command:
            commands.append(
                DeviceCommand(
                    device=device, command_id=uuid.uuid4().hex, name=rule.command, params=dict(rule.params), event_id=pk
                )
            )
        if rule.category is None:
            continue
        if rule.repeat_threshold > 1 and _repeat_count(rule, device, event) < rule.repeat_threshold:
            continue
        incidents.setdefault(incident_key(rule, device), []).append((pk, event, device, rule))
    if commands:
        effects.commands = DeviceCommand.objects.bulk_create(commands)
    open_cases = {
        c.incident_key: c
        for c in Case.objects.filter(incident_key__in=list(incidents), state__in=OPEN_STATES).order_by("id")
    }
    repeats: list[Repeat] = []
    links: dict[int, int] = {}
    for key, items in incidents.items():
        pk, event, device, rule = items[0]
        case, repeat = raise_case(
            rule,
            device=device,
            key=key,
            title=_title(rule, device, event),
            description=_describe(event, device),
            now=now,
            repeats=[(p, _describe(e, d)) for p, e, d, _r in items[1:]],
            open_cases=open_cases,
        )
        if repeat is not None:
            repeats.append(repeat)
        for p, *_rest in items:
            links[p] = case.pk
    cases_attach_repeats(repeats, now=now)
    if links:
        Event.objects.filter(pk__in=links).update(
            case_id=DbCase(*(When(pk=p, then=Value(c)) for p, c in links.items()))
        )
    effects.cases = links
    _run_handlers(new, now, effects)
    return effects
