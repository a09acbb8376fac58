"""Per-source profiles from the database: the selector's counts on each basis, every metric on a
small corpus computed by hand, the stored rows, what a refresh recomputes, the hook after the
agreement refresh, the command, and the job with a real Celery worker."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from annotator.agreement.services import project_agreement_refresh
from annotator.jobs import scheduling
from annotator.jobs.scheduling import Refresh
from annotator.models import (
    AgreementReport,
    CompetenceReport,
    Document,
    JobRun,
    JobStatus,
    Label,
    Layer,
    LayerKind,
    LayerStatus,
    ProfileCorpus,
    ReportScope,
    SourceProfile,
)
from annotator.profiles import services as service
from annotator.profiles.maths import source_profile
from annotator.profiles.selectors import WORD_PATTERN, profile_counts_get, word_count
from annotator.profiles.services import (
    METRIC_KEYS,
    agreement_summary,
    profiles_recompute_start,
    profiles_table,
    project_profiles_changed,
    project_profiles_current,
    project_profiles_refresh,
    project_profiles_refresh_changed,
)
from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, UserFactory
from tests.workers import celery_worker, wait_until

pytestmark = pytest.mark.usefixtures("fresh_cache")

COUNCIL = "Harbour City Council"
TRAM = "Tramline Extension"


# BUILDING ARTICLES AND LAYERS
# ------------------------------------------------------------------------------


def article(project: Any, source: Any, n_sentences: int, tag: str) -> tuple[Any, list[tuple[int, int]]]:
    """A document of `n_sentences` sentences of four words each ("Xtag alpha beta sN."), and
    the bounds of each sentence."""
    parts, bounds, at = [], [], 0
    for k in range(n_sentences):
        sentence = f"X{tag} alpha beta s{k}."
        parts.append(sentence + " ")
        bounds.append((at, at + len(sentence)))
        at += len(sentence) + 1
    document = DocumentFactory(project=project, source=source, text="".join(parts), title=f"Article {tag}")
    return document, bounds


def layer(
    document: Any,
    bounds: list[tuple[int, int]],
    user: Any,
    spans: list[tuple[int, str, dict[str, Any]]],
    *,
    kind: str = LayerKind.ANNOTATION,
    submitted: bool = True,
) -> Layer:
    """A layer with a span on sentence i for each (i, label key, attributes)."""
    status = LayerStatus.SUBMITTED if submitted else LayerStatus.IN_PROGRESS
    layer = Layer.objects.create(
        document=document,
        user=user,
        kind=kind,
        status=status,
        submitted_at=timezone.now() if submitted else None,
    )
    labels = {label.key: label for label in Label.objects.filter(project=document.project)}
    for i, key, attributes in spans:
        start, end = bounds[i]
        layer.spans.create(
            label=labels[key], start=start, end=end, text=document.text[start:end], attributes=attributes
        )
    return layer


def claim(evidence: str, **more: Any) -> dict[str, Any]:
    return {"evidence": evidence, **more}


def stance(target: str, value: str, voice: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"stance": [{"target": target, "stance": value}]}
    if voice:
        attributes["voice"] = voice
    return attributes


# WORDS
# ------------------------------------------------------------------------------


def test_words_are_the_agreement_tokenizers_word_tokens():
    from annotator.agreement.maths.positions import TOKEN_PATTERN

    text = "Don't panic: the state-run line won 3-2 — 🚋 café’s 12% rise, 𝐁old!"
    assert WORD_PATTERN.findall(text) == [
        "Don't",
        "panic",
        "the",
        "state-run",
        "line",
        "won",
        "3-2",
        "café’s",
        "12",
        "rise",
        "𝐁old",
    ]
    assert word_count(text) == 11
    # Every word is a token of the agreement tokenizer; the other tokens are single symbols.
    tokens = TOKEN_PATTERN.findall(text)
    assert [t for t in tokens if WORD_PATTERN.fullmatch(t)] == WORD_PATTERN.findall(text)
    assert all(len(t) == 1 for t in tokens if not WORD_PATTERN.fullmatch(t))
    assert word_count("") == 0
    assert word_count("— … !") == 0


# THE BASIS DECIDES WHAT IS COUNTED
# ------------------------------------------------------------------------------


@pytest.fixture
def bases(db: None) -> dict[str, Any]:
    """One source, three articles:
    D: three submitted layers and a gold layer; D2: one submitted layer; D3: two submitted
    layers, no gold. A fourth article has only a layer in progress (never counted)."""
    project = ProjectFactory(slug="bases")
    source = SourceFactory(slug="bases-daily")
    u1, u2, u3, reviewer = (UserFactory(username=f"bases-{n}") for n in ("u1", "u2", "u3", "rev"))
    d, b = article(project, source, 10, "d")
    layer(
        d,
        b,
        u1,
        [
            (0, "CLAIM", claim("NAMED_SOURCE")),
            (1, "CLAIM", claim("NONE", voice="AUTHOR")),
            (2, "OPINION", {}),
        ],
    )
    layer(d, b, u2, [(0, "CLAIM", claim("NAMED_SOURCE")), (2, "OPINION", {}), (9, "DISCLAIMER", {})])
    layer(d, b, u3, [(0, "CLAIM", claim("DATA")), (1, "CLAIM", claim("NONE", voice="AUTHOR")), (3, "CLAIM", claim("NONE"))])  # fmt: skip
    layer(d, b, reviewer, [(0, "CLAIM", claim("DATA")), (9, "DISCLAIMER", {})], kind=LayerKind.GOLD)
    d2, b2 = article(project, source, 10, "e")
    layer(d2, b2, u1, [(0, "CLAIM", claim("DATA")), (1, "OPINION", {})])
    d3, b3 = article(project, source, 10, "f")
    layer(d3, b3, u1, [(0, "CLAIM", claim("NAMED_SOURCE"))])
    layer(d3, b3, u2, [(0, "CLAIM", claim("NAMED_SOURCE")), (1, "OPINION", {})])
    d4, b4 = article(project, source, 10, "g")
    layer(d4, b4, u3, [(0, "CLAIM", claim("DATA"))], submitted=False)
    return {"project": project, "source": source}


def _columns(counts: Any) -> dict[str, list[float]]:
    ev = counts.evidence
    return {
        "claims": counts.claims.tolist(),
        "opinions": counts.opinions.tolist(),
        "disclaimers": counts.disclaimers.tolist(),
        "named": ev[:, 0].tolist(),
        "data": ev[:, 3].tolist(),
        "none": ev[:, 5].tolist(),
        "unsupported": counts.author_voice_unsupported.tolist(),
        "n_layers": counts.n_layers.tolist(),
        "words": counts.words.tolist(),
    }


def test_basis_all_averages_every_submitted_layer_of_each_article(bases):
    counts = profile_counts_get(project_id=bases["project"].pk, basis="all")
    source = bases["source"].pk
    assert counts.basis == "all"
    assert counts.layers == {source: {"all": 3}}
    got = _columns(counts.sources[source])
    # D: (2 + 1 + 3) / 3 claims, 2/3 opinions, 1/3 disclaimers; D2: one layer; D3: (1 + 1) / 2.
    expected = {
        "claims": [2, 1, 1],
        "opinions": [2 / 3, 1, 0.5],
        "disclaimers": [1 / 3, 0, 0],
        "named": [2 / 3, 0, 1],
        "data": [1 / 3, 1, 0],
        "none": [1, 0, 0],
        "unsupported": [2 / 3, 0, 0],
        "n_layers": [3, 1, 2],
        "words": [40, 40, 40],
    }
    for key, values in expected.items():
        assert got[key] == pytest.approx(values), key
    assert counts.annotators == {source: 3}
    assert counts.corpus_annotators == 3


def test_basis_consensus_counts_the_majority_spans_of_articles_with_two_layers(bases):
    counts = profile_counts_get(project_id=bases["project"].pk, basis="consensus")
    source = bases["source"].pk
    assert counts.layers == {source: {"consensus": 2}}
    got = _columns(counts.sources[source])
    # D: the claim on s0 (3 of 3, evidence NAMED_SOURCE 2 to 1), the claim on s1 (2 of 3,
    # NONE, AUTHOR) and the opinion on s2 (2 of 3); the disclaimer and the claim on s3 have one
    # vote each. D3: the claim (2 of 2); its opinion has one vote of two, not a majority.
    expected = {
        "claims": [2, 1],
        "opinions": [1, 0],
        "disclaimers": [0, 0],
        "named": [1, 1],
        "data": [0, 0],
        "none": [1, 0],
        "unsupported": [1, 0],
        "n_layers": [3, 2],
    }
    for key, values in expected.items():
        assert got[key] == values, key


def _store_model(project: Any, careful: str, spammers: tuple[str, ...]) -> None:
    """A hand-made MACE fit: `careful` knows the answer 90% of the time; the spammers spam 80% of
    the time and, spamming, mark a span (of any label) 90% of the time."""
    from annotator.agreement.maths.competence import NO_SPAN, MaceModel

    people = {user.username: user.pk for user in User.objects.filter(username__startswith="bases-")}
    annotators = {str(people[careful]): (0.1, 0.9, (0.25, 0.25, 0.25, 0.25))}
    annotators |= {str(people[name]): (0.8, 0.2, (0.3, 0.3, 0.3, 0.1)) for name in spammers}
    model = MaceModel(values=("CLAIM", "OPINION", "DISCLAIMER", NO_SPAN), annotators=annotators)
    CompetenceReport.objects.update_or_create(
        project=project, defaults={"metrics": {"model": model.to_dict()}, "computed_at": timezone.now()}
    )


def test_basis_model_weighs_each_annotator_as_the_fit_says(bases):
    project, source = bases["project"], bases["source"].pk
    with pytest.raises(ValueError, match="needs a competence fit"):
        profile_counts_get(project_id=project.pk, basis="model")
    _store_model(project, "bases-u3", ("bases-u1", "bases-u2"))
    counts = profile_counts_get(project_id=project.pk, basis="model")
    assert counts.layers == {source: {"model": 2}}
    got = _columns(counts.sources[source])
    # Per group, P(label) against P(no span), each answer's factor spamming * strategy + knowing
    # where the answer is the true value. D: s0 (all three) kept; s1 (u1 and careful u3): 0.925
    # * 0.44 * 0.08 against 0.025 * 0.24 * 0.28, kept; the opinion on s2 (spammers u1 and u2
    # only): 0.44^2 * 0.025 against 0.24^2 * 0.925, dropped where the majority keeps it; the claim
    # on s3 (careful u3 alone): 0.925 * 0.08^2 against 0.025 * 0.28^2, kept where the majority
    # drops it; the disclaimer (u2 alone) dropped. D3 (u1 and u2): the claim (both) kept, the
    # opinion (u2 alone) dropped.
    expected = {
        "claims": [3, 1],
        "opinions": [0, 0],
        "disclaimers": [0, 0],
        "named": [1, 1],
        "data": [0, 0],
        "none": [2, 0],
        "unsupported": [1, 0],
        "n_layers": [3, 2],
    }
    for key, values in expected.items():
        assert got[key] == values, key


def test_a_new_fit_changes_every_sources_state_on_basis_model(bases):
    project = bases["project"]
    _store_model(project, "bases-u3", ("bases-u1", "bases-u2"))
    project_profiles_refresh(project_id=project.pk, basis="model", n_boot=0)
    assert project_profiles_changed(project_id=project.pk, basis="model") == []
    assert project_profiles_changed(project_id=project.pk, basis="consensus") is None
    _store_model(project, "bases-u1", ("bases-u2", "bases-u3"))
    assert project_profiles_changed(project_id=project.pk, basis="model") == [bases["source"].pk]
    refresh = project_profiles_refresh_changed(project_id=project.pk, basis="model", n_boot=0)
    assert refresh is not None and refresh.refreshed == [bases["source"].pk]


def test_basis_gold_takes_the_gold_layer_and_else_the_consensus(bases):
    counts = profile_counts_get(project_id=bases["project"].pk, basis="gold")
    source = bases["source"].pk
    assert counts.layers == {source: {"gold": 1, "consensus": 1}}
    got = _columns(counts.sources[source])
    expected = {
        "claims": [1, 1],  # D: the gold claim; D3: the consensus claim
        "opinions": [0, 0],
        "disclaimers": [1, 0],
        "named": [0, 1],
        "data": [1, 0],
        "none": [0, 0],
        "n_layers": [3, 2],
    }
    for key, values in expected.items():
        assert got[key] == values, key


def test_basis_gold_passes_over_gold_layers_not_yet_adjudicated(bases):
    """A gold layer a reviewer is still working on is no gold: D3 keeps its consensus, and D2
    (one submitted layer) still has no basis at all."""
    project = bases["project"]
    reviewer = UserFactory(username="bases-rev2")
    for title in ("e", "f"):
        document = Document.objects.get(project=project, title=f"Article {title}")
        Layer.objects.create(
            document=document, user=reviewer, kind=LayerKind.GOLD, status=LayerStatus.IN_PROGRESS
        )
    counts = profile_counts_get(project_id=project.pk, basis="gold")
    assert counts.layers == {bases["source"].pk: {"gold": 1, "consensus": 1}}


def test_the_stored_profile_names_its_basis_and_where_its_articles_came_from(bases):
    project, source = bases["project"], bases["source"]
    for basis, layers, articles in [
        ("all", {"all": 3}, 3),
        ("consensus", {"consensus": 2}, 2),
        ("gold", {"gold": 1, "consensus": 1}, 2),
    ]:
        refresh = project_profiles_refresh(project_id=project.pk, basis=basis, n_boot=0)
        assert refresh.refreshed == [source.pk]
        stored = SourceProfile.objects.get(project=project, source=source, basis=basis)
        assert (stored.metrics["basis"], stored.metrics["layers"], stored.n_articles) == (
            basis,
            layers,
            articles,
        )
        assert refresh.corpus.metrics["basis"] == basis
        assert refresh.corpus.metrics["layers"] == layers
    assert SourceProfile.objects.filter(project=project).count() == 3
    assert ProfileCorpus.objects.filter(project=project).count() == 3


def test_an_unknown_basis_is_refused_with_a_message(bases):
    from annotator.errors import ValidationError

    with pytest.raises(ValidationError) as error:
        project_profiles_refresh(project_id=bases["project"].pk, basis="everything")
    assert "basis" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        project_profiles_current(project_id=bases["project"].pk, basis="model")
    assert error.value.message_dict["basis"][0].startswith(
        "No competence estimate yet: basis model needs one."
    )


# EVERY METRIC ON A SMALL CORPUS, BY HAND
# ------------------------------------------------------------------------------

# Each article of "Alpha Post": one layer by u1, sentences 0-9 claims, 10-13 opinions, and a
# disclaimer on sentence 14 in the first two articles.
ALPHA_SPANS: list[tuple[int, str, dict[str, Any]]] = [
    (0, "CLAIM", claim("NAMED_SOURCE", hedged=True, check_worthy=True)),
    (1, "CLAIM", claim("NAMED_SOURCE", hedged=True, check_worthy=True)),
    (2, "CLAIM", claim("NAMED_SOURCE", check_worthy=True)),
    (3, "CLAIM", claim("NAMED_SOURCE", check_worthy=True)),
    (4, "CLAIM", claim("ANONYMOUS_SOURCE", check_worthy=True, hedged=False)),
    (5, "CLAIM", claim("ANONYMOUS_SOURCE")),
    (6, "CLAIM", claim("DATA")),
    (7, "CLAIM", claim("NONE", voice="AUTHOR")),
    (8, "CLAIM", claim("NONE", voice="AUTHOR")),
    (9, "CLAIM", claim("NONE", voice="QUOTED")),
    (10, "OPINION", stance(COUNCIL, "FAVOR", "AUTHOR")),
    (11, "OPINION", stance(COUNCIL, "FAVOR", "AUTHOR")),
    (12, "OPINION", stance(COUNCIL, "AGAINST", "QUOTED")),
    (13, "OPINION", stance(COUNCIL, "NEUTRAL")),
]
ALPHA_SENTENCES = [20, 25, 30, 40, 50]  # x 4 words: 80, 100, 120, 160, 200 = 660 words


@pytest.fixture
def corpus(db: None) -> dict[str, Any]:
    """Alpha Post: five articles as above. Beta News: one article (80 words) with two layers:
    u1 marks two named-source claims, u2 two named-source claims and two unsupported
    author-voice claims with a stance against the tramline."""
    project = ProjectFactory(slug="hand", blind=True)
    project.min_profile_articles = 2  # so five articles are "ok" (from 2 x 2 = 4)
    project.save()
    alpha = SourceFactory(slug="alpha-post", name="Alpha Post")
    beta = SourceFactory(slug="beta-news", name="Beta News")
    u1, u2 = UserFactory(username="hand-u1"), UserFactory(username="hand-u2")
    for i, n in enumerate(ALPHA_SENTENCES):
        document, bounds = article(project, alpha, n, f"a{i}")
        spans = ALPHA_SPANS + ([(14, "DISCLAIMER", {})] if i < 2 else [])
        layer(document, bounds, u1, spans)
    document, bounds = article(project, beta, 20, "b0")
    layer(document, bounds, u1, [(0, "CLAIM", claim("NAMED_SOURCE")), (1, "CLAIM", claim("NAMED_SOURCE"))])
    against = {"stance": [{"target": TRAM, "stance": "AGAINST"}]}
    layer(
        document,
        bounds,
        u2,
        [
            (0, "CLAIM", claim("NAMED_SOURCE")),
            (1, "CLAIM", claim("NAMED_SOURCE")),
            (2, "CLAIM", claim("NONE", voice="AUTHOR", **against)),
            (3, "CLAIM", claim("NONE", voice="AUTHOR", **against)),
        ],
    )
    return {"project": project, "alpha": alpha, "beta": beta}


def _value(figure: dict[str, Any]) -> float | None:
    return figure["value"]


def test_every_metric_of_a_source_matches_the_hand_computed_value(corpus):
    project_profiles_refresh(project_id=corpus["project"].pk, basis="all", n_boot=500)
    p = SourceProfile.objects.get(source=corpus["alpha"], basis="all").metrics
    assert p["coverage"] == {
        "articles": 5,
        "words": 660,
        "annotators": 1,
        "double_annotated": 0,
        "double_annotated_share": 0.0,
        "first_published": None,
        "last_published": None,
        "status": "ok",
        "reason": None,
    }
    m = {key: _value(p["metrics"][key]) for key in METRIC_KEYS}
    assert m == pytest.approx(
        {
            "claims_per_1k_words": 1000 * 50 / 660,
            # per article 125, 100, 83.3, 62.5 and 50 claims per 1,000 words
            "median_claims_per_1k_words": 1000 * 10 / 120,
            "opinions_per_1k_words": 1000 * 20 / 660,
            "median_opinions_per_1k_words": 1000 * 4 / 120,
            "opinion_share": 20 / 70,
            "sourced_claim_rate": 35 / 50,
            "anonymous_source_share": 10 / 35,
            "unsupported_author_claims_per_1k_words": 1000 * 10 / 660,
            "hedged_share": 10 / 50,
            "check_worthy_share": 25 / 50,
            "disclaimer_presence": 2 / 5,
        }
    )
    assert {key: _value(f) for key, f in p["evidence_mix"].items()} == pytest.approx(
        {
            "NAMED_SOURCE": 0.4,
            "ANONYMOUS_SOURCE": 0.2,
            "LINK_DOCUMENT": 0.0,
            "DATA": 0.1,
            "QUOTE": 0.0,
            "NONE": 0.3,
        }
    )
    council = p["stance"][COUNCIL]
    assert (council["spans"], council["articles"], council["counts"]) == (
        20,
        5,
        {"FAVOR": 10, "AGAINST": 5, "NEUTRAL": 5},
    )
    assert council["net"]["value"] == pytest.approx(0.25)  # (2 - 1) / 4 in every article
    assert council["net"]["status"] == "ok"
    # Ten author-voice stance spans are below the 20 a figure needs: shown as insufficient.
    author = council["by_voice"]["author"]
    assert (author["counts"], author["net"]["value"], author["net"]["status"]) == (
        {"FAVOR": 10, "AGAINST": 0, "NEUTRAL": 0},
        None,
        "insufficient",
    )
    assert author["net"]["reason"] == "insufficient data: 10 stance spans (needs 20)"
    assert council["by_voice"]["quoted"]["counts"] == {"FAVOR": 0, "AGAINST": 5, "NEUTRAL": 0}
    # Every shown figure carries its interval, and the interval holds the value.
    for figure in [*p["metrics"].values(), *p["evidence_mix"].values(), council["net"]]:
        assert figure["status"] == "ok"
        low, high = figure["ci95"]
        assert low - 1e-9 <= figure["value"] <= high + 1e-9
    # Same articles, same stance in each: no spread at all.
    assert council["net"]["ci95"] == pytest.approx([0.25, 0.25])
    assert p["settings"]["min_articles"] == 2
    assert p["settings"]["ok_articles"] == 4
    assert p["settings"]["n_boot"] == 500


def test_a_source_below_the_minimum_shows_insufficient_data_never_a_number(corpus):
    project_profiles_refresh(project_id=corpus["project"].pk, basis="all", n_boot=200)
    p = SourceProfile.objects.get(source=corpus["beta"], basis="all").metrics
    assert p["coverage"]["articles"] == 1
    assert p["coverage"]["double_annotated"] == 1
    assert p["coverage"]["annotators"] == 2
    assert p["coverage"]["words"] == 80
    assert p["coverage"]["status"] == "insufficient"
    for figure in [*p["metrics"].values(), *p["evidence_mix"].values(), p["stance"][TRAM]["net"]]:
        assert (figure["value"], figure["ci95"], figure["status"]) == (None, None, "insufficient")
        assert figure["reason"] == "insufficient data: 1 article (needs 2)"
    # Counts still describe the sample: the mean of the two layers' stance spans.
    assert p["stance"][TRAM]["counts"] == {"FAVOR": 0, "AGAINST": 1, "NEUTRAL": 0}


def test_the_corpus_pools_every_source_and_is_stored_once_per_basis(corpus):
    refresh = project_profiles_refresh(project_id=corpus["project"].pk, basis="all", n_boot=200)
    c = ProfileCorpus.objects.get(project=corpus["project"], basis="all")
    assert c.pk == refresh.corpus.pk
    assert (c.n_articles, c.n_sources) == (6, 2)
    coverage = c.metrics["coverage"]
    assert (coverage["articles"], coverage["words"], coverage["annotators"]) == (6, 740, 2)
    assert coverage["double_annotated_share"] == pytest.approx(1 / 6)
    m = c.metrics["metrics"]
    # Beta's article counts the mean of its layers: 3 claims (2 named, 1 NONE), 1 author-voice.
    assert m["claims_per_1k_words"]["value"] == pytest.approx(1000 * 53 / 740)
    assert m["opinion_share"]["value"] == pytest.approx(20 / 73)
    assert m["sourced_claim_rate"]["value"] == pytest.approx(37 / 53)
    assert m["unsupported_author_claims_per_1k_words"]["value"] == pytest.approx(1000 * 11 / 740)
    assert m["disclaimer_presence"]["value"] == pytest.approx(2 / 6)
    assert c.metrics["stance"][TRAM]["counts"]["AGAINST"] == 1
    assert set(c.sources_state) == {str(corpus["alpha"].pk), str(corpus["beta"].pk)}


def test_a_rerun_gives_identical_numbers(corpus):
    project_profiles_refresh(project_id=corpus["project"].pk, n_boot=300)
    first = SourceProfile.objects.get(source=corpus["alpha"], basis="all").metrics
    first_corpus = ProfileCorpus.objects.get(project=corpus["project"], basis="all").metrics
    project_profiles_refresh(project_id=corpus["project"].pk, n_boot=300)
    assert SourceProfile.objects.get(source=corpus["alpha"], basis="all").metrics == first
    assert ProfileCorpus.objects.get(project=corpus["project"], basis="all").metrics == first_corpus


def test_the_service_gives_what_the_maths_gives_for_the_selectors_counts(corpus):
    project_profiles_refresh(project_id=corpus["project"].pk, n_boot=300)
    counts = profile_counts_get(project_id=corpus["project"].pk, basis="all")
    alpha = corpus["alpha"].pk
    direct = source_profile(
        counts.sources[alpha], n_annotators=1, min_articles=2, ok_articles=4, n_boot=300, seed=0
    )
    stored = SourceProfile.objects.get(source_id=alpha, basis="all").metrics
    assert {k: stored[k] for k in direct} == direct


def test_the_agreement_badge_follows_the_sources_report(corpus):
    project = corpus["project"]
    from annotator.agreement.services import documents_agreement_refresh

    documents_agreement_refresh(document_ids=project.documents.values_list("pk", flat=True))
    project_agreement_refresh(project_id=project.pk, n_boot=0)
    project_profiles_refresh(project_id=project.pk, n_boot=0)
    beta = SourceProfile.objects.get(source=corpus["beta"], basis="all").metrics["agreement"]
    assert beta["n_documents"] == 1
    assert (beta["badge"], beta["reason"]) == (None, "1 double-annotated article (needs 10)")
    assert set(beta["labels"]) == {"CLAIM", "OPINION", "DISCLAIMER"}
    # Alpha's articles have one layer each: no agreement report for it at all.
    assert SourceProfile.objects.get(source=corpus["alpha"], basis="all").metrics["agreement"] is None


@pytest.mark.parametrize(
    ("alpha", "n", "badge"),
    [
        (0.85, 12, "reliable"),
        (0.8, 10, "reliable"),
        (0.7, 10, "tentative"),
        (0.5, 40, "unreliable"),
        (0.9, 9, None),
    ],
)
def test_agreement_badges_use_krippendorffs_marks_and_need_ten_documents(alpha, n, badge):
    report = AgreementReport(
        scope=ReportScope.SOURCE,
        resolution="token",
        computed_at=timezone.now(),
        metrics={"n_documents": n, "overall": {"alpha": {"value": alpha, "reason": None}}, "labels": {}},
    )
    assert agreement_summary(report)["badge"] == badge


# WHAT A REFRESH RECOMPUTES
# ------------------------------------------------------------------------------


def test_only_sources_whose_layers_changed_are_recomputed(corpus):
    project = corpus["project"]
    project_profiles_refresh(project_id=project.pk, n_boot=0)
    assert project_profiles_changed(project_id=project.pk) == []
    assert project_profiles_refresh_changed(project_id=project.pk, n_boot=0) is None
    alpha_before = SourceProfile.objects.get(source=corpus["alpha"], basis="all").computed_at

    document, bounds = article(project, corpus["beta"], 20, "b1")
    new = layer(document, bounds, UserFactory(username="hand-u3"), [(0, "OPINION", {})])
    assert project_profiles_changed(project_id=project.pk) == [corpus["beta"].pk]
    refresh = project_profiles_refresh_changed(project_id=project.pk, n_boot=0)
    assert refresh is not None and refresh.refreshed == [corpus["beta"].pk]
    assert SourceProfile.objects.get(source=corpus["alpha"], basis="all").computed_at == alpha_before
    assert SourceProfile.objects.get(source=corpus["beta"], basis="all").n_articles == 2
    assert ProfileCorpus.objects.get(project=project, basis="all").n_articles == 7

    # Reopening a layer is a change too; a source left without articles loses its profile.
    Layer.objects.filter(pk=new.pk).update(status=LayerStatus.IN_PROGRESS)
    assert project_profiles_changed(project_id=project.pk) == [corpus["beta"].pk]
    Layer.objects.filter(document__source=corpus["beta"]).update(status=LayerStatus.IN_PROGRESS)
    refresh = project_profiles_refresh_changed(project_id=project.pk, n_boot=0)
    assert refresh is not None and refresh.removed == [corpus["beta"].pk]
    assert not SourceProfile.objects.filter(source=corpus["beta"]).exists()
    assert ProfileCorpus.objects.get(project=project, basis="all").n_sources == 1
    assert project_profiles_changed(project_id=project.pk) == []


def test_a_gold_span_changes_the_gold_profile_only(bases):
    project = bases["project"]
    for basis in ("all", "gold"):
        project_profiles_refresh(project_id=project.pk, basis=basis, n_boot=0)
    gold = Layer.objects.get(document__project=project, kind=LayerKind.GOLD)
    gold.spans.first().delete()
    assert project_profiles_changed(project_id=project.pk, basis="gold") == [bases["source"].pk]
    assert project_profiles_changed(project_id=project.pk, basis="all") == []


def test_submitting_a_layer_refreshes_the_profiles_after_the_agreement(
    corpus, django_capture_on_commit_callbacks, monkeypatch
):
    """Eager mode: the submit's agreement job ends by asking for a profile refresh, which
    recomputes the changed source."""
    from annotator.layers.services import layer_submit

    project = corpus["project"]
    calls: list[list[int] | None] = []
    real = service.project_profiles_refresh

    def counting(**kwargs: Any) -> Any:
        calls.append(sorted(kwargs["sources"]) if kwargs.get("sources") is not None else None)
        return real(**{**kwargs, "n_boot": 0})

    monkeypatch.setattr(service, "project_profiles_refresh", counting)
    document, bounds = article(project, corpus["beta"], 20, "b2")
    fresh = layer(document, bounds, UserFactory(username="hand-u4"), [(0, "OPINION", {})], submitted=False)
    with django_capture_on_commit_callbacks(execute=True):
        layer_submit(layer=fresh)
    assert calls == [None]  # never computed before: everything, on the default basis
    assert SourceProfile.objects.get(source=corpus["beta"], basis="all").n_articles == 2

    # The next submit within the throttle window only marks the project; a read catches up,
    # recomputing only the source that changed.
    document, bounds = article(project, corpus["alpha"], 20, "a9")
    later = layer(document, bounds, UserFactory(username="hand-u5"), [(0, "OPINION", {})], submitted=False)
    with django_capture_on_commit_callbacks(execute=True):
        layer_submit(layer=later)
    assert calls == [None]
    current = project_profiles_current(project_id=project.pk)
    assert calls == [None, [corpus["alpha"].pk]]
    assert not current.pending
    assert [s.slug for s, _ in current.sources] == ["alpha-post", "beta-news"]
    assert {s.slug: p.n_articles for s, p in current.sources} == {"alpha-post": 6, "beta-news": 2}


def test_a_burst_of_requests_schedules_one_refresh(corpus, monkeypatch, django_capture_on_commit_callbacks):
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(scheduling, "follow_up", lambda task, args, countdown=None: sent.append(args))
    monkeypatch.setattr(scheduling, "in_process", lambda: False)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(20):
            scheduling.refresh_request(Refresh.PROFILES, project_id=corpus["project"].pk)
    assert sent == [(corpus["project"].pk,)]
    # The scheduled refresh clears the marks and, with nothing new meanwhile, asks no more.
    with django_capture_on_commit_callbacks(execute=True):
        service.project_profiles_refresh_scheduled(project_id=corpus["project"].pk)
    assert sent == [(corpus["project"].pk,)]
    assert SourceProfile.objects.filter(project=corpus["project"], basis="all").count() == 2
    # A request now wins the released slot again.
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.refresh_request(Refresh.PROFILES, project_id=corpus["project"].pk)
    assert len(sent) == 2


def test_reads_with_a_broker_say_pending_and_ask_for_a_refresh_instead_of_computing(corpus, monkeypatch):
    project = corpus["project"]
    project_profiles_refresh(project_id=project.pk, n_boot=0)
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(scheduling, "follow_up", lambda task, args, countdown=None: sent.append(args))
    monkeypatch.setattr(scheduling, "in_process", lambda: False)
    assert project_profiles_current(project_id=project.pk).pending is False
    assert sent == []
    document, bounds = article(project, corpus["alpha"], 20, "a8")
    layer(document, bounds, UserFactory(username="hand-u6"), [(0, "CLAIM", claim("DATA"))])
    current = project_profiles_current(project_id=project.pk)
    assert current.pending is True
    assert sent == [(project.pk,)]
    assert {s.slug: p.n_articles for s, p in current.sources}["alpha-post"] == 5
    # Never computed on a basis: nothing stored, nothing pending.
    assert project_profiles_current(project_id=project.pk, basis="gold").corpus is None


# THE COMPARISON TABLE AND THE COMMAND
# ------------------------------------------------------------------------------


def test_the_comparison_table_has_a_row_per_source_and_the_corpus(corpus):
    project_profiles_refresh(project_id=corpus["project"].pk, n_boot=100)
    header, rows = profiles_table(profiles=project_profiles_current(project_id=corpus["project"].pk))
    assert header[:4] == ["scope", "source", "name", "basis"]
    assert [r[:3] for r in rows] == [
        ["source", "alpha-post", "Alpha Post"],
        ["source", "beta-news", "Beta News"],
        ["corpus", "", "All sources (corpus)"],
    ]
    column = header.index("metrics.opinion_share")
    assert header[column : column + 5] == [
        "metrics.opinion_share",
        "metrics.opinion_share.low",
        "metrics.opinion_share.high",
        "metrics.opinion_share.status",
        "metrics.opinion_share.n",
    ]
    assert rows[0][column] == pytest.approx(20 / 70)
    assert rows[1][column] is None and rows[1][column + 3] == "insufficient"
    assert f"stance.{COUNCIL}.net" in header and f"stance.{TRAM}.net" in header
    assert all(len(r) == len(header) for r in rows)


def test_metric_keys_are_the_maths_keys_in_order(corpus):
    counts = profile_counts_get(project_id=corpus["project"].pk, basis="all")
    profile = source_profile(next(iter(counts.sources.values())), n_annotators=1, n_boot=0)
    assert tuple(profile["metrics"]) == METRIC_KEYS


def test_the_command_computes_and_prints_a_summary(corpus):
    out = io.StringIO()
    call_command(
        "compute_profiles",
        "--project",
        corpus["project"].slug,
        "--basis",
        "consensus",
        "--bootstrap",
        "0",
        stdout=out,
    )
    text = out.getvalue()
    assert text.startswith("Profiles of hand on basis consensus: 1 sources, 1 articles, 0 resamples")
    assert "Beta News: 1 articles, insufficient" in text
    assert "(corpus): 1 articles" in text
    assert SourceProfile.objects.filter(project=corpus["project"], basis="consensus").count() == 1


def test_the_command_refuses_an_unknown_project(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project has the slug 'nope'"):
        call_command("compute_profiles", "--project", "nope", stdout=io.StringIO())


def test_the_selector_reads_in_a_bounded_number_of_queries(corpus, django_assert_num_queries):
    project = corpus["project"]
    # Labels, targets, documents, layer counts; then texts, layers and spans per chunk.
    with django_assert_num_queries(4 + 3 * 3):
        counts = profile_counts_get(project_id=project.pk, basis="all", chunk_size=2)
    assert counts.n_articles == 6
    with django_assert_num_queries(4 + 3):
        assert profile_counts_get(project_id=project.pk, basis="all").n_articles == 6


def test_published_dates_give_the_date_range(corpus):
    from datetime import datetime, timedelta

    documents = list(corpus["project"].documents.filter(source=corpus["alpha"]).order_by("pk"))
    start = datetime(2025, 3, 1, 12, tzinfo=timezone.get_current_timezone())
    for i, document in enumerate(documents):
        document.published_at = start + timedelta(days=10 * i)
        document.save()
    project_profiles_refresh(project_id=corpus["project"].pk, n_boot=0)
    coverage = SourceProfile.objects.get(source=corpus["alpha"], basis="all").metrics["coverage"]
    assert (coverage["first_published"], coverage["last_published"]) == ("2025-03-01", "2025-04-10")


# A REAL WORKER
# ------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_the_recompute_job_and_the_coalesced_refresh(tmp_path, monkeypatch):
    project = ProjectFactory(slug="worker-profiles")
    project.min_profile_articles = 2
    project.save()
    source = SourceFactory(slug="worker-weekly", name="Worker Weekly")
    users = [UserFactory(username=f"worker-u{i}") for i in range(2)]
    for i in range(4):
        document, bounds = article(project, source, 10 + i, f"w{i}")
        for user in users:
            layer(
                document,
                bounds,
                user,
                [(0, "CLAIM", claim("DATA")), (1, "OPINION", stance(COUNCIL, "FAVOR"))],
            )

    with celery_worker(tmp_path) as worker:
        job = profiles_recompute_start(project=project, basis="consensus", user=None)
        wait_until(lambda: JobRun.objects.get(pk=job.pk).is_finished, timeout=90)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED, (job.error, worker.log.read_text()[-3000:])
        assert job.celery_id
        assert job.result["n_sources"] == 1 and job.result["n_articles"] == 4
        assert job.progress == job.total == 1

        # A change, then the coalesced refresh the agreement job would ask for.
        document, bounds = article(project, source, 12, "w9")
        layer(document, bounds, users[0], [(0, "CLAIM", claim("NONE"))])
        assert project_profiles_changed(project_id=project.pk, basis="consensus") == [source.pk]
        monkeypatch.setattr(Refresh, "countdown", property(lambda refresh: 0))
        scheduling.refresh_request(Refresh.PROFILES, project_id=project.pk)
        wait_until(
            lambda: (
                SourceProfile.objects.filter(project=project, basis="all").exists()
                and project_profiles_changed(project_id=project.pk, basis="consensus") == []
            ),
            timeout=90,
        )

    consensus = SourceProfile.objects.get(project=project, basis="consensus")
    assert consensus.n_articles == 4  # the new article has one layer: no consensus
    assert consensus.metrics["metrics"]["claims_per_1k_words"]["value"] == pytest.approx(
        1000 * 4 / (4 * (10 + 11 + 12 + 13))
    )
    everything = SourceProfile.objects.get(project=project, basis="all")
    assert everything.n_articles == 5
    assert everything.metrics["coverage"]["words"] == 4 * (10 + 11 + 12 + 13) + 4 * 12
