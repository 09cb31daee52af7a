"""Helpers shared by the register's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from jingzhi.core.choices import Capability
from jingzhi.core.scope import Actor

ADDRESS_RELATED = ("household__room__estate", "household__room__building", "household__room__unit")


def require_register(actor: Actor, cap: Capability = Capability.VIEW_REGISTER) -> None:
    if not actor.has_capability(cap):
        raise PermissionDenied


def apply_errors(form: forms.Form, exc: ValidationError) -> list[int]:
    """Put a service's errors on the form; returns ids of existing residents named by duplicate errors."""
    existing: list[int] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                if error.code == "duplicate" and error.params:
                    existing.append(int(error.params["existing"]))
                form.add_error(field if field in form.fields else None, error.messages)
    else:
        form.add_error(None, exc.messages)
    return existing
