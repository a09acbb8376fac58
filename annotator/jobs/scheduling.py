"""Background refreshes of a project's derived figures (its agreement reports and its source
profiles), scheduled in one place.

Whether figures are behind is read from the data, the same in every process and with or
without Redis: every change that agreement or profiles read (a layer submitted or reopened, a
document adjudicated or its gold layer reopened) counts up its document's and its project's
`layers_version` in the transaction that makes it (`layers_changed`), and stored figures keep
the version they were computed from. Figures are behind while their version is below the
project's; a refresh catches up every document behind its own.

`refresh_request` asks for a refresh soon. The cache only coalesces: it holds a slot while a
refresh is scheduled, so a burst of changes costs one refresh, or two when changes keep coming
while the first runs. With Redis away (the cache or the broker) a request is dropped with a
warning and nothing else: the data still says the figures are behind, so the next change or
read asks again once Redis answers. Without a broker (the embedded default) a request runs the
refresh in-process at once, at most once every `Refresh.countdown` seconds, and reads refresh
figures that are behind before they answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from enum import Enum
from typing import Any

from celery import Task
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from annotator.jobs.services import BACKGROUND_ERRORS
from annotator.models import Document, Project
from annotator.tasks import document_agreement_task, follow_up, project_agreement_task, project_profiles_task

logger = logging.getLogger(__name__)

REFRESH_SLOT_TIMEOUT = 15 * 60  # a slot outlives a refresh whose worker died, then frees itself
COUNT_TIMEOUT = 24 * 60 * 60


class Refresh(Enum):
    """A project's figures that are refreshed in the background, and the task that does it."""

    AGREEMENT = "agreement"
    PROFILES = "profiles"

    @property
    def task(self) -> Task[Any, None]:
        return project_agreement_task if self is Refresh.AGREEMENT else project_profiles_task

    @property
    def countdown(self) -> int:
        """Seconds a refresh waits for more changes to join it; without a broker, the shortest
        time between two refreshes that requests start. Profiles move slowly and their
        intervals are wide: they wait longer."""
        return 3 if self is Refresh.AGREEMENT else 30


def _count_change(document_ids: Collection[int], project_id: int) -> None:
    Document.objects.filter(pk__in=document_ids).update(layers_version=F("layers_version") + 1)
    Project.objects.filter(pk=project_id).update(layers_version=F("layers_version") + 1)


def layers_changed(*, document_id: int, project_id: int) -> None:
    """Call inside the transaction that changes what agreement or profiles read of a document
    (its submitted layers, its submitted gold layer): count the change on the document and its
    project. Once committed, the document's statistics are refreshed at once (the review queue
    reads them) and the project's agreement refresh is asked for (profiles follow it)."""
    _count_change([document_id], project_id)

    def after_commit() -> None:
        try:
            document_agreement_task.delay(document_id)
        except BACKGROUND_ERRORS:  # the project refresh catches the document up
            logger.warning("Broker unavailable: document %s waits for its project refresh", document_id)
        refresh_request(Refresh.AGREEMENT, project_id=project_id)

    transaction.on_commit(after_commit, robust=True)  # the write stands whatever happens here


def documents_layers_changed(*, document_ids: Collection[int], project_id: int) -> None:
    """layers_changed for many documents at once (an import): the change is counted on each,
    and once committed only the project's refresh is asked for, which catches every document
    up, rather than a task per document."""
    _count_change(document_ids, project_id)
    transaction.on_commit(lambda: refresh_request(Refresh.AGREEMENT, project_id=project_id), robust=True)


def project_layers_version(*, project_id: int) -> int:
    """The project's change count as committed now (0 for a project that is gone)."""
    version = Project.objects.filter(pk=project_id).values_list("layers_version", flat=True).first()
    return version or 0


def in_process() -> bool:
    """Whether tasks run in-process at once (no broker: the embedded default)."""
    return bool(project_agreement_task.app.conf.task_always_eager)


def _slot_key(refresh: Refresh, project_id: int) -> str:
    return f"refresh-slot:{refresh.value}:{project_id}"


def _count_key(refresh: Refresh, project_id: int) -> str:
    return f"refresh-count:{refresh.value}:{project_id}"


def refresh_request(refresh: Refresh, *, project_id: int) -> bool:
    """Schedule `refresh` of the project `refresh.countdown` seconds from now, unless one is
    scheduled already. Call once the changes are committed. False when Redis is away and
    nothing could be scheduled (the figures stay behind, and say so, until a later request)."""
    timeout = refresh.countdown if in_process() else REFRESH_SLOT_TIMEOUT
    try:
        if not cache.add(_slot_key(refresh, project_id), 1, timeout=timeout):
            return True
        follow_up(refresh.task, (project_id,), countdown=refresh.countdown)
    except BACKGROUND_ERRORS:
        logger.warning("Redis unavailable: the %s refresh of project %s waits", refresh.value, project_id)
        _quietly(cache.delete, _slot_key(refresh, project_id))
        return False
    return True


def refresh_run(
    refresh: Refresh, *, project_id: int, body: Callable[[], None], behind: Callable[[], bool]
) -> None:
    """Run a scheduled refresh (`body`), free its slot, and ask again when `behind` says changes
    arrived while it ran."""
    _quietly(_count_run, refresh, project_id)
    try:
        body()
    finally:
        if not in_process():
            _quietly(cache.delete, _slot_key(refresh, project_id))
    if not in_process() and behind():
        refresh_request(refresh, project_id=project_id)


def _count_run(refresh: Refresh, project_id: int) -> None:
    key = _count_key(refresh, project_id)
    cache.add(key, 0, timeout=COUNT_TIMEOUT)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=COUNT_TIMEOUT)


def refresh_count(refresh: Refresh, *, project_id: int) -> int:
    """How many scheduled refreshes ran recently (kept in the cache for a day): shows that
    coalescing works, in operation and in tests."""
    return int(_quietly(cache.get, _count_key(refresh, project_id)) or 0)


def _quietly(call: Callable[..., Any], *args: Any) -> Any:
    """A cache call whose failure (Redis away) must not fail the caller; None then."""
    try:
        return call(*args)
    except BACKGROUND_ERRORS:
        logger.warning("Cache unavailable during %s", getattr(call, "__name__", call), exc_info=True)
        return None
