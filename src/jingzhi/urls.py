from django.contrib import admin
from django.urls import include, path

from jingzhi.api import api
from jingzhi.core.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("register/", include("jingzhi.registry.urls")),
    path("cases/", include("jingzhi.cases.urls")),
    path("devices/", include("jingzhi.sensing.urls")),
    path("squares/", include("jingzhi.squares.urls")),
    path("cameras/", include("jingzhi.cameras.urls")),
    path("open311/v2/", include("jingzhi.cases.urls_open311")),
    path("", include("jingzhi.core.urls")),
]
# Media (evidence, photos) is never served as public files: scoped views serve it.
