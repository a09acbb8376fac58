"""Claims across outlets: the job that keeps the project's claims and their clusters in step with
its truth, and what reviewers do to clusters.

The job (`claims_refresh`, POST /api/v1/projects/{id}/claims/refresh/, or after the demo
loads) reads every document's truth (annotator.review.selectors.document_truths: gold, else
consensus) and keeps one Claim per CLAIM span: claims no longer in the truth go, new ones are
embedded (annotator.claims.embedding) and every claim a reviewer has not placed is clustered
again (annotator.claims.clustering). A new cluster takes the id of the old cluster most of its
claims were in, so names and verdicts stay with their claims; a cluster left with no claim and
no review is removed.

Reviewers name a cluster, rule on it (a rating, a note, a link), merge two and split claims off
one; the claims they touch are pinned, so the next run leaves them where they were put. Every
change of a cluster is kept in its history.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotator.claims.clustering import cluster
from annotator.errors import ValidationError
from annotator.jobs import scheduling
from annotator.jobs.services import job_create, job_progress, job_send, job_start, job_succeed
from annotator.models import Claim, ClaimCluster, JobKind, JobRun, Project
from annotator.review.selectors import document_truths

CLAIM = "CLAIM"
EMBED_CHUNK = 512


def embed_claims(
    texts: Sequence[str], *, in_child: bool = False, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """The texts' embeddings, EMBED_CHUNK at a time (`progress` gets the count done after each),
    with the model loaded once per process; `in_child`: in one spawned child process, for a job
    that runs inside the web process (claims_refresh_job_run)."""
    chunks = [list(texts[start : start + EMBED_CHUNK]) for start in range(0, len(texts), EMBED_CHUNK)]
    if not chunks:
        return np.zeros((0, 384), dtype=np.float32)
    with contextlib.ExitStack() as stack:
        embed: Callable[[list[str]], np.ndarray]
        if in_child:
            from annotator.claims import embedding_process

            pool = stack.enter_context(
                ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            )
            embed = functools.partial(_in_pool, pool, embedding_process.embed)
        else:
            from annotator.claims import embedding

            embed = embedding.embed
        vectors, done = [], 0
        for chunk in chunks:
            vectors.append(embed(chunk))
            done += len(chunk)
            if progress is not None:
                progress(done)
    return np.concatenate(vectors)


def _in_pool(
    pool: ProcessPoolExecutor, call: Callable[[list[str]], np.ndarray], texts: list[str]
) -> np.ndarray:
    return pool.submit(call, texts).result()


def claims_refresh(*, project_id: int, job_id: int | None = None, in_child: bool = False) -> dict[str, int]:
    """Bring the project's claims and clusters in step with its truth (module docstring);
    `in_child` as for embed_claims."""
    wanted: dict[tuple[int, int, int], tuple[str, str, dict[str, Any]]] = {}
    for truth in document_truths(project_id=project_id):
        for start, end, label, attributes in truth.spans:
            if label == CLAIM:
                wanted[truth.document_id, start, end] = (truth.text[start:end], truth.basis, dict(attributes))
    existing = {
        (c.document_id, c.start, c.end): c
        for c in Claim.objects.filter(project_id=project_id).defer("embedding")
    }
    gone = [c.pk for key, c in existing.items() if key not in wanted]
    changed, new_keys = [], []
    for key, (text, basis, attributes) in wanted.items():
        claim = existing.get(key)
        if claim is None or claim.text != text:
            new_keys.append(key)
        elif (claim.basis, claim.attributes) != (basis, attributes):
            claim.basis, claim.attributes = basis, attributes
            changed.append(claim)
    total = len(new_keys)
    if job_id is not None:
        job_progress(job_id=job_id, progress=0, total=total + 1)
    embedded = embed_claims(
        [wanted[key][0] for key in new_keys],
        in_child=in_child,
        progress=None if job_id is None else lambda done: job_progress(job_id=job_id, progress=done),
    )
    with transaction.atomic():
        Claim.objects.filter(pk__in=gone + [existing[key].pk for key in new_keys if key in existing]).delete()
        Claim.objects.bulk_update(changed, ["basis", "attributes"], batch_size=1000)
        Claim.objects.bulk_create(
            [
                Claim(
                    project_id=project_id,
                    document_id=key[0],
                    start=key[1],
                    end=key[2],
                    text=wanted[key][0],
                    basis=wanted[key][1],
                    attributes=wanted[key][2],
                    embedding=vector.astype(np.float32).tobytes(),
                )
                for key, vector in zip(new_keys, embedded, strict=True)
            ],
            batch_size=1000,
        )
        n_clusters = _recluster(project_id)
    return {"claims": len(wanted), "embedded": total, "removed": len(gone), "clusters": n_clusters}


def _recluster(project_id: int) -> int:
    """Cluster the claims no reviewer placed; each new cluster keeps the id most of its claims
    had. Returns the number of clusters with claims."""
    rows = list(
        Claim.objects.filter(project_id=project_id, pinned=False)
        .order_by("pk")
        .values_list("pk", "text", "embedding", "cluster_id")
    )
    if rows:
        vectors = np.stack([np.frombuffer(bytes(row[2]), dtype=np.float32) for row in rows])
        labels = cluster(vectors, [row[1] for row in rows], distance=settings.ANNOTATOR_CLAIM_DISTANCE)
        groups: dict[int, list[int]] = {}
        for index, label in enumerate(labels.tolist()):
            groups.setdefault(label, []).append(index)
        taken: set[int] = set()
        assignment: dict[int, int] = {}
        unmatched: list[list[int]] = []
        # Bigger groups choose first, so a cluster's id follows most of its claims.
        for members in sorted(groups.values(), key=len, reverse=True):
            previous = Counter(
                rows[i][3] for i in members if rows[i][3] is not None and rows[i][3] not in taken
            )
            if not previous:
                unmatched.append(members)
                continue
            cluster_id = previous.most_common(1)[0][0]
            taken.add(cluster_id)
            for i in members:
                assignment[rows[i][0]] = cluster_id
        # New clusters in one statement (with their history rows), not one insert each.
        created = bulk_create_with_history(
            [ClaimCluster(project_id=project_id) for _ in unmatched], ClaimCluster, batch_size=1000
        )
        for members, new in zip(unmatched, created, strict=True):
            for i in members:
                assignment[rows[i][0]] = new.pk
        moved = [Claim(pk=pk, cluster_id=cluster_id) for pk, cluster_id in assignment.items()]
        Claim.objects.bulk_update(moved, ["cluster_id"], batch_size=2000)
    ClaimCluster.objects.filter(project_id=project_id, claims__isnull=True, rating="", name="").delete()
    return ClaimCluster.objects.filter(project_id=project_id, claims__isnull=False).distinct().count()


def claims_refresh_start(*, project: Project, user: User | None) -> JobRun:
    from annotator.tasks import claims_refresh_task

    job = job_create(kind=JobKind.CLAIMS_REFRESH, project=project, created_by=user)
    return job_send(job=job, task=claims_refresh_task)


def claims_refresh_job_run(*, job_id: int, celery_id: str = "") -> None:
    """The body of `claims_refresh_task`; run again after a lost worker it refreshes again."""
    job = JobRun.objects.get(pk=job_id)
    if job.is_finished:
        return
    job_start(job_id=job_id, celery_id=celery_id)
    assert job.project_id is not None
    # In a Celery worker the model loads in the worker, once per process. Where tasks run inside
    # the web process (the embedded default, no broker), a child process embeds, so the web
    # process never loads the model.
    result = claims_refresh(project_id=job.project_id, job_id=job_id, in_child=scheduling.in_process())
    job_succeed(job_id=job_id, result=result)


def cluster_review(
    *,
    claim_cluster: ClaimCluster,
    reviewer: User,
    name: str | None = None,
    rating: str | None = None,
    rating_note: str | None = None,
    review_url: str | None = None,
) -> ClaimCluster:
    """Name a cluster and rule on it; the fields not given stay. A new verdict records who gave
    it and when."""
    if name is not None:
        claim_cluster.name = name
    verdict = {"rating": rating, "rating_note": rating_note, "review_url": review_url}
    given = {field: value for field, value in verdict.items() if value is not None}
    for field, value in given.items():
        setattr(claim_cluster, field, value)
    if given:
        claim_cluster.reviewed_by, claim_cluster.reviewed_at = reviewer, timezone.now()
    claim_cluster._history_user = reviewer  # type: ignore[attr-defined]
    claim_cluster.save()
    return claim_cluster


def cluster_merge(*, claim_cluster: ClaimCluster, other_id: int, reviewer: User) -> ClaimCluster:
    """Move every claim of cluster `other_id` of the same project into `claim_cluster` and remove
    it; its name and verdict fill in what `claim_cluster` lacks."""
    other = (
        ClaimCluster.objects.filter(pk=other_id, project_id=claim_cluster.project_id)
        .exclude(pk=claim_cluster.pk)
        .first()
    )
    if other is None:
        raise ValidationError({"other": [f"No other claim cluster {other_id} in this project."]})
    with transaction.atomic():
        Claim.objects.filter(cluster__in=[claim_cluster, other]).update(cluster=claim_cluster, pinned=True)
        for field in ("name", "rating", "rating_note", "review_url", "reviewed_by", "reviewed_at"):
            if not getattr(claim_cluster, field) and getattr(other, field):
                setattr(claim_cluster, field, getattr(other, field))
        claim_cluster._history_user = reviewer  # type: ignore[attr-defined]
        claim_cluster._change_reason = f"merged with cluster {other.pk}"  # type: ignore[attr-defined]
        claim_cluster.save()
        other._history_user = reviewer  # type: ignore[attr-defined]
        other._change_reason = f"merged into cluster {claim_cluster.pk}"  # type: ignore[attr-defined]
        other.delete()
    return claim_cluster


def cluster_split(*, claim_cluster: ClaimCluster, claim_ids: Sequence[int], reviewer: User) -> ClaimCluster:
    """Move the claims `claim_ids` of the cluster into a new cluster; both keep their claims
    where the reviewer left them."""
    members = set(Claim.objects.filter(cluster=claim_cluster).values_list("pk", flat=True))
    chosen = set(claim_ids)
    if not chosen or chosen - members:
        raise ValidationError(
            {"claims": [f"Not claims of cluster {claim_cluster.pk}: {sorted(chosen - members)}."]}
        )
    if chosen == members:
        raise ValidationError({"claims": ["Leave at least one claim in the cluster."]})
    with transaction.atomic():
        new = ClaimCluster(project_id=claim_cluster.project_id)
        new._history_user = reviewer  # type: ignore[attr-defined]
        new._change_reason = f"split from cluster {claim_cluster.pk}"  # type: ignore[attr-defined]
        new.save()
        Claim.objects.filter(pk__in=members).update(pinned=True)
        Claim.objects.filter(pk__in=chosen).update(cluster=new)
    return new
