from django.urls import path

from jingzhi.core.views import audit, auth, home, places

app_name = "core"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("places/", places.places_index, name="places"),
    path("places/<int:place_id>/", places.place_detail, name="place_detail"),
    path("places/<int:place_id>/new/", places.place_create_view, name="place_create"),
    path("places/<int:place_id>/edit/", places.place_edit_view, name="place_edit"),
    path("places/<int:place_id>/rooms/", places.place_rooms_view, name="place_rooms"),
    path("audit/", audit.audit_index, name="audit"),
]
