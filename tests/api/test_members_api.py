"""Members over the API: who may be added by name, changing roles, removing members, and the
project's last manager."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Document, Layer, Membership, Role
from tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory


def _members(world) -> str:
    return f"/api/v1/projects/{world.project.pk}/members/"


def _member(world, who: str) -> str:
    return f"{_members(world)}{world.users[who].pk}/"


def test_unknown_and_unrelated_usernames_get_the_same_answer(world):
    manager = world.client("manager")
    unknown = manager.post(_members(world), {"username": "nobody", "role": "annotator"}, format="json")
    unrelated = manager.post(_members(world), {"username": "olga", "role": "annotator"}, format="json")
    assert unknown.status_code == unrelated.status_code == 400
    assert unknown.json()["username"][0].replace("nobody", "X") == unrelated.json()["username"][0].replace(
        "olga", "X"
    )
    assert "invite anyone else with a link" in unknown.json()["username"][0]
    assert not Membership.objects.filter(project=world.project, user=world.users["outsider"]).exists()


def test_a_manager_adds_people_from_the_projects_they_manage(world):
    colleague = UserFactory(username="cleo")
    MembershipFactory(project=ProjectFactory(), user=colleague, role=Role.ANNOTATOR)
    MembershipFactory(
        project=colleague.memberships.get().project, user=world.users["manager"], role=Role.MANAGER
    )
    response = world.client("manager").post(
        _members(world), {"username": "cleo", "role": "annotator"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["username"] == "cleo"
    # Staff add anyone; an inactive account no one.
    inactive = UserFactory(username="gone", is_active=False)
    staff = world.client("staff")
    assert (
        staff.post(_members(world), {"username": "olga", "role": "reviewer"}, format="json").status_code
        == 201
    )
    assert (
        staff.post(
            _members(world), {"username": inactive.username, "role": "reviewer"}, format="json"
        ).status_code
        == 400
    )


def test_only_the_creator_or_staff_demote_another_manager(world):
    creator = world.project.created_by or UserFactory(username="carl")
    world.project.created_by = creator
    world.project.save()
    MembershipFactory(project=world.project, user=creator, role=Role.MANAGER)
    co_manager = UserFactory(username="mia")
    MembershipFactory(project=world.project, user=co_manager, role=Role.MANAGER)

    # max manages too, but may not demote mia, nor the creator.
    max_client = world.client("manager")
    for target in (co_manager, creator):
        response = max_client.patch(f"{_members(world)}{target.pk}/", {"role": "annotator"}, format="json")
        assert response.status_code == 403
        assert "creator or staff" in response.json()["detail"]
        assert max_client.delete(f"{_members(world)}{target.pk}/").status_code == 403
    assert Membership.objects.get(project=world.project, user=co_manager).role == Role.MANAGER

    # The creator may; and max may step down himself.
    from rest_framework.test import APIClient

    as_creator = APIClient()
    as_creator.force_authenticate(creator)
    assert (
        as_creator.patch(
            f"{_members(world)}{co_manager.pk}/", {"role": "reviewer"}, format="json"
        ).status_code
        == 200
    )
    assert max_client.patch(_member(world, "manager"), {"role": "reviewer"}, format="json").status_code == 200
    # A manager may still promote: the role set is the same for every other change.
    assert (
        as_creator.patch(_member(world, "annotator"), {"role": "reviewer"}, format="json").status_code == 200
    )


def test_a_project_keeps_its_last_manager(world):
    manager = world.client("manager")
    response = manager.patch(_member(world, "manager"), {"role": "annotator"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "role": ["A project keeps at least one manager: make someone else manager first."]
    }
    assert manager.delete(_member(world, "manager")).status_code == 400
    # Staff too: the rule is the project's, not the caller's.
    assert world.client("staff").delete(_member(world, "manager")).status_code == 400
    assert Membership.objects.get(project=world.project, user=world.users["manager"]).role == Role.MANAGER


def test_removing_a_member_keeps_their_submitted_work_and_frees_the_rest(world):
    anna = world.users["annotator"]
    layer_submit(layer=world.layer_a)
    second = DocumentFactory(project=world.project)
    open_layer = layer_assign(document=second, user=anna)
    assert Document.objects.get(pk=second.pk).n_layers == 1

    response = world.client("manager").delete(_member(world, "annotator"))
    assert response.status_code == 200
    assert response.json() == {"username": "anna", "layers_released": 1}
    assert not Membership.objects.filter(project=world.project, user=anna).exists()
    assert Layer.objects.filter(pk=world.layer_a.pk).exists()  # submitted: kept
    assert not Layer.objects.filter(pk=open_layer.pk).exists()
    assert Document.objects.get(pk=second.pk).n_layers == 0
    # A removed member no longer sees the project.
    assert world.client("annotator").get(f"/api/v1/projects/{world.project.pk}/").status_code == 404
    assert world.client("manager").delete(_member(world, "annotator")).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_managers_stepping_down_at_once_leave_one_manager():
    from annotator.projects.services import membership_set

    project = ProjectFactory()
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        MembershipFactory(project=project, user=user, role=Role.MANAGER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def step_down(user) -> None:
        try:
            barrier.wait()
            membership_set(project=project, user=user, role=Role.REVIEWER, actor=user)
            outcomes.append("ok")
        except Exception as error:  # the refusal is what is counted
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=step_down, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Membership.objects.filter(project=project, role=Role.MANAGER).count() == 1
