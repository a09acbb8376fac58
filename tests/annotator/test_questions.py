"""Article questions: what may be asked, what answers them, answers kept per layer with
versions, required ones checked at submit, and the schema rule once answers exist."""

from __future__ import annotations

import pytest
from django.db import transaction

from annotator.errors import Conflict, IncompleteLayer, ValidationError
from annotator.layers.services import layer_assign, layer_submit
from annotator.models import Answer, LayerStatus
from annotator.projects.services import project_create, project_schema_replace
from annotator.questions.rules import answer_problem, question_problems
from annotator.questions.services import answer_clear, answer_set
from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS
from tests.factories import DocumentFactory, UserFactory

RELIABILITY = [
    {"value": v, "label": label}
    for v, label in [(1, "Unreliable"), (2, ""), (3, ""), (4, ""), (5, "Reliable")]
]
BIAS = [{"value": -3, "label": "Left"}, {"value": 0, "label": "Centre"}, {"value": 3, "label": "Right"}]
GENRES = [{"value": v, "label": v.title()} for v in ("NEWS", "ANALYSIS", "OPINION", "SATIRE")]
QUESTIONS = [
    {
        "key": "reliability",
        "name": "How reliable is it?",
        "kind": "ordinal",
        "points": RELIABILITY,
        "required": True,
    },
    {"key": "bias", "name": "Which way does it lean?", "kind": "interval", "points": BIAS},
    {"key": "genre", "name": "What kind of piece?", "kind": "choice", "points": GENRES},
    {"key": "tags", "name": "Which apply?", "kind": "multi", "points": GENRES},
    {"key": "labelled_opinion", "name": "Labelled as opinion?", "kind": "boolean"},
]


@pytest.mark.parametrize(
    ("kind", "points", "problem"),
    [
        ("likert", [], "unknown kind 'likert'"),
        ("ordinal", [{"value": 1}], "at least two points"),
        ("ordinal", [{"value": 2}, {"value": 1}], "from lowest to highest"),
        ("interval", [{"value": "low"}, {"value": "high"}], "a scale's points are numbers"),
        ("choice", [{"value": "A"}, {"value": "A"}], "unique"),
        ("choice", [{"value": ""}, {"value": "B"}], "non-empty text"),
        ("choice", ["A", "B"], "points must be objects"),
        ("boolean", [{"value": "yes"}], "takes no points"),
    ],
)
def test_a_question_that_cannot_be_asked_says_why(kind, points, problem):
    assert any(problem in p for p in question_problems(kind, points))


@pytest.mark.parametrize(
    ("kind", "points", "good", "bad"),
    [
        ("ordinal", RELIABILITY, [1, 5, 3.0], [0, 6, 2.5, "3", True, None, float("nan")]),
        ("interval", BIAS, [-3, 0, 1.5, 3], [-3.5, 4, "0", False, float("inf")]),
        ("choice", GENRES, ["NEWS"], ["news", "", ["NEWS"], 1]),
        ("multi", GENRES, [["NEWS"], ["NEWS", "SATIRE"]], [[], ["NEWS", "NEWS"], "NEWS", ["X"]]),
        ("boolean", [], [True, False], ["true", 1, None]),
    ],
)
def test_answers_are_checked_against_their_kind_and_points(kind, points, good, bad):
    assert all(answer_problem(kind, points, value) is None for value in good)
    assert all(answer_problem(kind, points, value) for value in bad)


@pytest.fixture
def layer(db):
    project = project_create(name="Ratings", slug="ratings")
    project_schema_replace(
        project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=QUESTIONS
    )
    return layer_assign(document=DocumentFactory(project=project), user=UserFactory())


def test_answers_are_kept_per_layer_with_versions_and_a_stale_write_is_a_conflict(layer):
    with transaction.atomic():
        answer, created = answer_set(layer=layer, key="reliability", value=4, version=None)
    assert created and answer.version == 1
    assert layer.status == LayerStatus.IN_PROGRESS  # the first answer starts the layer
    with transaction.atomic():
        same, created = answer_set(layer=layer, key="reliability", value=4, version=None)  # a retry
    assert (same.pk, same.version, created) == (answer.pk, 1, False)
    with transaction.atomic():
        changed, _ = answer_set(layer=layer, key="reliability", value=2, version=1)
    assert (changed.value, changed.version) == (2, 2)
    with pytest.raises(Conflict) as stale, transaction.atomic():
        answer_set(layer=layer, key="reliability", value=5, version=1)
    assert stale.value.current.value == 2
    with (
        pytest.raises(ValidationError, match="How reliable is it\\?: answer one of the scale's points"),
        transaction.atomic(),
    ):
        answer_set(layer=layer, key="reliability", value=9, version=2)
    with transaction.atomic():
        answer_clear(layer=layer, key="reliability", version=2)
    assert not Answer.objects.filter(layer=layer).exists()


def test_submit_lists_the_required_questions_left_unanswered(layer):
    with pytest.raises(IncompleteLayer) as refused:
        layer_submit(layer=layer)
    assert refused.value.questions == [{"key": "reliability", "name": "How reliable is it?"}]
    with transaction.atomic():
        answer_set(layer=layer, key="reliability", value=3, version=None)
    layer = layer_submit(layer=layer)
    assert layer.status == LayerStatus.SUBMITTED
    with pytest.raises(Conflict, match="submitted and read-only"), transaction.atomic():
        answer_set(layer=layer, key="bias", value=1, version=None)


