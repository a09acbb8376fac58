"""The scorecard's figures and its confidence rule, on constructed cases: each level, the
contradiction flag, and means and shares with their bootstrap intervals."""

import numpy as np
import pytest

from annotator.profiles.maths.figures import Thresholds
from annotator.profiles.maths.scorecard import (
    QuestionSpec,
    article_row,
    confidence,
    confidence_rule,
    question_figures,
    rescaled,
)

T = Thresholds(min_articles=15, ok_articles=30)
SOLID = {"n_articles": 40, "n_annotators": 3, "double_share": 0.8, "alpha": 0.8, "thresholds": T}


@pytest.mark.parametrize(
    ("changes", "level", "contradiction", "reason"),
    [
        ({}, "high", False, "40 articles, 3 annotators, 80% double-annotated, α 0.800"),
        ({"n_articles": 20}, "medium", False, "20 articles (high needs 30)"),
        ({"alpha": 0.5}, "medium", False, "α 0.500 on its articles (high needs 0.667)"),
        ({"n_annotators": 2}, "medium", False, "2 annotators (high needs 3)"),
        ({"double_share": 0.2}, "medium", False, "20% double-annotated (high needs 50%)"),
        ({"alpha": 0.3}, "low", False, "α 0.300 on its articles (medium needs 0.400)"),
        ({"alpha": None}, "low", False, "no agreement figure on its articles (medium needs α ≥ 0.400)"),
        ({"n_articles": 10}, "insufficient", False, "10 articles (needs 15)"),
        # Rated reliable, claims mostly unsourced: one level down, flagged.
        (
            {"reliability": 0.9, "sourced_rate": 0.2},
            "medium",
            True,
            "rated reliable (90% of the scale) yet 20% of claims sourced",
        ),
        (
            {"reliability": 0.1, "sourced_rate": 0.9, "alpha": 0.5},
            "low",
            True,
            "rated unreliable (10% of the scale) yet 90% of claims sourced",
        ),
        ({"reliability": 0.9, "sourced_rate": 0.2, "alpha": 0.3}, "low", True, "yet 20% of claims sourced"),
        ({"reliability": 0.9, "sourced_rate": 0.7}, "high", False, "40 articles"),
    ],
)
def test_each_confidence_level_and_the_contradiction_flag(changes, level, contradiction, reason):
    args = {"reliability": None, "sourced_rate": None, **SOLID, **changes}
    result = confidence(**args)
    assert (result["level"], result["contradiction"]) == (level, contradiction)
    assert any(reason in r for r in result["reasons"]), result["reasons"]


def test_the_rule_reads_as_one_sentence_with_the_thresholds():
    rule = confidence_rule(T)
    assert rule.count(".") == 3  # the three alphas' decimal points, no full stop inside
    assert "30 articles" in rule and "15 articles" in rule and rule.endswith("(not below low).")


def test_a_scale_is_the_mean_over_articles_of_each_articles_mean_with_an_interval():
    spec = QuestionSpec("reliability", "Reliable?", "ordinal", (1, 2, 3, 4, 5))
    rng = np.random.default_rng(1)
    answers = [list(rng.integers(1, 6, 3)) for _ in range(40)]
    rows = [article_row(spec, a) for a in answers]
    figures = question_figures(spec, rows, T, n_boot=500, seed=2)
    expected = np.mean([np.mean(a) for a in answers])
    mean = figures["mean"]
    assert mean["value"] == pytest.approx(expected)
    assert mean["ci95"][0] < expected < mean["ci95"][1]
    assert (mean["n"], mean["status"], figures["scale"]) == (40, "ok", [1, 5])
    assert rescaled(3.0, figures["scale"]) == 0.5
    few = question_figures(spec, rows[:10] + [article_row(spec, [])] * 5, T, n_boot=500)
    assert (few["mean"]["value"], few["mean"]["n"], few["mean"]["status"]) == (None, 10, "insufficient")


def test_choices_are_shares_of_articles_and_several_choices_share_each_choice():
    spec = QuestionSpec("genre", "Genre", "choice", ("NEWS", "OPINION"))
    rows = [article_row(spec, a) for a in [["NEWS", "NEWS"], ["NEWS", "OPINION"]] * 10]
    shares = question_figures(spec, rows, T, n_boot=0)["shares"]
    assert shares["NEWS"]["value"] == pytest.approx(0.75)
    assert shares["OPINION"]["value"] == pytest.approx(0.25)
    assert shares["NEWS"]["status"] == "low_confidence"  # 20 articles: below 30
    multi = QuestionSpec("tags", "Tags", "multi", ("A", "B"))
    assert article_row(multi, [["A", "B"], ["A"]]) == [1.0, 0.5]
    yes_no = QuestionSpec("labelled", "Labelled?", "boolean", ())
    assert article_row(yes_no, [True, False, True]) == [pytest.approx(2 / 3)]


def test_drift_gives_each_calendar_quarter_its_own_figure_with_an_interval():
    from datetime import date

    from annotator.profiles.maths.scorecard import quarter_of, scorecard

    spec = QuestionSpec("reliability", "Reliable?", "ordinal", (1, 2, 3, 4, 5))
    # A source that grows more reliable each quarter; 2025-Q4 has only three articles.
    quarters = {date(2025, 2, 1): 2, date(2025, 5, 1): 3, date(2025, 8, 1): 4}
    articles = [(day, [level, level + (i % 2)]) for day, level in quarters.items() for i in range(12)]
    articles += [(date(2025, 11, 1), [5, 5])] * 3 + [(None, [1, 1])]
    card = scorecard([spec], {"reliability": articles}, T, n_boot=300, seed=1)["reliability"]
    drift = card["by_quarter"]
    assert list(drift) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]  # undated articles count overall only
    for (quarter, figure), level in zip(list(drift.items())[:3], (2, 3, 4), strict=True):
        assert figure["value"] == pytest.approx(level + 0.25), quarter
        assert figure["ci95"][0] <= figure["value"] <= figure["ci95"][1]
        assert figure["n"] == 12
    assert (drift["2025-Q4"]["value"], drift["2025-Q4"]["status"]) == (None, "insufficient")
    assert card["mean"]["n"] == 40
    assert quarter_of(date(2025, 12, 31)) == "2025-Q4" and quarter_of(None) is None


def test_a_figure_that_leaves_its_earlier_interval_is_logged_and_one_inside_it_is_not():
    from annotator.profiles.maths.scorecard import moved_figures

    def card(mean, ci, share):
        return {
            "questions": {
                "reliability": {"name": "Reliable?", "mean": {"value": mean, "ci95": ci}},
                "genre": {
                    "name": "Genre",
                    "shares": {"NEWS": {"value": share, "ci95": [share - 0.1, share + 0.1]}},
                },
            }
        }

    before = card(3.0, [2.8, 3.2], 0.5)
    assert moved_figures(before, card(3.1, [2.9, 3.3], 0.55)) == []
    assert moved_figures(None, card(4.0, [3.9, 4.1], 0.5)) == []
    (entry,) = moved_figures(before, card(3.5, [3.3, 3.7], 0.45))
    assert entry == {
        "figure": "reliability",
        "name": "Reliable? (mean)",
        "old_value": 3.0,
        "old_ci95": [2.8, 3.2],
        "new_value": 3.5,
        "new_ci95": [3.3, 3.7],
    }
    assert [e["figure"] for e in moved_figures(before, card(3.0, [2.8, 3.2], 0.9))] == ["genre:NEWS"]
