"""Review and adjudication: aligned groups and their kinds of disagreement (pure), agreement with
gold (pure, hand-checked), and the review services: one gold layer, every action a Decision,
stale versions refused, adjudication, the gold export and the report's gold section."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from django.db import connection

from annotator.agreement.maths import tokenize
from annotator.agreement.maths.gold import gold_annotator_report, gold_statistics
from annotator.agreement.maths.review import ReviewSpan, align_layers, gold_matches
from annotator.agreement.services import document_agreement_refresh, project_agreement_refresh
from annotator.errors import Conflict, IncompleteLayer, ValidationError
from annotator.exports.services import export_filters_resolve, export_stream
from annotator.layers.services import layer_assign, layer_submit
from annotator.models import (
    AgreementReport,
    Decision,
    DecisionAction,
    Layer,
    LayerKind,
    LayerStatus,
    ReportScope,
    Role,
    Span,
)
from annotator.review.selectors import review_state_get
from annotator.review.services import (
    review_accept,
    review_accept_agreed,
    review_add,
    review_adjudicate,
    review_edit,
    review_reject,
    review_reopen,
    review_take_attributes,
)
from tests.factories import DocumentFactory, ProjectFactory, SourceFactory, member, span_at

pytestmark = pytest.mark.usefixtures("fresh_cache")

TEXT = "Tram costs rose. Critics fumed. The council said costs rose 12%. Fares stay."
TINY = "Tram costs rose. Critics fumed."


@dataclass
class Reviewed:
    project: Any
    document: Any
    users: dict[str, Any]
    layers: dict[str, Layer]
    spans: dict[str, Span]


def make_reviewed(slug: str = "review", text: str = TEXT) -> Reviewed:
    """A k = 2 project with one document and two submitted layers: anna's and ben's agree on the
    tram sentence; the critics sentence differs in label (and so in attributes), the council
    sentence in boundary and attribute; only anna marked the fares sentence."""
    project = ProjectFactory(slug=slug, annotators_per_document=2)
    roles = {"anna": Role.ANNOTATOR, "ben": Role.ANNOTATOR, "rita": Role.REVIEWER, "max": Role.MANAGER}
    users = {name: member(project, role, username=f"{name}-{slug}") for name, role in roles.items()}
    users["olga"] = member(ProjectFactory(), Role.MANAGER, username=f"olga-{slug}")  # of another project
    document = DocumentFactory(
        project=project, source=SourceFactory(slug=f"{slug}-herald"), text=text, title="Tram"
    )
    layers = {name: layer_assign(document=document, user=users[name]) for name in ("anna", "ben")}
    spans = {
        "tram_a": span_at(layers["anna"], "CLAIM", "Tram costs rose.", evidence="DATA"),
        "tram_b": span_at(layers["ben"], "CLAIM", "Tram costs rose.", evidence="DATA"),
    }
    if text == TEXT:
        spans |= {
            "critics_a": span_at(layers["anna"], "OPINION", "Critics fumed."),
            "critics_b": span_at(layers["ben"], "CLAIM", "Critics fumed.", evidence="NONE"),
            "council_a": span_at(
                layers["anna"],
                "CLAIM",
                "The council said costs rose 12%.",
                evidence="NAMED_SOURCE",
                hedged=False,
            ),
            "council_b": span_at(
                layers["ben"], "CLAIM", "council said costs rose 12%.", evidence="ANONYMOUS_SOURCE"
            ),
            "fares_a": span_at(layers["anna"], "CLAIM", "Fares stay.", evidence="NONE"),
        }
    for layer in layers.values():
        layer_submit(layer=layer)
    return Reviewed(project, document, users, layers, spans)


@pytest.fixture
def reviewed(db: None) -> Reviewed:
    return make_reviewed()


def _gold(reviewed: Reviewed) -> Layer:
    return Layer.objects.get(document=reviewed.document, kind=LayerKind.GOLD)


def _edit_the_gold_span(reviewed: Reviewed, reviewer: Any, changes: dict[str, Any]) -> Span:
    """Edit the document's one gold span, at its first version; the span."""
    gold_span = Span.objects.get(layer=_gold(reviewed))
    review_edit(
        document=reviewed.document, reviewer=reviewer, gold_span_id=gold_span.pk, version=1, changes=changes
    )
    return gold_span


def _gold_spans(reviewed: Reviewed) -> list[tuple[str, int, int, str]]:
    return [
        (s.label.key, s.start, s.end, s.text)
        for s in Span.objects.filter(layer=_gold(reviewed)).select_related("label").order_by("start")
    ]


