from django.urls import path

from api import agreement, exports, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("projects/", views.ProjectListApi.as_view(), name="projects"),
    path("projects/<int:project_id>/", views.ProjectDetailApi.as_view(), name="project"),
    path("projects/<int:project_id>/members/", views.MemberListApi.as_view(), name="members"),
    path("projects/<int:project_id>/schema/", views.SchemaApi.as_view(), name="schema"),
    path("projects/<int:project_id>/documents/", views.DocumentListApi.as_view(), name="documents"),
    path(
        "projects/<int:project_id>/documents/import/",
        views.DocumentImportApi.as_view(),
        name="documents-import",
    ),
    path("projects/<int:project_id>/queue/next/", views.QueueNextApi.as_view(), name="queue-next"),
    path("projects/<int:project_id>/assignments/", views.AssignmentListApi.as_view(), name="my-assignments"),
    path(
        "projects/<int:project_id>/agreement/",
        agreement.ProjectAgreementApi.as_view(),
        name="project-agreement",
    ),
    path("projects/<int:project_id>/export/", exports.ExportApi.as_view(), name="export"),
    path("sources/", views.SourceListApi.as_view(), name="sources"),
    path("documents/<int:document_id>/", views.DocumentDetailApi.as_view(), name="document"),
    path(
        "documents/<int:document_id>/agreement/",
        agreement.DocumentAgreementApi.as_view(),
        name="document-agreement",
    ),
    path("jobs/<int:job_id>/", views.JobDetailApi.as_view(), name="job"),
    path("assignments/<int:assignment_id>/", views.AssignmentDetailApi.as_view(), name="assignment"),
    path("assignments/<int:assignment_id>/spans/", views.SpanListApi.as_view(), name="spans"),
    path("assignments/<int:assignment_id>/submit/", views.SubmitApi.as_view(), name="submit"),
    path("assignments/<int:assignment_id>/reopen/", views.ReopenApi.as_view(), name="reopen"),
    path("assignments/<int:assignment_id>/skip/", views.SkipApi.as_view(), name="skip"),
    path("spans/<int:span_id>/", views.SpanDetailApi.as_view(), name="span"),
]
