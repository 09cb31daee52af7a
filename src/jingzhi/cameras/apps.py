from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CamerasConfig(AppConfig):
    name = "jingzhi.cameras"
    label = "cameras"
    verbose_name = _("Camera analytics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhi.cameras.services import worker_may_send
        from jingzhi.sensing.services.ingest import register_token_check

        register_token_check(worker_may_send)