# ALIGNMENT (pure)
# ------------------------------------------------------------------------------


def test_align_layers_names_the_kind_of_each_disagreement():
    spans = [
        ReviewSpan(1, "a", 0, 16, "CLAIM", {"evidence": "DATA"}),
        ReviewSpan(2, "b", 0, 16, "CLAIM", {"evidence": "DATA"}),
        ReviewSpan(3, "a", 17, 31, "OPINION"),
        ReviewSpan(4, "b", 17, 31, "CLAIM"),
        ReviewSpan(5, "a", 32, 64, "CLAIM", {"evidence": "DATA"}),
        ReviewSpan(6, "b", 36, 64, "CLAIM", {"evidence": "NONE"}),
        ReviewSpan(7, "a", 65, 76, "CLAIM"),
    ]
    groups = align_layers(["a", "b"], spans)
    assert [[s.id for s in g.spans] for g in groups] == [[1, 2], [3, 4], [5, 6], [7]]
    assert [g.kinds for g in groups] == [(), ("label",), ("boundary", "attribute"), ("missing",)]
    assert [g.agreed for g in groups] == [True, False, False, False]
    assert (groups[2].start, groups[2].end) == (32, 64)


def test_unanswered_attributes_and_list_order_are_not_disagreements():
    stance = [{"target": "A", "stance": "FAVOR"}, {"target": "B", "stance": "AGAINST"}]
    spans = [
        ReviewSpan(1, "a", 0, 5, "CLAIM", {"stance": stance, "hedged": None, "evidence": "DATA"}),
        ReviewSpan(2, "b", 0, 5, "CLAIM", {"stance": stance[::-1], "evidence": "DATA", "voice": []}),
    ]
    (group,) = align_layers(["a", "b"], spans)
    assert group.agreed


def test_a_span_that_overlaps_too_little_is_its_own_group_and_gold_matches_by_overlap():
    spans = [ReviewSpan(1, "a", 0, 10, "CLAIM"), ReviewSpan(2, "b", 6, 20, "CLAIM")]
    groups = align_layers(["a", "b"], spans)
    assert [g.kinds for g in groups] == [("missing",), ("missing",)]
    gold = [ReviewSpan(9, "gold", 0, 8, "OPINION")]
    assert gold_matches(groups[0], gold) == [9]
    assert gold_matches(groups[1], gold) == []
    assert align_layers(["a"], []) == []
    with pytest.raises(ValueError, match="no listed layer"):
        align_layers(["a"], [ReviewSpan(1, "z", 0, 1, "CLAIM")])


# AGREEMENT WITH GOLD (pure, hand-checked)
# ------------------------------------------------------------------------------
# TINY has 7 tokens: Tram costs rose . Critics fumed . Gold marks CLAIM on the first four.


def test_gold_statistics_of_an_exact_copy_and_of_a_shorter_span():
    tokens = tokenize(TINY)
    assert len(tokens) == 7
    gold = [(0, 16, "CLAIM")]
    labels = ("CLAIM", "OPINION", "DISCLAIMER")
    exact = gold_annotator_report(
        gold_statistics(
            gold, [(0, 16, "CLAIM")], labels, text_length=len(TINY), tokens=tokens, allow_overlap=True
        )
    )
    assert exact["overall"]["f1_exact"]["value"] == 1.0
    assert exact["overall"]["f1_overlap"]["value"] == 1.0
    assert exact["overall"]["alpha"]["value"] == pytest.approx(1.0)

    # "Tram costs" covers 2 of the 4 gold tokens; overlap 10 / 16 >= 0.5, so it overlap-matches.
    short = gold_annotator_report(
        gold_statistics(
            gold, [(0, 10, "CLAIM")], labels, text_length=len(TINY), tokens=tokens, allow_overlap=True
        )
    )
    overall = short["overall"]
    assert overall["f1_exact"]["value"] == 0.0
    assert overall["f1_overlap"]["value"] == 1.0
    assert overall["precision_exact"]["value"] == 0.0
    assert overall["recall_overlap"]["value"] == 1.0
    # Label sets over 7 tokens, 2 coders: {CLAIM} twice, {CLAIM} against {} twice, {} three times;
    # o = [[6, 2], [2, 4]] over ({}, {CLAIM}), n = 14: D_o = 4/14, D_e = 2 * 8 * 6 / (14 * 13),
    # alpha = 1 - D_o / D_e = 11/24, the CLAIM alpha: the two unused labels do not move it.
    assert overall["alpha"]["value"] == pytest.approx(11 / 24)
    # CLAIM alone: o11 = 4, o10 = o01 = 2, o00 = 6; n = 14: alpha = 1 - (4/14) / (96/182) = 11/24.
    assert short["labels"]["CLAIM"]["alpha"]["value"] == pytest.approx(11 / 24)
    assert short["labels"]["CLAIM"]["f1_overlap"]["value"] == 1.0
    assert short["labels"]["OPINION"]["alpha"] == {"value": None, "reason": "no variation"}
    assert short["labels"]["OPINION"]["f1_exact"] == {"value": None, "reason": "no spans"}
    both = gold_statistics(gold, [(0, 16, "CLAIM")], labels, text_length=len(TINY), tokens=tokens)
    total = both + gold_statistics(gold, [(0, 10, "CLAIM")], labels, text_length=len(TINY), tokens=tokens)
    assert total.n_documents == 2
    assert np.array_equal(total.spans.tp_overlap, [2, 0, 0])


