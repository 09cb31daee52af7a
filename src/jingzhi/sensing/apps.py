from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensingConfig(AppConfig):
    name = "jingzhi.sensing"
    label = "sensing"
    verbose_name = _("Devices and events")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhi.core import panels
        from jingzhi.core.choices import Capability
        from jingzhi.core.context_processors import register_nav
        from jingzhi.core.management.commands.up import COMPONENTS
        from jingzhi.registry import facts
        from jingzhi.sensing.panels import devices_here, last_seen

        panels.register(devices_here)
        facts.register(last_seen)
        register_nav(_("Live"), "sensing:live", Capability.VIEW_DEVICES)
        register_nav(_("Devices"), "sensing:devices", Capability.VIEW_DEVICES)
        from django.conf import settings

        # With a broker configured, `jingzhi up` also runs the MQTT ingester (and the simulators
        # then publish over MQTT); without one, devices and simulators use HTTP.
        if settings.MQTT_URL and ("ingester", ["ingest", "mqtt"]) not in COMPONENTS:
            COMPONENTS.append(("ingester", ["ingest", "mqtt"]))
        if ("simulators", ["simulate"]) not in COMPONENTS:
            COMPONENTS.append(("simulators", ["simulate"]))
