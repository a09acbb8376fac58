"""gunicorn's settings for this project, read from the working directory when gunicorn starts
(the Dockerfile, compose.yaml and bench/api_load.py run it from the repository's root). The
address (--bind) is given where it is started."""

import os

# Each worker thread keeps its database connection between requests (CONN_MAX_AGE) only here:
# gunicorn's threads are few and long-lived. runserver starts a thread per request, and a kept
# connection per thread would fill PostgreSQL's connection slots (the base settings default to 0).
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")

# Each worker runs Python one thread at a time, so requests queue behind a slow one (queue Next,
# submit) in the same worker. More workers with fewer threads kept the tail down: with 300
# annotators at a person's pace on 2 cores (bench/capacity.py, two runs each), 4 workers x 2 threads
# answered p95 70-77 ms against 96-140 ms for 2 x 4. WEB_CONCURRENCY overrides the worker count.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# The application loads once, in the master, before the port opens; workers are forked from it
# ready to answer and share its memory. Without it the port opened at once and each worker loaded
# Django and the project itself: requests waited up to 4.7 s while 4 workers loaded on 2 cores,
# and idle workers held 831 MB (PSS) against 288 MB. Nothing opens a connection or a thread while
# the application loads (tests/config/test_settings.py), so no socket is shared across the fork.
preload_app = True
worker_class = "gthread"
threads = 2
keepalive = 30
worker_tmp_dir = "/dev/shm"  # noqa: S108  # heartbeat files in memory, off the container's overlay disk
control_socket_disable = True
accesslog = "-"
errorlog = "-"
