"""The HTTP API (django-ninja), mounted at /api/; OpenAPI at /api/openapi.json."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import SessionAuth

from jingzhi import __version__

api = NinjaAPI(
    title="jingzhi API",
    version=__version__,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=SessionAuth(),
)


def _error(request: HttpRequest, status: int, code: str, detail: object) -> HttpResponse:
    return api.create_response(request, {"code": code, "detail": detail}, status=status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "Forbidden.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "Log in first.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(request, 422, "invalid", detail)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, "invalid", exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from jingzhi.cameras.api import router as cameras_router
    from jingzhi.cases.api import router as cases_router
    from jingzhi.core.api import router as core_router
    from jingzhi.registry.api import router as registry_router
    from jingzhi.sensing.api import router as sensing_router

    api.add_router("/v1/", core_router)
    api.add_router("/v1/", registry_router)
    api.add_router("/v1/", sensing_router)
    api.add_router("/v1/", cases_router)
    api.add_router("/v1/", cameras_router)


_register_routers()
