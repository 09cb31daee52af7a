"""The Django admin, for platform administrators (superusers) only.

Everyday work happens on the scoped staff pages; the admin site is the
operator's tool for accounts and role bindings. The audit log is read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from jingzhi.core.models import AuditEntry, Place, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["place"]


@admin.register(User)
class JingzhiUserAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ("username", "full_name", "is_active", "is_superuser", "last_login")
    fieldsets = (*UserAdmin.fieldsets, ("jingzhi", {"fields": ("full_name",)}))  # type: ignore[misc]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    raw_id_fields = ("parent",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_id", "object_repr", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
