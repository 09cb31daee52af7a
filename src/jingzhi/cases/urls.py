from django.urls import path

from jingzhi.cases.views import resident, staff

app_name = "cases"

urlpatterns = [
    path("", staff.board, name="board"),
    path("<int:case_id>/", staff.case_detail, name="detail"),
    path("<int:case_id>/assign/", staff.case_assign_view, name="assign"),
    path("<int:case_id>/transition/", staff.case_transition_view, name="transition"),
    path("<int:case_id>/comment/", staff.case_comment_view, name="comment"),
    path("<int:case_id>/evidence/", staff.case_evidence_view, name="evidence"),
    path("evidence/<int:evidence_id>/", staff.evidence_file, name="evidence_file"),
    path("mine/", resident.my_reports, name="my_reports"),
    path("mine/new/", resident.report_new, name="report_new"),
    path("mine/<int:case_id>/", resident.my_case, name="my_case"),
]