# THE SERVICES
# ------------------------------------------------------------------------------


def test_the_first_reviewer_makes_the_one_gold_layer_and_others_act_on_it(reviewed):
    rita, max_ = reviewed.users["rita"], reviewed.users["max"]
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["tram_a"].pk)
    review_accept(document=reviewed.document, reviewer=max_, span_id=reviewed.spans["fares_a"].pk)
    gold = _gold(reviewed)  # exactly one: .get() would raise otherwise
    assert gold.user == rita
    assert gold.status == LayerStatus.IN_PROGRESS
    assert [s[3] for s in _gold_spans(reviewed)] == ["Tram costs rose.", "Fares stay."]


def test_accept_copies_the_span_with_its_attributes_and_records_the_decision(reviewed):
    source = reviewed.spans["council_a"]
    (decision,) = review_accept(
        document=reviewed.document, reviewer=reviewed.users["rita"], span_id=source.pk
    )
    gold_span = Span.objects.get(layer=_gold(reviewed))
    assert (gold_span.start, gold_span.end, gold_span.text) == (source.start, source.end, source.text)
    assert gold_span.attributes == {"evidence": "NAMED_SOURCE", "hedged": False}
    assert decision.action == DecisionAction.ACCEPT
    assert decision.gold_span == gold_span
    assert decision.source_span_ids == [source.pk]
    assert decision.before is None
    assert decision.after == {
        "id": gold_span.pk,
        "label": "CLAIM",
        "start": source.start,
        "end": source.end,
        "text": source.text,
        "attributes": {"evidence": "NAMED_SOURCE", "hedged": False},
        "version": 1,
    }
    # The same span twice would duplicate it in gold.
    with pytest.raises(ValidationError, match="already exists"):
        review_accept(document=reviewed.document, reviewer=reviewed.users["max"], span_id=source.pk)


def test_accept_refuses_spans_of_other_documents_and_of_the_gold_layer(reviewed):
    other = make_reviewed("other")
    with pytest.raises(ValidationError, match="No span"):
        review_accept(
            document=reviewed.document, reviewer=reviewed.users["rita"], span_id=other.spans["tram_a"].pk
        )
    assert not Layer.objects.filter(kind=LayerKind.GOLD).exists()  # rolled back with the refusal


def test_accept_agreed_takes_only_what_everyone_agrees_on_once(reviewed):
    decisions = review_accept_agreed(
        document=reviewed.document, reviewer=reviewed.users["rita"], note="easy ones"
    )
    assert _gold_spans(reviewed) == [("CLAIM", 0, 16, "Tram costs rose.")]
    (decision,) = decisions
    assert decision.action == DecisionAction.ACCEPT_AGREED
    assert sorted(decision.source_span_ids) == sorted(
        [reviewed.spans["tram_a"].pk, reviewed.spans["tram_b"].pk]
    )
    assert decision.after["attributes"] == {"evidence": "DATA"}
    assert decision.note == "easy ones"
    assert review_accept_agreed(document=reviewed.document, reviewer=reviewed.users["max"]) == []


