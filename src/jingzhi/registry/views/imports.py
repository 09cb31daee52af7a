"""Spreadsheet import in the browser: upload → dry-run report (downloadable) → commit.

The uploaded file is kept under the data directory (never served as media) and
remembered in the uploader's session, so only they can commit or download its report.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from jingzhi.core.choices import Capability, PlaceKind
from jingzhi.core.scope import Actor
from jingzhi.core.selectors import place_get, places_visible
from jingzhi.core.views.common import actor_view
from jingzhi.registry.importing import ImportFileError, write_report
from jingzhi.registry.services.imports import import_residents

SESSION_KEY = "jingzhi_imports"
MAX_BYTES = 50 * 1024 * 1024


class UploadForm(forms.Form):
    community = forms.TypedChoiceField(label=_l("Community"), coerce=int)
    file = forms.FileField(label=_l("Spreadsheet (.xlsx or .csv)"))
    create_places = forms.BooleanField(label=_l("Create rooms that do not exist yet"), required=False)


def _upload_dir() -> Path:
    path = Path(settings.JINGZHI_DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _communities(actor: Actor) -> list[tuple[int, str]]:
    qs = places_visible(actor=actor, cap=Capability.MANAGE_REGISTER).filter(kind=PlaceKind.COMMUNITY).order_by("code")
    return [(p.pk, p.name) for p in qs]


@actor_view
def import_start(request: HttpRequest, actor: Actor) -> HttpResponse:
    choices = _communities(actor)
    if not choices:
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    form.fields["community"].choices = choices  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".xlsx", ".csv") or upload.size > MAX_BYTES:
            form.add_error("file", _("Upload an .xlsx or .csv file of at most 50 MB."))
        else:
            token = uuid.uuid4().hex
            path = _upload_dir() / f"{token}{suffix}"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            jobs = request.session.get(SESSION_KEY, {})
            jobs[token] = {
                "path": str(path),
                "name": upload.name,
                "community": form.cleaned_data["community"],
                "create_places": form.cleaned_data["create_places"],
            }
            request.session[SESSION_KEY] = jobs
            return redirect("registry:import_check", token=token)
    return render(request, "registry/import_start.html", {"form": form})


def _job(request: HttpRequest, token: str) -> dict[str, object]:
    job = request.session.get(SESSION_KEY, {}).get(token)
    if job is None or not Path(job["path"]).exists():
        raise Http404
    return dict(job)


@actor_view
def import_check(request: HttpRequest, actor: Actor, token: str) -> HttpResponse:
    job = _job(request, token)
    community = place_get(actor=actor, pk=int(job["community"]), cap=Capability.MANAGE_REGISTER)  # type: ignore[call-overload]
    commit = request.method == "POST"
    try:
        result = import_residents(
            actor=actor,
            source=str(job["path"]),
            community=community,
            create_places=bool(job["create_places"]),
            dry_run=not commit,
            filename=str(job["name"]),
        )
    except ImportFileError as exc:
        messages.error(request, str(exc))
        return redirect("registry:import_start")
    if result.committed:
        messages.success(
            request,
            _("Imported %(residents)d residents in %(households)d new households.")
            % {"residents": result.residents, "households": result.households},
        )
        Path(str(job["path"])).unlink(missing_ok=True)
        return redirect("registry:residents")
    return render(
        request,
        "registry/import_check.html",
        {
            "result": result,
            "token": token,
            "name": job["name"],
            "community": community,
            "problems": result.problems[:500],
        },
    )


@actor_view
def import_report(request: HttpRequest, actor: Actor, token: str) -> HttpResponse:
    job = _job(request, token)
    community = place_get(actor=actor, pk=int(job["community"]), cap=Capability.MANAGE_REGISTER)  # type: ignore[call-overload]
    result = import_residents(
        actor=actor,
        source=str(job["path"]),
        community=community,
        create_places=bool(job["create_places"]),
        dry_run=True,
    )
    response = HttpResponse(
        write_report(str(job["path"]), result.problems),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="import-report.xlsx"'
    return response
