"""Annotators under load, with faults: gunicorn (gunicorn.conf.py) and one Celery worker on 127.0.0.1,
PostgreSQL and Redis, 50 simulated annotators (tests/span_clients.py) on the same machine.

Each annotator loops until the run's time is up: Next, 20 random span operations (creates, a
create sent twice with one client_uuid as after a lost answer, updates and deletes at the
current version, and at a stale one, answered 409), submit. No think time.

Prints, per run:
- requests per second; latency p50 / p95 / p99 overall and per kind of request; server CPU per
  request; errors (any answer the annotator's model did not predict, a 5xx, a lost connection);
- nothing lost: every acknowledged span operation is in PostgreSQL exactly once and nothing
  else is (`ledger_problems`), no document got more than k layers (`queue_problems`), and once
  the Celery worker has caught up every document with two or more submitted layers has its
  agreement statistics, the project report counts them all, and it equals a full recompute
  from the layers.
Runs: one annotator for 10 s (service times without queueing), then 50 annotators for 60 s,
then 50 for 60 s while the Celery worker is killed (SIGKILL, pool included) and restarted every
15 s, then 50 for 60 s at a person's pace (about --think seconds, default 1, before each
request: latency as annotators see it, with the server far from saturated). Its tasks are acknowledged late, so a killed worker's task is handed out again after the
visibility timeout (CELERY_VISIBILITY_TIMEOUT, 10 s here).

    .venv/bin/python bench/load.py [--seconds 60] [--annotators 50]
    .venv/bin/python bench/load.py --smoke

--smoke runs 3 annotators on 100 articles, each run 2-3 s, the worker killed every 1.5 s and
a visibility timeout of 4 s, in about half a minute, on a database of its own dropped at the
end (bench/harness.py). It drops and recreates the database named by BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/annotator_bench_load; with --smoke, that name and
"_smoke"), and starts a Redis of its own (redis-server on a free port), so no one else's queues
or flushes meet the run's. The Celery worker's log goes to var/bench-load-celery.log.
Targets: p95 under 50 ms, 0 errors, 0 lost. It exits non-zero after an error, a lost or
phantom span operation, a document past k or agreement that did not catch up or differs
from the recompute.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import api_load  # noqa: E402  (a sibling; it sets REDIS_URL and settings for this process)
from api_load import (  # noqa: E402
    _cpu_seconds,
    _percentile,
    _start_celery,
    _start_gunicorn,
    _tree_pids,
    _wait_for_port,
    database_name,
    use_database,
)

from tests.span_clients import Annotator, Http, ledger_problems, queue_problems  # noqa: E402

K = 3
OPERATIONS_PER_LAYER = 20
N_DOCUMENTS = 3000
KILL_EVERY = 15.0
SENTENCES = api_load.ARTICLE.split(". ")


def visibility_timeout(*, smoke: bool) -> int:
    """Seconds after which the worker hands out a killed worker's task again: 10 (a smoke run 4)
    unless CELERY_VISIBILITY_TIMEOUT says, set for the workers this process starts."""
    return int(os.environ.setdefault("CELERY_VISIBILITY_TIMEOUT", "4" if smoke else "10"))


def _start_redis() -> tuple[subprocess.Popen[bytes], str]:
    """A Redis for this run only, in memory."""
    port = harness.free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_port(port)
    return process, f"redis://127.0.0.1:{port}/0"


def _setup(n_annotators: int, n_documents: int = N_DOCUMENTS) -> tuple[int, list[str]]:
    """Migrate; a project with k = 3 and `n_documents` articles; the annotators' tokens."""
    import random

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from annotator.accounts.services import token_create
    from annotator.imports import text_sha256
    from annotator.models import Document, Source
    from annotator.projects.services import membership_set, project_create

    call_command("migrate", verbosity=0)
    cache.clear()
    project = project_create(
        name="Load",
        slug="load",
        annotators_per_document=K,
        targets=("Harbour City Council", "Tramline Extension"),
    )
    source = Source.objects.create(name="Bench outlet", slug="bench")
    rng = random.Random(0)
    texts = [f"Story {i}. " + ". ".join(rng.choices(SENTENCES, k=12)) for i in range(n_documents)]
    Document.objects.bulk_create(
        Document(project=project, source=source, text=text, text_sha256=text_sha256(text)) for text in texts
    )
    tokens = []
    for i in range(n_annotators):
        user = User.objects.create_user(f"annotator{i}")
        membership_set(project=project, user=user, role="annotator")
        tokens.append(token_create(user=user, name=f"client {uuid.uuid4()}")[1])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does after a bulk load, before the planner needs it
    return project.pk, tokens


