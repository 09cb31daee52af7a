from django.urls import path

from jingzhi.registry import views

app_name = "registry"

urlpatterns = [
    path("residents/", views.residents_index, name="residents"),
    path("residents/export/", views.residents_export_view, name="residents_export"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal_view, name="resident_reveal"),
    path("households/<int:household_id>/", views.household_detail, name="household_detail"),
]
