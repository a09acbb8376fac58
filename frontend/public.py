"""The published scorecards: a source index and a page per source at a public address with no
login, and their JSON twins. They read annotator.publishing's selectors only, which hand over
what a published project's stored profiles say and nothing else. Responses are cached whole,
keyed by the publication and the profiles' computation time, so a recompute or a change of
basis shows at once; browsers and proxies revalidate each time (ETag), so unpublishing
removes them everywhere on the next request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import http_date
from redis.exceptions import RedisError

from annotator.models import ProfileBasis
from annotator.publishing.selectors import (
    Published,
    methodology,
    published_cards,
    published_changes,
    published_get,
)
from frontend.profiles_page import CONFIDENCE_TEXT, METRICS, drift_charts, rating_rows

# Browsers and proxies may keep a page but ask again each time (a 304 when nothing changed):
# unpublishing must take the pages down at once, everywhere.
CACHE_CONTROL = "public, no-cache"


def _published(slug: str) -> Published:
    published = published_get(slug=slug)
    if published is None:
        raise Http404("No published scorecards here.")
    return published


def _cached(request: HttpRequest, published: Published, build: Callable[[], HttpResponse]) -> HttpResponse:
    """The response for this address from the cache, built on a miss; with an ETag that lets
    browsers and proxies keep it and ask with If-None-Match (304 while it is the same)."""
    stamp = published.computed_at.timestamp() if published.computed_at else 0
    key = f"scorecards:{published.publication.pk}:{published.publication.published_at.timestamp()}:{stamp}:{request.path}"
    etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
    if etag in request.headers.get("If-None-Match", ""):
        not_modified = HttpResponse(status=304)
        not_modified["ETag"], not_modified["Cache-Control"] = etag, CACHE_CONTROL
        return not_modified
    try:
        stored = cache.get(key)
    except RedisError:  # the cache away: the page is built each time, as correct and slower
        stored = None
    if stored is None:
        response = build()  # a missing source raises Http404: never cached
        stored = (response["Content-Type"], response.content)
        with suppress(RedisError):
            cache.set(key, stored, timeout=3600)
    content_type, content = stored
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["ETag"] = etag
    if published.computed_at:
        response["Last-Modified"] = http_date(published.computed_at.timestamp())
    return response


def _context(published: Published) -> dict[str, Any]:
    return {
        "project": {
            "name": published.project.name,
            "slug": published.project.slug,
            "description": published.project.description,
        },
        "basis": ProfileBasis(published.publication.basis).label,
        "computed_at": published.computed_at,
        "confidence_text": CONFIDENCE_TEXT,
    }


def scorecards_index(request: HttpRequest, slug: str) -> HttpResponse:
    published = _published(slug)

    def build() -> HttpResponse:
        context = {**_context(published), "cards": published_cards(published=published)}
        return render(request, "frontend/public/scorecards.html", context)

    return _cached(request, published, build)


def scorecard_page(request: HttpRequest, slug: str, source_slug: str) -> HttpResponse:
    published = _published(slug)

    def build() -> HttpResponse:
        cards = published_cards(published=published, source_slug=source_slug)
        if not cards:
            raise Http404("No such source in these scorecards.")
        card = cards[0]
        context = {
            **_context(published),
            "card": card,
            "span_rows": [
                {"name": METRICS[key].name if key in METRICS else key, "figure": figure}
                for key, figure in card["span_figures"].items()
            ],
            "rating_rows": rating_rows(card["questions"]),
            "drift": drift_charts(card["questions"]),
            "changes": published_changes(published=published, source_slug=source_slug),
            "methodology": methodology(published=published),
        }
        return render(request, "frontend/public/scorecard.html", context)

    return _cached(request, published, build)


def scorecards_index_json(request: HttpRequest, slug: str) -> HttpResponse:
    published = _published(slug)

    def build() -> HttpResponse:
        return JsonResponse(
            {
                "project": _context(published)["project"],
                "basis": published.publication.basis,
                "computed_at": published.computed_at,
                "methodology": methodology(published=published),
                "sources": published_cards(published=published),
            },
            json_dumps_params={"ensure_ascii": False},
        )

    return _cached(request, published, build)


def scorecard_json(request: HttpRequest, slug: str, source_slug: str) -> HttpResponse:
    published = _published(slug)

    def build() -> HttpResponse:
        cards = published_cards(published=published, source_slug=source_slug)
        if not cards:
            raise Http404("No such source in these scorecards.")
        return JsonResponse(
            {
                **cards[0],
                "basis": published.publication.basis,
                "computed_at": published.computed_at,
                "changes": published_changes(published=published, source_slug=source_slug),
            },
            json_dumps_params={"ensure_ascii": False},
        )

    return _cached(request, published, build)
