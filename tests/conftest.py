"""Shared fixtures. The suite runs against PostgreSQL and Redis (DATABASE_URL, REDIS_URL).

Imports of Django code stay inside fixtures so the pure-maths tests run without Django."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    from django.db import connection

    with django_db_blocker.unblock():
        assert connection.vendor == "postgresql", "The suite runs against PostgreSQL: set DATABASE_URL."


@pytest.fixture
def project(db: None) -> Any:
    from tests.factories import ProjectFactory

    return ProjectFactory()


@pytest.fixture
def members(project: Any) -> dict[str, Any]:
    """One user per role in `project`, plus an outsider who manages another project."""
    from annotator.models import Role
    from tests.factories import MembershipFactory, UserFactory

    users = {}
    for role in Role.values:
        user = UserFactory(username=f"{role}-{project.slug}")
        MembershipFactory(project=project, user=user, role=role)
        users[role] = user
    users["outsider"] = UserFactory(username=f"outsider-{project.slug}")
    MembershipFactory(user=users["outsider"], role=Role.MANAGER)
    return users


@pytest.fixture
def fresh_cache() -> None:
    """An empty cache: the coalesced refreshes and the throttles keep their slots there."""
    from django.core.cache import cache

    cache.clear()
