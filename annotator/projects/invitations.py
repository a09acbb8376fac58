"""Invitations: how people get accounts. There is no public sign-up: staff create accounts in the
admin, and a project manager hands out one-time links that make an account and add it to the
project with a role.

A link carries a random token (32 bytes, URL-safe); only its SHA-256 is stored, so the link is
shown once, when it is made. Accepting it works once (the invitation row is locked while the
account is made), and not after it expires or a manager revokes it. An unknown, used or revoked
link gets the same answer, so a link reveals nothing about other invitations.

A link grants no more than its maker may still grant: when it is used, whoever made it must
still manage the project (or be staff), else it no longer works. A link made for an email
address asks for that address, and the account gets it.
"""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotator import access
from annotator.accounts.services import token_hash
from annotator.errors import ValidationError
from annotator.models import Invitation, Project, Role
from annotator.projects.services import membership_set

DEFAULT_VALIDITY = datetime.timedelta(days=7)
MAX_VALIDITY = datetime.timedelta(days=30)

UNUSABLE = (
    "This invitation link does not work: it was used already, or it is not complete. "
    "Ask your project manager for a new one."
)
EXPIRED = "This invitation link has expired. Ask your project manager for a new one."
# Refused tries (a taken username, a weak password, a wrong email) a link survives: enough for a
# person, too few to list which usernames exist by trying them.
MAX_FAILED_ATTEMPTS = 20


class InvitationUnusable(Exception):
    """The link cannot be used: unknown or used (UNUSABLE), or expired (EXPIRED)."""

    def __init__(self, message: str = UNUSABLE) -> None:
        super().__init__(message)
        self.expired = message == EXPIRED


def invitation_create(
    *,
    project: Project,
    role: str,
    created_by: User | None,
    email: str = "",
    valid_for: datetime.timedelta = DEFAULT_VALIDITY,
) -> tuple[Invitation, str]:
    """Make an invitation; returns it and its token, which is never stored nor shown again."""
    if role not in Role.values:
        raise ValidationError({"role": [f"Unknown role {role!r}; use one of {', '.join(Role.values)}."]})
    if not datetime.timedelta(0) < valid_for <= MAX_VALIDITY:
        raise ValidationError({"expires_in_days": [f"An invitation lasts at most {MAX_VALIDITY.days} days."]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        role=role,
        email=email,
        token_hash=token_hash(token),
        created_by=created_by,
        expires_at=timezone.now() + valid_for,
    )
    return invitation, token


def invitation_find(*, token: str) -> Invitation:
    """The invitation a link stands for, if it can still be accepted; else InvitationUnusable."""
    invitation = (
        Invitation.objects.select_related("project", "created_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    _check_usable(invitation)
    assert invitation is not None
    return invitation


def _inviter_may_still_invite(invitation: Invitation) -> bool:
    inviter = invitation.created_by
    if inviter is None or not inviter.is_active:
        return False
    return access.project_role(user=inviter, project=invitation.project) == Role.MANAGER  # staff too


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None or invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvitationUnusable(UNUSABLE)
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(EXPIRED)
    if invitation.failed_attempts >= MAX_FAILED_ATTEMPTS:
        raise InvitationUnusable(UNUSABLE)
    if not _inviter_may_still_invite(invitation):
        raise InvitationUnusable(UNUSABLE)


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Withdraw a link that has not been used; a used one stays as the record of who joined."""
    if invitation.accepted_at is not None:
        raise ValidationError(
            {"invitation": ["This invitation was used already; remove the member instead."]}
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def _check_email(invitation: Invitation, email: str) -> None:
    if invitation.email and email.strip().casefold() != invitation.email.casefold():
        raise ValidationError({"email": ["Give the email address this invitation was sent to."]})


def _check_username(username: str) -> None:
    errors: list[str] = []
    if not username:
        errors.append("Choose a username.")
    elif len(username) > 150:
        errors.append("A username has at most 150 characters.")
    else:
        try:
            UnicodeUsernameValidator()(username)
        except DjangoValidationError as error:
            errors.extend(error.messages)
    if not errors and User.objects.filter(username__iexact=username).exists():
        errors.append("That username is taken; choose another.")
    if errors:
        raise ValidationError({"username": errors})


def invitation_accept(*, token: str, username: str, password: str, email: str = "") -> User:
    """Use an invitation: make the account (its password checked by AUTH_PASSWORD_VALIDATORS),
    give it the invitation's role in the project, and mark the invitation used, all in one
    transaction with the invitation row locked, so a link makes one account however often it is
    sent. InvitationUnusable for a link that cannot be used; ValidationError for a bad
    username, password or email (the invitation stays usable for MAX_FAILED_ATTEMPTS of
    those)."""
    username = username.strip()
    try:
        return _accept(token=token, username=username, password=password, email=email)
    except ValidationError:
        Invitation.objects.filter(token_hash=token_hash(token)).update(
            failed_attempts=F("failed_attempts") + 1
        )
        raise


def _accept(*, token: str, username: str, password: str, email: str) -> User:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("project", "created_by")
            .filter(token_hash=token_hash(token))
            .first()
        )
        _check_usable(invitation)
        assert invitation is not None
        _check_email(invitation, email)
        _check_username(username)
        candidate = User(username=username, email=invitation.email)
        try:
            validate_password(password, user=candidate)
        except DjangoValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user = User.objects.create_user(username=username, email=invitation.email, password=password)
        membership_set(project=invitation.project, user=user, role=invitation.role)
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_by", "accepted_at"])
    return user
