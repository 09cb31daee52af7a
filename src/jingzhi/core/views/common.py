"""Helpers shared by the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from jingzhi.core.scope import Actor

View = Callable[..., HttpResponse]


def actor_view(view: Callable[..., HttpResponse]) -> View:
    """Require a login and pass the request's :class:`Actor` as the second argument."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, Actor.from_request(request), *args, **kwargs)

    return wrapper
