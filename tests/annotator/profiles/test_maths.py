"""Per-source profile maths: hand-computed values, statuses, bootstrap, pooling. No Django."""

import json

import numpy as np
import pytest

from annotator.profiles.maths import (
    EVIDENCE_VALUES,
    INSUFFICIENT,
    LOW_CONFIDENCE,
    OK,
    ArticleCounts,
    corpus_profile,
    pool,
    profiles,
    source_profile,
)
from annotator.profiles.maths.bootstrap import percentile_intervals, quantiles, resample
from tests.without_django import assert_runs_without_django

# Minimums switched off, so the three-article corpus shows values (status low_confidence).
NO_MINIMUMS = {
    "min_articles": 1,
    "min_claims": 1,
    "min_sourced_claims": 1,
    "min_stance_spans": 1,
    "min_stance_articles": 1,
}

METRIC_KEYS = [
    "claims_per_1k_words",
    "median_claims_per_1k_words",
    "opinions_per_1k_words",
    "median_opinions_per_1k_words",
    "opinion_share",
    "sourced_claim_rate",
    "anonymous_source_share",
    "unsupported_author_claims_per_1k_words",
    "hedged_share",
    "check_worthy_share",
    "disclaimer_presence",
]


def three_articles() -> ArticleCounts:
    # evidence columns: NAMED, ANON, LINK, DATA, QUOTE, NONE
    # stance_by_voice[article][target] = [author F/A/N, quoted F/A/N]
    return ArticleCounts.of(
        [1000, 500, 500],
        claims=[4, 1, 0],
        opinions=[1, 2, 1],
        disclaimers=[0, 1, 3],
        evidence=[[2, 1, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]],  # article 1: 1 claim has none
        author_voice_unsupported=[1, 0, 0],
        hedged_claims=[1, 1, 0],
        check_worthy_claims=[2, 0, 0],
        targets=["X", "Y"],
        stance=[[[2, 1, 1], [0, 0, 0]], [[0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]],
        stance_by_voice=[
            [[[2, 0, 0], [0, 1, 1]], [[0, 0, 0], [0, 0, 0]]],
            [[[0, 1, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]],
            [[[0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]],
        ],
        n_layers=[1, 2, 3],
        published=np.array(["2024-03-05", "NaT", "2024-01-31T23:00"], dtype="datetime64[s]"),
    )


def varied(copies: int) -> ArticleCounts:
    """A ten-article pattern with varied rates, repeated `copies` times; its first 15 articles
    meet every minimum (one target "X" with 2 to 4 stance spans per article)."""
    words = np.array([800, 1200, 500, 950, 1500, 700, 1000, 600, 1100, 900])
    claims = np.array([10, 6, 3, 12, 8, 2, 9, 7, 4, 11])
    opinions = np.array([1, 5, 2, 0, 3, 6, 1, 2, 4, 0])
    named = np.array([4, 2, 1, 5, 3, 0, 4, 2, 1, 6])
    anon = np.array([2, 1, 0, 3, 1, 1, 2, 1, 0, 2])
    none = claims - named - anon
    evidence = np.zeros((10, 6))
    evidence[:, 0], evidence[:, 1], evidence[:, 5] = named, anon, none
    by_voice = np.zeros((10, 1, 2, 3))  # [article, target X, author | quoted, F | A | N]
    by_voice[:, 0, 0, 0] = [2, 0, 1, 2, 1, 0, 2, 1, 0, 1]  # author FAVOR
    by_voice[:, 0, 0, 1] = [0, 1, 0, 0, 1, 0, 0, 1, 1, 0]  # author AGAINST
    by_voice[:, 0, 1, 1] = [1, 1, 1, 0, 1, 2, 0, 1, 1, 1]  # quoted AGAINST
    by_voice[:, 0, 1, 2] = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1]  # quoted NEUTRAL
    stance = by_voice.sum(axis=2)
    tile = np.tile
    return ArticleCounts.of(
        tile(words, copies),
        claims=tile(claims, copies),
        opinions=tile(opinions, copies),
        disclaimers=tile([0, 1, 0, 0, 2, 0, 1, 0, 0, 0], copies),
        evidence=tile(evidence, (copies, 1)),
        author_voice_unsupported=tile(np.minimum(none, 2), copies),
        hedged_claims=tile([1, 0, 2, 3, 1, 0, 0, 1, 2, 1], copies),
        check_worthy_claims=tile([3, 1, 0, 2, 4, 1, 2, 0, 1, 5], copies),
        targets=["X"],
        stance=tile(stance, (copies, 1, 1)),
        stance_by_voice=tile(by_voice, (copies, 1, 1, 1)),
        n_layers=tile([1, 2, 1, 1, 3, 1, 1, 2, 1, 1], copies),
    )


def all_figures(profile: dict) -> dict[str, dict]:
    figures = {f"metrics.{k}": v for k, v in profile["metrics"].items()}
    figures |= {f"evidence_mix.{k}": v for k, v in profile["evidence_mix"].items()}
    for target, entry in profile["stance"].items():
        figures[f"stance.{target}.net"] = entry["net"]
        for voice, sub in entry["by_voice"].items():
            figures[f"stance.{target}.{voice}.net"] = sub["net"]
    return figures


# -- hand-computed values --------------------------------------------------------------------------


def test_densities_and_opinion_share_by_hand():
    m = source_profile(three_articles(), n_annotators=2, **NO_MINIMUMS, n_boot=0)["metrics"]
    # claims 4 + 1 + 0 = 5 over 1000 + 500 + 500 = 2000 words -> 5 / 2000 * 1000 = 2.5
    assert m["claims_per_1k_words"]["value"] == pytest.approx(2.5)
    # per-article 4/1000, 1/500, 0/500 per 1k = 4, 2, 0 -> median 2
    assert m["median_claims_per_1k_words"]["value"] == pytest.approx(2.0)
    # opinions 1 + 2 + 1 = 4 over 2000 words -> 2.0; per article 1, 4, 2 -> median 2
    assert m["opinions_per_1k_words"]["value"] == pytest.approx(2.0)
    assert m["median_opinions_per_1k_words"]["value"] == pytest.approx(2.0)
    # O / (C + O) = 4 / (5 + 4)
    assert m["opinion_share"]["value"] == pytest.approx(4 / 9)
    assert m["opinion_share"]["n"] == 9
    assert m["opinion_share"]["unit"] == "claims and opinions"
    assert m["claims_per_1k_words"]["n"] == 3


def test_evidence_mix_and_sourcing_by_hand():
    p = source_profile(three_articles(), n_annotators=2, **NO_MINIMUMS, n_boot=0)
    mix = {k: v["value"] for k, v in p["evidence_mix"].items()}
    # column sums over the 5 claims with an evidence value: NAMED 2, ANON 1, LINK 1, DATA 0, QUOTE 0, NONE 1
    assert list(mix) == list(EVIDENCE_VALUES)
    assert mix == pytest.approx(
        {
            "NAMED_SOURCE": 0.4,
            "ANONYMOUS_SOURCE": 0.2,
            "LINK_DOCUMENT": 0.2,
            "DATA": 0.0,
            "QUOTE": 0.0,
            "NONE": 0.2,
        }
    )
    m = p["metrics"]
    assert m["sourced_claim_rate"]["value"] == pytest.approx(0.8)  # 4 not-NONE / 5
    assert m["sourced_claim_rate"]["n"] == 5
    assert m["anonymous_source_share"]["value"] == pytest.approx(0.25)  # 1 ANON / 4 sourced
    assert m["anonymous_source_share"]["n"] == 4
    assert m["unsupported_author_claims_per_1k_words"]["value"] == pytest.approx(0.5)  # 1 / 2000 * 1000


def test_flag_shares_and_disclaimer_presence_by_hand():
    m = source_profile(three_articles(), n_annotators=2, **NO_MINIMUMS, n_boot=0)["metrics"]
    assert m["hedged_share"]["value"] == pytest.approx(0.4)  # (1 + 1 + 0) / 5 claims
    assert m["check_worthy_share"]["value"] == pytest.approx(0.4)  # (2 + 0 + 0) / 5 claims
    assert m["hedged_share"]["n"] == 5
    assert m["disclaimer_presence"]["value"] == pytest.approx(2 / 3)  # articles 2 and 3 have one


def test_stance_net_is_averaged_per_article_by_hand():
    x = source_profile(three_articles(), n_annotators=2, **NO_MINIMUMS, n_boot=0)["stance"]["X"]
    assert x["counts"] == {"FAVOR": 2, "AGAINST": 2, "NEUTRAL": 1}
    assert (x["spans"], x["articles"]) == (5, 2)
    # article 1: F2 A1 N1 -> (2 - 1) / 4 = 0.25; article 2: A1 -> -1; article 3 has none (skipped)
    # mean = (0.25 - 1) / 2 = -0.375 (the ratio of sums (2 - 2) / 5 = 0 would differ)
    assert x["net"]["value"] == pytest.approx(-0.375)
    assert x["net"]["n"] == 5
    assert x["net"]["unit"] == "stance spans"
    # author voice: article 1 F2 -> 1, article 2 A1 -> -1 -> mean 0
    author = x["by_voice"]["author"]
    assert author["counts"] == {"FAVOR": 2, "AGAINST": 1, "NEUTRAL": 0}
    assert author["net"]["value"] == pytest.approx(0.0)
    # quoted: only article 1, A1 N1 -> (0 - 1) / 2 = -0.5
    quoted = x["by_voice"]["quoted"]
    assert (quoted["spans"], quoted["articles"]) == (2, 1)
    assert quoted["net"]["value"] == pytest.approx(-0.5)


def test_counts_averaged_over_layers_are_rounded_to_two_decimals():
    # Six articles, each with FAVOR on X from one of three layers: 1/3 per article. The float
    # sum is 1.9999999999999998; the API says 2. A fraction stays a fraction, to two decimals.
    n = 6
    stance = np.zeros((n, 1, 3))
    stance[:, 0, 0] = 1 / 3
    stance[0, 0, 2] = 83 / 6
    by_voice = np.zeros((n, 1, 2, 3))
    by_voice[:, :, 0, :] = stance
    counts = ArticleCounts.of(
        [500] * n,
        claims=[0] * n,
        opinions=[0] * n,
        disclaimers=[0] * n,
        evidence=np.zeros((n, 6)),
        author_voice_unsupported=[0] * n,
        hedged_claims=[0] * n,
        check_worthy_claims=[0] * n,
        targets=["X"],
        stance=stance,
        stance_by_voice=by_voice,
        n_layers=[3] * n,
    )
    assert float(stance[:, 0, 0].sum()) == 1.9999999999999998
    x = source_profile(counts, n_annotators=3, **NO_MINIMUMS, n_boot=0)["stance"]["X"]
    assert x["counts"] == {"FAVOR": 2, "AGAINST": 0, "NEUTRAL": 13.83}
    assert type(x["counts"]["FAVOR"]) is int
    assert x["spans"] == 15.83
    assert x["by_voice"]["author"]["counts"]["FAVOR"] == 2


def test_coverage():
    cov = source_profile(three_articles(), n_annotators=2, n_boot=0)["coverage"]
    assert cov == {
        "articles": 3,
        "words": 2000,
        "annotators": 2,
        "double_annotated": 2,  # n_layers 1, 2, 3
        "double_annotated_share": pytest.approx(2 / 3),
        "first_published": "2024-01-31",  # the unknown date (NaT) is left out
        "last_published": "2024-03-05",
        "status": INSUFFICIENT,
        "reason": "insufficient data: 3 articles (needs 15)",
    }


def test_float_timestamps_give_the_same_dates():
    seconds = [
        np.datetime64("2024-03-05", "s").astype(float),
        float("nan"),
        np.datetime64("2024-01-31T23:00", "s").astype(float),
    ]
    counts = ArticleCounts.of([1, 1, 1], published=seconds)
    cov = source_profile(counts, n_annotators=1)["coverage"]
    assert (cov["first_published"], cov["last_published"]) == ("2024-01-31", "2024-03-05")
    assert np.isnat(counts.published[1])


# -- statuses and minimum samples ------------------------------------------------------------------


def test_every_metric_key_is_present():
    p = source_profile(varied(3), n_annotators=1, n_boot=0)
    assert list(p) == ["coverage", "metrics", "evidence_mix", "stance", "settings"]
    assert list(p["metrics"]) == METRIC_KEYS
    assert list(p["stance"]["X"]) == ["spans", "articles", "counts", "net", "by_voice"]
    for figure in all_figures(p).values():
        assert list(figure) == ["value", "ci95", "n", "unit", "status", "reason"]


@pytest.mark.parametrize(
    ("articles", "expected"), [(14, INSUFFICIENT), (15, LOW_CONFIDENCE), (29, LOW_CONFIDENCE), (30, OK)]
)
def test_status_at_the_article_thresholds(articles, expected):
    counts = varied(3).take(np.arange(articles))  # >= 50 claims, >= 30 sourced, >= 20 stance spans
    p = source_profile(counts, n_annotators=1, n_boot=200)
    assert p["coverage"]["status"] == expected
    for key, figure in all_figures(p).items():
        assert figure["status"] == expected, key
        if expected == INSUFFICIENT:
            assert figure["value"] is None and figure["ci95"] is None
            assert figure["reason"] == "insufficient data: 14 articles (needs 15)"
        elif expected == LOW_CONFIDENCE:
            assert figure["value"] is not None and figure["ci95"] is not None
            assert figure["reason"] == f"low confidence: {articles} articles (ok from 30)"
        else:
            assert figure["value"] is not None and figure["ci95"] is not None
            assert figure["reason"] is None
    assert p["metrics"]["claims_per_1k_words"]["n"] == articles


def test_one_article_is_insufficient_everywhere_but_coverage_is_shown():
    p = source_profile(varied(1).take([0]), n_annotators=3)
    assert p["coverage"]["articles"] == 1 and p["coverage"]["words"] == 800
    assert p["coverage"]["annotators"] == 3
    for key, figure in all_figures(p).items():
        assert figure["status"] == INSUFFICIENT, key
        assert figure["value"] is None and figure["ci95"] is None
        assert figure["reason"] == "insufficient data: 1 article (needs 15)"


def test_metric_minimums_on_claims_and_stance():
    # 15 articles with 1 claim each: enough articles, too few claims for the claim shares
    counts = ArticleCounts.of(
        np.full(15, 100.0),
        claims=np.ones(15),
        evidence=np.tile([1, 0, 0, 0, 0, 0], (15, 1)),
        targets=["X"],
        stance=np.tile([[[1, 0, 0]]], (15, 1, 1)),
    )
    p = source_profile(counts, n_annotators=1, n_boot=0)
    m = p["metrics"]
    assert m["claims_per_1k_words"]["status"] == LOW_CONFIDENCE
    assert m["claims_per_1k_words"]["value"] == pytest.approx(10.0)  # 15 / 1500 * 1000
    assert m["hedged_share"]["status"] == INSUFFICIENT
    assert m["hedged_share"]["reason"] == "insufficient data: 15 claims (needs 50)"
    assert m["hedged_share"]["n"] == 15
    assert m["sourced_claim_rate"]["reason"] == "insufficient data: 15 claims with evidence (needs 50)"
    assert m["anonymous_source_share"]["reason"] == "insufficient data: 15 sourced claims (needs 30)"
    assert p["stance"]["X"]["net"]["reason"] == "insufficient data: 15 stance spans (needs 20)"
    # 40 spans but in 4 articles only
    stance = np.zeros((15, 1, 3))
    stance[:4, 0, 0] = 10
    p = source_profile(ArticleCounts.of(np.full(15, 100.0), targets=["X"], stance=stance), n_annotators=1)
    assert p["stance"]["X"]["net"]["reason"] == "insufficient data: 4 articles with stance spans (needs 5)"
    assert p["stance"]["X"]["net"]["value"] is None


def test_zero_denominators_give_null_with_a_reason():
    # 30 articles, words but no spans at all; one target nobody marked
    counts = ArticleCounts.of(np.full(30, 500.0), targets=["X"])
    p = source_profile(counts, n_annotators=1, n_boot=100)
    m = p["metrics"]
    assert m["claims_per_1k_words"]["value"] == 0.0  # 0 / 15000 words is defined
    assert m["claims_per_1k_words"]["status"] == OK
    expected = {
        "opinion_share": "no claims or opinions",
        "hedged_share": "no claims",
        "check_worthy_share": "no claims",
        "sourced_claim_rate": "no claims with evidence",
        "anonymous_source_share": "no sourced claims",
    }
    for key, reason in expected.items():
        assert m[key] | {"n": None} == {
            "value": None,
            "ci95": None,
            "n": None,
            "unit": m[key]["unit"],
            "status": INSUFFICIENT,
            "reason": reason,
        }
    assert p["evidence_mix"]["NONE"]["reason"] == "no claims with evidence"
    assert p["stance"]["X"]["net"]["reason"] == "no stance spans"
    assert p["stance"]["X"]["by_voice"]["author"]["net"]["reason"] == "no stance spans"
    assert p["metrics"]["disclaimer_presence"]["value"] == 0.0
    json.dumps(p, allow_nan=False)

    # no words at all
    p = source_profile(ArticleCounts.of(np.zeros(30)), n_annotators=1, n_boot=100)
    for key in [
        "claims_per_1k_words",
        "median_claims_per_1k_words",
        "unsupported_author_claims_per_1k_words",
    ]:
        assert p["metrics"][key]["value"] is None
        assert p["metrics"][key]["reason"] == "no words"
    json.dumps(p, allow_nan=False)


def test_empty_source_does_not_crash():
    p = source_profile(ArticleCounts.of(np.zeros(0), targets=["X"]), n_annotators=0)
    assert p["coverage"]["articles"] == 0
    assert p["coverage"]["double_annotated_share"] is None
    assert p["coverage"]["first_published"] is None
    assert p["metrics"]["claims_per_1k_words"]["reason"] == "insufficient data: 0 articles (needs 15)"
    json.dumps(p, allow_nan=False)


def test_profile_is_strict_json():
    for counts in (three_articles(), varied(2), varied(5)):
        text = json.dumps(source_profile(counts, n_annotators=1, n_boot=300), allow_nan=False)
        assert json.loads(text)["coverage"]["annotators"] == 1


# -- bootstrap -------------------------------------------------------------------------------------


def test_fixed_seed_reproduces_exactly_and_another_seed_differs():
    first = source_profile(varied(4), n_annotators=1, n_boot=500, seed=7)
    again = source_profile(varied(4), n_annotators=1, n_boot=500, seed=7)
    other = source_profile(varied(4), n_annotators=1, n_boot=500, seed=8)
    assert json.dumps(first) == json.dumps(again)
    assert first["metrics"]["claims_per_1k_words"]["ci95"] != other["metrics"]["claims_per_1k_words"]["ci95"]
    assert first["settings"]["seed"] == 7 and first["settings"]["n_boot"] == 500


def test_intervals_contain_the_point_estimate():
    p = source_profile(varied(5), n_annotators=1, n_boot=2000)
    figures = all_figures(p)
    assert len(figures) == len(METRIC_KEYS) + 6 + 3
    for key, figure in figures.items():
        low, high = figure["ci95"]
        assert low <= figure["value"] <= high, key


def test_intervals_shrink_as_articles_are_added():
    small = all_figures(source_profile(varied(2), n_annotators=1, min_articles=1, n_boot=2000))
    large = all_figures(source_profile(varied(20), n_annotators=1, n_boot=2000))
    for key in small:
        if key.startswith("evidence_mix.") and key.split(".")[1] not in (
            "NAMED_SOURCE",
            "ANONYMOUS_SOURCE",
            "NONE",
        ):
            continue  # LINK_DOCUMENT, DATA, QUOTE are 0 in every article: a point interval
        if small[key]["value"] is None:
            continue  # below a span minimum at 20 articles
        width_small = small[key]["ci95"][1] - small[key]["ci95"][0]
        width_large = large[key]["ci95"][1] - large[key]["ci95"][0]
        assert width_small > 0, key
        assert width_large < 0.6 * width_small, key  # sqrt(20 / 200) ~ 0.32 for a smooth statistic
        assert large[key]["value"] == pytest.approx(small[key]["value"]), key  # same pattern, same value


def test_identical_articles_give_a_point_interval():
    counts = ArticleCounts.of(np.full(40, 1000.0), claims=np.full(40, 3.0), opinions=np.full(40, 1.0))
    m = source_profile(counts, n_annotators=1, n_boot=300)["metrics"]
    assert m["claims_per_1k_words"]["ci95"] == [3.0, 3.0]
    assert m["median_opinions_per_1k_words"]["ci95"] == [1.0, 1.0]
    assert m["opinion_share"]["ci95"] == [0.25, 0.25]


def test_no_resamples_gives_no_interval():
    p = source_profile(varied(3), n_annotators=1, n_boot=0)
    assert all(f["ci95"] is None and f["value"] is not None for f in all_figures(p).values())


def test_resample_draws_n_articles_per_replicate():
    n = 7
    sums, medians = resample(np.eye(n), np.arange(n, dtype=float)[:, None], n_boot=600, seed=1)
    assert sums.shape == (600, n) and medians.shape == (600, 1)
    assert np.all(sums.sum(axis=1) == n)  # row = times each article was drawn
    assert sums.mean(axis=0) == pytest.approx(np.ones(n), abs=0.15)
    # the median of the drawn values 0..6 from the same draws: the median of the expanded counts
    expanded = [np.repeat(np.arange(n), row.astype(int)) for row in sums]
    np.testing.assert_array_equal(medians[:, 0], [np.median(e) for e in expanded])


def test_resample_medians_skip_articles_without_a_value_and_handle_ties():
    n = 9
    values = np.array([[3.0, np.nan, 1.0, 1.0, 7.0, np.nan, 2.0, 3.0, 0.5]]).T
    sums, medians = resample(np.eye(n), values, n_boot=400, seed=4)
    for row, median in zip(sums, medians[:, 0], strict=True):
        drawn = np.repeat(values[:, 0], row.astype(int))
        drawn = drawn[~np.isnan(drawn)]
        if len(drawn):
            assert median == np.median(drawn)
        else:
            assert np.isnan(median)


def test_resample_blocks_do_not_change_the_shape(monkeypatch):
    import annotator.profiles.maths.bootstrap as bootstrap

    monkeypatch.setattr(bootstrap, "MAX_CELLS", 30)  # blocks of 3 replicates for n = 10
    sums, medians = bootstrap.resample(np.ones((10, 2)), np.ones((10, 1)), n_boot=11, seed=0)
    assert sums.shape == (11, 2) and np.all(sums == 10)
    assert np.all(medians == 1)


def test_quantiles_match_numpy_and_ignore_nan():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(101, 5))
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:, 4] = np.nan  # a column with nothing defined
    got = quantiles(x, [0.025, 0.5, 0.975], axis=0)
    want = np.nanpercentile(x[:, :4], [2.5, 50, 97.5], axis=0)
    np.testing.assert_allclose(got[:, :4], want)
    assert np.all(np.isnan(got[:, 4]))
    low, high = percentile_intervals(x[:, :4])
    np.testing.assert_allclose([low, high], want[[0, 2]])


