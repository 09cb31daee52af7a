"""Device pages: the live feed, the device map by building, a device's record, rejected messages, rules."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.models import Place
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_get
from jingzhi.core.services.audit import audit_log
from jingzhi.core.views.common import actor_view
from jingzhi.sensing.models import AccessPass, Device, Rule
from jingzhi.sensing.selectors import devices_visible, events_visible, rejected_visible
from jingzhi.sensing.services.devices import device_create, device_rotate_token

FEED_ROWS = 40


def _require(actor: Actor, cap: Capability) -> None:
    if not actor.has_capability(cap):
        raise PermissionDenied


@actor_view
def live(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The live event feed, gate counts of today and device status; refreshes itself."""
    _require(actor, Capability.VIEW_DEVICES)
    events = list(events_visible(actor).select_related("device").order_by("-id")[:FEED_ROWS])
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    devices = devices_visible(actor)
    gates = list(devices.filter(kind="gate").order_by("code")[:50])
    counts = {
        (row["device_id"], row["direction"]): row["n"]
        for row in AccessPass.objects.filter(device__in=[g.pk for g in gates], occurred_at__gte=midnight)
        .values("device_id", "direction")
        .annotate(n=Count("id"))
    }
    gate_rows = [{"device": g, "in": counts.get((g.pk, "in"), 0), "out": counts.get((g.pk, "out"), 0)} for g in gates]
    status = devices.aggregate(
        n_online=Count("id", filter=Q(online=True)), n_offline=Count("id", filter=Q(online=False))
    )
    context = {
        "events": events,
        "gates": gate_rows,
        "status": status,
        "can_manage": actor.has_capability(Capability.MANAGE_DEVICES),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "sensing/_live.html", context)
    return render(request, "sensing/live.html", context)


