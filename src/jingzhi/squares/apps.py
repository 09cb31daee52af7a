from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SquaresConfig(AppConfig):
    name = "jingzhi.squares"
    label = "squares"
    verbose_name = _("Square dancing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from jingzhi.cases.models import CaseReport
        from jingzhi.core.choices import Capability
        from jingzhi.core.context_processors import register_nav
        from jingzhi.sensing.services.rules import register_handler
        from jingzhi.squares.services import on_noise_levels, on_report

        register_handler("noise.level", on_noise_levels)
        post_save.connect(on_report, sender=CaseReport, dispatch_uid="squares.on_report")
        register_nav(_("Squares"), "squares:index", Capability.VIEW_DEVICES)
