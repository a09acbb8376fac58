from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="frontend/password_change.html", success_url="/"),
        name="password_change",
    ),
    path("projects/<int:project_id>/", views.project_detail, name="project"),
    path("projects/<int:project_id>/agreement/", views.agreement, name="agreement"),
    path("annotate/<int:assignment_id>/", views.annotate, name="annotate"),
]
