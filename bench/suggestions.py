"""Speed of the suggestion model (not a test). Run:

    .venv/bin/python bench/suggestions.py [--smoke]

Truth: 2,000 articles written by the demo's generator (annotator.demo.generated) with one
annotator's spans as their truth. Times the held-out evaluation and the fit a training job runs
(annotator.suggestions.classifier: TF-IDF, then logistic regression per label and per choice
attribute), the saved model's size and load time, and the suggestions for one article of 10,000
characters, as the suggestions endpoint makes them. The reference, measured in the same run, is
the TF-IDF vectoriser alone over the same sentences: the floor under any training. Prints the
peak resident memory. A smoke run is 60 articles and 20 suggestion calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness
from sklearn.feature_extraction.text import TfidfVectorizer

from annotator.demo.generated import generated_demo
from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS
from annotator.suggestions import classifier
from annotator.suggestions.sentences import sentence_bounds

N_ARTICLES, N_CALLS, ARTICLE_CHARS = 2000, 200, 10_000


def corpus(n_articles: int) -> list[classifier.TrainingDocument]:
    """`n_articles` generated articles with the first annotator's spans as truth."""
    articles, layers = generated_demo(annotators=["truth"], per_source=max(1, n_articles // 4))
    documents = []
    for key, article in enumerate(articles[:n_articles]):
        text = article["text"]
        spans = []
        for span in layers["truth"][article["external_id"]]:
            start = -1
            for _ in range(span["occurrence"]):
                start = text.index(span["quote"], start + 1)
            spans.append((start, start + len(span["quote"]), span["label"], span["attributes"]))
        documents.append(classifier.TrainingDocument(key, text, spans))
    return documents


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.add_smoke_argument(parser)
    args = parser.parse_args()
    n_articles, n_calls = (60, 20) if args.smoke else (N_ARTICLES, N_CALLS)
    labels = [label["key"] for label in DEFAULT_LABELS]
    attributes = {
        label: [
            a["key"]
            for a in DEFAULT_ATTRIBUTES
            if a["kind"] == "choice" and label in (a["applies_to"] or labels)
        ]
        for label in labels
    }
    documents, built = timed(lambda: corpus(n_articles))
    sentences = [d.text[s:e] for d in documents for s, e in sentence_bounds(d.text)]
    _, reference = timed(
        lambda: TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(sentences)
    )
    metrics, evaluated = timed(lambda: classifier.evaluate(documents, labels, attributes))
    model, fitted = timed(lambda: classifier.fit(documents, labels, attributes))
    blob, dumped = timed(lambda: classifier.dumps(model))
    loaded, load_time = timed(lambda: classifier.loads(blob))
    article = ""
    for document in documents:
        if len(article) >= ARTICLE_CHARS:
            break
        article += document.text + "\n\n"
    article = article[:ARTICLE_CHARS]
    calls = []
    for _ in range(n_calls):
        found, took = timed(lambda: classifier.suggest(loaded, article))
        calls.append(took)
    ms = np.array(calls) * 1000
    print(
        json.dumps(
            {
                "articles": len(documents),
                "sentences": len(sentences),
                "corpus_built_s": round(built, 2),
                "reference_tfidf_alone_s": round(reference, 2),
                "evaluate_s": round(evaluated, 2),
                "fit_s": round(fitted, 2),
                "training_job_s": round(evaluated + fitted + dumped, 2),
                "model_bytes": len(blob),
                "model_load_ms": round(load_time * 1000, 1),
                "suggest_10k_chars_ms": {
                    "p50": round(float(np.percentile(ms, 50)), 1),
                    "p95": round(float(np.percentile(ms, 95)), 1),
                },
                "suggestions_in_article": len(found),
                "span_f1_held_out": round(metrics["span_f1"], 3) if metrics["span_f1"] is not None else None,
                "baseline_span_f1": round(metrics["baseline_span_f1"], 3)
                if metrics["baseline_span_f1"] is not None
                else None,
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
