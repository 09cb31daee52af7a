from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "jingzhi.cases"
    label = "cases"
    verbose_name = _("Cases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhi.cases.attention import cases_attention
        from jingzhi.cases.views.resident import has_own_record
        from jingzhi.core import attention
        from jingzhi.core.choices import Capability
        from jingzhi.core.context_processors import register_nav

        attention.register(cases_attention)
        register_nav(_("Cases"), "cases:board", Capability.VIEW_CASES)
        register_nav(_("Report a problem"), "cases:my_reports", has_own_record)
