"""The token lookup reads the layer a URL names along (api.authentication): the same layer,
role and answers as access_assignment's own read, and one round trip less."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from annotator import access
from annotator.selectors import LayerRead, assignment_with_role
from api.authentication import TokenAuthentication
from api.views import SpanListApi
from tests.api.conftest import PHRASE, TEXT

pytestmark = pytest.mark.django_db


def _authenticate(user, assignment_id):
    """What the authenticator does for a request to /assignments/<assignment_id>/spans/."""
    request = APIRequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
    )
    drf_request = SpanListApi().initialize_request(request)
    drf_request.parser_context["kwargs"] = {"assignment_id": assignment_id}  # what dispatch passes
    found_user, _ = TokenAuthentication().authenticate(drf_request)
    return found_user


def _fields(assignment):
    return (
        {f.attname: getattr(assignment, f.attname) for f in type(assignment)._meta.concrete_fields},
        {
            f.attname: getattr(assignment.document, f.attname)
            for f in assignment.document._meta.concrete_fields
        },
        {
            f.attname: getattr(assignment.document.project, f.attname)
            for f in assignment.document.project._meta.concrete_fields
        },
        assignment.member_role,
    )


@pytest.mark.parametrize("who", ["annotator", "annotator_b", "reviewer", "manager", "outsider", "staff"])
def test_the_layer_read_along_is_what_assignment_with_role_reads(world, who):
    for layer in (world.layer_a, world.layer_b, world.other_layer):
        user = _authenticate(world.users[who], layer.pk)
        assert user.layer_read.assignment_id == layer.pk
        expected = assignment_with_role(assignment_id=layer.pk, user_id=user.pk)
        assert _fields(user.layer_read.assignment) == _fields(expected)


def test_a_layer_that_does_not_exist_is_read_as_none_and_answers_404(world):
    user = _authenticate(world.users["annotator"], 987_654)
    assert user.layer_read == LayerRead(987_654, None)
    key = Token.objects.get(user=world.users["annotator"]).key
    client = world.client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/assignments/987654/spans/")
    assert response.status_code == 404


def test_access_takes_the_read_once_then_reads_afresh(world):
    user = _authenticate(world.users["annotator"], world.layer_a.pk)
    with CaptureQueriesContext(connection) as first:
        assert access.access_assignment(user=user, assignment_id=world.layer_a.pk).pk == world.layer_a.pk
    assert len(first) == 0 and user.layer_read is None
    with CaptureQueriesContext(connection) as second:
        assert access.access_assignment(user=user, assignment_id=world.layer_a.pk).pk == world.layer_a.pk
    assert len(second) == 1


def test_a_read_of_another_layer_is_not_taken(world):
    user = _authenticate(world.users["annotator"], world.layer_a.pk)
    with CaptureQueriesContext(connection) as queries, pytest.raises(access.NotFound):
        access.access_assignment(user=user, assignment_id=world.layer_b.pk)  # blind: another's layer
    assert len(queries) == 1
    assert user.layer_read is not None  # still there for its own layer


def test_a_span_create_with_a_token_is_two_statements(world):
    client = world.client("annotator", token=True)
    start = TEXT.index(PHRASE)
    body = {"label": "OPINION", "start": start, "end": start + 11, "text": TEXT[start : start + 11]}
    assert (
        client.post(f"/api/v1/assignments/{world.layer_a.pk}/spans/", body, format="json").status_code == 201
    )
    body.update(start=start + 1, text=TEXT[start + 1 : start + 11])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/assignments/{world.layer_a.pk}/spans/", body, format="json")
    assert response.status_code == 201, response.content
    # The token with the layer and the role; the nearby spans read with the insert (in a
    # savepoint here, as the test runs in a transaction).
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 2, [sql[:80] for sql in statements]