def test_edit_changes_a_gold_span_and_a_stale_version_is_a_conflict(reviewed):
    rita = reviewed.users["rita"]
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["council_b"].pk)
    gold_span = Span.objects.get(layer=_gold(reviewed))
    phrase = "The council said costs rose 12%."
    start = TEXT.index(phrase)
    (decision,) = review_edit(
        document=reviewed.document,
        reviewer=rita,
        gold_span_id=gold_span.pk,
        version=1,
        changes={"start": start, "end": start + len(phrase), "text": phrase},
    )
    assert decision.before["text"] == "council said costs rose 12%."
    assert decision.after["text"] == phrase
    assert decision.after["version"] == 2
    with pytest.raises(Conflict) as stale:
        review_edit(
            document=reviewed.document,
            reviewer=reviewed.users["max"],
            gold_span_id=gold_span.pk,
            version=1,
            changes={"attributes": {"evidence": "DATA"}},
        )
    assert stale.value.current.version == 2
    gold_span.refresh_from_db()
    assert gold_span.attributes == {"evidence": "ANONYMOUS_SOURCE"}
    assert Decision.objects.filter(action=DecisionAction.EDIT).count() == 1


def test_a_new_label_keeps_only_the_attributes_that_apply_to_it(reviewed):
    rita = reviewed.users["rita"]
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["council_a"].pk)
    gold_span = _edit_the_gold_span(reviewed, rita, {"label": "DISCLAIMER"})
    gold_span.refresh_from_db()
    assert (gold_span.label.key, gold_span.attributes) == ("DISCLAIMER", {})


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_editing_one_gold_span_at_once_one_gets_a_conflict():
    reviewed = make_reviewed("race")
    review_accept(
        document=reviewed.document, reviewer=reviewed.users["rita"], span_id=reviewed.spans["tram_a"].pk
    )
    gold_span = Span.objects.get(layer=_gold(reviewed))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(who: str, evidence: str) -> None:
        try:
            barrier.wait()
            review_edit(
                document=reviewed.document,
                reviewer=reviewed.users[who],
                gold_span_id=gold_span.pk,
                version=1,
                changes={"attributes": {"evidence": evidence}},
            )
            outcomes[who] = evidence
        except Conflict:
            outcomes[who] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=args) for args in (("rita", "QUOTE"), ("max", "NONE"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(outcomes) == {"rita", "max"}
    assert list(outcomes.values()).count("conflict") == 1
    winner = next(v for v in outcomes.values() if v != "conflict")
    gold_span.refresh_from_db()
    assert (gold_span.attributes, gold_span.version) == ({"evidence": winner}, 2)
    assert Decision.objects.filter(action=DecisionAction.EDIT).count() == 1


def test_reject_records_an_annotators_span_or_removes_a_gold_span(reviewed):
    rita = reviewed.users["rita"]
    critics = reviewed.spans["critics_b"]
    (decision,) = review_reject(
        document=reviewed.document, reviewer=rita, span_id=critics.pk, note="an opinion"
    )
    assert decision.source_span_ids == [critics.pk]
    assert decision.before["annotator"] == reviewed.users["ben"].username
    assert (decision.before["label"], decision.after, decision.note) == ("CLAIM", None, "an opinion")
    assert not Layer.objects.filter(kind=LayerKind.GOLD).exists()  # nothing else changed

    review_accept(document=reviewed.document, reviewer=rita, span_id=critics.pk)
    gold_span = Span.objects.get(layer=_gold(reviewed))
    with pytest.raises(Conflict):
        review_reject(document=reviewed.document, reviewer=rita, gold_span_id=gold_span.pk, version=7)
    (removed,) = review_reject(
        document=reviewed.document, reviewer=rita, gold_span_id=gold_span.pk, version=1
    )
    assert removed.before["id"] == gold_span.pk
    assert (removed.gold_span, removed.after) == (None, None)
    assert _gold_spans(reviewed) == []
    # The accept decision that made the span no longer names it (its foreign key holds at commit).
    assert not Decision.objects.filter(gold_span_id=gold_span.pk).exists()
    with pytest.raises(ValidationError):
        review_reject(document=reviewed.document, reviewer=rita)


def test_take_attributes_copies_one_annotators_values(reviewed):
    rita = reviewed.users["rita"]
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["council_b"].pk)
    gold_span = Span.objects.get(layer=_gold(reviewed))
    source = reviewed.spans["council_a"]
    (decision,) = review_take_attributes(
        document=reviewed.document, reviewer=rita, gold_span_id=gold_span.pk, version=1, span_id=source.pk
    )
    gold_span.refresh_from_db()
    assert gold_span.attributes == {"evidence": "NAMED_SOURCE", "hedged": False}
    assert decision.action == DecisionAction.TAKE_ATTRIBUTES
    assert decision.source_span_ids == [source.pk]
    assert decision.before["attributes"] == {"evidence": "ANONYMOUS_SOURCE"}
    assert decision.after["attributes"] == {"evidence": "NAMED_SOURCE", "hedged": False}
    # Only some keys: the gold span keeps the others.
    review_take_attributes(
        document=reviewed.document,
        reviewer=rita,
        gold_span_id=gold_span.pk,
        version=2,
        span_id=reviewed.spans["council_b"].pk,
        keys=["evidence"],
    )
    gold_span.refresh_from_db()
    assert gold_span.attributes == {"evidence": "ANONYMOUS_SOURCE", "hedged": False}
    with pytest.raises(ValidationError, match="do"):
        review_take_attributes(
            document=reviewed.document, reviewer=rita, gold_span_id=gold_span.pk, version=3,
            span_id=source.pk, keys=["colour"],
        )  # fmt: skip


def test_adjudicate_needs_required_attributes_then_freezes_the_gold_layer(reviewed):
    rita = reviewed.users["rita"]
    review_add(document=reviewed.document, reviewer=rita, label="CLAIM", start=0, end=4, text="Tram")
    with pytest.raises(IncompleteLayer) as incomplete:
        review_adjudicate(document=reviewed.document, reviewer=rita)
    assert incomplete.value.spans[0]["missing"] == ["evidence"]
    _edit_the_gold_span(reviewed, rita, {"attributes": {"evidence": "DATA"}})
    (decision,) = review_adjudicate(document=reviewed.document, reviewer=rita, note="done")
    assert decision.after == {"assignment": _gold(reviewed).pk, "status": "submitted", "spans": 1}
    assert review_state_get(document=reviewed.document).adjudicated
    with pytest.raises(Conflict, match="adjudicated"):
        review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["tram_a"].pk)
    with pytest.raises(Conflict, match="already adjudicated"):
        review_adjudicate(document=reviewed.document, reviewer=rita)
    # Reopening the gold layer opens it again, and is a decision too.
    (reopened,) = review_reopen(
        document=reviewed.document, reviewer=rita, layer_id=_gold(reviewed).pk, note="typo"
    )
    assert (reopened.action, reopened.note, reopened.after["status"]) == ("reopen", "typo", "in_progress")
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["tram_a"].pk)