def test_once_answers_exist_a_question_keeps_its_meaning_and_new_ones_are_optional(layer):
    project = layer.document.project
    with transaction.atomic():
        answer_set(layer=layer, key="genre", value="NEWS", version=None)

    def replace(questions):
        project_schema_replace(
            project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=questions
        )

    fewer_points = [{**q, "points": q["points"][:-1]} if q["key"] == "genre" else q for q in QUESTIONS]
    for questions, field, message in [
        (QUESTIONS[1:], "questions.reliability", "cannot be removed"),
        (fewer_points, "questions.genre", "its points cannot change"),
        (
            [*QUESTIONS, {"key": "tone", "kind": "boolean", "required": True}],
            "questions.tone",
            "must be optional",
        ),
    ]:
        with pytest.raises(ValidationError) as refused:
            replace(questions)
        assert message in " ".join(refused.value.message_dict[field])
    reworded = [{**q, "name": "Genre?"} if q["key"] == "genre" else q for q in QUESTIONS]
    replace([*reworded, {"key": "tone", "kind": "boolean"}])
    assert project.questions.get(key="genre").name == "Genre?"
    assert project.questions.filter(key="tone", required=False).exists()


def test_the_agreement_report_gives_each_questions_alpha_for_the_project_and_each_source(db):
    import krippendorff
    import numpy as np

    from annotator.agreement.services import project_agreement_refresh
    from annotator.models import AgreementReport
    from tests.factories import SourceFactory

    project = project_create(name="Ratings", slug="ratings")
    project_schema_replace(
        project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=QUESTIONS
    )
    herald, klaxon = SourceFactory(slug="herald"), SourceFactory(slug="klaxon")
    raters = [UserFactory(), UserFactory()]
    ratings = {herald: [(5, 4), (4, 4), (5, 5)], klaxon: [(2, 1), (1, 1)]}
    for source, pairs in ratings.items():
        for pair in pairs:
            document = DocumentFactory(project=project, source=source)
            for user, value in zip(raters, pair, strict=True):
                layer = layer_assign(document=document, user=user)
                with transaction.atomic():
                    answer_set(layer=layer, key="reliability", value=value, version=None)
                layer_submit(layer=layer)
    report = project_agreement_refresh(project_id=project.pk, n_boot=0)
    data = np.array(
        [
            [p[0] for pairs in ratings.values() for p in pairs],
            [p[1] for pairs in ratings.values() for p in pairs],
        ]
    )
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]
    )
    reliability = report.metrics["questions"]["reliability"]
    assert reliability["alpha"]["value"] == pytest.approx(expected, abs=1e-12)
    assert (reliability["level"], reliability["n_documents"], reliability["mean"]) == ("ordinal", 5, 3.2)
    assert report.metrics["questions"]["bias"]["alpha"]["value"] is None  # nobody answered it
    herald_report = AgreementReport.objects.get(project=project, scope="source", scope_key="herald")
    herald_data = np.array([[5, 4, 5], [4, 4, 5]])
    assert herald_report.metrics["questions"]["reliability"]["alpha"]["value"] == pytest.approx(
        krippendorff.alpha(
            reliability_data=herald_data, level_of_measurement="ordinal", value_domain=[1, 2, 3, 4, 5]
        ),
        abs=1e-12,
    )


@pytest.mark.parametrize(
    ("kind", "points", "values", "agreed"),
    [
        ("ordinal", RELIABILITY, [2, 5, 4], 4),
        ("ordinal", RELIABILITY, [2, 5, 4, 3], 3),  # even: the lower middle point
        ("interval", BIAS, [-3, 0, 1.5], -0.5),
        ("choice", GENRES, ["NEWS", "NEWS", "SATIRE"], "NEWS"),
        ("choice", GENRES, ["NEWS", "SATIRE"], None),  # a split has no majority
        ("boolean", [], [True, False, True], True),
        ("multi", GENRES, [["NEWS", "SATIRE"], ["NEWS"], ["SATIRE", "OPINION"]], ["NEWS", "SATIRE"]),
        ("multi", GENRES, [["NEWS"], ["SATIRE"]], None),
        ("choice", GENRES, [], None),
    ],
)
def test_the_consensus_answer_follows_the_questions_kind(kind, points, values, agreed):
    from annotator.questions.rules import consensus_answer

    assert consensus_answer(kind, points, values) == agreed


def test_each_basis_counts_the_answers_the_profiles_count(db):
    from annotator.models import Layer, LayerKind, LayerStatus
    from annotator.questions.selectors import answers_by_article
    from tests.factories import SourceFactory

    project = project_create(name="Ratings", slug="ratings")
    project_schema_replace(
        project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=QUESTIONS
    )
    source = SourceFactory()
    adjudicated, plain = (DocumentFactory(project=project, source=source) for _ in range(2))
    for document, values in ((adjudicated, (2, 4, 5)), (plain, (1, 1))):
        for value in values:
            layer = layer_assign(document=document, user=UserFactory())
            with transaction.atomic():
                answer_set(layer=layer, key="reliability", value=value, version=None)
            layer_submit(layer=layer)
    gold = Layer.objects.create(
        document=adjudicated, user=UserFactory(), kind=LayerKind.GOLD, status=LayerStatus.IN_PROGRESS
    )
    with transaction.atomic():
        answer_set(layer=gold, key="reliability", value=3, version=None)
    gold.status = LayerStatus.SUBMITTED
    gold.save()

    def read(basis):
        return [
            values
            for _, values in answers_by_article(project_id=project.pk, basis=basis)[source.pk]["reliability"]
        ]

    assert read("all") == [[2, 4, 5], [1, 1]]
    assert read("consensus") == [[4], [1]]
    assert read("gold") == [[3], [1]]  # adjudicated, else agreed
