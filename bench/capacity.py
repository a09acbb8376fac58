"""Capacity at a person's pace: how many annotators can work at once while every request is
answered within 50 ms at the 95th percentile, with 0 errors, 0 lost and no document past k.

Runs gunicorn (as gunicorn.conf.py sets it up) and one Celery worker against PostgreSQL and a
Redis of its own, then Locust (headless, bench/locustfile.py: think time log-normal with a
median of 4 s; per document Next, 15-25 span creates, 3-5 updates, 1-2 deletes, submit) at
each number of annotators given, for --seconds each. Client and server share the machine; the
table quotes the CPU each used. After each level it checks the database against the
annotators' ledgers (every acknowledged span there, as acknowledged, and nothing else) and
that no document holds more than k layers.

    .venv/bin/python bench/capacity.py [--levels 50,100,200,300,400] [--seconds 300]
        [--kill-worker-every 60] [--restart-postgres]
    .venv/bin/python bench/capacity.py --smoke [--kill-worker-every 3]

--kill-worker-every N kills the Celery worker (SIGKILL) and starts it again every N seconds;
--restart-postgres restarts PostgreSQL once in the middle of each level (needs pg_ctlcluster).
Afterwards the agreement statistics must cover every submitted layer, and the project report
the worker kept current must equal a full recompute from the layers (as in bench/load.py).
--smoke runs one level of 3 annotators for 8 s with a median think time of 0.05 s, in about
half a minute, on a database of its own dropped at the end (bench/harness.py). The database
named by BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/annotator_bench_capacity;
with --smoke, that name and "_smoke") is dropped and made again.
It exits non-zero if a span was lost, a document went past k, agreement did not catch up or
differs from the recompute, or Locust's annotators raised an exception; in a smoke run, also
after any failed request.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import harness

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# api_load, a sibling, sets REDIS_URL and settings for this process when imported.
from api_load import _tree_pids, database_name, use_database  # noqa: E402
from load import (  # noqa: E402
    N_DOCUMENTS,
    CeleryWorker,
    CpuUse,
    K,
    _backend_pids,
    _print_catch_up,
    _setup,
    _start_redis,
    start_stack,
    visibility_timeout,
)

from tests.span_clients import queue_problems  # noqa: E402

P95_LIMIT_MS = 50


def _ledger_problems(ledger_file: Path, project_id: int) -> list[str]:
    """Differences between the spans the annotators were told exist and the database's."""
    from annotator.models import Span

    expected: dict[int, tuple[Any, ...]] = {}
    for line in ledger_file.read_text().splitlines():
        for span_id, (layer, label, start, end, version) in json.loads(line).items():
            expected[int(span_id)] = (layer, label, start, end, version)
    actual = {
        span.pk: (span.layer_id, span.label.key, span.start, span.end, span.version)
        for span in Span.objects.filter(layer__document__project_id=project_id).select_related("label")
    }
    problems = [
        f"span {i}: acknowledged {expected[i]}, stored {actual.get(i)}"
        for i in expected
        if actual.get(i) != expected[i]
    ]
    problems += [f"span {i}: stored but never acknowledged" for i in actual.keys() - expected.keys()]
    return problems


