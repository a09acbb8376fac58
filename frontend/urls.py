from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import invitations, public, tokens, views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="frontend/password_change.html", success_url="/"),
        name="password_change",
    ),
    path("accounts/tokens/", tokens.tokens_page, name="tokens"),
    # No public sign-up: accounts come from staff (the admin) or a manager's invitation link.
    path("invite/<str:token>/", invitations.invitation_accept_page, name="invitation"),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/work/", views.project_work, name="project-work"),
    path("projects/<int:project_id>/schema/", views.project_schema, name="project-schema"),
    path("markdown/preview/", views.markdown_preview, name="markdown-preview"),
    path("projects/<int:project_id>/agreement/", views.agreement, name="agreement"),
    path("projects/<int:project_id>/annotators/", views.annotators, name="annotators"),
    path("projects/<int:project_id>/suggestions/", views.suggestions, name="suggestions"),
    path("projects/<int:project_id>/claims/", views.claims, name="claims"),
    path("projects/<int:project_id>/sources/", views.source_profiles, name="source-profiles"),
    path("projects/<int:project_id>/sources/compare/", views.source_comparison, name="source-comparison"),
    path("projects/<int:project_id>/sources/<int:source_id>/", views.source_profile, name="source-profile"),
    path("annotate/<int:layer_id>/", views.annotate, name="annotate"),
    # Published scorecards: public, no login.
    path("scorecards/<slug:slug>/", public.scorecards_index, name="public-scorecards"),
    path("scorecards/<slug:slug>.json", public.scorecards_index_json, name="public-scorecards-json"),
    path("scorecards/<slug:slug>/<slug:source_slug>/", public.scorecard_page, name="public-scorecard"),
    path(
        "scorecards/<slug:slug>/<slug:source_slug>.json", public.scorecard_json, name="public-scorecard-json"
    ),
    path("projects/<int:project_id>/review/", views.review_queue_page, name="review-queue"),
    path("review/<int:document_id>/", views.review, name="review"),
]