def test_reopen_gives_an_annotator_their_layer_back_with_the_comment(reviewed):
    layer = reviewed.layers["ben"]
    (decision,) = review_reopen(
        document=reviewed.document, reviewer=reviewed.users["rita"], layer_id=layer.pk, note="check 12%"
    )
    layer.refresh_from_db()
    assert layer.status == LayerStatus.IN_PROGRESS
    assert (decision.action, decision.note, decision.before["assignment"]) == (
        "reopen",
        "check 12%",
        layer.pk,
    )
    other = make_reviewed("elsewhere")
    with pytest.raises(ValidationError):
        review_reopen(
            document=reviewed.document, reviewer=reviewed.users["rita"], layer_id=other.layers["ben"].pk
        )


def test_review_state_aligns_the_layers_and_lists_the_decisions(reviewed):
    review_accept(
        document=reviewed.document, reviewer=reviewed.users["rita"], span_id=reviewed.spans["tram_b"].pk
    )
    state = review_state_get(document=reviewed.document)
    assert [shown.layer.user.username for shown in state.layers] == ["anna-review", "ben-review"]
    assert [len(layer.spans) for layer in state.layers] == [4, 3]
    assert [g.group.kinds for g in state.groups] == [
        (),
        ("label", "attribute"),
        ("boundary", "attribute"),
        ("missing",),
    ]
    assert state.groups[0].gold_span_ids == [state.gold.spans[0].pk]
    assert [d.action for d in state.decisions] == ["accept"]
    assert not state.adjudicated


# EXPORT AND AGREEMENT
# ------------------------------------------------------------------------------


