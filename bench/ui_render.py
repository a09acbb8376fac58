"""Annotation page speed in headless Chromium: a 100,000-character document with 1,000 spans.

Prints the time from navigation to all highlights drawn, the renderer's own share of it, and the
median time to add one span: keypress to highlight painted, and to saved over the API (gunicorn,
two workers, debug off).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator_bench .venv/bin/python bench/ui_render.py

Targets: first render under 1 s, adding a span under 50 ms. Needs Debian's chromium.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/annotator_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

N_CHARS = 100_000
N_SPANS = 1_000
N_ADDS = 25
WORDS = [
    "tram",
    "council",
    "budget",
    "strike",
    "union",
    "fares",
    "depot",
    "£48",
    "million",
    "12%",
    "“quoted”",
    "\u2013",
]


def _ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _article(rng: random.Random) -> str:
    parts: list[str] = []
    length = 0
    while length < N_CHARS:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + ". "
        if rng.random() < 0.05:
            sentence += "🚋 "
        if rng.random() < 0.08:
            sentence += "\n\n"
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[:N_CHARS]


def _setup() -> tuple[int, str, str]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import User

    from annotator.imports import text_sha256
    from annotator.models import Document, Label, Layer, Project, Source, Span
    from annotator.projects.services import membership_set, project_create

    Project.objects.filter(slug="bench-ui").delete()
    project = project_create(name="UI bench", slug="bench-ui")
    password = "bench-ui-password"  # a throwaway account in a throwaway database
    user, _ = User.objects.get_or_create(username="bench-ui-annotator")
    user.set_password(password)
    user.save()
    membership_set(project=project, user=user, role="annotator")
    rng = random.Random(7)
    text = _article(rng)
    source, _ = Source.objects.get_or_create(slug="bench-ui", defaults={"name": "Bench outlet"})
    document = Document.objects.create(
        project=project, source=source, text=text, text_sha256=text_sha256(text)
    )
    layer = Layer.objects.create(document=document, user=user)
    labels = list(Label.objects.filter(project=project))
    spans = []
    for i in range(N_SPANS):
        start = i * (N_CHARS // N_SPANS) + rng.randint(0, 20)
        end = min(N_CHARS, start + rng.randint(10, 140))  # many overlap their neighbours
        spans.append(Span(layer=layer, label=rng.choice(labels), start=start, end=end, text=text[start:end]))
    Span.objects.bulk_create(spans)
    return layer.pk, user.username, password


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    _ensure_database()
    layer_id, username, password = _setup()
    port = _free_port()
    # As deployed: gunicorn, debug off, static files collected and served by whitenoise.
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "2", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        _measure(f"http://127.0.0.1:{port}", layer_id, username, password)
    finally:
        server.terminate()


def _measure(base: str, layer_id: int, username: str, password: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base).new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        loads, renders = [], []
        for _ in range(5):
            page.goto(f"/annotate/{layer_id}/")
            page.wait_for_selector("body[data-ready='true']")
            loads.append(page.evaluate("performance.now()"))
            renders.append(float(page.evaluate("document.getElementById('doc-text').dataset.renderMs")))
        highlighted = page.evaluate("document.querySelectorAll('#doc-text .hl').length")
        page.evaluate(
            "document.addEventListener('keydown', () => { window.__t0 = performance.now(); }, {capture: true})"
        )
        adds, drawn = [], []
        rng = random.Random(3)
        text_length = page.evaluate("document.getElementById('doc-text').textContent.length")
        for _ in range(N_ADDS):
            at = rng.randint(0, text_length - 200)
            page.evaluate(
                """(at) => { const box = document.getElementById('doc-text');
                    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
                    let node, seen = 0; while ((node = walker.nextNode())) {
                      if (node.parentElement.closest('[data-offset-ignore]')) continue;
                      if (seen + node.length > at + 5) break; seen += node.length; }
                    const offset = Math.max(0, Math.min(node.length - 1, at - seen));
                    window.getSelection().setBaseAndExtent(node, offset, node, Math.min(node.length, offset + 3)); }""",
                at,
            )
            page.keyboard.press("2")
            page.wait_for_function(
                "performance.getEntriesByName('annotate:drawn').some((m) => m.startTime > window.__t0)"
            )
            drawn.append(
                page.evaluate("performance.getEntriesByName('annotate:drawn').at(-1).startTime - window.__t0")
            )
            page.wait_for_function(
                "document.getElementById('save-state').dataset.state === 'saved'", polling="raf"
            )
            adds.append(page.evaluate("performance.now() - window.__t0"))
        browser.close()
    print(f"document: {N_CHARS:,} characters, {N_SPANS:,} spans ({highlighted:,} highlighted segments)")
    print(f"navigation to all highlights drawn: median {statistics.median(loads):.0f} ms (target < 1000 ms)")
    print(f"  of which drawing the highlights: median {statistics.median(renders):.0f} ms")
    print(f"add one span, keypress to highlight drawn: median {statistics.median(drawn):.1f} ms")
    print(
        f"add one span, keypress to drawn and saved over the API: median {statistics.median(adds):.1f} ms, "
        f"p90 {sorted(adds)[int(len(adds) * 0.9)]:.1f} ms over {N_ADDS} adds (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
