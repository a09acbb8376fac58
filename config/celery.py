"""The Celery app. Tasks are found in each app's tasks.py; settings use the CELERY_ prefix."""

import os

from celery import Celery

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
