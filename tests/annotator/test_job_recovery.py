"""A job whose worker is lost: the heartbeat shows it, and a running worker sends it again,
once, however many workers look."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.jobs.services import job_heartbeat, job_start, jobs_resume_lost
from annotator.models import JOB_LEASE, JobKind, JobRun, JobStatus

pytestmark = pytest.mark.django_db


def _job(status: str, heard: timedelta | None) -> JobRun:
    job = JobRun.objects.create(kind=JobKind.IMPORT, status=status)
    if heard is not None:
        JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - heard)
    return JobRun.objects.get(pk=job.pk)


def test_only_running_jobs_not_heard_of_for_the_lease_are_sent_again_and_only_once():
    lost = _job(JobStatus.RUNNING, JOB_LEASE + timedelta(seconds=1))
    alive = _job(JobStatus.RUNNING, timedelta(seconds=5))
    done = _job(JobStatus.SUCCEEDED, timedelta(hours=1))
    waiting = _job(JobStatus.PENDING, None)
    assert lost.worker_lost and not alive.worker_lost and not done.worker_lost and not waiting.worker_lost

    sent: list[int] = []
    assert jobs_resume_lost(send=lambda job: sent.append(job.pk)) == [lost.pk]
    # A second worker looking right after finds it claimed (its heartbeat is new again).
    assert jobs_resume_lost(send=lambda job: sent.append(job.pk)) == []
    assert sent == [lost.pk]
    assert not JobRun.objects.get(pk=lost.pk).worker_lost


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_written_while_the_work_runs_and_stops_with_it():
    job = JobRun.objects.create(kind=JobKind.IMPORT)
    job_start(job_id=job.pk)
    JobRun.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with job_heartbeat(job.pk, interval=0.05):
        time.sleep(0.3)
        beat = JobRun.objects.get(pk=job.pk).heartbeat_at
        assert beat is not None and timezone.now() - beat < timedelta(seconds=1)
    stopped = JobRun.objects.get(pk=job.pk).heartbeat_at
    time.sleep(0.2)
    assert JobRun.objects.get(pk=job.pk).heartbeat_at == stopped
