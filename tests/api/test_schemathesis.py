"""Property-based requests against the OpenAPI schema: no 500s, and every response matches the
schema. Bounded examples keep `make test` short; permissions per role are tested elsewhere."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, assume, settings

from annotator.accounts.services import token_create
from config.wsgi import application

# pytest-django has set Django up before this module is collected.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes database connections after each request, which would end the
    test's transaction; Django's own test client disconnects these signals in the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _has_surrogates(value) -> bool:
    """Whether a generated body holds surrogate code points (U+D800 to U+DFFF). They are not
    Unicode text, and JSON joins a high and a low one into one character, so the length the
    server counts is not the one generated (a maxLength test goes wrong, not the server)."""
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_within_its_schema(case, world):
    assume(not _has_surrogates(case.body))
    token = token_create(user=world.users["manager"], name="schemathesis")[1]
    # Valid ids of the world's objects, so requests also reach past the 404s.
    ids = {
        "project_id": world.project.pk,
        "document_id": world.document.pk,
        "assignment_id": world.layer_a.pk,
        "span_id": world.span_a.pk,
    }
    if case.path_parameters:
        for name in case.path_parameters:
            value = case.path_parameters[name]
            if name in ids and isinstance(value, int) and value % 2 == 0:
                case.path_parameters[name] = ids[name]
    # A request can match the schema and still break a rule the schema cannot express (text that
    # is not document.text[start:end]); those answer 400 by design, so that check is left out.
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


# Every other role. Each generated request is sent as each of them in turn (one world per
# operation, so this costs about what one role would): a role sees other answers (403, 404, its
# own layers only), and each must still be within the schema and never a 500.
OTHER_ROLES = ("annotator", "reviewer", "outsider")


def _reachable_ids(world, role):
    """The ids this role can reach: the world's for its members; for the outsider, its own
    project and layer (its requests for the world's objects are 404s by design)."""
    ids = {
        "project_id": world.project.pk,
        "document_id": world.document.pk,
        "assignment_id": world.layer_a.pk,
        "span_id": world.span_a.pk,
    }
    if role == "outsider":
        ids.update(
            project_id=world.other_project.pk,
            document_id=world.other_layer.document_id,
            layer_id=world.other_layer.pk,
        )
    return ids


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_other_role_within_its_schema(case, world):
    assume(not _has_surrogates(case.body))
    generated = dict(case.path_parameters or {})
    for role in OTHER_ROLES:
        token = token_create(user=world.users[role], name="schemathesis")[1]
        ids = _reachable_ids(world, role)
        for name, value in generated.items():
            if name in ids and isinstance(value, int) and value % 2 == 0:
                case.path_parameters[name] = ids[name]
        try:
            case.call_and_validate(
                headers={"Authorization": f"Token {token}"},
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
            )
        except BaseException as error:
            error.add_note(f"Sent as the {role}.")
            raise
