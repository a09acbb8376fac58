"""Faults: a Celery worker killed in the middle of a job, PostgreSQL connections cut during
requests, Redis gone. Each test says what must hold: the job still finishes with the right
report, a failed request saves nothing and says so in JSON, and nothing acknowledged is lost."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import F

from annotator.accounts.services import token_create
from annotator.layers.services import layer_assign
from annotator.models import Role
from tests.factories import (
    ARTICLE,
    DEFAULT_PASSWORD,
    DocumentFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    member,
    submitted_project,
)
from tests.span_clients import Annotator, ClientLayer, Http, ledger_problems


def _terminate_other_backends() -> int:
    """Cut every connection to the test database but this thread's own: what a PostgreSQL
    restart or failover does to the server's connections."""
    with connection.cursor() as cursor:
        cursor.execute(
            # Each call waits (up to 5 s) until the backend has gone.
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


# POSTGRESQL CONNECTIONS CUT DURING REQUESTS
# ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_cut_database_connections_fail_requests_cleanly_and_the_server_recovers(live_server):
    """The live server runs in this process, one thread (and one database connection) per
    client connection; the test's own connection, which does the cutting, is spared. Each 503
    is retried by the client (tests/span_clients.py): had it saved anything, the retry would
    answer 200 instead of 201 (a create), 409 (an update) or 404 (a delete), and that is reported."""
    project = ProjectFactory(slug="faults", annotators_per_document=6)
    document = DocumentFactory(project=project, source=SourceFactory(slug="herald"), text=ARTICLE)
    annotators: list[Annotator] = []
    for i in range(6):
        user = member(project, Role.ANNOTATOR, username=f"cut-{i}")
        created = layer_assign(document=document, user=user)
        token = token_create(user=user, name=f"client {uuid.uuid4()}")[1]
        annotator = Annotator(Http(live_server.url, token), seed=i, retry_unavailable=True)
        annotator.layers[created.pk] = ClientLayer(created.pk, document.text)
        annotators.append(annotator)

    cutting = threading.Event()
    cutting.set()
    failures: list[BaseException] = []

    def annotate(annotator: Annotator) -> None:
        try:
            layer = next(iter(annotator.layers.values()))
            while cutting.is_set():
                annotator.step(layer)
            for _ in range(30):  # after the cuts: every request must work again, no restart
                annotator.step(layer)
        except BaseException as error:
            failures.append(error)
        finally:
            annotator.http.close()

    threads = [threading.Thread(target=annotate, args=(a,)) for a in annotators]
    for thread in threads:
        thread.start()
    cut = 0
    try:
        time.sleep(0.5)
        for _ in range(40):
            cut += _terminate_other_backends()
            time.sleep(0.1)
    finally:
        cutting.clear()
        for thread in threads:
            thread.join(timeout=120)
    assert not failures, failures
    assert cut > 0

    assert [u for a in annotators for u in a.unexpected] == []
    assert sum(a.unavailable for a in annotators) > 0, "no request was caught mid-way: cut more often"
    assert ledger_problems(annotators) == []
    # Every client's last 30 operations succeeded: the server needed no restart.
    for annotator in annotators:
        assert annotator.http.statuses[500] == 0


@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_servers_connections_were_cut_succeeds_on_a_fresh_connection(live_server):
    """CONN_HEALTH_CHECKS: a kept connection that died while idle is noticed at the next
    request's first query and replaced, so that request does not fail."""
    project = ProjectFactory(slug="idle-cut")
    document = DocumentFactory(project=project, source=SourceFactory(slug="herald"), text=ARTICLE)
    user = member(project, Role.ANNOTATOR, username="idle")
    layer = layer_assign(document=document, user=user)
    http = Http(live_server.url, token_create(user=user, name=f"client {uuid.uuid4()}")[1])
    path = f"/api/v1/assignments/{layer.pk}/spans/"
    body = {"label": "OPINION", "start": 0, "end": 11, "text": ARTICLE[:11]}
    # Kept connections, as under gunicorn (gunicorn.conf.py); read when the server thread connects.
    kept = connections.settings["default"]["CONN_MAX_AGE"]
    connections.settings["default"]["CONN_MAX_AGE"] = 60
    try:
        assert http.call("GET", path)[0] == 200  # the server thread now holds a connection
        assert _terminate_other_backends() >= 1
        status, answer = http.call("POST", path, body)
        assert status == 201, answer
        assert http.call("GET", path)[1]["results"][0]["id"] == answer["id"]
    finally:
        http.close()
        connections.settings["default"]["CONN_MAX_AGE"] = kept


# A CELERY WORKER KILLED IN THE MIDDLE OF A FULL RECOMPUTE
# ------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_recompute_is_replaced_and_the_job_ends_with_the_clean_report(tmp_path):
    """SIGKILL while a chunk runs. The job's heartbeat stops, so after JOB_LEASE the API says
    its worker was lost; the next worker to start sends the job again at once, long before the
    broker's visibility timeout (35 minutes) would give the chunk back. The JobRun shows the
    retry, and the report equals an in-process recompute of the same data."""
    from rest_framework.test import APIClient

    from annotator.agreement.services import agreement_recompute_start, project_agreement_recompute
    from annotator.models import JOB_LEASE, AgreementReport, JobRun, JobStatus, ReportScope
    from tests.workers import WorkerProcess, celery_worker, wait_until

    project = submitted_project(n_documents=300)
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))

    def in_flight(job: JobRun) -> bool:
        """A chunk is running: started, not done, and some chunk already finished."""
        started, done = job.params.get("started", []), job.params.get("done", [])
        return 0 < job.progress < job.total and bool(set(started) - set(done))

    with celery_worker(tmp_path) as worker:
        job = agreement_recompute_start(project=project, user=None, chunk_size=50)
        wait_until(lambda: in_flight(JobRun.objects.get(pk=job.pk)), timeout=60, interval=0.02)
        worker.kill()
        killed = JobRun.objects.get(pk=job.pk)
        assert killed.status == JobStatus.RUNNING and 0 < killed.progress < killed.total
        assert staff.get(f"/api/v1/jobs/{job.pk}/").json()["worker_lost"] is False
        time.sleep(JOB_LEASE.total_seconds() + 1)
        seen = staff.get(f"/api/v1/jobs/{job.pk}/").json()
        assert (seen["status"], seen["worker_lost"]) == ("running", True)
        second = WorkerProcess(worker.queue, tmp_path / "worker-2.log", worker.env)
        returned = time.monotonic()
        second.start()
        try:
            wait_until(lambda: JobRun.objects.get(pk=job.pk).is_finished, timeout=60)
        finally:
            second.stop()
        resumed_in = time.monotonic() - returned

    job.refresh_from_db()
    logs = worker.log.read_text()[-2000:] + (tmp_path / "worker-2.log").read_text()[-2000:]
    assert job.status == JobStatus.SUCCEEDED, (job.error, logs)
    assert job.progress == job.total == 300
    assert sorted(job.params["done"]) == list(range(6))
    assert job.attempts >= 2, (job.params, job.attempts)
    assert resumed_in < 60

    after_kill = AgreementReport.objects.get(project=project, scope=ReportScope.PROJECT, resolution="token")
    clean = project_agreement_recompute(project_id=project.pk)
    assert after_kill.metrics["n_documents"] == 300
    assert after_kill.metrics == json.loads(json.dumps(clean.metrics))