def _level(
    annotators: int, seconds: float, base: str, project_id: int, tokens: Path, ledger: Path,
    worker: CeleryWorker, server: list[int], kill_every: float | None, restart_postgres: bool,
    *, ramp: float = 20, think: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One level, everyone at work within `ramp` seconds, thinking a median of `think` seconds
    (the locustfile's, if None); `ledger` gathers every level's acknowledged spans (a level's
    annotators may take up the layers the previous level left open, and keep the spans already
    there)."""
    out = Path(tempfile.mkdtemp(prefix="capacity-"))
    env = {
        **os.environ,
        "CAPACITY_TOKENS": str(tokens),
        "CAPACITY_LEDGER": str(ledger),
        "CAPACITY_PROJECT": str(project_id),
    }
    if think is not None:
        env["CAPACITY_THINK_SECONDS"] = str(think)
    spawn = max(1, int(annotators / ramp))
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py"), "--headless", "-H", base,
         "-u", str(annotators), "-r", str(spawn), "-t", f"{int(seconds)}s", "--csv", str(out / "run"),
         "--only-summary", "--stop-timeout", "10"],
        env=env, stdout=subprocess.DEVNULL, stderr=(out / "locust.log").open("w"),
    )  # fmt: skip
    cpu = CpuUse(
        {"server": lambda: server, "worker": lambda: _tree_pids(worker.process.pid),
         "postgres": lambda: _backend_pids(database_name()), "client": lambda: _tree_pids(locust.pid)}
    )  # fmt: skip
    stop = threading.Event()

    def faults() -> None:
        started = time.monotonic()
        restarted = False
        while not stop.wait(1):
            elapsed = time.monotonic() - started
            if kill_every and elapsed // kill_every > worker.kills:
                worker.kill()
                worker.restart()
            if restart_postgres and not restarted and elapsed > seconds / 2:
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"], check=True
                )
                restarted = True

    chaos = threading.Thread(target=faults)
    chaos.start()
    locust.wait()
    stop.set()
    chaos.join()
    used = cpu.stop()
    with (out / "run_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    with (out / "run_exceptions.csv").open() as raised:
        exceptions = [f"{row['Count']} x {row['Message']}" for row in csv.DictReader(raised)]
    total = rows["Aggregated"]
    from django.db import connection

    connection.close()
    return {
        "annotators": annotators,
        "requests": int(total["Request Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p99": float(total["99%"]),
        "failures": int(total["Failure Count"]),
        "exceptions": exceptions,
        "per_kind": {name: float(row["95%"]) for name, row in rows.items() if name != "Aggregated"},
        "lost": _ledger_problems(ledger, project_id),
        "past_k": queue_problems(project_id=project_id, k=K),
        "cpu": {name: round(value / seconds, 2) for name, value in used.items()},
        "log": str(out / "locust.log"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="50,100,200,300,400")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--kill-worker-every", type=float, default=None)
    parser.add_argument("--restart-postgres", action="store_true")
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    documents, ramp, think, catch_up = N_DOCUMENTS, 20.0, None, 180.0
    if args.smoke:
        args.levels, args.seconds = "3", 8
        documents, ramp, think, catch_up = 100, 1.0, 0.05, 30.0
    levels = [int(n) for n in args.levels.split(",")]
    visibility_timeout(smoke=args.smoke)

    redis, os.environ["REDIS_URL"] = _start_redis()
    use_database(harness.database_url("annotator_bench_capacity", smoke=args.smoke), smoke=args.smoke)
    project_id, token_list = _setup(max(levels), documents)
    tokens = Path(tempfile.mkstemp(prefix="capacity-tokens-")[1])
    tokens.write_text("\n".join(token_list))
    ledger = Path(tempfile.mkstemp(prefix="capacity-ledger-")[1])
    gunicorn, worker, base, log = start_stack("bench-capacity-celery.log", smoke=args.smoke)
    results = []
    problems = 0
    try:
        server = _tree_pids(gunicorn.pid)
        print(f"{'annotators':>10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
              f"{'lost':>5} {'past k':>6}  CPU (cores): server, worker, postgres, client")  # fmt: skip
        for annotators in levels:
            result = _level(
                annotators, args.seconds, base, project_id, tokens, ledger, worker, server,
                args.kill_worker_every, args.restart_postgres, ramp=ramp, think=think,
            )  # fmt: skip
            results.append(result)
            cpu = result["cpu"]
            print(
                f"{annotators:>10} {result['rps']:>7.1f} {result['p50']:>7.0f} {result['p95']:>7.0f} "
                f"{result['p99']:>7.0f} {result['failures']:>6} {len(result['lost']):>5} {len(result['past_k']):>6}  "
                f"{cpu['server']}, {cpu['worker']}, {cpu['postgres']}, {cpu['client']}",
                flush=True,
            )
            for problem in (result["lost"] + result["past_k"] + result["exceptions"])[:5]:
                print("   ", problem)
            broken = len(result["lost"]) + len(result["past_k"]) + len(result["exceptions"])
            if args.smoke:
                broken += result["failures"]
            if broken:
                print(f"    Locust's log: {result['log']}")
            problems += broken
        good = [
            r["annotators"] for r in results
            if r["p95"] < P95_LIMIT_MS and not r["failures"] and not r["lost"] and not r["past_k"]
        ]  # fmt: skip
        print(f"\nper kind p95 (ms) at the largest level: {results[-1]['per_kind']}")
        # Every document with two or more submitted layers has its statistics, and the report counts them.
        problems += _print_catch_up(project_id, catch_up, log)
        print(
            f"capacity: {max(good) if good else 'below ' + str(levels[0])} simultaneous annotators "
            f"(p95 < {P95_LIMIT_MS} ms, 0 errors, 0 lost, no document past k), {args.seconds:.0f} s per level"
        )
    finally:
        gunicorn.terminate()
        worker.stop()
        redis.terminate()
        tokens.unlink()
        ledger.unlink()
    if problems:
        failed = ", failed requests" if args.smoke else ""
        raise SystemExit(
            f"{problems} problems (above): lost spans, documents past k, exceptions{failed}, agreement behind"
        )


if __name__ == "__main__":
    main()