class CeleryWorker:
    """The one Celery worker; `kill` takes it down with its pool process, as a lost host."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process = _start_celery(env, log)
        self.kills = 0

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def restart(self) -> None:
        self.process = _start_celery(self.env, self.log)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (every process, every CPU)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _backend_pids(database: str) -> list[int]:
    """PostgreSQL's processes serving `database` (their title names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and f" {database} ".encode() in title:
                pids.append(int(entry.name))
    return pids


class CpuUse:
    """Where the machine's CPU went during a run: gunicorn, the Celery worker, PostgreSQL (the
    bench database's backends), these simulated clients, and everything else on the machine
    (other programs). Processes are sampled twice a second, so the CPU of a worker killed or a
    connection closed during the run is counted up to its last sample."""

    def __init__(self, parts: dict[str, Callable[[], list[int]]]) -> None:
        self.parts = parts
        self.first: dict[str, dict[int, float]] = {name: {} for name in parts}
        self.last: dict[str, dict[int, float]] = {name: {} for name in parts}
        self.machine, self.clients = _machine_busy_seconds(), time.process_time()
        self._sample(at_start=True)
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._keep_sampling)
        self.sampler.start()

    def _sample(self, at_start: bool = False) -> None:
        for name, pids_of in self.parts.items():
            for pid in pids_of():
                cpu = _cpu_seconds([pid])  # 0 once the process is gone; CPU time never falls
                self.first[name].setdefault(pid, cpu if at_start else 0.0)
                self.last[name][pid] = max(cpu, self.last[name].get(pid, 0.0))

    def _keep_sampling(self) -> None:
        while not self.done.wait(0.5):
            self._sample()

    def stop(self) -> dict[str, float]:
        """CPU seconds used during the run, by part."""
        self.done.set()
        self.sampler.join()
        self._sample()
        used = {
            name: sum(last[pid] - self.first[name][pid] for pid in last) for name, last in self.last.items()
        }
        used["clients"] = time.process_time() - self.clients
        used["everything else"] = _machine_busy_seconds() - self.machine - sum(used.values())
        return used


def _run(
    annotators: list[Annotator],
    project_id: int,
    seconds: float,
    worker: CeleryWorker,
    server: list[int],
    *,
    chaos: bool = False,
    kill_every: float = KILL_EVERY,
    think: float = 0.0,
) -> dict[str, Any]:
    """Every annotator loops (Next, OPERATIONS_PER_LAYER operations, submit) until time is up,
    pausing about `think` seconds (0.5 to 1.5 times it) before each request; with `chaos`, the
    Celery worker is killed and restarted every `kill_every` seconds meanwhile."""
    for annotator in annotators:
        annotator.http.latencies.clear()
        annotator.http.statuses.clear()
    unexpected_before = [len(a.unexpected) for a in annotators]
    deadline = time.monotonic() + seconds
    stop = threading.Event()

    def annotate(annotator: Annotator) -> None:
        try:
            work(annotator)
        except Exception as error:  # an error of the run, not only of its thread
            annotator.unexpected.append(f"the simulated annotator stopped: {error!r}")

    def work(annotator: Annotator) -> None:
        pace = random.Random(id(annotator))

        def pause() -> None:
            if think:
                time.sleep(think * pace.uniform(0.5, 1.5))

        while time.monotonic() < deadline:
            pause()
            layer = annotator.next_layer(project_id)
            if layer is None:
                return
            for _ in range(OPERATIONS_PER_LAYER):
                pause()
                if time.monotonic() >= deadline:
                    return  # the layer stays in progress; Next hands it back next run
                annotator.step(layer)
            pause()
            annotator.submit(layer)

    def kill_and_restart() -> None:
        while not stop.wait(kill_every):
            worker.kill()
            worker.restart()

    threads = [threading.Thread(target=annotate, args=(a,)) for a in annotators]
    killer = threading.Thread(target=kill_and_restart) if chaos else None
    cpu_use = CpuUse(
        {
            "gunicorn": lambda: server,
            "Celery": lambda: _tree_pids(worker.process.pid),
            "PostgreSQL": lambda: _backend_pids(database_name()),
        }
    )
    began = time.perf_counter()
    if killer:
        killer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    stop.set()
    if killer:
        killer.join()
    used = cpu_use.stop()
    latencies: dict[str, list[float]] = {}
    statuses: Counter[int] = Counter()
    for annotator in annotators:
        statuses.update(annotator.http.statuses)
        for kind, values in annotator.http.latencies.items():
            latencies.setdefault(kind, []).extend(values)
    unexpected = [
        u for a, before in zip(annotators, unexpected_before, strict=True) for u in a.unexpected[before:]
    ]
    return {
        "elapsed": elapsed,
        "latencies": latencies,
        "statuses": statuses,
        "unexpected": unexpected,
        "cpu": used["gunicorn"],
        "used": used,
        "clients": len(annotators),
        "think": think,
    }


