"""The WSGI application, as gunicorn (the Dockerfile, bench/) and runserver load it."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()


def _settle_garbage_collector() -> None:
    """Load every view now rather than at the first request, then take everything loaded out of
    the cyclic garbage collector's sight (gc.freeze) and let it run less often. A request makes
    thousands of short-lived containers (an export, a few per span), and each collection of
    the oldest generation walked the whole of Django, DRF and the project's modules again: a
    fifth of an export's time. The thresholds let about 50,000 new containers wait for a
    collection (a few MB at most) instead of 700."""
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and with it every view)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


_settle_garbage_collector()
