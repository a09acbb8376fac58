"""Annotation page speed in headless Chromium: a 100,000-character document with 1,000 spans.

Prints the time from navigation to all highlights drawn, the renderer's own share of it, and the
median time to add one span: keypress to highlight painted, and to saved over the API (gunicorn,
two workers, debug off, the site's own Content-Security-Policy in force).

    .venv/bin/python bench/ui_render.py            # full size, about 10 s
    .venv/bin/python bench/ui_render.py --smoke    # 10,000 characters, 100 spans, 5 adds

The database is BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/annotator_bench_ui
(see bench/harness.py). A smoke run uses a throwaway one and checks only that every step runs.
collectstatic runs first when a static file changed since it last ran; it adds about 35 s.

The page records each time itself and the bench reads it afterwards, so polling from outside
the page never adds to a figure. Navigation and a keypress count until the next paint after the
page has drawn the highlights; "saved" is when the page marks the change saved.

Targets: first render under 1 s, adding a span under 50 ms. Needs Debian's chromium.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import harness

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

DATABASE_NAME = "annotator_bench_ui"


class Size(NamedTuple):
    chars: int
    spans: int
    adds: int


FULL = Size(chars=100_000, spans=1_000, adds=25)
SMOKE = Size(chars=10_000, spans=100, adds=5)
N_LOADS = 5
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

# The site's Content-Security-Policy (script-src 'self') refuses eval, and wait_for_function
# compiles its predicate with eval inside the page, so this bench never calls it. page.evaluate
# and init scripts go through the DevTools protocol, which the policy does not govern: the page
# runs under the policy it is served with, as in production, and records its own times.

# Before any page script: a promise of the time of the next paint after the page marks itself
# ready (body[data-ready], set once every highlight is drawn). The same rule as the page's own
# "annotate:drawn" mark.
READY_SCRIPT = """
window.__benchReady = new Promise((resolve) => {
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.ready !== "true") return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now())));
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
});
"""

# On each keypress, before the page's own handler: a promise of [keypress to the page's next
# "annotate:drawn" mark, keypress to both that mark and the save badge turning "saved"], in ms.
ADD_RECORDER = """() => {
  const badge = document.getElementById("save-state");
  document.addEventListener("keydown", () => {
    const t0 = performance.now();
    window.__benchAdd = new Promise((resolve, reject) => {
      let drawn = 0;
      let saved = 0;
      const done = () => drawn && saved && resolve([drawn - t0, Math.max(drawn, saved) - t0]);
      const marks = new PerformanceObserver((list) => {
        const mark = list.getEntriesByName("annotate:drawn").find((m) => m.startTime > t0);
        if (!mark) return;
        drawn = mark.startTime;
        marks.disconnect();
        done();
      });
      marks.observe({ type: "mark" });
      const states = new MutationObserver(() => {
        if (badge.dataset.state !== "saved") return;
        saved = performance.now();
        states.disconnect();
        done();
      });
      states.observe(badge, { attributes: true, attributeFilter: ["data-state"] });
      setTimeout(() => reject(new Error(`after 10 s: drawn ${drawn}, saved ${saved}`)), 10000);
    });
  }, { capture: true });
}"""

# Selects 3 characters of the text at a code-unit offset, skipping the badges.
SELECT_AT = """(at) => { const box = document.getElementById('doc-text');
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let node, seen = 0; while ((node = walker.nextNode())) {
      if (node.parentElement.closest('[data-offset-ignore]')) continue;
      if (seen + node.length > at + 5) break; seen += node.length; }
    const offset = Math.max(0, Math.min(node.length - 1, at - seen));
    window.getSelection().setBaseAndExtent(node, offset, node, Math.min(node.length, offset + 3)); }"""


def _article(rng: random.Random, n_chars: int) -> str:
    parts: list[str] = []
    length = 0
    while length < n_chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + ". "
        if rng.random() < 0.05:
            sentence += "🚋 "
        if rng.random() < 0.08:
            sentence += "\n\n"
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[:n_chars]


def _setup(size: Size) -> tuple[int, str, str]:
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
    text = _article(rng, size.chars)
    source, _ = Source.objects.get_or_create(slug="bench-ui", defaults={"name": "Bench outlet"})
    document = Document.objects.create(
        project=project, source=source, text=text, text_sha256=text_sha256(text)
    )
    layer = Layer.objects.create(document=document, user=user)
    labels = list(Label.objects.filter(project=project))
    spans = []
    for i in range(size.spans):
        start = i * (size.chars // size.spans) + rng.randint(0, 20)
        end = min(size.chars, start + rng.randint(10, 140))  # many overlap their neighbours
        spans.append(Span(layer=layer, label=rng.choice(labels), start=start, end=end, text=text[start:end]))
    Span.objects.bulk_create(spans)
    return layer.pk, user.username, password


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    size = SMOKE if args.smoke else FULL
    url = harness.database_url(DATABASE_NAME, smoke=args.smoke)
    if args.smoke:
        harness.throwaway_database(url)
    else:
        harness.ensure_database(url)
    os.environ["DATABASE_URL"] = url  # for Django here and for gunicorn below
    layer_id, username, password = _setup(size)
    port = harness.free_port()
    # As deployed: gunicorn, debug off, static files collected and served by whitenoise.
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    harness.collect_static(env)
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
        _measure(f"http://127.0.0.1:{port}", layer_id, username, password, size)
    finally:
        server.terminate()
        server.wait(timeout=10)  # before a smoke run's database is dropped at exit


def _measure(base: str, layer_id: int, username: str, password: str, size: Size) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
        context.add_init_script(READY_SCRIPT)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        loads, renders = [], []
        for _ in range(N_LOADS):
            page.goto(f"/annotate/{layer_id}/")
            page.wait_for_selector("body[data-ready='true']")
            loads.append(float(page.evaluate("window.__benchReady")))
            renders.append(float(page.locator("#doc-text").get_attribute("data-render-ms") or "nan"))
        highlighted = page.locator("#doc-text .hl").count()
        page.evaluate(ADD_RECORDER)
        adds, drawn = [], []
        rng = random.Random(3)
        text_length = page.evaluate("document.getElementById('doc-text').textContent.length")
        for _ in range(size.adds):
            page.evaluate(SELECT_AT, rng.randint(0, text_length - 200))
            page.keyboard.press("2")
            to_drawn, to_saved = page.evaluate("window.__benchAdd")
            drawn.append(to_drawn)
            adds.append(to_saved)
        browser.close()
    print(f"document: {size.chars:,} characters, {size.spans:,} spans ({highlighted:,} highlighted segments)")
    print(f"navigation to all highlights drawn: median {statistics.median(loads):.0f} ms (target < 1000 ms)")
    print(f"  of which drawing the highlights: median {statistics.median(renders):.0f} ms")
    print(f"add one span, keypress to highlight drawn: median {statistics.median(drawn):.1f} ms")
    print(
        f"add one span, keypress to drawn and saved over the API: median {statistics.median(adds):.1f} ms, "
        f"p90 {sorted(adds)[int(len(adds) * 0.9)]:.1f} ms over {size.adds} adds (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