def test_the_gold_export_after_adjudication_holds_exactly_the_gold_spans(reviewed):
    rita = reviewed.users["rita"]
    review_accept_agreed(document=reviewed.document, reviewer=rita)
    review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["council_a"].pk)
    review_add(
        document=reviewed.document, reviewer=rita, label="OPINION", start=17, end=31, text="Critics fumed."
    )
    review_adjudicate(document=reviewed.document, reviewer=rita)
    filters = export_filters_resolve(project=reviewed.project, basis="gold")
    export = export_stream(project=reviewed.project, format="jsonl", filters=filters)
    (record,) = [json.loads(line) for line in b"".join(export.chunks).decode().splitlines()]
    assert [(s["label"], s["start"], s["end"], s["text"], s["basis"]) for s in record["spans"]] == [
        ("CLAIM", 0, 16, "Tram costs rose.", "gold"),
        ("OPINION", 17, 31, "Critics fumed.", "gold"),
        ("CLAIM", 32, 64, "The council said costs rose 12%.", "gold"),
    ]
    assert record["spans"][2]["attributes"] == {"evidence": "NAMED_SOURCE", "hedged": False}


def test_the_agreement_report_compares_each_annotator_with_gold(db, django_capture_on_commit_callbacks):
    tiny = make_reviewed("tiny", text=TINY)
    ben = tiny.layers["ben"]
    Layer.objects.filter(pk=ben.pk).update(status=LayerStatus.IN_PROGRESS)
    Span.objects.filter(layer=ben).update(end=10, text="Tram costs")  # ben marked "Tram costs" only
    Layer.objects.filter(pk=ben.pk).update(status=LayerStatus.SUBMITTED)
    document_agreement_refresh(document_id=tiny.document.pk)
    report = project_agreement_refresh(project_id=tiny.project.pk, n_boot=0)
    assert "gold" not in report.metrics  # nothing adjudicated yet

    rita = tiny.users["rita"]
    review_accept(document=tiny.document, reviewer=rita, span_id=tiny.spans["tram_a"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        review_adjudicate(document=tiny.document, reviewer=rita)
    # Adjudicating refreshed the agreement by itself (eager tasks here).
    metrics = AgreementReport.objects.get(
        project=tiny.project, scope=ReportScope.PROJECT, resolution="token"
    ).metrics
    gold = metrics["gold"]
    assert gold["n_documents"] == 1
    anna, ben_figures = (
        gold["annotators"][str(tiny.users["anna"].pk)],
        gold["annotators"][str(tiny.users["ben"].pk)],
    )
    assert anna["overall"]["f1_exact"]["value"] == 1.0
    assert anna["overall"]["alpha"]["value"] == pytest.approx(1.0)
    assert (anna["n_spans"], anna["n_gold_spans"]) == (1, 1)
    assert ben_figures["overall"]["f1_exact"]["value"] == 0.0
    assert ben_figures["overall"]["f1_overlap"]["value"] == 1.0
    assert ben_figures["overall"]["alpha"]["value"] == pytest.approx(11 / 24)
    assert ben_figures["labels"]["CLAIM"]["alpha"]["value"] == pytest.approx(11 / 24)
    assert ben_figures["labels"]["CLAIM"]["f1_exact"]["value"] == 0.0


def test_a_reviewer_works_only_on_submitted_layers(reviewed):
    """A layer that was reopened is the annotator's draft again: its spans cannot be accepted,
    and a document with no submitted layer has nothing to adjudicate."""
    rita = reviewed.users["rita"]
    review_reopen(document=reviewed.document, reviewer=rita, layer_id=reviewed.layers["anna"].pk)
    with pytest.raises(ValidationError) as refused:
        review_accept(document=reviewed.document, reviewer=rita, span_id=reviewed.spans["tram_a"].pk)
    assert refused.value.message_dict == {
        "span_id": [
            f"No span {reviewed.spans['tram_a'].pk} in a submitted annotation layer of this document."
        ]
    }
    review_accept(
        document=reviewed.document, reviewer=rita, span_id=reviewed.spans["tram_b"].pk
    )  # ben's stands

    review_reopen(document=reviewed.document, reviewer=rita, layer_id=reviewed.layers["ben"].pk)
    with pytest.raises(Conflict, match="no annotation layer of this document is submitted"):
        review_adjudicate(document=reviewed.document, reviewer=rita)
    assert not Layer.objects.filter(document=reviewed.document, kind="gold", status="submitted").exists()


def test_every_reader_of_gold_takes_the_layer_changed_last():
    """Older data can hold several submitted gold layers of a document: the one changed last
    counts, the higher id on a tie (`counting_gold_layers`), for review, calibration, exports and
    profiles alike."""
    from datetime import UTC, datetime

    from annotator.review.selectors import counting_gold_layers

    early, late = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    assert counting_gold_layers([(1, 10, late), (2, 10, early), (3, 11, early), (4, 11, early)]) == {
        10: 1,
        11: 4,
    }
    assert counting_gold_layers([]) == {}