# -- pooling and the corpus value ------------------------------------------------------------------


def test_pool_concatenates_articles_and_unites_targets():
    a = three_articles()
    b = ArticleCounts.of(
        [200, 300], claims=[1, 2], targets=["Z", "X"], stance=[[[1, 0, 0], [0, 2, 0]], [[0, 0, 0], [0, 0, 1]]]
    )
    pooled = pool([a, b])
    assert pooled.n_articles == 5
    assert pooled.targets == ("X", "Y", "Z")
    np.testing.assert_array_equal(pooled.claims, [4, 1, 0, 1, 2])
    np.testing.assert_array_equal(pooled.stance[3:, 0], [[0, 2, 0], [0, 0, 1]])  # b's X
    np.testing.assert_array_equal(pooled.stance[3:, 2], [[1, 0, 0], [0, 0, 0]])  # b's Z
    np.testing.assert_array_equal(pooled.stance[:3, 2], np.zeros((3, 3)))  # a has no Z
    assert np.isnat(pooled.published[4]) and not np.isnat(pooled.published[0])
    assert pool([]).n_articles == 0


def test_corpus_value_pools_every_source():
    sources = {"a": varied(2), "b": varied(3).take(np.arange(25)), "c": three_articles()}
    result = profiles(sources, {"a": 2, "b": 3, "c": 1}, corpus_annotators=4, n_boot=200)
    corpus = result["corpus"]
    # 20 + 25 + 3 = 48 articles
    assert corpus["coverage"]["articles"] == 48 and corpus["coverage"]["annotators"] == 4
    direct = corpus_profile(list(sources.values()), n_annotators=4, n_boot=200)
    assert json.dumps(corpus) == json.dumps(direct)
    words = sum(float(s.words.sum()) for s in sources.values())
    claims = sum(float(s.claims.sum()) for s in sources.values())
    assert corpus["metrics"]["claims_per_1k_words"]["value"] == pytest.approx(1000 * claims / words)
    assert set(corpus["stance"]) == {"X", "Y"}
    assert result["sources"]["c"]["coverage"]["status"] == INSUFFICIENT
    assert result["sources"]["b"]["metrics"]["claims_per_1k_words"]["status"] == LOW_CONFIDENCE
    json.dumps(result, allow_nan=False)


