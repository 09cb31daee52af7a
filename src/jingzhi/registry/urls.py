from django.urls import path

from jingzhi.registry.views import corrections, households, imports, residents, selfservice

app_name = "registry"

urlpatterns = [
    path("residents/", residents.residents_index, name="residents"),
    path("residents/export/", residents.residents_export_view, name="residents_export"),
    path("residents/<int:resident_id>/", residents.resident_detail, name="resident_detail"),
    path("residents/<int:resident_id>/reveal/", residents.resident_reveal_view, name="resident_reveal"),
    path("residents/<int:resident_id>/edit/", residents.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/status/", residents.resident_status, name="resident_status"),
    path("households/<int:household_id>/", households.household_detail, name="household_detail"),
    path("households/<int:household_id>/members/new/", households.member_add, name="member_add"),
    path("rooms/<int:place_id>/households/new/", households.household_create_view, name="household_create"),
    path("import/", imports.import_start, name="import_start"),
    path("import/<str:token>/", imports.import_check, name="import_check"),
    path("import/<str:token>/report.xlsx", imports.import_report, name="import_report"),
    path("corrections/", corrections.corrections_index, name="corrections"),
    path("corrections/<int:correction_id>/review/", corrections.correction_review_view, name="correction_review"),
    path("me/", selfservice.my_household, name="my_household"),
    path("me/corrections/", selfservice.my_correction, name="my_correction"),
    path("me/copy/", selfservice.my_copy, name="my_copy"),
]
