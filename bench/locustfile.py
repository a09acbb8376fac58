"""Annotators at a person's pace, for Locust (bench/capacity.py runs it headless).

Each simulated annotator signs in with a token of its own (one line each in the file named by
CAPACITY_TOKENS) and works like a person: it reads, then acts, the time between two actions
drawn from a log-normal with a median of 4 s (CAPACITY_THINK_SECONDS if set, as a smoke run
does). Per document: Next, 15 to 25 span creates, 3 to 5 updates, 1 to 2 deletes, then submit.
It keeps a ledger of the spans the server acknowledged; at the end each annotator adds its
ledger to the file named by CAPACITY_LEDGER (JSON lines), which capacity.py compares with the
database."""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events, task

TOKENS = Path(os.environ["CAPACITY_TOKENS"]).read_text().split()
LEDGER = Path(os.environ["CAPACITY_LEDGER"])
MEDIAN_THINK_SECONDS = float(os.environ.get("CAPACITY_THINK_SECONDS", "4"))
THINK_SIGMA = 0.6
_next_token = itertools.count()
_ledgers: list[dict[int, list[Any]]] = []


def _rule_refusal(body: str) -> bool:
    """A random span that breaks a project rule (overlap, or the same label at the same place
    twice): refused with its reason, as designed; not an error of the server."""
    return "overlap" in body or "already exists in this layer" in body


def think() -> float:
    return random.lognormvariate(0.0, THINK_SIGMA) * MEDIAN_THINK_SECONDS


class Annotator(FastHttpUser):
    wait_time = staticmethod(think)

    def on_start(self) -> None:
        self.token = TOKENS[next(_next_token) % len(TOKENS)]
        self.headers = {"Authorization": f"Token {self.token}"}
        self.project_id = int(os.environ["CAPACITY_PROJECT"])
        self.ledger: dict[int, list[Any]] = {}  # span id -> [layer, label, start, end, version]
        _ledgers.append(self.ledger)
        self.layer: dict[str, Any] | None = None

    def _plan(self) -> list[str]:
        steps = ["create"] * random.randint(15, 25) + ["update"] * random.randint(3, 5)
        steps += ["delete"] * random.randint(1, 2)
        random.shuffle(steps)
        # Updates and deletes need a span: move them after the first create.
        first = steps.index("create")
        steps.insert(0, steps.pop(first))
        return [*steps, "submit"]

    @task
    def act(self) -> None:
        if self.layer is None:
            with self.client.post(
                f"/api/v1/projects/{self.project_id}/queue/next/", headers=self.headers,
                name="next", catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code == 204:  # the queue is empty for this annotator
                    response.success()
                    return
                if response.status_code != 200:
                    response.failure(f"{response.status_code} {response.text[:200]}")
                    return
                self.layer = response.json()
                self.text = self.layer["document"]["text"]
                self.steps = self._plan()
                self.mine: list[int] = []
            return
        step = self.steps.pop(0)
        getattr(self, step)()
        if step == "submit":
            self.layer = None

    def create(self) -> None:
        assert self.layer is not None
        length = random.randint(5, 40)
        start = random.randrange(0, max(1, len(self.text) - length))
        label = random.choice(["OPINION", "DISCLAIMER", "CLAIM"])
        body = {
            "client_uuid": str(uuid.uuid4()),
            "label": label,
            "start": start,
            "end": start + length,
            "text": self.text[start : start + length],
            "attributes": {"evidence": "DATA"} if label == "CLAIM" else {},
        }
        with self.client.post(
            f"/api/v1/assignments/{self.layer['id']}/spans/", json=body, headers=self.headers,
            name="span create", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code in (200, 201):
                span = response.json()
                self.ledger[span["id"]] = [
                    self.layer["id"],
                    label,
                    span["start"],
                    span["end"],
                    span["version"],
                ]
                self.mine.append(span["id"])
            elif response.status_code == 400 and _rule_refusal(response.text):
                response.success()
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    def update(self) -> None:
        if not self.mine:
            return
        span_id = random.choice(self.mine)
        layer, label, start, end, version = self.ledger[span_id]
        label = "OPINION" if label != "OPINION" else "DISCLAIMER"
        with self.client.patch(
            f"/api/v1/spans/{span_id}/", json={"version": version, "label": label, "attributes": {}},
            headers=self.headers, name="span update", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 200:
                self.ledger[span_id] = [layer, label, start, end, response.json()["version"]]
            elif response.status_code == 400 and _rule_refusal(response.text):
                response.success()
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    def delete(self) -> None:
        if not self.mine:
            return
        span_id = self.mine.pop(random.randrange(len(self.mine)))
        version = self.ledger[span_id][4]
        with self.client.delete(
            f"/api/v1/spans/{span_id}/?version={version}", headers=self.headers,
            name="span delete", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 204:
                del self.ledger[span_id]
            else:
                response.failure(f"{response.status_code} {response.text[:200]}")

    def submit(self) -> None:
        assert self.layer is not None
        with self.client.post(
            f"/api/v1/assignments/{self.layer['id']}/submit/", headers=self.headers,
            name="submit", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.text[:200]}")


@events.test_stop.add_listener
def write_ledgers(**_: Any) -> None:
    with LEDGER.open("a") as out:
        for ledger in _ledgers:
            out.write(json.dumps(ledger) + "\n")