# -- input validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"claims": [1, 2]}, "claims has shape"),
        ({"claims": [1, -1, 0]}, "finite counts"),
        ({"claims": [1, float("nan"), 0]}, "finite counts"),
        ({"evidence": [[2, 0, 0, 0, 0, 0], [0] * 6, [0] * 6], "claims": [1, 0, 0]}, "evidence per article"),
        ({"hedged_claims": [1, 0, 0]}, "hedged_claims exceeds"),
        ({"author_voice_unsupported": [1, 0, 0]}, "author_voice_unsupported exceeds"),
    ],
)
def test_invalid_counts_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        ArticleCounts.of([100, 100, 100], **changes)


def test_voices_may_not_exceed_all_stance_spans():
    by_voice = np.zeros((1, 1, 2, 3))
    by_voice[0, 0, 0, 0] = 1
    with pytest.raises(ValueError, match="stance_by_voice"):
        ArticleCounts.of([100], targets=["X"], stance_by_voice=by_voice)
    with pytest.raises(ValueError, match="distinct"):
        ArticleCounts.of([100], targets=["X", "X"])
    with pytest.raises(TypeError, match="unknown counts"):
        ArticleCounts.of([100], clams=[1])


def test_arrays_are_read_only_copies():
    claims = np.array([1.0, 2.0])
    counts = ArticleCounts.of([10, 10], claims=claims)
    claims[0] = 5
    assert counts.claims[0] == 1
    with pytest.raises(ValueError, match="read-only"):
        counts.claims[0] = 3


# -- no Django -------------------------------------------------------------------------------------

SCRIPT = """
import json
import annotator.profiles.maths as profiles
from annotator.profiles.maths import bootstrap, counts, figures, scorecard
p = profiles.source_profile(profiles.ArticleCounts.of([100.0] * 20, claims=[1.0] * 20), n_annotators=1, n_boot=50)
json.dumps(p, allow_nan=False)
spec = scorecard.QuestionSpec("reliability", "Reliable?", "ordinal", (1, 2, 3))
card = scorecard.scorecard([spec], {"reliability": [(None, [1, 2])] * 20}, figures.Thresholds(), n_boot=50)
json.dumps(card, allow_nan=False)
"""


def test_imports_without_django():
    assert_runs_without_django(SCRIPT)