def _agreement_problems(project_id: int) -> list[str]:
    """Documents with two or more submitted layers whose stored agreement statistics are missing
    or do not count those layers, and a project report that does not count every such document."""
    from django.db.models import Count, Max

    from annotator.models import AgreementReport, DocumentAgreement, Layer, ReportScope

    submitted = {
        row["document_id"]: (row["n"], row["newest"])
        for row in Layer.objects.filter(
            document__project_id=project_id, kind="annotation", status="submitted"
        )
        .values("document_id")
        .annotate(n=Count("pk"), newest=Max("submitted_at"))
        if row["n"] >= 2
    }
    stored = {
        a.document_id: (a.n_layers, a.layers_watermark)
        for a in DocumentAgreement.objects.filter(project_id=project_id, resolution="token")
    }
    problems = [
        f"document {d}: {submitted.get(d)} submitted, stored {stored.get(d)}"
        for d in submitted.keys() | stored.keys()
        if submitted.get(d) != stored.get(d)
    ]
    report = AgreementReport.objects.filter(
        project_id=project_id, scope=ReportScope.PROJECT, scope_key="", resolution="token"
    ).first()
    counted = report.metrics["n_documents"] if report else 0
    if counted != len(submitted):
        problems.append(f"the project report counts {counted} documents of {len(submitted)}")
    return problems


def _caught_up(project_id: int, timeout: float) -> tuple[list[str], float]:
    """Wait for the Celery worker to bring agreement up to date; the problems left, and the time."""
    began = time.monotonic()
    problems = _agreement_problems(project_id)
    while problems and time.monotonic() - began < timeout:
        time.sleep(1)
        problems = _agreement_problems(project_id)
    return problems, time.monotonic() - began


def _differs_from_a_clean_recompute(project_id: int) -> list[str]:
    """The project report's figures that a full recompute from the layers, in this process,
    gives otherwise than the report the worker kept current while the run went on."""
    import json

    from annotator.agreement.services import project_agreement_recompute
    from annotator.models import AgreementReport, ReportScope

    kept = AgreementReport.objects.get(
        project_id=project_id, scope=ReportScope.PROJECT, scope_key="", resolution="token"
    ).metrics
    clean = json.loads(json.dumps(project_agreement_recompute(project_id=project_id).metrics))
    return [f"{key}: kept {kept.get(key)!r:.80}, clean {clean.get(key)!r:.80}" for key in
            sorted(kept.keys() | clean.keys()) if kept.get(key) != clean.get(key)]  # fmt: skip


def _print_catch_up(project_id: int, timeout: float, log: Path) -> int:
    """Wait for agreement to catch up, then compare the report with a clean recompute, and say
    how it went; the number of problems left."""
    problems, waited = _caught_up(project_id, timeout)
    print(
        f"agreement caught up: {'yes' if not problems else 'NO'}, {waited:.0f} s after the run; problems: {len(problems)}"
    )
    if problems:
        print(f"  first: {problems[:3]}\n  worker log: {log.read_text(errors='replace')[-1500:]}")
        return len(problems)
    differences = _differs_from_a_clean_recompute(project_id)
    print(f"the report equals a clean recompute: {'yes' if not differences else 'NO'}")
    for difference in differences[:5]:
        print("   ", difference)
    return len(differences)


def _report(title: str, run: dict[str, Any], annotators: list[Annotator], project_id: int) -> int:
    """Print the run's figures; the number of errors, lost span operations and documents past k."""
    everything = [x for values in run["latencies"].values() for x in values] or [0.0]
    n = len(everything)
    statuses = run["statuses"]
    errors = len(run["unexpected"]) + statuses[0] + sum(v for k, v in statuses.items() if k >= 500)
    print(f"\n== {title}")
    print(
        f"{n:,} requests in {run['elapsed']:.1f} s = {n / run['elapsed']:.0f} requests/s; latency "
        f"p50 {_percentile(everything, 0.5):.1f} ms, p95 {_percentile(everything, 0.95):.1f} ms, "
        f"p99 {_percentile(everything, 0.99):.1f} ms; server CPU {run['cpu'] / max(n, 1) * 1000:.2f} ms per request"
    )
    for kind in ("next", "create", "update", "delete", "submit"):
        values = run["latencies"].get(kind, [])
        if values:
            print(
                f"  {kind:>6}: {len(values):>6,}  mean {statistics.fmean(values) * 1000:6.1f} ms  "
                f"p50 {_percentile(values, 0.5):6.1f}  p95 {_percentile(values, 0.95):6.1f}  "
                f"p99 {_percentile(values, 0.99):6.1f}"
            )
    print(f"  answers: {dict(sorted(statuses.items()))}")
    clients = run["clients"]
    if not run["think"]:
        print(
            f"  {clients} clients without think time: mean latency = clients / throughput = "
            f"{clients / (n / run['elapsed']) * 1000:.0f} ms (Little's law); it is queueing, not service time"
        )
    shares = ", ".join(f"{name} {seconds / run['elapsed']:.2f}" for name, seconds in run["used"].items())
    print(f"  CPUs busy, of {os.cpu_count()}: {shares}")
    print(f"errors: {errors}" + (f"  first: {run['unexpected'][:3]}" if run["unexpected"] else ""))
    lost = ledger_problems(annotators)
    over_k = queue_problems(project_id=project_id, k=K)
    print(f"lost or phantom span operations: {len(lost)}" + (f"  first: {lost[:3]}" if lost else ""))
    print(f"documents past k: {len(over_k)}" + (f"  first: {over_k[:3]}" if over_k else ""))
    return errors + len(lost) + len(over_k)