@actor_view
def device_map(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Devices grouped by estate and building, with their online state."""
    _require(actor, Capability.VIEW_DEVICES)
    devices = list(devices_visible(actor).select_related("place").order_by("code")[:2000])
    place_ids = (
        {d.estate_id for d in devices} | {d.place.building_id for d in devices} | {d.community_id for d in devices}
    )
    names = dict(Place.objects.filter(pk__in={p for p in place_ids if p}).values_list("pk", "name"))
    groups: dict[str, dict[str, list[Device]]] = defaultdict(lambda: defaultdict(list))
    for d in devices:
        top = names.get(d.estate_id or d.community_id or 0, "")
        building = names.get(d.place.building_id or 0, "") or _("Estate-wide")
        groups[top][building].append(d)
    tiles = [
        {"name": top, "buildings": sorted(b.items()), "offline": sum(not d.online for ds in b.values() for d in ds)}
        for top, b in sorted(groups.items())
    ]
    return render(request, "sensing/devices.html", {"tiles": tiles, "total": len(devices)})


@actor_view
def device_detail(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    _require(actor, Capability.VIEW_DEVICES)
    device = get_object_or_404(devices_visible(actor).select_related("place"), code=code)
    return render(
        request,
        "sensing/device_detail.html",
        {
            "device": device,
            "events": device.events.order_by("-id")[:30],
            "commands": device.commands.order_by("-id")[:20],
            "can_manage": actor.can(Capability.MANAGE_DEVICES, device.place),
        },
    )


@actor_view
def event_media(request: HttpRequest, actor: Actor, event_id: int) -> FileResponse:
    """An event's snapshot, for those who see the device's events (never a public URL)."""
    event = get_object_or_404(events_visible(actor), pk=event_id)
    if not event.media:
        raise Http404
    audit_log(actor=actor, action="event.media", obj=event, place=event.place)
    return FileResponse(event.media.open("rb"))


@actor_view
def rejected(request: HttpRequest, actor: Actor) -> HttpResponse:
    _require(actor, Capability.MANAGE_DEVICES)
    rows = rejected_visible(actor).order_by("-id")[:200]
    return render(request, "sensing/rejected.html", {"rows": rows})


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = [
            "enabled",
            "action",
            "category",
            "priority",
            "min_confidence",
            "suppression_s",
            "repeat_threshold",
            "repeat_window_s",
            "command",
            "params",
        ]
        labels = {"params": gettext_lazy("Parameters (JSON)")}

    def clean_params(self) -> dict[str, object]:
        """An emptied parameters box means no parameters (the column holds JSON, never NULL)."""
        value = self.cleaned_data.get("params")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):  # the watchers and commands read named parameters
            raise ValidationError(self.fields["params"].error_messages["invalid"], code="invalid")
        return value


def _rule_communities(actor: Actor) -> list[Place]:
    if actor.is_platform_admin:
        return list(Place.objects.filter(kind=PlaceKind.COMMUNITY).order_by("code"))
    result: dict[int, Place] = {}
    for place in actor.places_for(Capability.MANAGE_RULES):
        if place.kind == PlaceKind.COMMUNITY:
            result[place.pk] = place
        elif place.kind == PlaceKind.SUBDISTRICT:
            for c in Place.objects.filter(kind=PlaceKind.COMMUNITY, parent=place):
                result[c.pk] = c
    return sorted(result.values(), key=lambda p: p.code)


@actor_view
def rules(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The rules in force for a community: its own where it has them, else the platform's."""
    _require(actor, Capability.VIEW_DEVICES)
    communities = _rule_communities(actor) if actor.has_capability(Capability.MANAGE_RULES) else []
    chosen = next((c for c in communities if str(c.pk) == request.GET.get("community")), None)
    defaults = {r.event_type: r for r in Rule.objects.filter(community__isnull=True).select_related("category")}
    own = {r.event_type: r for r in Rule.objects.filter(community=chosen).select_related("category")} if chosen else {}
    rows = [{"type": t, "rule": own.get(t, r), "own": t in own} for t, r in sorted(defaults.items())]
    return render(request, "sensing/rules.html", {"rows": rows, "communities": communities, "chosen": chosen})


@actor_view
def rule_edit(request: HttpRequest, actor: Actor, community_id: int, event_type: str) -> HttpResponse:
    """Give a community its own version of a rule (a copy of the platform's, then edited)."""
    community = next((c for c in _rule_communities(actor) if c.pk == community_id), None)
    if community is None:
        raise Http404
    base = get_object_or_404(Rule, community__isnull=True, event_type=event_type)
    rule = Rule.objects.filter(community=community, event_type=event_type).first()
    if rule is None:
        rule = Rule(
            community=community,
            event_type=event_type,
            name=base.name,
            **{f: getattr(base, f) for f in RuleForm.Meta.fields if f != "category"},
            category=base.category,
        )
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_log(
            actor=actor,
            action="rule.update",
            obj=rule,
            place=community,
            changes={f: str(form.cleaned_data[f]) for f in form.changed_data},
        )
        messages.success(request, _("The rule is saved for %(community)s.") % {"community": community.name})
        return redirect(f"{request.path.split('/rules/')[0]}/rules/?community={community.pk}")
    return render(request, "sensing/rule_form.html", {"form": form, "community": community, "event_type": event_type})


@actor_view
@require_POST
def rule_reset(request: HttpRequest, actor: Actor, community_id: int, event_type: str) -> HttpResponse:
    """Drop a community's own rule: the platform's applies again."""
    community = next((c for c in _rule_communities(actor) if c.pk == community_id), None)
    if community is None:
        raise Http404
    deleted, _rows = Rule.objects.filter(community=community, event_type=event_type).delete()
    if deleted:
        audit_log(actor=actor, action="rule.reset", place=community, object_repr=event_type)
    return redirect(f"{request.path.split('/rules/')[0]}/rules/?community={community.pk}")


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["code", "name", "kind", "location", "vendor", "vendor_key", "heartbeat_s", "offline_allowance_s"]


@actor_view
def device_new(request: HttpRequest, actor: Actor, place_id: int) -> HttpResponse:
    """Register a device at a place; its token is shown once, on the next page."""
    place = place_get(actor=actor, pk=place_id, cap=Capability.MANAGE_DEVICES)
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            device, token = device_create(actor=actor, code=form.cleaned_data["code"], place=place, **values)
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            return render(request, "sensing/device_token.html", {"device": device, "token": token})
    return render(request, "sensing/device_form.html", {"form": form, "place": place})


@actor_view
@require_POST
def device_token(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    """Give a device a new token (the old one stops working at once); shown once."""
    device = get_object_or_404(devices_visible(actor), code=code)
    token = device_rotate_token(actor=actor, device=device)
    return render(request, "sensing/device_token.html", {"device": device, "token": token})
