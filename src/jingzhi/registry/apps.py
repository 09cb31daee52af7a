from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jingzhi.registry"
    label = "registry"
    verbose_name = _("Resident register")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhi.core.attention import register
        from jingzhi.registry.attention import register_attention

        register(register_attention)
