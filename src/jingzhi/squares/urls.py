from django.urls import path

from jingzhi.squares import views

app_name = "squares"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:square_id>/", views.detail, name="detail"),
    path("<int:square_id>/curve.json", views.curve, name="curve"),
    path("<int:square_id>/edit/", views.edit, name="edit"),
]
