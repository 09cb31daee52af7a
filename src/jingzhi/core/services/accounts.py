"""Creating accounts and binding them to roles and places."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from jingzhi.core.choices import Role
from jingzhi.core.models import Place, RoleAssignment, User
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log


def user_create(*, actor: Actor | None, username: str, password: str | None, full_name: str = "") -> User:
    """Create a login. ``actor=None`` is the system (demo data, commands)."""
    if actor is not None and not actor.is_platform_admin:
        raise PermissionDenied(_("Only platform administrators create accounts."))
    with transaction.atomic():
        user = User(username=username, full_name=full_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit_log(actor=actor, action="user.create", obj=user)
    return user


def role_grant(*, actor: Actor | None, user: User, role: str, place: Place) -> RoleAssignment:
    """Bind ``user`` to ``role`` inside ``place``."""
    if actor is not None and not (
        actor.is_platform_admin
        or any(g.role == Role.SUBDISTRICT_ADMIN and g.place.contains(place) for g in actor.grants)
    ):
        raise PermissionDenied(_("You may not grant roles here."))
    assignment = RoleAssignment(user=user, role=role, place=place)
    assignment.full_clean()
    with transaction.atomic():
        assignment.save()
        audit_log(
            actor=actor, action="role.grant", obj=assignment, place=place, changes={"role": role, "user": user.username}
        )
    return assignment
