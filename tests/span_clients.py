"""Simulated annotators over real HTTP, and the ledger of what the server acknowledged.

An `Annotator` keeps a model of each layer it works on, built only from acknowledged answers
(2xx, and the `current` span that a 409 carries). Nobody else writes its layers, so the model
predicts every answer; an answer it did not predict is recorded in `unexpected`. Afterwards the
database must hold exactly the acknowledged state: `ledger_problems` compares the two.

A 503 ("the database is unavailable; nothing was saved") is retried with the same request. If
it had saved anything the retry would tell: a repeated create would answer 200 (found, not made)
instead of 201, and a repeated update or delete would answer 409 or 404.

Used by tests/api/test_concurrency.py, tests/api/test_panels_api.py, tests/test_faults.py and
bench/load.py. No Django import at module level: the bench imports this before it sets Django up.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LABELS = ("CLAIM", "OPINION", "DISCLAIMER")
TARGETS = ("Harbour City Council", "Tramline Extension")
EVIDENCE = ("NAMED_SOURCE", "ANONYMOUS_SOURCE", "LINK_DOCUMENT", "DATA", "QUOTE", "NONE")
STANCES = ("FAVOR", "AGAINST", "NEUTRAL")
VOICES = ("AUTHOR", "QUOTED", "PARAPHRASED")
LOST = 0  # the status recorded when the connection broke before an answer arrived
IDLE_RECONNECT = 5.0  # seconds; servers close idle keep-alive connections (gunicorn after 30 s)
UNAVAILABLE_DETAIL = "The database is unavailable for a moment; nothing was saved. Please retry."


class Http:
    """One keep-alive connection with a token; reconnects after a broken one. A request whose
    answer is lost (the connection broke) returns status LOST and is not resent here: only the
    caller knows whether that is safe. Latencies are kept per kind of request."""

    def __init__(self, base_url: str, token: str, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.last_used = 0.0

    def call(self, method: str, path: str, body: Any = None, *, kind: str = "") -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body)
        if self.conn is not None and time.monotonic() - self.last_used > IDLE_RECONNECT:
            self.close()  # the server may have closed it meanwhile; a request on it would be lost
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        began = time.perf_counter()
        try:
            self.conn.request(method, path, payload, self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.close()
            self.statuses[LOST] += 1
            return LOST, None
        self.latencies[kind or method].append(time.perf_counter() - began)
        self.last_used = time.monotonic()
        self.statuses[response.status] += 1
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        content_type = response.getheader("Content-Type", "")
        if raw and content_type.startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw.decode(errors="replace") if raw else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Acked:
    """A span as the server last acknowledged it."""

    id: int
    client_uuid: str
    label: str
    start: int
    end: int
    text: str
    attributes: dict[str, Any]
    version: int

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Acked:
        return cls(
            id=body["id"],
            client_uuid=str(body["client_uuid"]),
            label=body["label"],
            start=body["start"],
            end=body["end"],
            text=body["text"],
            attributes=body["attributes"],
            version=body["version"],
        )


@dataclass
class ClientLayer:
    """An annotator's model of one of its layers."""

    layer_id: int
    text: str
    spans: dict[str, Acked] = field(default_factory=dict)  # by client_uuid

    def duplicates(self, label: str, start: int, end: int, *, besides: str | None = None) -> bool:
        """Whether another span has this label and these boundaries (the server refuses that)."""
        return any(
            (s.label, s.start, s.end) == (label, start, end) and s.client_uuid != besides
            for s in self.spans.values()
        )


