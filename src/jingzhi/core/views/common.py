"""Helpers shared by the HTML views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from jingzhi.core.scope import Actor

View = Callable[..., HttpResponseBase]


def actor_view(view: Callable[..., HttpResponseBase]) -> View:
    """Require a login and pass the request's :class:`Actor` as the second argument."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return view(request, Actor.from_request(request), *args, **kwargs)

    return wrapper
