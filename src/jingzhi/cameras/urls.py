from django.urls import path

from jingzhi.cameras import views

app_name = "cameras"

urlpatterns = [
    path("<str:code>/calibrate/", views.calibrate, name="calibrate"),
    path("<str:code>/facade.json", views.facade_json, name="facade_json"),
    path("<str:code>/reference.jpg", views.reference_frame, name="reference"),
    path("clips/<int:event_id>/", views.event_clip, name="clip"),
]