def random_attributes(label: str, rng: random.Random) -> dict[str, Any]:
    """Valid values for the default schema; a CLAIM always has its required evidence."""
    if label == "DISCLAIMER":
        return {}
    attributes: dict[str, Any] = {}
    if label == "CLAIM" or rng.random() < 0.5:
        attributes["evidence"] = rng.choice(EVIDENCE)
    if rng.random() < 0.5:
        attributes["hedged"] = rng.random() < 0.5
    if label == "CLAIM" and rng.random() < 0.5:
        attributes["check_worthy"] = rng.random() < 0.5
    if rng.random() < 0.3:
        attributes["voice"] = rng.choice(VOICES)
    if rng.random() < 0.3:
        attributes["stance"] = [{"target": rng.choice(TARGETS), "stance": rng.choice(STANCES)}]
    return attributes


class Annotator:
    """One simulated annotator. `step` does one random span operation on a layer: a create, a
    create whose answer is "lost" and which is therefore sent again with the same client_uuid,
    an update or delete at the current version, or one at a stale version (answered 409)."""

    def __init__(self, http: Http, seed: int, *, retry_unavailable: bool = False) -> None:
        self.http = http
        self.rng = random.Random(seed)
        self.retry_unavailable = retry_unavailable
        self.layers: dict[int, ClientLayer] = {}
        self.unexpected: list[str] = []
        self.operations: Counter[str] = Counter()
        self.unavailable = 0  # 503 answers seen (each retried)

    # The queue ------------------------------------------------------------------------------

    def next_layer(self, project_id: int) -> ClientLayer | None:
        status, body = self._send("POST", f"/api/v1/projects/{project_id}/queue/next/", kind="next")
        if status == 204:
            return None
        if status != 200:
            self._unexpected("next", status, body)
            return None
        layer = self.layers.get(body["id"])
        if layer is None:
            layer = self.layers[body["id"]] = ClientLayer(body["id"], body["document"]["text"])
            for span in body["spans"]:
                layer.spans[str(span["client_uuid"])] = Acked.from_body(span)
        return layer

    def submit(self, layer: ClientLayer) -> bool:
        status, body = self._send("POST", f"/api/v1/assignments/{layer.layer_id}/submit/", kind="submit")
        if status != 200 or body.get("status") != "submitted":
            self._unexpected("submit", status, body)
            return False
        return True

    # Span operations ------------------------------------------------------------------------

    def step(self, layer: ClientLayer) -> None:
        roll = self.rng.random()
        live = list(layer.spans.values())
        if not live or roll < 0.30:
            self.create(layer)
        elif roll < 0.40:
            self.create(layer, lose_first_answer=True)
        elif roll < 0.62:
            self.update(layer, self.rng.choice(live))
        elif roll < 0.72:
            self.update(layer, self.rng.choice(live), stale=True)
        elif roll < 0.92:
            self.delete(layer, self.rng.choice(live))
        else:
            self.delete(layer, self.rng.choice(live), stale=True)

    def create(self, layer: ClientLayer, *, lose_first_answer: bool = False) -> None:
        self.operations["create-retried" if lose_first_answer else "create"] += 1
        start, end = self._boundaries(layer)
        label = self.rng.choice(LABELS)
        body = {
            "client_uuid": str(uuid.uuid4()),
            "label": label,
            "start": start,
            "end": end,
            "text": layer.text[start:end],
            "attributes": random_attributes(label, self.rng),
        }
        path = f"/api/v1/assignments/{layer.layer_id}/spans/"
        duplicate = layer.duplicates(label, start, end)
        made = "no"  # whether an earlier send of this create made the span: "no", "yes", "maybe"
        if lose_first_answer:
            status, _ = self._send("POST", path, body, kind="create")  # its answer is "lost"
            made = "yes" if status in (200, 201) else "maybe" if status == LOST else "no"
        status, answer = self._send("POST", path, body, kind="create")
        while status == LOST:  # the answer was lost for real: a create is safe to send again
            made = "yes" if made == "yes" else "maybe"
            status, answer = self._send("POST", path, body, kind="create")
        if duplicate:
            if status != 400:
                self._unexpected("create of a duplicate", status, answer)
            return
        expected = {"no": (201,), "yes": (200,), "maybe": (200, 201)}[made]
        if status not in expected:
            self._unexpected(f"create (expected {expected})", status, answer)
            if status not in (200, 201):
                return
        acked = Acked.from_body(answer)
        sent = (body["client_uuid"], label, start, end, body["text"], body["attributes"], 1)
        got = (
            acked.client_uuid,
            acked.label,
            acked.start,
            acked.end,
            acked.text,
            acked.attributes,
            acked.version,
        )
        if got != sent:
            self._unexpected("create answered another span", status, answer)
        layer.spans[acked.client_uuid] = acked

    def update(self, layer: ClientLayer, span: Acked, *, stale: bool = False) -> None:
        if stale and span.version == 1:
            self.update(layer, span)  # make an older version to be stale against
            span = layer.spans.get(span.client_uuid, span)
            if span.version == 1:
                return
        self.operations["update-stale" if stale else "update"] += 1
        label = self.rng.choice(LABELS)
        body: dict[str, Any] = {
            "version": span.version - 1 if stale else span.version,
            "label": label,
            "attributes": random_attributes(label, self.rng),
        }
        start, end = span.start, span.end
        if self.rng.random() < 0.3:
            start, end = self._boundaries(layer)
            body.update(start=start, end=end, text=layer.text[start:end])
        status, answer = self._send("PATCH", f"/api/v1/spans/{span.id}/", body, kind="update")
        if status == LOST:
            self._resync(layer, span)
            return
        # The new state is validated before the version is compared: a duplicate is a 400 even
        # when the version is stale.
        if layer.duplicates(label, start, end, besides=span.client_uuid):
            if status != 400:
                self._unexpected("update into a duplicate", status, answer)
            return
        if not self._landed(layer, span, status, answer, stale=stale, expected=200, what="update"):
            return
        acked = Acked.from_body(answer)
        wanted = (span.id, label, start, end, layer.text[start:end], body["attributes"], span.version + 1)
        got = (acked.id, acked.label, acked.start, acked.end, acked.text, acked.attributes, acked.version)
        if got != wanted:
            self._unexpected("update answered another state", status, answer)
        layer.spans[span.client_uuid] = acked

    def delete(self, layer: ClientLayer, span: Acked, *, stale: bool = False) -> None:
        if stale and span.version == 1:
            self.update(layer, span)
            span = layer.spans.get(span.client_uuid, span)
            if span.version == 1:
                return
        self.operations["delete-stale" if stale else "delete"] += 1
        version = span.version - 1 if stale else span.version
        status, answer = self._send("DELETE", f"/api/v1/spans/{span.id}/?version={version}", kind="delete")
        if status == LOST:
            self._resync(layer, span)
            return
        if self._landed(layer, span, status, answer, stale=stale, expected=204, what="delete"):
            del layer.spans[span.client_uuid]

    # Helpers --------------------------------------------------------------------------------

    def _boundaries(self, layer: ClientLayer) -> tuple[int, int]:
        start = self.rng.randrange(0, len(layer.text) - 1)
        return start, min(len(layer.text), start + self.rng.randint(1, 40))

    def _send(self, method: str, path: str, body: Any = None, *, kind: str) -> tuple[int, Any]:
        status, answer = self.http.call(method, path, body, kind=kind)
        while status == 503 and self.retry_unavailable:
            self.unavailable += 1
            if not (isinstance(answer, dict) and answer.get("detail") == UNAVAILABLE_DETAIL):
                self._unexpected(f"{method} {path}: a 503 without the JSON message", status, answer)
            time.sleep(0.05)
            status, answer = self.http.call(method, path, body, kind=kind)
        if status >= 500:
            self._unexpected(f"{method} {path}", status, answer)
        return status, answer

    def _landed(
        self,
        layer: ClientLayer,
        span: Acked,
        status: int,
        answer: Any,
        *,
        stale: bool,
        expected: int,
        what: str,
    ) -> bool:
        """Whether a write to `span` took effect: a stale one must be refused (409), a fresh one
        answered `expected`; anything else is reported."""
        if stale:
            self._expect_conflict(layer, span, status, answer)
            return False
        if status != expected:
            self._unexpected(what, status, answer)
            return False
        return True

    def _expect_conflict(self, layer: ClientLayer, span: Acked, status: int, answer: Any) -> None:
        if status != 409:
            self._unexpected("stale write", status, answer)
            return
        current = Acked.from_body(answer["current"])
        if current != span:
            self._unexpected(f"409's current span differs from the last acknowledged {span}", status, answer)
            layer.spans[span.client_uuid] = current

    def _resync(self, layer: ClientLayer, span: Acked) -> None:
        """The answer to an update or delete was lost: read the span to learn what happened."""
        status, answer = self._send("GET", f"/api/v1/spans/{span.id}/", kind="read")
        if status == 404:
            layer.spans.pop(span.client_uuid, None)
        elif status == 200:
            layer.spans[span.client_uuid] = Acked.from_body(answer)
        else:
            self._unexpected("read after a lost answer", status, answer)

    def _unexpected(self, what: str, status: int, answer: Any) -> None:
        self.unexpected.append(f"{what}: {status} {str(answer)[:300]}")