def start_stack(
    log_name: str, *, smoke: bool = False
) -> tuple[subprocess.Popen[bytes], CeleryWorker, str, Path]:
    """The servers under test, as deployed: static files collected (not in a smoke run),
    gunicorn on a free port and one Celery worker (its log in var/`log_name`), both answering.
    Returns gunicorn, the worker, the base URL and the worker's log."""
    port = harness.free_port()
    env = dict(os.environ)
    if not smoke:
        harness.collect_static(env)
    gunicorn = _start_gunicorn(port, env)
    log = ROOT / "var" / log_name
    log.parent.mkdir(exist_ok=True)
    log.write_text("")
    worker = CeleryWorker(env, log)
    _wait_for_port(port)
    time.sleep(3)  # let the Celery worker finish starting
    return gunicorn, worker, f"http://127.0.0.1:{port}", log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between requests in the last run")
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    alone, kill_every, documents = 10.0, KILL_EVERY, N_DOCUMENTS
    catch_up, catch_up_after_kills = 180.0, 300.0  # seconds the worker may take
    if args.smoke:
        args.seconds, args.annotators, args.think = 3, 3, 0.1
        alone, kill_every, documents = 2, 1.5, 100
        catch_up = catch_up_after_kills = 30
    visibility = visibility_timeout(smoke=args.smoke)

    redis, os.environ["REDIS_URL"] = _start_redis()
    use_database(harness.database_url("annotator_bench_load", smoke=args.smoke), smoke=args.smoke)
    project_id, tokens = _setup(args.annotators, documents)
    gunicorn, worker, base, log = start_stack("bench-load-celery.log", smoke=args.smoke)
    annotators = [Annotator(Http(base, token), seed=i) for i, token in enumerate(tokens)]
    problems = 0
    try:
        server = _tree_pids(gunicorn.pid)

        run = _run(annotators[:1], project_id, alone, worker, server)
        problems += _report(
            f"1 annotator, {alone:.0f} s: service times without queueing", run, annotators, project_id
        )

        run = _run(annotators, project_id, args.seconds, worker, server)
        problems += _report(
            f"{args.annotators} annotators, {args.seconds:.0f} s", run, annotators, project_id
        )
        problems += _print_catch_up(project_id, catch_up, log)

        run = _run(annotators, project_id, args.seconds, worker, server, chaos=True, kill_every=kill_every)
        problems += _report(
            f"{args.annotators} annotators, {args.seconds:.0f} s, the Celery worker killed and restarted every "
            f"{kill_every:g} s ({worker.kills} kills)",
            run,
            annotators,
            project_id,
        )
        # A task of the last killed worker comes back once it is older than the visibility
        # timeout: a worker started after that finds it at once.
        time.sleep(visibility + 1)
        worker.kill()
        worker.restart()
        problems += _print_catch_up(project_id, catch_up_after_kills, log)

        run = _run(annotators, project_id, args.seconds, worker, server, think=args.think)
        problems += _report(
            f"{args.annotators} annotators, {args.seconds:.0f} s, at a person's pace: about {args.think:g} s "
            "between requests",
            run,
            annotators,
            project_id,
        )
        problems += _print_catch_up(project_id, catch_up, log)
    finally:
        for annotator in annotators:
            annotator.http.close()
        gunicorn.terminate()
        worker.stop()
        gunicorn.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
    if problems:
        raise SystemExit(
            f"{problems} problems: errors, lost span operations, documents past k or agreement behind"
        )


if __name__ == "__main__":
    main()
