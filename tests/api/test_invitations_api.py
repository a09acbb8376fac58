"""The invitations API: managers make a link (shown once) and list the invitations (no tokens)."""

from __future__ import annotations

import re

from django.test import Client

from annotator.models import Invitation, Membership

STRONG = "tram-depot-lantern-91"


def test_a_manager_makes_a_link_that_is_shown_once_and_works(world):
    client = world.client("manager")
    response = client.post(
        f"/api/v1/projects/{world.project.pk}/invitations/",
        {"role": "reviewer", "email": "nina@example.org", "expires_in_days": 3},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["role"], body["email"], body["status"], body["created_by"]) == (
        "reviewer",
        "nina@example.org",
        "pending",
        "max",
    )
    link = re.fullmatch(r"http://testserver/invite/([A-Za-z0-9_-]{40,})/", body["url"])
    assert link, body["url"]
    token = link.group(1)
    assert "token" not in body
    # Only the hash is stored.
    assert not Invitation.objects.filter(token_hash=token).exists()

    accepted = Client().post(
        f"/invite/{token}/",
        {"email": "nina@example.org", "username": "nina", "password1": STRONG, "password2": STRONG},
    )
    assert accepted.status_code == 302
    assert Membership.objects.get(user__username="nina", project=world.project).role == "reviewer"


def test_the_list_shows_each_invitation_and_its_status_but_never_a_token_or_link(world):
    client = world.client("manager")
    made = client.post(f"/api/v1/projects/{world.project.pk}/invitations/", {}, format="json").json()
    token = made["url"].rstrip("/").rsplit("/", 1)[1]
    Client().post(f"/invite/{token}/", {"username": "nina", "password1": STRONG, "password2": STRONG})
    client.post(f"/api/v1/projects/{world.project.pk}/invitations/", {"role": "annotator"}, format="json")

    listed = client.get(f"/api/v1/projects/{world.project.pk}/invitations/").json()

    assert [(i["role"], i["status"], i["accepted_by"]) for i in listed] == [
        ("annotator", "pending", None),
        ("annotator", "accepted", "nina"),
    ]
    assert token not in str(listed)
    assert all("url" not in i and "token" not in i and "token_hash" not in i for i in listed)


def test_invitations_of_another_project_are_not_listed(world):
    world.client("outsider").post(
        f"/api/v1/projects/{world.other_project.pk}/invitations/", {}, format="json"
    )
    assert world.client("manager").get(f"/api/v1/projects/{world.project.pk}/invitations/").json() == []


def test_an_unknown_role_or_a_long_validity_is_a_field_error(world):
    client = world.client("manager")
    path = f"/api/v1/projects/{world.project.pk}/invitations/"
    assert "role" in client.post(path, {"role": "owner"}, format="json").json()
    assert "expires_in_days" in client.post(path, {"expires_in_days": 90}, format="json").json()
    assert not Invitation.objects.exists()


def test_a_manager_revokes_an_unused_link_and_it_stops_working(world):
    client = world.client("manager")
    path = f"/api/v1/projects/{world.project.pk}/invitations/"
    made = client.post(path, {"role": "annotator"}, format="json").json()
    token = made["url"].rstrip("/").rsplit("/", 1)[1]
    assert world.client("reviewer").delete(f"{path}{made['id']}/").status_code == 403
    revoked = client.delete(f"{path}{made['id']}/")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert Client().get(f"/invite/{token}/").status_code == 404
    assert client.delete(f"{path}999999/").status_code == 404
