"""The suggestion model on its own: which sentences carry a label, training and held-out
evaluation against the "every sentence" baseline, attribute hints, rejections as negatives,
saving with skops (and refusing other types), and no network and no Django needed."""

from __future__ import annotations

import fractions
import socket

import numpy as np
import pytest
import skops.io
from skops.io.exceptions import UntrustedTypesFoundException

from annotator.suggestions import classifier
from annotator.suggestions.classifier import (
    TrainingDocument,
    evaluate,
    fit,
    held_out,
    sentence_labels,
    suggest,
)
from annotator.suggestions.sentences import sentence_bounds
from tests.annotator.suggestion_corpus import CLAIMS, OPINIONS, corpus
from tests.without_django import assert_runs_without_django

LABELS = ["CLAIM", "OPINION", "DISCLAIMER"]
ATTRIBUTES = {"CLAIM": ["evidence"]}


def test_a_sentence_carries_a_label_when_a_span_covers_half_of_the_shorter_of_the_two():
    text = "The council said costs rose. Critics laughed. Nothing else happened here."
    bounds = sentence_bounds(text)
    assert [text[s:e] for s, e in bounds] == [
        "The council said costs rose.",
        "Critics laughed.",
        "Nothing else happened here.",
    ]
    # A span over the end of one sentence and most of the next marks the next only.
    assert sentence_labels(bounds, [(23, 40, "OPINION", {})]) == [{}, {"OPINION": {}}, {}]
    # A short span inside a sentence marks it, with its attributes.
    assert sentence_labels(bounds, [(4, 11, "CLAIM", {"evidence": "official"})])[0] == {
        "CLAIM": {"evidence": "official"}
    }


def test_the_model_beats_marking_every_sentence_on_held_out_articles():
    documents = corpus(60)
    metrics = evaluate(documents, LABELS, ATTRIBUTES)
    test = [d for d in documents if held_out(d.text)]
    assert metrics["n_documents"] == 60 and metrics["n_test_documents"] == len(test) > 0
    for label in ("CLAIM", "OPINION", "DISCLAIMER"):
        figures = metrics["labels"][label]
        assert figures["trained"] and figures["used"], label
        assert figures["span_f1"] > figures["baseline_span_f1"]
        assert figures["precision"] > 0.9 and figures["recall"] > 0.9
    # The baseline's span F1 is 2p/(1+p) for a label on share p of sentences, by its definition.
    claim = metrics["labels"]["CLAIM"]
    share = claim["positives"] / claim["sentences"]
    assert claim["baseline_span_f1"] == pytest.approx(2 * share / (1 + share), abs=0.02)
    # The calibration curve covers every held-out sentence of every trained label once.
    assert sum(b["n"] for b in metrics["calibration"]) == 3 * claim["sentences"]
    assert metrics["baseline"] == "Every sentence marked with the label"


def test_suggestions_are_whole_sentences_with_a_confidence_and_attribute_hints():
    model = fit(corpus(60), LABELS, ATTRIBUTES)
    claim, claim_evidence = CLAIMS[1]
    text = f"The hall was quiet. {claim} {OPINIONS[0]} The doors closed at nine."
    found = suggest(model, text)
    assert [(s.label, text[s.start : s.end]) for s in found] == [("CLAIM", claim), ("OPINION", OPINIONS[0])]
    assert all(0.5 <= s.confidence <= 1 for s in found)
    value, confidence = found[0].attributes["evidence"]
    assert value == claim_evidence and 0.5 <= confidence <= 1
    assert suggest(model, text, labels=["OPINION"])[0].label == "OPINION"
    assert suggest(model, "") == []


def test_a_label_with_too_few_examples_gets_no_classifier_and_too_little_truth_is_refused():
    documents = corpus(12)
    model = fit(documents, [*LABELS, "SATIRE"], ATTRIBUTES)
    assert "SATIRE" not in model["labels"]
    with pytest.raises(
        classifier.NotEnoughData, match="9 documents have gold or consensus; training needs 10"
    ):
        evaluate(documents[:9], LABELS, ATTRIBUTES)


def test_a_rejected_suggestion_is_a_negative_example_for_its_label():
    documents = corpus(40)
    opinion = "The hall was half empty when the first speaker stood up."  # narrative, never an opinion
    extra = [
        TrainingDocument(1000 + n, f"{opinion} {OPINIONS[n % 3]}", None, [(0, len(opinion), "OPINION")])
        for n in range(8)
    ]
    before = classifier.probabilities(fit(documents, LABELS, ATTRIBUTES), [opinion])["OPINION"][0]
    after = classifier.probabilities(fit(documents + extra, LABELS, ATTRIBUTES), [opinion])["OPINION"][0]
    assert after < before


def test_a_saved_model_loads_the_same_and_no_other_type_loads():
    documents = corpus(30)
    model = fit(documents, LABELS, ATTRIBUTES)
    blob = classifier.dumps(model)
    assert skops.io.get_untrusted_types(data=blob) == []  # only sklearn, numpy and scipy inside
    again = classifier.loads(blob)
    texts = [documents[0].text[s:e] for s, e in sentence_bounds(documents[0].text)]
    for label, p in classifier.probabilities(model, texts).items():
        np.testing.assert_array_equal(p, classifier.probabilities(again, texts)[label])
    with pytest.raises(UntrustedTypesFoundException):
        classifier.loads(skops.io.dumps({**model, "extra": fractions.Fraction(1, 3)}))


def test_training_and_suggesting_need_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    documents = corpus(30)
    metrics = evaluate(documents, LABELS, ATTRIBUTES)
    model = classifier.loads(classifier.dumps(fit(documents, LABELS, ATTRIBUTES)))
    assert metrics["labels"]["CLAIM"]["used"]
    assert suggest(model, documents[0].text)


def test_the_classifier_runs_without_django():
    assert_runs_without_django(
        "from tests.annotator.suggestion_corpus import corpus\n"
        "from annotator.suggestions.classifier import fit, suggest\n"
        "model = fit(corpus(20), ['CLAIM', 'OPINION'], {})\n"
        "assert suggest(model, corpus(1)[0].text)\n"
    )


def test_cue_words_hint_hedged_and_voice_and_name_the_cue():
    from annotator.suggestions.cues import cue_hints

    assert cue_hints("The contractor has reportedly asked for £2 million more.") == {
        "hedged": (True, "reportedly")
    }
    assert cue_hints("“The tram is a vanity project,” the union said.") == {
        "voice": ("QUOTED", "quotation marks")
    }
    assert cue_hints("Officials said the line may reopen in May.") == {
        "hedged": (True, "may"),
        "voice": ("PARAPHRASED", "said"),
    }
    assert cue_hints("The council approved the budget.") == {}
    assert cue_hints("Saidpur mayhem") == {}  # whole words only
