from django.urls import path

from api import (
    agreement,
    annotation_imports,
    calibration,
    claims,
    exports,
    history,
    invitations,
    panels,
    profiles,
    review,
    root,
    suggestions,
    views,
)

app_name = "api"

urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("auth/tokens/", views.TokenListApi.as_view(), name="tokens"),
    path("auth/tokens/<int:token_id>/", views.TokenDetailApi.as_view(), name="token-detail"),
    path("projects/", views.ProjectListApi.as_view(), name="projects"),
    path("projects/<int:project_id>/", views.ProjectDetailApi.as_view(), name="project"),
    path("projects/<int:project_id>/members/", views.MemberListApi.as_view(), name="members"),
    path(
        "projects/<int:project_id>/members/<int:user_id>/",
        views.MemberDetailApi.as_view(),
        name="member-detail",
    ),
    path("projects/<int:project_id>/schema/", views.SchemaApi.as_view(), name="schema"),
    path("projects/<int:project_id>/publication/", views.PublicationApi.as_view(), name="publication"),
    # Rater panels and calibration.
    path("projects/<int:project_id>/panels/", panels.PanelListApi.as_view(), name="panels"),
    path(
        "projects/<int:project_id>/panels/<int:panel_id>/",
        panels.PanelDetailApi.as_view(),
        name="panel-detail",
    ),
    path("projects/<int:project_id>/panel/", panels.MyPanelApi.as_view(), name="my-panel"),
    path("projects/<int:project_id>/annotators/", calibration.AnnotatorListApi.as_view(), name="annotators"),
    path(
        "projects/<int:project_id>/annotators/competence/",
        calibration.CompetenceRecomputeApi.as_view(),
        name="annotators-competence",
    ),
    path(
        "projects/<int:project_id>/calibration/",
        calibration.MyCalibrationApi.as_view(),
        name="my-calibration",
    ),
    path(
        "documents/<int:document_id>/calibration/",
        calibration.CalibrationMarkApi.as_view(),
        name="document-calibration",
    ),
    path("projects/<int:project_id>/documents/", views.DocumentListApi.as_view(), name="documents"),
    path(
        "projects/<int:project_id>/documents/import/",
        views.DocumentImportApi.as_view(),
        name="documents-import",
    ),
    path(
        "projects/<int:project_id>/annotations/import/",
        annotation_imports.AnnotationImportApi.as_view(),
        name="annotations-import",
    ),
    path("projects/<int:project_id>/queue/next/", views.QueueNextApi.as_view(), name="queue-next"),
    path("projects/<int:project_id>/assignments/", views.LayerListApi.as_view(), name="my-assignments"),
    path(
        "projects/<int:project_id>/agreement/",
        agreement.ProjectAgreementApi.as_view(),
        name="project-agreement",
    ),
    path("projects/<int:project_id>/export/", exports.ExportApi.as_view(), name="export"),
    path("projects/<int:project_id>/profiles/", profiles.ProfileListApi.as_view(), name="profiles"),
    path(
        "projects/<int:project_id>/profiles/export.csv",
        profiles.ProfileExportApi.as_view(),
        name="profiles-export",
    ),
    path(
        "projects/<int:project_id>/profiles/<int:source_id>/",
        profiles.ProfileDetailApi.as_view(),
        name="profile",
    ),
    path("projects/<int:project_id>/review/queue/", review.ReviewQueueApi.as_view(), name="review-queue"),
    path(
        "projects/<int:project_id>/decisions/export/",
        review.DecisionExportApi.as_view(),
        name="decisions-export",
    ),
    path("sources/", views.SourceListApi.as_view(), name="sources"),
    path("documents/<int:document_id>/", views.DocumentDetailApi.as_view(), name="document"),
    path(
        "documents/<int:document_id>/agreement/",
        agreement.DocumentAgreementApi.as_view(),
        name="document-agreement",
    ),
    path("documents/<int:document_id>/review/", review.DocumentReviewApi.as_view(), name="document-review"),
    path("documents/<int:document_id>/decisions/", review.DecisionApi.as_view(), name="decisions"),
    path("jobs/<int:job_id>/", views.JobDetailApi.as_view(), name="job"),
    path("assignments/<int:assignment_id>/", views.LayerDetailApi.as_view(), name="assignment"),
    path("assignments/<int:assignment_id>/spans/", views.SpanListApi.as_view(), name="spans"),
    path("assignments/<int:assignment_id>/answers/", views.AnswerListApi.as_view(), name="answers"),
    path(
        "assignments/<int:assignment_id>/suggestions/",
        suggestions.SuggestionListApi.as_view(),
        name="suggestions",
    ),
    path(
        "assignments/<int:assignment_id>/suggestions/rejections/",
        suggestions.SuggestionRejectionApi.as_view(),
        name="suggestion-rejections",
    ),
    path("projects/<int:project_id>/claims/", claims.ClaimClusterListApi.as_view(), name="claims"),
    path(
        "projects/<int:project_id>/claims/refresh/", claims.ClaimsRefreshApi.as_view(), name="claims-refresh"
    ),
    path(
        "projects/<int:project_id>/claims/claimreview/",
        claims.ClaimReviewApi.as_view(),
        name="claims-claimreview",
    ),
    path("claim-clusters/<int:cluster_id>/", claims.ClaimClusterDetailApi.as_view(), name="claim-cluster"),
    path(
        "claim-clusters/<int:cluster_id>/merge/",
        claims.ClaimClusterMergeApi.as_view(),
        name="claim-cluster-merge",
    ),
    path(
        "claim-clusters/<int:cluster_id>/split/",
        claims.ClaimClusterSplitApi.as_view(),
        name="claim-cluster-split",
    ),
    path(
        "claim-clusters/<int:cluster_id>/history/",
        claims.ClaimClusterHistoryApi.as_view(),
        name="claim-cluster-history",
    ),
    path(
        "projects/<int:project_id>/suggestions/models/",
        suggestions.SuggestionModelListApi.as_view(),
        name="suggestion-models",
    ),
    path(
        "assignments/<int:assignment_id>/answers/<slug:key>/", views.AnswerDetailApi.as_view(), name="answer"
    ),
    path("assignments/<int:assignment_id>/submit/", views.SubmitApi.as_view(), name="submit"),
    path("assignments/<int:assignment_id>/reopen/", views.ReopenApi.as_view(), name="reopen"),
    path("assignments/<int:assignment_id>/skip/", views.SkipApi.as_view(), name="skip"),
    path("spans/<int:span_id>/", views.SpanDetailApi.as_view(), name="span"),
    # Security: the span audit trail and restore, invitations.
    path("spans/<int:span_id>/history/", history.SpanHistoryApi.as_view(), name="span-history"),
    path(
        "assignments/<int:assignment_id>/history/",
        history.LayerHistoryApi.as_view(),
        name="assignment-history",
    ),
    path(
        "assignments/<int:assignment_id>/spans/restore/",
        history.SpanRestoreApi.as_view(),
        name="spans-restore",
    ),
    path(
        "projects/<int:project_id>/invitations/",
        invitations.InvitationListApi.as_view(),
        name="invitations",
    ),
    path(
        "projects/<int:project_id>/invitations/<int:invitation_id>/",
        invitations.InvitationDetailApi.as_view(),
        name="invitation-detail",
    ),
]
