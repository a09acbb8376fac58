"""Faults across hosts, as deployed: PostgreSQL and Redis on one host, two web hosts (gunicorn)
and two worker hosts (Celery), each a network namespace of its own (tests/hosts/network.py),
and a client host that sends the requests. What must hold:

- a worker host cut off in the middle of a recompute: the job finishes on the other worker;
- a slow, lossy link between a web host and the database: requests slow down but stay
  correct, and one that waits past the statement timeout answers 503;
- Redis cut off from a web host: span writes go on, and a submit still succeeds.

Run by `make test-faults` (root, iproute2); skipped where namespaces cannot be made."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.hosts.network import Network, available, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
WHY_NOT = available()
pytestmark = [pytest.mark.hosts, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]

DB, REDIS, RELAY = "10.77.0.1", "10.77.0.2", "10.77.0.5"
STATEMENT_TIMEOUT_MS = 3000


@dataclass
class Deployment:
    network: Network
    world: dict[str, Any]
    logs: Path
    link_control: Path

    def client(self, web: str, token: str, requests: list[dict[str, Any]], timeout: float = 30) -> list[dict]:
        base = f"http://{self.network.address(web)}:8000"
        order = json.dumps({"base": base, "token": token, "requests": requests, "timeout": timeout})
        done = subprocess.run(
            ["ip", "netns", "exec", self.network.namespace("client"), sys.executable, "tests/hosts/client.py"],
            input=order, capture_output=True, text=True, cwd=ROOT, timeout=600, check=True,
        )  # fmt: skip
        return json.loads(done.stdout)

    def link(self, *, delay_ms: float = 0, loss: float = 0, retransmit_ms: float = 300) -> None:
        """Set the web1 - database link (the relay reads it within half a second)."""
        self.link_control.write_text(
            json.dumps({"delay_ms": delay_ms, "loss": loss, "retransmit_ms": retransmit_ms})
        )
        time.sleep(0.8)

    def psql(self, sql: str) -> str:
        return self.network.call(
            "db", ["psql", "-h", DB, "-U", "postgres", "-d", "annotator", "-Atc", sql]
        ).stdout.strip()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]


def _env(database_host: str, *, statement_timeout: bool = False) -> dict[str, str]:
    """Settings of a web host (with the statement timeout) or a worker host."""
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))
    }
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "10.77.0.11,10.77.0.12",
        "DATABASE_URL": f"postgres://postgres@{database_host}:5432/annotator",
        "REDIS_URL": f"redis://{REDIS}:6379/0",
        "DJANGO_DB_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS if statement_timeout else 0),
        # A host cut off mid-transaction holds row locks until PostgreSQL ends its session: this
        # soon here (the default is 5 minutes), so the other worker's retries outlast it.
        "DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS": "10000",
        "DJANGO_CONN_MAX_AGE": "60",
    }


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    # Not under pytest's own temporary folder, which only root may enter: PostgreSQL runs as
    # the postgres user.
    logs = Path(tempfile.mkdtemp(prefix="annotator-hosts-"))
    logs.chmod(0o755)
    print(f"\nlogs of the hosts: {logs}")
    network = Network(
        {
            "db": [1, 2],
            "relay": [5],
            "web1": [11],
            "web2": [12],
            "worker1": [21],
            "worker2": [22],
            "client": [100],
        }
    )
    network.up()
    try:
        bindir = Path(
            subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        data = logs / "pgdata"
        data.mkdir()
        shutil.chown(data, "postgres")
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True, capture_output=True,
        )  # fmt: skip
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 10.77.0.0/24 trust\n")
        network.run(
            "db",
            [str(bindir / "postgres"), "-D", str(data), "-c", f"listen_addresses={DB}", "-c",
             f"unix_socket_directories={data}", "-c", "fsync=off", "-c", "max_connections=200",
             # Notice a client host that vanished while a statement runs (server settings).
             "-c", "tcp_keepalives_idle=5", "-c", "tcp_keepalives_interval=2", "-c", "tcp_keepalives_count=3",
             "-c", "tcp_user_timeout=10000"],
            user="postgres", log=logs / "postgres.log",
        )  # fmt: skip
        network.run(
            "db",
            ["redis-server", "--bind", REDIS, "--port", "6379", "--save", "", "--appendonly", "no",
             "--protected-mode", "no"],  # reachable only inside these namespaces
            log=logs / "redis.log",
        )  # fmt: skip
        control = logs / "link.json"
        control.write_text("{}")
        network.run(
            "relay", [sys.executable, str(ROOT / "tests/hosts/relay.py"), f"{RELAY}:5432", f"{DB}:5432", str(control)],
            log=logs / "relay.log",
        )  # fmt: skip
        wait_for_port(network, "web1", DB, 5432)
        wait_for_port(network, "web1", REDIS, 6379)
        network.call("db", ["psql", "-h", DB, "-U", "postgres", "-c", "CREATE DATABASE annotator"])

        direct = _env(DB)
        network.call(
            "web1", [sys.executable, "manage.py", "migrate", "--noinput"], env=direct, cwd=ROOT, timeout=300
        )
        made = network.call(
            "web1", [sys.executable, "-m", "tests.hosts.world"], env=direct, cwd=ROOT, timeout=300
        )
        world = json.loads(made.stdout.strip().splitlines()[-1])

        for web, env in (
            ("web1", _env(RELAY, statement_timeout=True)),
            ("web2", _env(DB, statement_timeout=True)),
        ):  # web1 reaches the database through the relay
            network.run(
                web,
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "2",
                 "-b", f"{network.address(web)}:8000"],
                env=env, log=logs / f"{web}.log", cwd=ROOT,
            )  # fmt: skip
        for worker in ("worker1", "worker2"):
            network.run(
                worker,
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "-n",
                 f"{worker}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
                env=direct, log=logs / f"{worker}.log", cwd=ROOT,
            )  # fmt: skip
        for web in ("web1", "web2"):
            wait_for_port(network, "client", network.address(web), 8000)
        for worker in ("worker1", "worker2"):
            deadline = time.monotonic() + 60
            while "ready." not in (logs / f"{worker}.log").read_text(errors="replace"):
                assert time.monotonic() < deadline, (logs / f"{worker}.log").read_text()[-3000:]
                time.sleep(0.3)
        yield Deployment(network, world, logs, control)
    finally:
        network.down()


def _span_creates(world: dict[str, Any], layer: int, count: int, *, first: int = 0) -> list[dict[str, Any]]:
    text = world["texts"][world["layers"].index(layer)]
    requests = []
    for i in range(first, first + count):
        start = i * 8
        requests.append(
            {
                "method": "POST",
                "path": f"/api/v1/assignments/{layer}/spans/",
                "body": {
                    "label": "OPINION",
                    "start": start,
                    "end": start + 5,
                    "text": text[start : start + 5],
                },
            }
        )
    return requests


def test_a_worker_host_cut_off_mid_recompute_leaves_the_job_to_the_other(deployment: Deployment) -> None:
    world = deployment.world
    project = world["recompute_project"]
    [started] = deployment.client(
        "web2", world["manager_token"], [{"method": "POST", "path": f"/api/v1/projects/{project}/agreement/"}]
    )
    assert started["status"] == 202, started
    job = started["body"]["id"]
    # Cut worker1 off as soon as it takes one of the job's chunks.
    deadline = time.monotonic() + 60
    while "Task annotator.tasks.agreement_chunk_task[" not in deployment.log("worker1"):
        assert time.monotonic() < deadline, deployment.log("worker1")
        time.sleep(0.05)
    deployment.network.cut("worker1")
    cut_at = time.monotonic()
    # Rarely the chunk is done before the cut lands; then no recovery was needed.
    worker1 = (deployment.logs / "worker1.log").read_text(errors="replace")
    finished_before_the_cut = worker1.count("agreement_chunk_task[") == 2 * worker1.count("] succeeded")

    poll = [{"method": "GET", "path": f"/api/v1/jobs/{job}/"}]
    seen_lost = False
    while True:
        [answer] = deployment.client("web2", world["manager_token"], poll)
        state = answer["body"]
        seen_lost = seen_lost or state["worker_lost"]
        if state["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() - cut_at < 180, (state, deployment.log("worker2"))
        time.sleep(1)
    assert state["status"] == "succeeded", (state, deployment.log("worker2"))
    assert state["progress"] == state["total"] == 300
    assert state["attempts"] >= 2 or finished_before_the_cut, (state, deployment.log("worker2"))
    recovered_in = time.monotonic() - cut_at
    print(f"\nrecompute finished {recovered_in:.0f} s after its worker host was cut off")
    [report] = deployment.client(
        "web2", world["manager_token"], [{"method": "GET", "path": f"/api/v1/projects/{project}/agreement/"}]
    )
    assert report["body"]["metrics"]["n_documents"] == 300


def test_a_slow_lossy_database_link_slows_requests_that_stay_correct(deployment: Deployment) -> None:
    world = deployment.world
    token, layer = world["annotator_token"], world["layers"][0]
    quick = deployment.client("web1", token, _span_creates(world, layer, 10))
    deployment.link(delay_ms=100, loss=0.05)
    try:
        slow = deployment.client("web1", token, _span_creates(world, layer, 20, first=10))
    finally:
        deployment.link()
    assert [a["status"] for a in quick + slow] == [201] * 30, [a for a in quick + slow if a["status"] != 201]
    stored = deployment.psql(f"SELECT count(*) FROM annotator_span WHERE assignment_id = {layer}")
    assert stored == "30"

    def median(answers: list[dict[str, Any]]) -> float:
        return sorted(a["seconds"] for a in answers)[len(answers) // 2]

    print(
        f"\nspan create, median: {median(quick) * 1000:.0f} ms direct, {median(slow) * 1000:.0f} ms over the slow link"
    )
    assert median(slow) > median(quick) + 0.2  # at least one round trip of 200 ms more


def test_a_request_waiting_past_the_statement_timeout_answers_503(deployment: Deployment) -> None:
    world = deployment.world
    token, layer = world["annotator_token"], world["layers"][1]
    # Another session holds the layer's row lock for longer than the statement timeout.
    holder = deployment.network.run(
        "db",
        ["psql", "-h", DB, "-U", "postgres", "-d", "annotator", "-c",
         f"BEGIN; SELECT id FROM annotator_assignment WHERE id = {layer} FOR UPDATE; SELECT pg_sleep(8); COMMIT;"],
        log=deployment.logs / "lock-holder.log",
    )  # fmt: skip
    time.sleep(1)
    [waited] = deployment.client("web2", token, _span_creates(world, layer, 1))
    assert waited["status"] == 503, waited
    assert STATEMENT_TIMEOUT_MS / 1000 <= waited["seconds"] < STATEMENT_TIMEOUT_MS / 1000 + 3
    holder.wait(timeout=30)
    [after] = deployment.client("web2", token, _span_creates(world, layer, 1))
    assert after["status"] == 201, after


def test_span_writes_go_on_while_a_web_host_cannot_reach_redis(deployment: Deployment) -> None:
    world = deployment.world
    token, layer = world["annotator_token"], world["layers"][2]
    deployment.network.drop_to("web2", REDIS)
    answers = deployment.client(
        "web2",
        token,
        [*_span_creates(world, layer, 5), {"method": "POST", "path": f"/api/v1/assignments/{layer}/submit/"}],
    )
    assert [a["status"] for a in answers] == [201] * 5 + [200], answers
    print(f"\nsubmit without Redis took {answers[-1]['seconds']:.1f} s (the refresh request gave up)")
