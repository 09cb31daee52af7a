"""Facade calibration in the browser (click the corners on the camera's reference frame), the
calibration JSON, the reference frame and event clips — all within the viewer's scope."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as PydanticError

from jingzhi.cameras.models import CameraSnapshot, EventClip
from jingzhi.cameras.services import snapshot_save
from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.core.views.common import actor_view
from jingzhi.sensing.choices import DeviceKind
from jingzhi.sensing.models import Device
from jingzhi.sensing.selectors import devices_visible, events_visible
from jingzhi.vision.facade import FacadeCalibration


class CalibrationForm(forms.Form):
    source = forms.CharField(label=gettext_lazy("Stream (RTSP/HTTP URL or file)"), max_length=500, required=False)
    facade = forms.CharField(label=gettext_lazy("Facade calibration (JSON)"), widget=forms.Textarea(attrs={"rows": 6}))
    photo = forms.FileField(label=gettext_lazy("Reference photo (optional)"), required=False)

    def clean_facade(self) -> dict[str, object]:
        try:
            data = json.loads(self.cleaned_data["facade"])
            return FacadeCalibration.model_validate(data).model_dump(mode="json")
        except (ValueError, PydanticError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, PydanticError) else str(exc)
            raise ValidationError(
                _("The calibration is not valid: %(detail)s") % {"detail": detail}, code="facade"
            ) from None


def _camera(actor: Actor, code: str) -> Device:
    return get_object_or_404(devices_visible(actor).select_related("place"), code=code, kind=DeviceKind.CAMERA)


@actor_view
def calibrate(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    device = _camera(actor, code)
    if not actor.can(Capability.MANAGE_DEVICES, device.place):
        raise PermissionDenied
    initial = {
        "source": device.config.get("source", ""),
        "facade": json.dumps(device.config.get("facade") or {}, ensure_ascii=False),
    }
    form = CalibrationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("photo") is not None:
            try:
                snapshot_save(device, form.cleaned_data["photo"])
            except ValidationError as exc:
                form.add_error("photo", exc.messages[0])
                return render(request, "cameras/calibrate.html", {"device": device, "form": form})
        device.config = {**device.config, "facade": form.cleaned_data["facade"], "source": form.cleaned_data["source"]}
        device.save(update_fields=["config"])
        audit_log(
            actor=actor,
            action="camera.calibrate",
            obj=device,
            place=device.place,
            changes={"facade": form.cleaned_data["facade"], "source": bool(form.cleaned_data["source"])},
        )
        messages.success(request, _("Calibration saved."))
        return redirect("cameras:calibrate", code=device.code)
    snapshot = CameraSnapshot.objects.filter(device=device).first()
    return render(request, "cameras/calibrate.html", {"device": device, "form": form, "snapshot": snapshot})


@actor_view
def facade_json(request: HttpRequest, actor: Actor, code: str) -> JsonResponse:
    device = _camera(actor, code)
    facade = device.config.get("facade")
    if not facade:
        raise Http404
    response = JsonResponse(facade, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="{device.code}-facade.json"'
    return response


@actor_view
def reference_frame(request: HttpRequest, actor: Actor, code: str) -> FileResponse:
    device = _camera(actor, code)
    snapshot = get_object_or_404(CameraSnapshot, device=device)
    return FileResponse(snapshot.image.open("rb"), content_type="image/jpeg")


@actor_view
def event_clip(request: HttpRequest, actor: Actor, event_id: int) -> FileResponse:
    """An event's clip, for those who see the device's events (audited like snapshots)."""
    event = get_object_or_404(events_visible(actor), pk=event_id)
    clip = get_object_or_404(EventClip, event=event)
    audit_log(actor=actor, action="event.clip", obj=event, place=event.place)
    return FileResponse(clip.file.open("rb"), content_type="video/mp4")
