"""The demo project, loaded once per test module.

A load takes seconds (the competence fit, the suggestion model, the claim grouping), and the page
tests only read it or change it a little. So each module loads it once inside a transaction that
stays open, every test runs in a savepoint of it that is rolled back, and the whole load is rolled
back when the module ends: each test still starts from the freshly loaded demo."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[int]:
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import transaction
    from django.test import TestCase, override_settings

    from annotator.models import Project
    from annotator.profiles.services import project_profiles_current

    with (
        django_db_blocker.unblock(),
        override_settings(VAR_DIR=tmp_path_factory.mktemp("var")),
        transaction.atomic(),
    ):
        # The agreement jobs start when the load commits; run them here as a real commit would.
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("load_demo", stdout=io.StringIO())
        project = Project.objects.get(slug="demo")
        project_profiles_current(project_id=project.pk)  # computed, as the profile pages would
        yield project.pk
        transaction.set_rollback(True)
        cache.clear()


@pytest.fixture
def demo(demo_loaded: int, db: None, fresh_cache: None) -> Any:
    """The demo project, as loaded: what an earlier test of the module changed is rolled back,
    and the cache holds nothing an earlier test computed."""
    from annotator.models import Project

    return Project.objects.get(pk=demo_loaded)
