"""REST API under load, as deployed: gunicorn (gunicorn.conf.py: 4 workers, keep-alive) and one Celery worker on
127.0.0.1, PostgreSQL and Redis, client and server sharing this machine.

Prints:
- server memory (PSS of gunicorn and the Celery worker) idle;
- a reference measured in the same run: the p50 of GET /healthz/ (no database, no DRF) at 1
  client, the floor of any request on this machine at that moment;
- SQL statements per span create;
- 20,000 span creates, one request each, at 1 and at 8 concurrent keep-alive clients, each
  client filling one layer (article) after another with 50 spans: requests per second,
  p50 / p95 / p99 latency, server CPU per request;
- a streamed JSONL export of 1,000,000 spans (about 10,000 articles with two submitted layers
  of 50 spans): spans per second and the server's peak memory.

    .venv/bin/python bench/api_load.py [--requests 20000] [--export-spans 1000000]
    .venv/bin/python bench/api_load.py --smoke
    .venv/bin/python bench/api_load.py --requests 2000 --export-spans 20000 --rounds 5    # memory per round

--smoke runs 400 creates and a 10,000-span export, in about half a minute, on a database of
its own dropped at the end (bench/harness.py). It drops and recreates the database named by
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/annotator_bench_api; with
--smoke, that name and "_smoke"). It exits non-zero if a request fails or the export misses a
span.
Targets: at 1 client at least 120 requests/s; at 8 clients at least 250 requests/s with p95
under 50 ms; at most 5 SQL statements per create; export at least 100,000 spans/s; memory under
400 MB idle and within 100 MB of that while exporting.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import harness
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# DATABASE_URL is set by use_database, once the arguments say which database.
os.environ.update(
    REDIS_URL=REDIS_URL,
    DJANGO_SETTINGS_MODULE="config.settings.base",
    DJANGO_DEBUG="0",
    DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
)
ARTICLE = (
    "The council said the tram extension would cost £48 million \u2013 a figure critics called “fantasy”. "
    "Officials, speaking anonymously, expect delays of 12 months. 🚋 Passengers are not convinced. "
) * 16
N_CLIENTS = 8
# A layer takes this many spans (a busy article), so 20,000 creates fill 400 layers.
SPANS_PER_LAYER = 50


def use_database(url: str, *, smoke: bool) -> None:
    """Make the database of `url` empty (a smoke run's is dropped when the run ends) and the one
    this process and the servers it starts use. Call before Django is set up."""
    if smoke:
        harness.throwaway_database(url)
    else:
        harness.fresh_database(url)
    os.environ["DATABASE_URL"] = url


def database_name() -> str:
    """The name of the run's database (use_database sets it)."""
    return os.environ["DATABASE_URL"].partition("?")[0].rsplit("/", 1)[1]


def _setup(n_clients: int, n_documents: int) -> tuple[list[str], list[list[int]], int, str]:
    """Migrate; one project with `n_documents` articles, one annotator per client with a layer
    of each article, and a manager to export. Returns the annotators' tokens, their layer ids
    (one list per annotator, in document order), the project id and the manager's token."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from annotator.accounts.services import token_create
    from annotator.imports import text_sha256
    from annotator.layers.services import layers_recount
    from annotator.models import Document, Layer, Source
    from annotator.projects.services import membership_set, project_create

    call_command("migrate", verbosity=0)
    project = project_create(name="Load", slug="load", annotators_per_document=n_clients)
    source = Source.objects.create(name="Bench outlet", slug="bench")
    texts = [f"{n}. {ARTICLE}" for n in range(n_documents)]
    documents = Document.objects.bulk_create(
        Document(
            project=project, source=source, title=f"Article {n}", text=text, text_sha256=text_sha256(text)
        )
        for n, text in enumerate(texts)
    )
    tokens, layers = [], []
    for i in range(n_clients):
        user = User.objects.create_user(f"load{i}")
        membership_set(project=project, user=user, role="annotator")
        created = Layer.objects.bulk_create(Layer(document=d, user=user) for d in documents)
        layers_recount(document_ids=[d.pk for d in documents])
        layers.append([a.pk for a in created])
        tokens.append(token_create(user=user, name=f"client {uuid.uuid4()}")[1])
    manager = User.objects.create_user("load-manager")
    membership_set(project=project, user=manager, role="manager")
    return tokens, layers, project.pk, token_create(user=manager, name=f"client {uuid.uuid4()}")[1]


def _statements_per_create(token: str, layer: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotator.models import Layer

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    text = Layer.objects.get(pk=layer).document.text
    body = {"label": "OPINION", "start": 3, "end": 14, "text": text[3:14], "client_uuid": str(uuid.uuid4())}
    client.post(f"/api/v1/assignments/{layer}/spans/", body, format="json")  # warm up
    body["client_uuid"], body["start"] = str(uuid.uuid4()), 4
    body["text"] = text[4:14]
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/v1/assignments/{layer}/spans/", body, format="json")
    assert response.status_code == 201, response.content
    return len([q for q in ctx.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])


def _start_gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn as the Dockerfile runs it (gunicorn.conf.py), on 127.0.0.1:`port`."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _start_celery(env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """One Celery worker (one pool process), in a session of its own so that bench/load.py can
    kill the whole worker, pool included, as a lost machine would be. Output to `log`, if given."""
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1", "-l", "warning"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def _tree_pids(root: int) -> list[int]:
    children = Path(f"/proc/{root}/task/{root}/children")
    pids = [root]
    if children.exists():
        for child in children.read_text().split():
            pids += _tree_pids(int(child))
    return pids


def _pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _cpu_seconds(pids: list[int], *, ended_children: bool = False) -> float:
    """User and system CPU the processes used so far (0 for one that is gone); with
    `ended_children`, also that of their children that ended (a server's closed backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    last = 15 if ended_children else 13  # /proc/PID/stat: utime, stime, cutime, cstime
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:last])
        except OSError:
            pass
    return total / ticks