# REDIS AWAY
# ------------------------------------------------------------------------------


@contextlib.contextmanager
def redis_away() -> Iterator[None]:
    """The cache and the Celery broker point at a closed port, as when Redis is down: cache
    calls raise redis' ConnectionError, sending a task raises kombu's OperationalError (after
    Celery's publish retries). Tasks are sent, not run in-process, as in a deployment."""
    from django.test import override_settings

    from config.celery import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    cache_away = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": dead}}

    def forget_broker_connections() -> None:
        # The app pools its broker connections and producers (Celery's own after-fork reset
        # does the same): without this, sends would keep going to the previous URL.
        app._pool = None
        app.amqp._producer_pool = None

    with override_settings(CACHES=cache_away):
        forget_broker_connections()
        app.conf.broker_url, app.conf.task_always_eager = dead, False
        try:
            yield
        finally:
            forget_broker_connections()
            app.conf.broker_url, app.conf.task_always_eager = previous


def _agreement_world() -> dict[str, Any]:
    """A project with k = 2 and three documents; two annotators, a third, a reviewer."""
    from django.core.cache import cache

    cache.clear()
    project = ProjectFactory(slug="redis-away", annotators_per_document=2)
    source = SourceFactory(slug="redis-herald")
    for i in range(3):
        DocumentFactory(project=project, source=source, text=f"{i}. {ARTICLE}")
    roles = {"anna": Role.ANNOTATOR, "ben": Role.ANNOTATOR, "cleo": Role.ANNOTATOR, "rita": Role.REVIEWER}
    users = {name: member(project, role, username=name) for name, role in roles.items()}
    return {"project": project, "users": users}


