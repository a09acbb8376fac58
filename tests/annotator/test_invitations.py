"""Invitations: a manager's link makes one account, once, before it expires; only its hash is
stored; the page says clearly when a link does not work, without telling unknown from used."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from annotator.errors import ValidationError
from annotator.models import Invitation, Membership, Role
from annotator.projects.invitations import (
    EXPIRED,
    UNUSABLE,
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "tram-depot-lantern-91"
RITA = "rita@example.org"


@pytest.fixture
def invited() -> tuple[Invitation, str]:
    manager = UserFactory(username="max")
    project = ProjectFactory(slug="harbour", name="Harbour news")
    MembershipFactory(project=project, user=manager, role=Role.MANAGER)
    return invitation_create(
        project=project, role=Role.REVIEWER, created_by=manager, email="rita@example.org"
    )


def _refusal(token: str, username: str) -> str:
    """Why accepting with `token` as `username` is refused; the refusal must make no account."""
    with pytest.raises(InvitationUnusable) as refused:
        invitation_accept(token=token, email=RITA, username=username, password=STRONG)
    assert not User.objects.filter(username=username).exists()
    return str(refused.value)


def test_only_the_hash_of_the_token_is_stored_and_it_expires_in_seven_days(invited):
    _, token = invited

    assert len(token) >= 40
    stored = Invitation.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in stored.__dict__.values()}
    assert timedelta(days=7) - timedelta(minutes=1) < stored.expires_at - timezone.now() <= timedelta(days=7)
    assert stored.status == "pending"


def test_accepting_makes_the_account_with_the_role_and_marks_the_invitation_used(invited):
    invitation, token = invited

    user = invitation_accept(token=token, email=RITA, username="rita", password=STRONG)

    assert user.check_password(STRONG)
    assert user.email == "rita@example.org"
    assert not user.is_staff
    assert Membership.objects.get(user=user).role == Role.REVIEWER
    assert Membership.objects.get(user=user).project == invitation.project
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.status) == (user, "accepted")
    assert invitation.accepted_at is not None


def test_an_invitation_works_once(invited):
    _, token = invited
    invitation_accept(token=token, email=RITA, username="rita", password=STRONG)

    assert _refusal(token, "rita2") == UNUSABLE


def test_an_expired_invitation_is_refused(invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _refusal(token, "rita") == EXPIRED


def test_a_wrong_token_is_refused_like_a_used_one(invited):
    _, token = invited
    with pytest.raises(InvitationUnusable) as wrong:
        invitation_accept(
            token=token[:-1] + ("A" if token[-1] != "A" else "B"), username="x", password=STRONG
        )
    assert str(wrong.value) == UNUSABLE


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "This password is too common."),
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("84736251098", "This password is entirely numeric."),
        ("rita-rita-rita", "The password is too similar to the username."),
    ],
)
def test_a_weak_password_is_refused_and_the_invitation_stays_usable(invited, password, message):
    _, token = invited
    with pytest.raises(ValidationError) as weak:
        invitation_accept(token=token, email=RITA, username="rita-rita-rita", password=password)

    assert message in weak.value.message_dict["password"]
    assert not User.objects.filter(username="rita-rita-rita").exists()
    assert invitation_accept(token=token, email=RITA, username="rita", password=STRONG).username == "rita"


@pytest.mark.parametrize(
    ("username", "fragment"), [("max", "taken"), ("MAX", "taken"), ("bad name!", "valid")]
)
def test_a_taken_or_malformed_username_is_refused(invited, username, fragment):
    _, token = invited
    with pytest.raises(ValidationError) as bad:
        invitation_accept(token=token, email=RITA, username=username, password=STRONG)
    assert fragment in " ".join(bad.value.message_dict["username"])
    assert Invitation.objects.get().accepted_at is None


def test_invitation_create_refuses_an_unknown_role_and_an_overlong_validity():
    project = ProjectFactory()
    with pytest.raises(ValidationError):
        invitation_create(project=project, role="owner", created_by=None)
    with pytest.raises(ValidationError):
        invitation_create(project=project, role=Role.ANNOTATOR, created_by=None, valid_for=timedelta(days=31))


# -- the page ---------------------------------------------------------------------------------


def test_the_page_makes_the_account_signs_it_in_and_opens_the_project(invited):
    invitation, token = invited
    client = Client()
    page = client.get(f"/invite/{token}/")
    assert page.status_code == 200
    assert "Join Harbour news" in page.content.decode()
    assert "no-cache" in page["Cache-Control"]

    response = client.post(
        f"/invite/{token}/", {"email": RITA, "username": "rita", "password1": STRONG, "password2": STRONG}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/projects/{invitation.project_id}/"
    assert client.get(response["Location"]).status_code == 200
    # The link is spent.
    again = Client().get(f"/invite/{token}/")
    assert again.status_code == 404
    assert "was used already" in again.content.decode()


def test_the_page_shows_the_password_validators_messages(invited):
    _, token = invited
    response = Client().post(
        f"/invite/{token}/",
        {"email": RITA, "username": "rita", "password1": "password123", "password2": "password123"},
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(username="rita").exists()


def test_the_page_asks_for_the_same_password_twice(invited):
    _, token = invited
    response = Client().post(
        f"/invite/{token}/",
        {"email": RITA, "username": "rita", "password1": STRONG, "password2": STRONG + "x"},
    )
    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()


def test_the_page_gives_unknown_and_used_links_the_same_answer_and_says_when_one_expired(invited):
    invitation, token = invited
    unknown = Client().get("/invite/not-a-real-token/")
    invitation_accept(token=token, email=RITA, username="rita", password=STRONG)
    used = Client().get(f"/invite/{token}/")

    assert unknown.status_code == used.status_code == 404
    assert unknown.content == used.content

    _, fresh = invitation_create(
        project=invitation.project, role=Role.ANNOTATOR, created_by=UserFactory(is_staff=True)
    )
    Invitation.objects.filter(accepted_at__isnull=True).update(expires_at=timezone.now())
    expired = Client().get(f"/invite/{fresh}/")
    assert expired.status_code == 410
    assert "has expired" in expired.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_people_using_one_link_at_once_make_one_account():
    import threading

    from django.db import connection

    project = ProjectFactory()
    _, token = invitation_create(project=project, role=Role.ANNOTATOR, created_by=UserFactory(is_staff=True))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(username: str) -> None:
        try:
            barrier.wait()
            invitation_accept(token=token, email=RITA, username=username, password=STRONG)
            outcomes.append("made")
        except InvitationUnusable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["made", "refused"]
    assert Membership.objects.filter(project=project).count() == 1
    assert User.objects.filter(username__in=["first", "second"]).count() == 1


# -- revoked, demoted inviter, email ------------------------------------------------------------


def test_a_revoked_invitation_works_no_more_and_looks_like_a_used_one(invited):
    invitation, token = invited
    invitation_revoke(invitation=invitation)
    with pytest.raises(InvitationUnusable) as refused:
        invitation_accept(token=token, email=RITA, username="rita", password=STRONG)
    assert str(refused.value) == UNUSABLE
    assert Invitation.objects.get(pk=invitation.pk).status == "revoked"
    assert not User.objects.filter(username="rita").exists()


def test_a_used_invitation_cannot_be_revoked(invited):
    invitation, token = invited
    invitation_accept(token=token, email=RITA, username="rita", password=STRONG)
    invitation.refresh_from_db()
    with pytest.raises(ValidationError):
        invitation_revoke(invitation=invitation)


@pytest.mark.parametrize("change", ["demoted", "removed", "deactivated"])
def test_a_link_stops_working_once_its_maker_no_longer_manages_the_project(invited, change):
    invitation, token = invited
    maker = invitation.created_by
    if change == "demoted":
        Membership.objects.filter(user=maker).update(role=Role.ANNOTATOR)
    elif change == "removed":
        Membership.objects.filter(user=maker).delete()
    else:
        User.objects.filter(pk=maker.pk).update(is_active=False)
    with pytest.raises(InvitationUnusable):
        invitation_accept(token=token, email=RITA, username="rita", password=STRONG)
    assert Client().get(f"/invite/{token}/").status_code == 404


def test_a_link_made_for_an_address_asks_for_that_address(invited):
    _, token = invited
    with pytest.raises(ValidationError) as wrong:
        invitation_accept(token=token, email="mallory@example.org", username="rita", password=STRONG)
    assert "email" in wrong.value.message_dict
    with pytest.raises(ValidationError):
        invitation_accept(token=token, username="rita", password=STRONG)
    page = Client().post(
        f"/invite/{token}/",
        {"email": "mallory@example.org", "username": "rita", "password1": STRONG, "password2": STRONG},
    )
    assert page.status_code == 200
    assert "Give the email address this invitation was sent to." in page.content.decode()
    # The address matches whatever its case; the invitation was still usable.
    user = invitation_accept(token=token, email="Rita@Example.org", username="rita", password=STRONG)
    assert user.email == RITA


def test_a_link_stops_working_after_too_many_refused_tries(invited):
    """Trying usernames one by one on a link would list which accounts exist: a link survives
    MAX_FAILED_ATTEMPTS refusals, then works no more."""
    from annotator.projects.invitations import MAX_FAILED_ATTEMPTS

    _, token = invited
    for i in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(ValidationError):
            invitation_accept(token=token, email=RITA, username=f"guess{i}!", password=STRONG)
    with pytest.raises(InvitationUnusable):
        invitation_accept(token=token, email=RITA, username="rita", password=STRONG)
    assert Invitation.objects.get().failed_attempts == MAX_FAILED_ATTEMPTS
    assert not User.objects.filter(username="rita").exists()
