"""API tokens. Each client of an account (a script, a notebook, a pipeline) has its own named
token, which its owner lists and revokes. Only a key's SHA-256 is stored, so a key is shown
once, when it is made. A token stops working when it expires, when it is revoked, and when its
account changes its password or is deactivated (every token of the account is revoked then)."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotator.errors import NotFound, ValidationError
from annotator.models import ApiToken

MAX_VALIDITY_DAYS = 365
# How stale `last_used_at` may get: writing it on every request would add a statement to each.
LAST_USED_PRECISION = datetime.timedelta(minutes=5)


def token_hash(token: str) -> str:
    """What is stored for a secret token (API keys, invitation links). A plain SHA-256 is
    enough: the token is 256 random bits, not a password that could be guessed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(*, user: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Make a token called `name` for `user`, replacing the user's token of that name, if any
    (a client that signs in again gets a fresh key and the old one stops working). Returns the
    token and its key, which is never available again. `expires_in_days` None: it does not
    expire."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Name the client this token is for, e.g. 'export script'."]})
    if expires_in_days is not None and not 0 < expires_in_days <= MAX_VALIDITY_DAYS:
        raise ValidationError(
            {"expires_in_days": [f"A token lasts 1 to {MAX_VALIDITY_DAYS} days, or without end."]}
        )
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user=user, name=name).delete()
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_hash=token_hash(key),
            expires_at=(
                timezone.now() + datetime.timedelta(days=expires_in_days) if expires_in_days else None
            ),
        )
    return token, key


def token_authenticate(*, key: str) -> ApiToken:
    """The token a key stands for, with its user, if it may be used now; else NotFound with
    the reason a client can show (unknown or revoked, expired)."""
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    if token is None:
        raise NotFound("Invalid token.")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise NotFound("Token expired: make a new one (POST /api/v1/auth/token/).")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("No such token of yours.")


def tokens_revoke_all(*, user: User) -> int:
    """Revoke every token of the user; returns how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def on_user_save(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """pre_save of User: a new password or a deactivation revokes every token of the account,
    whichever path saves it (password change page, admin, changepassword, a service)."""
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    stored = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password or (stored["is_active"] and not instance.is_active):
        tokens_revoke_all(user=instance)
