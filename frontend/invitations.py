"""The page behind an invitation link: choose a username and a password, and the account is
made and added to the project (annotator.projects.invitations). Anyone holding the link may
open it, signed in or not."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from annotator.errors import ValidationError
from annotator.projects.invitations import InvitationUnusable, invitation_accept, invitation_find

TEMPLATE = "frontend/invitation.html"


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if email_required:  # the link was made for one address: ask for it
            self.fields["email"] = forms.EmailField(
                label="Email address", help_text="The address this invitation was sent to."
            )
            self.order_fields(["email", "username", "password1", "password2"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords differ.")
        return data


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_find(token=token)
    except InvitationUnusable as unusable:
        # The same page for unknown and used links; expired ones say so.
        status = 410 if unusable.expired else 404
        return render(request, TEMPLATE, {"unusable": str(unusable)}, status=status)
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None, email_required=bool(invitation.email)
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data.get("email", ""),
            )
        except InvitationUnusable as unusable:  # used or expired while the form was open
            return render(
                request, TEMPLATE, {"unusable": str(unusable)}, status=410 if unusable.expired else 404
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    # The service's fields are username, email and password (asked twice here).
                    form.add_error(field if field in ("username", "email") else "password1", problem)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.username}: you joined {invitation.project.name}.")
            return redirect(reverse("project", args=[invitation.project_id]))
    return render(request, TEMPLATE, {"form": form, "invitation": invitation})
