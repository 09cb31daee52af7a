"""Open311 GeoReport v2 routes, mounted at ``/open311/v2/``; ``fmt`` is the format suffix (json only)."""

from django.urls import re_path

from jingzhi.cases import open311

app_name = "open311"

urlpatterns = [
    re_path(r"^services\.(?P<fmt>[a-z]+)$", open311.services_list, name="services"),
    re_path(r"^services/(?P<code>[a-z0-9_.-]+)\.(?P<fmt>[a-z]+)$", open311.service_definition, name="service"),
    re_path(r"^requests\.(?P<fmt>[a-z]+)$", open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)\.(?P<fmt>[a-z]+)$", open311.request_detail, name="request"),
]
