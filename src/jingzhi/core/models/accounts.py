"""Accounts and the places each account may act on."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingzhi.core.choices import ROLE_PLACE_KINDS, PlaceKind, Role


class User(AbstractUser):
    """A person who logs in: staff, volunteer, property manager, resident or auditor."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class RoleAssignment(models.Model):
    """Binds a user to a role inside one place (and everything below it)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    place = models.ForeignKey("core.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "place"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {Role(self.role).label} · {self.place}"

    def clean(self) -> None:
        allowed = ROLE_PLACE_KINDS[self.role]
        if self.place_id and self.place.kind not in allowed:
            kinds = ", ".join(str(PlaceKind(k).label) for k in sorted(allowed))
            raise ValidationError({"place": _("This role is bound to: %(kinds)s.") % {"kinds": kinds}})
