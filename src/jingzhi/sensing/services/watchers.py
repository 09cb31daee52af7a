"""Watchers: rules that run on a clock rather than on an event (see ``Rule``).

- ``watch.offline``: a device offline beyond its allowance → maintenance case;
- ``watch.welfare``: an elderly resident living alone, with a gate credential, not seen at any
  gate for ``hours`` (48 by default) and not marked away → welfare-check case;
- ``watch.tenant``: an unregistered credential passing the gates of an estate with rentals at
  least ``passes`` times in ``days`` → tenant-registration case.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhi.cases.choices import Source
from jingzhi.cases.models import Case
from jingzhi.cases.services import case_open, open_case_for_incident
from jingzhi.core.masking import mask_name
from jingzhi.core.models import Place
from jingzhi.registry.choices import ResidentStatus
from jingzhi.registry.models import Credential, Rental, Resident
from jingzhi.sensing.choices import PersonKind
from jingzhi.sensing.models import AccessPass, Device, Presence, Rule
from jingzhi.sensing.services.devices import mark_silent_offline

FOREVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _rules(event_type: str) -> dict[int | None, Rule]:
    """The rules of a watcher by community (None: the platform's), disabled ones included: a
    community's own rule replaces the platform's even when it is switched off."""
    return {r.community_id: r for r in Rule.objects.filter(event_type=event_type).select_related("category")}


def _acts(rule: Rule | None) -> bool:
    return rule is not None and rule.enabled and rule.category_id is not None


def _enabled(rules: dict[int | None, Rule]) -> dict[int | None, Rule]:
    """The rules that open cases."""
    return {community_id: r for community_id, r in rules.items() if _acts(r)}


def _rule(rules: dict[int | None, Rule], community_id: int | None) -> Rule | None:
    """The rule in force in a community: its own (None when switched off), else the platform's."""
    rule = rules.get(community_id) if community_id in rules else rules.get(None)
    return rule if _acts(rule) else None


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29 February without one)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _open_once(rule: Rule, *, key: str, place: Place, title: str, description: str, now: dt.datetime) -> Case | None:
    """Open a case unless this incident already has an open one."""
    if open_case_for_incident(key, since=FOREVER) is not None:
        return None
    assert rule.category is not None
    return case_open(
        actor=None,
        category=rule.category,
        place=place,
        title=title,
        description=description,
        priority=rule.priority or None,
        source=Source.SYSTEM,
        incident_key=key,
        now=now,
    )


def watch_offline(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    mark_silent_offline(now=now)
    rules = _rules("watch.offline")
    if not _enabled(rules):
        return 0
    opened = 0
    for device in Device.objects.filter(active=True, online=False).select_related("place"):
        since = device.status_changed_at or device.created_at
        if since > now - dt.timedelta(seconds=device.offline_allowance_s):
            continue
        rule = _rule(rules, device.community_id)
        if rule is None:
            continue
        case = _open_once(
            rule,
            key=f"offline:{device.pk}",
            place=device.place,
            title=_("Device offline · %(name)s") % {"name": device.name},
            description=_("%(code)s has been offline since %(since)s.")
            % {"code": device.code, "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M")},
            now=now,
        )
        opened += case is not None
    return opened


def watch_welfare(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    opened = 0
    all_rules = _rules("watch.welfare")
    for community_id, rule in _enabled(all_rules).items():
        hours = float(rule.params.get("hours", 48))
        min_age = int(rule.params.get("min_age", 60))
        since = now - dt.timedelta(hours=hours)
        today = timezone.localdate(now)
        born_before = _years_before(today, min_age)
        residents = Resident.objects.filter(
            status=ResidentStatus.PRESENT, household__member_count=1, birth_date__lte=born_before
        ).filter(
            Exists(Credential.objects.filter(resident=OuterRef("pk"), revoked_at__isnull=True, issued_at__lt=since))
        )
        residents = residents.exclude(Exists(Presence.objects.filter(resident=OuterRef("pk"), last_seen_at__gte=since)))
        if community_id is not None:
            residents = residents.filter(community_id=community_id)
        else:  # the default rule covers communities without their own
            residents = residents.exclude(community_id__in=[c for c in all_rules if c is not None])
        for resident in residents.select_related("household__room"):
            last = Presence.objects.filter(resident=resident).values_list("last_seen_at", flat=True).first()
            seen = timezone.localtime(last).strftime("%Y-%m-%d %H:%M") if last else _("never")
            case = _open_once(
                rule,
                key=f"welfare:{resident.pk}",
                place=resident.household.room,
                title=_("Welfare check · %(name)s") % {"name": mask_name(resident.name)},
                description=_("Lives alone; no gate pass for %(hours)d hours (last seen: %(seen)s). Resident #%(id)d.")
                % {"hours": hours, "seen": seen, "id": resident.pk},
                now=now,
            )
            opened += case is not None
    return opened


def watch_tenants(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    opened = 0
    all_rules = _rules("watch.tenant")
    for community_id, rule in _enabled(all_rules).items():
        passes = int(rule.params.get("passes", 5))
        days = float(rule.params.get("days", 7))
        since = now - dt.timedelta(days=days)
        estates_with_rentals = Rental.objects.filter(ended_at__isnull=True).values("room__estate_id")
        rows = (
            AccessPass.objects.filter(
                person_kind=PersonKind.UNKNOWN, occurred_at__gte=since, estate_id__in=estates_with_rentals
            )
            .exclude(credential_digest="")
            .values("estate_id", "credential_digest")
            .annotate(n=Count("id"))
            .filter(n__gte=passes)
        )
        if community_id is not None:
            rows = rows.filter(community_id=community_id)
        for row in rows:
            estate = Place.objects.get(pk=row["estate_id"])
            in_force = _rule(all_rules, estate.community_id)
            if in_force is None or in_force.pk != rule.pk:  # the community has its own rule
                continue
            key = f"tenant:{estate.pk}:{row['credential_digest'][:24]}"
            if (
                open_case_for_incident(key, since=since) is not None
                or Case.objects.filter(incident_key=key, created_at__gte=since).exists()
            ):
                continue
            case = _open_once(
                rule,
                key=key,
                place=estate,
                title=_("Unregistered person passing often · %(estate)s") % {"estate": estate.name},
                description=_(
                    "A credential not in the register passed the gates %(n)d times in %(days)d days: "
                    "register the tenant (credential %(ref)s…)."
                )
                % {"n": row["n"], "days": days, "ref": row["credential_digest"][:8]},
                now=now,
            )
            opened += case is not None
    return opened