def _client(user: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _annotate_and_submit(client: Any, project: Any, label: str = "CLAIM") -> dict[str, Any]:
    """Next, every kind of span write, submit: each must be answered as usual."""
    response = client.post(f"/api/v1/projects/{project.pk}/queue/next/")
    assert response.status_code == 200, response.content
    layer = response.json()
    text = layer["document"]["text"]
    spans = f"/api/v1/assignments/{layer['id']}/spans/"
    body = {"client_uuid": str(uuid.uuid4()), "label": label, "start": 3, "end": 14, "text": text[3:14]}
    body["attributes"] = {"evidence": "DATA"}
    created = client.post(spans, body)
    assert created.status_code == 201, created.content
    assert client.post(spans, body).status_code == 200  # the same create again
    span = created.json()
    assert (
        client.patch(
            f"/api/v1/spans/{span['id']}/", {"version": 1, "attributes": {"evidence": "QUOTE"}}
        ).status_code
        == 200
    )
    assert client.patch(f"/api/v1/spans/{span['id']}/", {"version": 1, "label": "OPINION"}).status_code == 409
    assert client.delete(f"/api/v1/spans/{span['id']}/?version=1").status_code == 409
    extra = client.post(
        spans, {**body, "client_uuid": str(uuid.uuid4()), "start": 20, "end": 30, "text": text[20:30]}
    )
    assert extra.status_code == 201, extra.content
    assert client.delete(f"/api/v1/spans/{extra.json()['id']}/?version=1").status_code == 204
    assert client.get(spans).status_code == 200
    assert client.get(f"/api/v1/assignments/{layer['id']}/").status_code == 200
    assert client.get(f"/api/v1/projects/{project.pk}/assignments/").status_code == 200
    submitted = client.post(f"/api/v1/assignments/{layer['id']}/submit/")
    assert submitted.status_code == 200, submitted.content
    return layer


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_redis_away_annotating_works_and_the_figures_catch_up_once_redis_returns(tmp_path):
    from django.test import Client

    from annotator.models import AgreementReport, DocumentAgreement, Project, ReportScope
    from tests.workers import celery_worker, wait_until

    w = _agreement_world()
    project, users = w["project"], w["users"]
    anna, ben, cleo, rita = (_client(users[name]) for name in ("anna", "ben", "cleo", "rita"))
    agreement = f"/api/v1/projects/{project.pk}/agreement/"
    # Before the outage: the first document's two layers reach the report (eager mode).
    first = _annotate_and_submit(anna, project)
    _annotate_and_submit(ben, project)
    assert rita.get(agreement).json()["metrics"]["n_documents"] == 1

    def report_version() -> int:
        return AgreementReport.objects.get(project=project, scope=ReportScope.PROJECT).layers_version

    with redis_away():
        second = _annotate_and_submit(anna, project, label="OPINION")
        _annotate_and_submit(ben, project, label="OPINION")
        # A reviewer reopens a layer and its annotator submits it again; another skips.
        reopen = rita.post(f"/api/v1/assignments/{first['id']}/reopen/", {"note": "check the figure"})
        assert reopen.status_code == 200, reopen.content
        assert anna.post(f"/api/v1/assignments/{first['id']}/submit/").status_code == 200
        layer = cleo.post(f"/api/v1/projects/{project.pk}/queue/next/").json()
        assert (
            cleo.post(f"/api/v1/assignments/{layer['id']}/skip/", {"reason": "paywalled"}).status_code == 200
        )

        # The second document's refresh never ran; the data says the report is behind.
        assert not DocumentAgreement.objects.filter(document_id=second["document"]["id"]).exists()
        assert Project.objects.get(pk=project.pk).layers_version > report_version()
        body = rita.get(agreement).json()
        assert (body["stale"], body["pending"], body["metrics"]["n_documents"]) == (True, True, 1)
        page = Client()
        page.force_login(users["rita"])
        html = page.get(f"/projects/{project.pk}/agreement/").content.decode()
        assert 'id="agreement-stale"' in html

    # Redis is back and a worker runs: the next read asks for the refresh, which catches up.
    with celery_worker(tmp_path) as worker:
        body = rita.get(agreement).json()
        assert (body["stale"], body["pending"]) == (False, True)
        wait_until(lambda: not rita.get(agreement).json()["pending"], timeout=60)
        body = rita.get(agreement).json()
    report = AgreementReport.objects.get(project=project, scope=ReportScope.PROJECT, resolution="token")
    assert (body["stale"], body["metrics"]["n_documents"]) == (False, 2), worker.log.read_text()[-3000:]
    assert report.metrics["n_documents"] == 2
    assert report.layers_version == Project.objects.get(pk=project.pk).layers_version
    assert DocumentAgreement.objects.filter(document_id=second["document"]["id"]).exists()
    page = Client()
    page.force_login(users["rita"])
    assert 'id="agreement-stale"' not in page.get(f"/projects/{project.pk}/agreement/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_in_eager_mode_reading_a_report_behind_its_layers_catches_up_at_once():
    """As after `make run`: the demo loader submitted layers in another process, whose refreshes
    this process never heard of. The data says the report is behind, and the read catches up."""
    from annotator.agreement.services import project_agreement_current
    from annotator.models import Document, DocumentAgreement, Project

    w = _agreement_world()
    project, users = w["project"], w["users"]
    first = _annotate_and_submit(_client(users["anna"]), project)
    _annotate_and_submit(_client(users["ben"]), project)
    # As if the document's refresh had been lost: its statistics gone, a change counted.
    DocumentAgreement.objects.filter(document_id=first["document"]["id"]).delete()
    Document.objects.filter(pk=first["document"]["id"]).update(layers_version=F("layers_version") + 1)
    Project.objects.filter(pk=project.pk).update(layers_version=F("layers_version") + 1)

    current = project_agreement_current(project_id=project.pk)
    assert not current.stale and not current.pending
    assert current.report is not None and current.report.metrics["n_documents"] == 1
    assert DocumentAgreement.objects.filter(document_id=first["document"]["id"]).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_redis_away_jobs_answer_503_leave_nothing_and_work_once_redis_returns(tmp_path, settings):
    """A recompute and a large import cannot reach a worker: 503 with a reason, no JobRun and no
    stored upload left waiting. Signing in needs no Redis. Once Redis is back, the same
    requests start their jobs, which finish."""
    from django.core.files.storage import default_storage

    from annotator.models import JobRun, JobStatus
    from tests.workers import celery_worker, wait_until

    settings.ANNOTATOR_IMPORT_INLINE_BYTES = 10  # any list of records becomes a job

    def stored_uploads() -> set[str]:
        root = Path(default_storage.path("imports"))
        return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()

    uploads_before = stored_uploads()
    w = _agreement_world()
    project, users = w["project"], w["users"]
    rita = _client(users["rita"])
    manager = member(project, Role.MANAGER, username="maria")
    importer = _client(manager)
    recompute = f"/api/v1/projects/{project.pk}/agreement/"
    documents = f"/api/v1/projects/{project.pk}/documents/import/"
    records = {"source": "redis-herald", "documents": [{"title": "Budget", "text": "The budget rose by 4%."}]}

    with redis_away():
        for response in (rita.post(recompute), importer.post(documents, records, format="json")):
            assert response.status_code == 503, response.content
            assert "job queue is not answering" in response.json()["detail"]
            assert response["Retry-After"] == "60"
        assert not JobRun.objects.exists()
        assert stored_uploads() == uploads_before
        # The token endpoint's throttle counts in Redis; signing in does not need it.
        signed_in = _client(None).post(
            "/api/v1/auth/token/", {"username": "maria", "password": DEFAULT_PASSWORD}, format="json"
        )
        assert signed_in.status_code == 200, signed_in.content

    with celery_worker(tmp_path):
        started = [rita.post(recompute), importer.post(documents, records, format="json")]
        assert [r.status_code for r in started] == [202, 202]
        wait_until(lambda: JobRun.objects.filter(status=JobStatus.SUCCEEDED).count() == 2, timeout=60)
    assert project.documents.filter(title="Budget").exists()
