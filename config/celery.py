"""The Celery app. Tasks are found in each app's tasks.py; settings use the CELERY_ prefix."""

import os
from typing import Any

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# One BLAS thread per process: the profile bootstrap's matrix products are small (about
# 2,000 x 100 per source), where OpenBLAS's thread pool costs more than it saves (about three
# times slower on a busy two-CPU machine, bench/profiles_maths.py); scale with worker processes
# instead. OpenBLAS reads this once, when numpy is first imported, and config/__init__.py
# imports this module before anything loads numpy. An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

app = Celery("annotator")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class LostJobsStep(bootsteps.StartStopStep):
    """Every worker looks for jobs whose worker was lost, every few seconds, and sends them
    again (annotator.tasks.resume_lost_jobs): a killed worker's job resumes on any worker that
    runs, or on the next to start."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref: Any = None

    def start(self, worker: Any) -> None:
        from annotator.models import JOB_HEARTBEAT
        from annotator.tasks import resume_lost_jobs

        # Lost jobs go to a queue this worker serves (the default one unless it was given -Q).
        consumed = worker.app.amqp.queues.consume_from
        queue = next(iter(consumed), None) if consumed else None
        resume_lost_jobs(queue=queue)  # at once: the jobs of a worker that died before this one started
        self.timer_ref = worker.timer.call_repeatedly(
            JOB_HEARTBEAT.total_seconds(), resume_lost_jobs, kwargs={"queue": queue}
        )

    def stop(self, worker: Any) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()


app.steps["worker"].add(LostJobsStep)
