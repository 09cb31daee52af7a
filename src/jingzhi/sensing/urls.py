from django.urls import path

from jingzhi.sensing import views

app_name = "sensing"

urlpatterns = [
    path("", views.device_map, name="devices"),
    path("live/", views.live, name="live"),
    path("rejected/", views.rejected, name="rejected"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:community_id>/<str:event_type>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:community_id>/<str:event_type>/reset/", views.rule_reset, name="rule_reset"),
    path("events/<int:event_id>/media/", views.event_media, name="event_media"),
    path("new/<int:place_id>/", views.device_new, name="device_new"),
    path("<str:code>/token/", views.device_token, name="device_token"),
    path("<str:code>/", views.device_detail, name="device_detail"),
]
