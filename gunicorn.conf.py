"""gunicorn's settings for this project, read from the working directory when gunicorn starts
(the Dockerfile, compose.yaml and bench/api_load.py run it from the repository's root). The
address (--bind) and the number of workers (-w) are given where it is started."""

import os

# Each worker thread keeps its database connection between requests (CONN_MAX_AGE) only here:
# gunicorn's threads are few and long-lived. runserver starts a thread per request, and a kept
# connection per thread would fill PostgreSQL's connection slots (the base settings default to 0).
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")

worker_class = "gthread"
threads = 4
keepalive = 30
worker_tmp_dir = "/dev/shm"  # noqa: S108  # heartbeat files in memory, off the container's overlay disk
control_socket_disable = True
accesslog = "-"
errorlog = "-"
