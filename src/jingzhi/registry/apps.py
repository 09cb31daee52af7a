from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jingzhi.registry"
    label = "registry"
    verbose_name = _("Resident register")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhi.core import attention, panels
        from jingzhi.core.choices import Capability
        from jingzhi.core.context_processors import register_nav
        from jingzhi.core.models.places import place_codes_changed
        from jingzhi.registry.attention import register_attention
        from jingzhi.registry.models import residents_repath
        from jingzhi.registry.panels import room_households

        attention.register(register_attention)
        place_codes_changed.connect(residents_repath, dispatch_uid="registry.residents_repath")
        panels.register(room_households)
        register_nav(_("Residents"), "registry:residents", Capability.VIEW_REGISTER)
        register_nav(_("Import"), "registry:import_start", _can_import)
        register_nav(_("Corrections"), "registry:corrections", Capability.MANAGE_REGISTER)
        register_nav(_("My household"), "registry:my_household", _has_own_record)


def _can_import(actor: object) -> bool:
    """Imports go into a whole community: only those who manage the register at that level."""
    from jingzhi.core.choices import Capability, PlaceKind

    places = actor.places_for(Capability.MANAGE_REGISTER)  # type: ignore[attr-defined]
    return bool(getattr(actor, "is_platform_admin", False)) or any(
        p.kind in (PlaceKind.SUBDISTRICT, PlaceKind.COMMUNITY) for p in places
    )


def _has_own_record(actor: object) -> bool:
    user = getattr(actor, "user", None)
    return user is not None and hasattr(user, "resident")
