"""The API tokens page: a person's tokens for their scripts, listed, made (the key shown once)
and revoked. The rules are annotator.accounts.services'."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from annotator.accounts.selectors import api_tokens_list
from annotator.accounts.services import MAX_VALIDITY_DAYS, token_create, token_revoke
from annotator.errors import NotFound, ValidationError

TEMPLATE = "frontend/tokens.html"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The client it is for, e.g. “export script”.")
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_DAYS,
        label="Expires after (days)",
        help_text="Leave empty for a token that lasts until you revoke it.",
    )


@never_cache  # the page shows a new key once
@login_required
def tokens_page(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = TokenForm(request.POST if request.method == "POST" and "name" in request.POST else None)
    new_key = None
    if request.method == "POST" and "revoke" in request.POST:
        try:
            token_revoke(user=user, token_id=int(request.POST["revoke"]))
            messages.success(request, "Token revoked: clients using it are signed out.")
        except (NotFound, ValueError):
            messages.error(request, "No such token of yours.")
        return redirect("tokens")
    if form.is_bound and form.is_valid():
        try:
            token, new_key = token_create(
                user=user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    form.add_error(None, problem)
        else:
            form = TokenForm()
            messages.success(request, f"Token “{token.name}” made. Copy its key now: it is not shown again.")
    tokens = api_tokens_list(user=user)
    return render(request, TEMPLATE, {"form": form, "tokens": tokens, "new_key": new_key})
