"""The claim embeddings and their clustering, on their own: NumPy's forward pass equals
sentence-transformers' on the same model, paraphrases of one claim cluster together (adjusted
Rand index), figures split claims that differ in them, no network is used, and the web process
never loads the model."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from annotator.claims.clustering import cluster, figures
from annotator.claims.embedding import DIMENSIONS, embed, model_dir

FIXTURE = Path(__file__).parent / "fixtures" / "minilm" / "reference.json"
ROOT = Path(__file__).resolve().parents[2]

# Each group says one thing in different words, as invented outlets wrote it.
PARAPHRASES = [
    [
        ("Harbour Herald", "The ceasefire has collapsed."),
        ("Daily Klaxon", "Fighting resumed overnight, ending the truce."),
        ("Kerbside Truth", "The truce between the two sides has broken down."),
        ("Quayside Neighbours", "The ceasefire is over after fresh clashes on Monday."),
    ],
    [
        ("Harbour Herald", "The council approved the tram extension by 31 votes to 17."),
        ("Daily Klaxon", "Councillors voted 31-17 to back the tramline extension."),
        ("Kerbside Truth", "The tram extension was approved by the city council, 31 to 17."),
    ],
    [
        ("Harbour Herald", "Unemployment fell to 4.1 percent last quarter."),
        ("Daily Klaxon", "The jobless rate dropped to 4.1% in the last three months."),
        ("Quayside Neighbours", "Joblessness declined to 4.1 per cent in the latest quarter."),
    ],
    [
        ("Harbour Herald", "The mayor will resign at the end of the month."),
        ("Kerbside Truth", "The mayor is stepping down later this month."),
        ("Daily Klaxon", "The mayor announced she will quit before the month is out."),
    ],
    [
        ("Daily Klaxon", "Bus fares will rise by 9 percent in January."),
        ("Harbour Herald", "From January, bus tickets will cost 9% more."),
        ("Quayside Neighbours", "Passengers face a 9 per cent increase in bus fares in the new year."),
    ],
    [
        ("Harbour Herald", "The water company was fined £2 million for sewage spills."),
        ("Kerbside Truth", "Regulators imposed a £2m penalty on the water firm over sewage leaks."),
        ("Daily Klaxon", "A £2 million fine was handed to the water utility for dumping sewage."),
    ],
    [
        ("Quayside Neighbours", "Three thousand homes were flooded after the river burst its banks."),
        ("Harbour Herald", "The river overflowed, flooding some 3,000 houses."),
        ("Daily Klaxon", "Around 3,000 properties were inundated when the river broke its banks."),
    ],
    [
        ("Harbour Herald", "The hospital's waiting list grew by 12 percent this year."),
        ("Kerbside Truth", "Waiting lists at the hospital are up 12% on last year."),
        ("Daily Klaxon", "Patients waiting for treatment at the hospital rose by 12 per cent."),
    ],
    [
        ("Quayside Neighbours", "The bridge will close for repairs in March."),
        ("Harbour Herald", "Repair work will shut the bridge from March."),
        ("Daily Klaxon", "The bridge is to be closed in March so it can be repaired."),
    ],
    [
        ("Daily Klaxon", "Police arrested two men near the station on Friday."),
        ("Harbour Herald", "Two men were detained by officers close to the station on Friday."),
        ("Quayside Neighbours", "On Friday police held two men near the railway station."),
    ],
    [
        ("Harbour Herald", "The factory will cut 400 jobs."),
        ("Kerbside Truth", "Four hundred workers at the plant are to lose their jobs."),
        ("Daily Klaxon", "The plant plans to shed 400 positions."),
    ],
    [
        ("Daily Klaxon", "The minister denied knowing about the contract."),
        ("Harbour Herald", "The minister said he had no knowledge of the deal."),
        ("Kerbside Truth", "The minister insisted he was unaware of the contract."),
    ],
]
# Claims on the same topics that say something else: embeddings place them near the groups above.
CONTRARY = [
    [
        ("Kerbside Truth", "The ceasefire is holding despite sporadic gunfire."),
        ("Harbour Herald", "The truce has largely held, with only isolated shooting reported."),
    ],
    [
        ("Quayside Neighbours", "The council rejected the tram extension."),
        ("Daily Klaxon", "Councillors threw out plans to extend the tramline."),
    ],
    [
        ("Kerbside Truth", "Unemployment rose to 5.3 percent."),
        ("Harbour Herald", "The jobless rate climbed to 5.3%."),
    ],
    [
        ("Quayside Neighbours", "The mayor has ruled out resigning."),
        ("Harbour Herald", "The mayor insisted she will not step down."),
    ],
]


def _texts_and_truth(groups):
    texts = [text for group in groups for _, text in group]
    truth = [n for n, group in enumerate(groups) for _ in group]
    return texts, truth


def test_the_numpy_forward_pass_equals_sentence_transformers():
    reference = json.loads(FIXTURE.read_text())
    vectors = embed(reference["texts"])
    assert vectors.shape == (len(reference["texts"]), DIMENSIONS) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, np.array(reference["vectors"]), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    # Batched or alone, a text gets the same vector (padding is never read).
    np.testing.assert_allclose(embed(reference["texts"][4:5])[0], vectors[4], atol=1e-6)


def test_the_model_is_the_published_all_minilm_l6_v2():
    import hashlib

    digests = {
        name: hashlib.sha256((model_dir() / name).read_bytes()).hexdigest()
        for name in ("model.safetensors", "tokenizer.json", "config.json")
    }
    # sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
    assert digests == {
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    }


def test_paraphrases_of_one_claim_cluster_together():
    texts, truth = _texts_and_truth(PARAPHRASES)
    labels = cluster(embed(texts), texts)
    score = adjusted_rand_score(truth, labels)
    print(f"adjusted Rand index, paraphrases: {score:.3f}")
    assert score >= 0.8


def test_claims_that_state_different_figures_are_never_one_claim():
    texts, truth = _texts_and_truth(PARAPHRASES + CONTRARY)
    labels = cluster(embed(texts), texts)
    print(f"adjusted Rand index, with contrary claims: {adjusted_rand_score(truth, labels):.3f}")
    at = dict(zip(texts, labels, strict=True))
    for rose in ("Unemployment rose to 5.3 percent.", "The jobless rate climbed to 5.3%."):
        for _, fell in PARAPHRASES[2]:
            assert at[rose] != at[fell]


def test_figures_read_separators_and_scale_words():
    assert figures("A £2 million fine, not £2m? Some 3,000 homes, 4.1% and 31-17.") == {
        2e6,
        3000.0,
        4.1,
        31.0,
        17.0,
    }
    assert figures("No figures here.") == frozenset()


def test_embedding_and_clustering_need_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from annotator.claims import embedding

    embedding.encoder.cache_clear()  # read the model again, with sockets refused
    texts, truth = _texts_and_truth(PARAPHRASES[1:3])
    assert adjusted_rand_score(truth, cluster(embed(texts), texts)) == 1.0


def _run(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("module", ["annotator.claims.embedding", "safetensors", "tokenizers"])
def test_the_web_process_never_imports_the_model(module):
    # Every view the URLconf reaches, imported as gunicorn imports the application.
    _run(
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.base')\n"
        "import config.wsgi\n"
        "from django.urls import get_resolver\n"
        "def walk(patterns):\n"
        "    for p in patterns:\n"
        "        walk(p.url_patterns) if hasattr(p, 'url_patterns') else p.callback\n"
        "walk(get_resolver().url_patterns)\n"
        f"assert {module!r} not in sys.modules, 'the web process imported {module}'\n"
    )


def test_a_web_process_that_runs_tasks_itself_embeds_in_a_child_process():
    _run(
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.base')\n"
        "import django; django.setup()\n"
        "from annotator.claims.services import embed_claims\n"
        "vectors = embed_claims(['The ceasefire has collapsed.'], in_child=True)\n"
        "assert vectors.shape == (1, 384)\n"
        "assert 'annotator.claims.embedding' not in sys.modules\n"
    )