def _load(
    port: int,
    tokens: list[str],
    layers: list[list[int]],
    clients: int,
    total: int,
    label: str,
    first_document: int = 0,
) -> tuple[list[float], float]:
    """`total` creates spread over `clients` threads, each with one keep-alive connection. Each
    client annotates as a person would: SPANS_PER_LAYER spans into a layer, then the next layer,
    from its layer of document `first_document` on."""
    per_client = total // clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    text_length = len(ARTICLE)

    def run(i: int) -> None:
        try:
            send(i)
        except Exception as error:  # a broken connection, say: the load failed, not just this thread
            errors.append(repr(error))

    def send(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Token {tokens[i]}", "Content-Type": "application/json"}
        for n in range(per_client):
            document = first_document + n // SPANS_PER_LAYER
            text = f"{document}. {ARTICLE}"
            start = (n * 37) % (text_length - 40)
            end = start + 5 + n % 30
            body = json.dumps(
                {
                    "client_uuid": str(uuid.uuid4()),
                    "label": label,
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "attributes": {"evidence": "DATA"},
                }
            )
            began = time.perf_counter()
            conn.request("POST", f"/api/v1/assignments/{layers[i][document]}/spans/", body, headers)
            response = conn.getresponse()
            payload = response.read()
            latencies[i].append(time.perf_counter() - began)
            if response.status not in (200, 201) and len(errors) < 5:
                errors.append(f"{response.status} {payload[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"errors during the load: {errors}")
    return [x for xs in latencies for x in xs], elapsed


def _reference(port: int, n: int = 3_000) -> float:
    """p50 (ms) of GET /healthz/ at 1 keep-alive client: the same server, middleware and client,
    no database and no DRF. The floor of any request on this machine at this moment, printed
    beside the span creates so runs on machines of different speed compare."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    for _ in range(n):
        began = time.perf_counter()
        conn.request("GET", "/healthz/")
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - began)
        assert response.status == 200
    conn.close()
    return _percentile(latencies[n // 10 :], 0.5)


def _fill_for_export(project_id: int, n_spans: int) -> int:
    """Submit the layers the load wrote to, then add articles with two submitted layers of
    SPANS_PER_LAYER spans each (written in bulk) until the project holds `n_spans` spans.
    Returns the number of articles exported."""
    from django.contrib.auth.models import User
    from django.db import connection

    from annotator.imports import text_sha256
    from annotator.models import Document, Label, Layer, Source, Span

    Layer.objects.filter(spans__isnull=False).distinct().update(status="submitted")
    missing = n_spans - Span.objects.count()
    layers_per_article = 2
    n_articles = max(0, -(-missing // (SPANS_PER_LAYER * layers_per_article)))
    source = Source.objects.get(slug="bench")
    users = list(User.objects.filter(username__in=["load0", "load1"]))
    label_id = Label.objects.get(project_id=project_id, key="CLAIM").pk
    for batch in range(0, n_articles, 2_000):
        texts = [f"Export {n}. {ARTICLE}" for n in range(batch, min(n_articles, batch + 2_000))]
        documents = Document.objects.bulk_create(
            Document(project_id=project_id, source=source, title="Export", text=t, text_sha256=text_sha256(t))
            for t in texts
        )
        layers = Layer.objects.bulk_create(
            Layer(document=d, user=u, status="submitted") for d in documents for u in users
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO annotator_span (assignment_id, label_id, start, "end", text, attributes, client_uuid,
                                            version, created_at, updated_at)
                SELECT layer, %s, s, s + 10, substr(%s, s + 1, 10), '{"evidence": "QUOTE"}', gen_random_uuid(),
                       1, now(), now()
                FROM unnest(%s::bigint[]) AS layer,
                     LATERAL (SELECT (g * 53) %% %s AS s FROM generate_series(1, %s) AS g) AS offsets
                """,
                [label_id, ARTICLE, [a.pk for a in layers], len(ARTICLE) - 20, SPANS_PER_LAYER],
            )
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load; done here so it does not run during the export.
        cursor.execute("VACUUM ANALYZE")
    return Document.objects.filter(layers__status="submitted").distinct().count()


def _export(port: int, token: str, project_id: int, pids: list[int]) -> tuple[int, float, float]:
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _pss_mb(pids))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        began = time.perf_counter()
        conn.request(
            "GET",
            f"/api/v1/projects/{project_id}/export/?format=jsonl&basis=all",
            headers={"Authorization": f"Token {token}"},
        )
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"export answered {response.status}: {response.read()[:300]!r}")
        spans = 0
        buffer = b""
        while chunk := response.read(1 << 20):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                spans += len(orjson.loads(line)["spans"])
        elapsed = time.perf_counter() - began
    finally:
        done.set()
        sampler.join()
    return spans, elapsed, peak[0]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--export-spans", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the creates this many times on the same server processes, with their memory after each",
    )
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    reference_requests = 3_000
    if args.smoke:
        args.requests, args.export_spans, reference_requests = 400, 10_000, 300

    use_database(harness.database_url("annotator_bench_api", smoke=args.smoke), smoke=args.smoke)
    documents_per_round = args.requests // SPANS_PER_LAYER + 1
    tokens, layers, project_id, manager_token = _setup(N_CLIENTS, documents_per_round * args.rounds)
    print(
        f"SQL statements per span create (and BEGIN, COMMIT): {_statements_per_create(tokens[0], layers[0][-1])}"
    )

    port = harness.free_port()
    env = dict(os.environ)
    if not args.smoke:
        harness.collect_static(env)  # a smoke run does without: the API serves no static file
    gunicorn = _start_gunicorn(port, env)
    celery = _start_celery(env)
    try:
        _wait_for_port(port)
        time.sleep(3)  # let the Celery worker finish starting
        server_pids = _tree_pids(gunicorn.pid)
        all_pids = server_pids + _tree_pids(celery.pid)
        idle = _pss_mb(all_pids)
        print(f"server memory idle (PSS, gunicorn + 1 Celery worker): {idle:.0f} MB")

        reference = _reference(port, reference_requests)
        print(f"reference, GET /healthz/ at 1 client (no database, no DRF): p50 {reference:.2f} ms")

        # Each level its own label, and each round its own documents, so no span repeats an
        # earlier one (an exact duplicate is refused).
        for round_ in range(args.rounds):
            cpu_reference = harness.cpu_reference_ms()  # the machine's speed drifts within a run too
            print(
                f"CPU reference, a fixed pure-Python loop (harness.cpu_reference_ms): {cpu_reference:.0f} ms"
            )
            for clients, label in ((1, "CLAIM"), (N_CLIENTS, "OPINION")):
                cpu_before = _cpu_seconds(server_pids)
                latencies, elapsed = _load(
                    port, tokens, layers, clients, args.requests, label, round_ * documents_per_round
                )
                cpu = _cpu_seconds(server_pids) - cpu_before
                print(
                    f"{clients} client(s): {len(latencies):,} span creates in {elapsed:.1f} s = "
                    f"{len(latencies) / elapsed:.0f} requests/s; latency p50 {_percentile(latencies, 0.5):.1f} ms, "
                    f"p95 {_percentile(latencies, 0.95):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms "
                    f"(p50 {_percentile(latencies, 0.5) / reference:.1f}x the reference); "
                    f"server CPU {cpu / len(latencies) * 1000:.2f} ms per request "
                    f"({cpu / len(latencies) * 1000 / cpu_reference * 100:.1f} % of the CPU reference)"
                )
            if args.rounds > 1:
                time.sleep(2)  # let the Celery worker finish what the round asked of it
                print(
                    f"  after round {round_ + 1} of {args.rounds}: server memory (PSS) "
                    f"{_pss_mb(all_pids):.0f} MB, gunicorn {_pss_mb(server_pids):.0f} MB"
                )

        articles = _fill_for_export(project_id, args.export_spans)
        spans, elapsed, peak = _export(port, manager_token, project_id, all_pids)
        print(
            f"export: {spans:,} spans of {articles:,} articles as JSONL in {elapsed:.1f} s = "
            f"{spans / elapsed:,.0f} spans/s; "
            f"server memory peak {peak:.0f} MB (idle {idle:.0f} MB, +{peak - idle:.0f} MB)"
        )
        from annotator.models import Span

        stored = Span.objects.filter(
            layer__document__project_id=project_id, layer__status="submitted"
        ).count()
        if spans != stored:
            raise SystemExit(f"the export holds {spans:,} spans, the submitted layers {stored:,}")
    finally:
        gunicorn.terminate()
        celery.terminate()
        gunicorn.wait(timeout=30)
        celery.wait(timeout=30)


if __name__ == "__main__":
    main()