def ledger_problems(annotators: Iterable[Annotator]) -> list[str]:
    """Differences between every acknowledged state and the database: each acknowledged span
    present as last acknowledged, nothing else in those layers, no client_uuid twice."""
    from annotator.models import Span

    expected: dict[str, tuple[Any, ...]] = {}
    layer_ids: set[int] = set()
    for annotator in annotators:
        for layer in annotator.layers.values():
            layer_ids.add(layer.layer_id)
            for s in layer.spans.values():
                expected[s.client_uuid] = (
                    layer.layer_id, s.id, s.label, s.start, s.end, s.text, s.attributes, s.version
                )  # fmt: skip
    rows = Span.objects.filter(layer_id__in=layer_ids).values_list(
        "client_uuid", "layer_id", "id", "label__key", "start", "end", "text", "attributes", "version"
    )
    problems = []
    found: dict[str, tuple[Any, ...]] = {}
    for row in rows:
        key = str(row[0])
        if key in found:
            problems.append(f"client_uuid {key} twice")
        found[key] = tuple(row[1:])
    for key, acked in expected.items():
        if key not in found:
            problems.append(f"acknowledged span {key} is missing: {acked}")
        elif found[key] != acked:
            problems.append(f"span {key} is {found[key]}, acknowledged as {acked}")
    problems += [f"span {key} was never acknowledged: {found[key]}" for key in found.keys() - expected.keys()]
    return problems


def queue_problems(*, project_id: int, k: int) -> list[str]:
    """Documents of the project holding more than k counted layers, or one user twice."""
    from django.db.models import Count

    from annotator.layers.services import COUNTED_LAYER
    from annotator.models import Layer

    counted = (
        Layer.objects.filter(COUNTED_LAYER, document__project_id=project_id)
        .values("document_id")
        .annotate(n=Count("pk"), users=Count("user_id", distinct=True))
    )
    return [
        f"document {row['document_id']}: {row['n']} layers from {row['users']} users (k = {k})"
        for row in counted
        if row["n"] > k or row["users"] != row["n"]
    ]


def token_for(user: Any) -> str:
    """A fresh API token of `user` (a Django user: call it once Django is set up)."""
    from annotator.accounts.services import token_create

    return token_create(user=user, name=f"client {uuid.uuid4()}")[1]


def run_all(targets: list[Any]) -> None:
    """Run each target in a thread of its own, all at once; the first error any raised is
    raised here, and a client still running after 300 s fails."""
    errors: list[BaseException] = []

    def guarded(target: Any) -> None:
        try:
            target()
        except BaseException as error:  # a crashed client must fail the test, not vanish
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client hung"
    if errors:
        raise errors[0]
