"""Liveness (/healthz) and readiness (/readyz) probes."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from jingzhi.core.connectivity import readiness


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
