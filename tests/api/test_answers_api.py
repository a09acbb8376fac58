"""Answers to article questions over HTTP: created, changed with the version read, a stale
version a 409 with the answer as it is, a bad value a 400 naming the question, and submit
refused while a required question is unanswered."""

from __future__ import annotations

from annotator.models import Question


def _ask(world):
    Question.objects.create(
        project=world.project,
        key="reliability",
        name="How reliable is it?",
        kind="ordinal",
        points=[{"value": v} for v in (1, 2, 3, 4, 5)],
        required=True,
    )


def test_an_annotator_answers_changes_the_answer_and_a_stale_write_is_a_409(world):
    _ask(world)
    anna = world.client("annotator")
    url = f"/api/v1/assignments/{world.layer_a.pk}/answers/reliability/"
    first = anna.put(url, {"value": 4}, format="json")
    assert first.status_code == 201, first.content
    assert first.json() | {"updated_at": None} == {
        "question": "reliability",
        "value": 4,
        "version": 1,
        "updated_at": None,
    }
    assert anna.put(url, {"value": 2, "version": 1}, format="json").json()["version"] == 2
    stale = anna.put(url, {"value": 5, "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["value"] == 2
    bad = anna.put(url, {"value": 7, "version": 2}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"value": ["How reliable is it?: answer one of the scale's points: 1, 2, 3, 4, 5."]}
    unknown = anna.put(f"/api/v1/assignments/{world.layer_a.pk}/answers/tone/", {"value": 1}, format="json")
    assert unknown.status_code == 404
    listed = anna.get(f"/api/v1/assignments/{world.layer_a.pk}/answers/").json()
    assert [(a["question"], a["value"]) for a in listed] == [("reliability", 2)]
    assert anna.delete(f"{url}?version=2").status_code == 204
    assert anna.get(f"/api/v1/assignments/{world.layer_a.pk}/answers/").json() == []


def test_submit_names_the_required_questions_left_unanswered(world):
    _ask(world)
    anna = world.client("annotator")
    refused = anna.post(f"/api/v1/assignments/{world.layer_a.pk}/submit/")
    assert refused.status_code == 400
    assert refused.json()["unanswered"] == [{"key": "reliability", "name": "How reliable is it?"}]
    anna.put(f"/api/v1/assignments/{world.layer_a.pk}/answers/reliability/", {"value": 3}, format="json")
    assert anna.post(f"/api/v1/assignments/{world.layer_a.pk}/submit/").status_code == 200


def test_exports_carry_each_layers_answers_and_the_consensus_the_agreed_one(world):
    import json

    from django.db import transaction

    from annotator.layers.services import layer_submit
    from annotator.questions.services import answer_set
    from annotator.spans.services import span_create

    _ask(world)
    start = world.document.text.index("a")
    span_create(layer=world.layer_b, label="OPINION", start=start, end=start + 1, text="a")
    for layer, value in ((world.layer_a, 4), (world.layer_b, 2)):
        with transaction.atomic():
            answer_set(layer=layer, key="reliability", value=value, version=None)
        layer_submit(layer=layer)
    manager = world.client("manager")

    def exported(basis):
        response = manager.get(
            f"/api/v1/projects/{world.project.pk}/export/", {"format": "jsonl", "basis": basis}
        )
        assert response.status_code == 200, response.content
        (line,) = b"".join(response.streaming_content).decode().splitlines()
        return json.loads(line)["answers"]

    assert exported("all") == [
        {"question": "reliability", "value": 4, "annotator": "anna"},
        {"question": "reliability", "value": 2, "annotator": "ben"},
    ]
    assert exported("consensus") == [{"question": "reliability", "value": 2, "basis": "consensus"}]


def test_a_reviewer_sees_the_answers_side_by_side_and_gives_gold_its_own(world):
    from django.db import transaction

    from annotator.layers.services import layer_submit
    from annotator.models import Decision
    from annotator.questions.services import answer_set

    _ask(world)
    for layer, value in ((world.layer_a, 4), (world.layer_b, 2)):
        with transaction.atomic():
            answer_set(layer=layer, key="reliability", value=value, version=None)
    layer_submit(layer=world.layer_a)
    reviewer = world.client("reviewer")
    url = f"/api/v1/documents/{world.document.pk}/decisions/"
    review = reviewer.get(f"/api/v1/documents/{world.document.pk}/review/").json()
    assert {layer["username"]: layer["answers"] for layer in review["layers"]} == {
        "anna": {"reliability": 4},
        "ben": {"reliability": 2},
    }
    # Adjudicating needs the gold answer to the required question.
    refused = reviewer.post(url, {"action": "adjudicate"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["unanswered"] == [{"key": "reliability", "name": "How reliable is it?"}]
    bad = reviewer.post(url, {"action": "answer", "question": "reliability", "value": 9}, format="json")
    assert bad.status_code == 400
    answered = reviewer.post(url, {"action": "answer", "question": "reliability", "value": 3}, format="json")
    assert answered.status_code == 200, answered.content
    assert answered.json()["review"]["gold"]["answers"] == {"reliability": 3}
    decision = Decision.objects.get(document=world.document, action="answer")
    assert (decision.before, decision.after) == (
        {"question": "reliability", "value": None},
        {"question": "reliability", "value": 3},
    )
    assert reviewer.post(url, {"action": "adjudicate"}, format="json").status_code == 200
    # Annotators take no part in gold.
    assert (
        world.client("annotator")
        .post(url, {"action": "answer", "question": "reliability", "value": 1}, format="json")
        .status_code
        == 403
    )


def test_a_split_by_source_puts_no_source_in_both_parts():
    from annotator.exports.split import held_out_sources

    documents = {1: 40, 2: 10, 3: 25, 4: 5, 5: 20}
    test = held_out_sources(documents, test_share=0.2, seed=0)
    assert test == held_out_sources(documents, test_share=0.2, seed=0)  # the same split again
    assert 0 < len(test) < len(documents)
    assert sum(documents[s] for s in test) >= 0.2 * sum(documents.values())
    assert len({held_out_sources(documents, test_share=0.2, seed=seed) for seed in range(10)}) > 1
    # However large the test share, the train part keeps a source.
    assert len(held_out_sources({1: 100, 2: 1}, test_share=0.99, seed=0)) == 1


def test_the_export_api_gives_each_part_of_a_split_by_source(world):
    import json

    from annotator.layers.services import layer_assign, layer_submit
    from tests.factories import DocumentFactory, SourceFactory

    for slug in ("klaxon", "truth", "neighbours"):
        source = SourceFactory(slug=slug)
        for _ in range(3):
            layer_submit(
                layer=layer_assign(
                    document=DocumentFactory(project=world.project, source=source),
                    user=world.users["annotator"],
                )
            )
    layer_submit(layer=world.layer_a)
    manager = world.client("manager")
    url = f"/api/v1/projects/{world.project.pk}/export/"

    def sources(part):
        response = manager.get(url, {"format": "jsonl", "part": part, "test_share": 0.3, "split_seed": 4})
        assert response.status_code == 200, response.content
        assert response["Content-Disposition"].endswith(f'-all-{part}.jsonl"')
        lines = b"".join(response.streaming_content).decode().splitlines()
        return [json.loads(line)["source"] for line in lines]

    train, test = sources("train"), sources("test")
    assert set(train).isdisjoint(test)
    assert sorted(set(train) | set(test)) == ["herald", "klaxon", "neighbours", "truth"]
    assert len(train) + len(test) == 10
    bad = manager.get(url, {"part": "test", "source": "herald"})
    assert bad.status_code == 400 and "part" in bad.json()


def test_the_tool_formats_carry_the_answers_and_label_studio_reads_its_own_export_back(world):
    import io
    import json
    import zipfile

    from django.db import transaction

    from annotator.layers.services import layer_submit
    from annotator.questions.services import answer_set
    from annotator.spacy_docs import DocBinReader

    _ask(world)
    with transaction.atomic():
        answer_set(layer=world.layer_a, key="reliability", value=4, version=None)
    layer_submit(layer=world.layer_a)
    manager = world.client("manager")
    url = f"/api/v1/projects/{world.project.pk}/export/"

    def exported(format):
        response = manager.get(url, {"format": format})
        assert response.status_code == 200, response.content
        return b"".join(response.streaming_content)

    (task,) = json.loads(exported("label-studio"))
    results = task["annotations"][0]["result"]
    assert {
        "id": "l0q0",
        "from_name": "reliability",
        "to_name": "text",
        "type": "number",
        "value": {"number": 4},
    } in results
    assert "# answer.reliability = 4" in exported("conll").decode()
    with zipfile.ZipFile(io.BytesIO(exported("spacy-docbin"))) as archive:
        (name,) = archive.namelist()
        docs = list(DocBinReader().read(archive.read(name), max_bytes=10_000_000))
    assert docs[0].meta["answers"] == {"reliability": 4}
    doccano = [json.loads(line) for line in exported("doccano").decode().splitlines()]
    assert [record.get("answers") for record in doccano] == [{"reliability": 4}]
    spacy = [json.loads(line) for line in exported("spacy").decode().splitlines()]
    assert spacy[0]["meta"]["answers"] == {"reliability": 4}
    rows = exported("csv").decode().splitlines()
    assert rows[0].endswith(",answer_reliability")
    assert all(row.endswith(",4") for row in rows[1:])


def test_a_document_gets_disclaimer_suggestions_where_its_source_repeats_a_sentence(world):
    from annotator.layers.services import layer_assign
    from tests.factories import DocumentFactory

    footer = "The views expressed here are those of the author alone."
    source = world.document.source
    for n in range(4):
        DocumentFactory(
            project=world.project, source=source, text=f"Story {n} about fares and trams. {footer}"
        )
    document = DocumentFactory(
        project=world.project, source=source, text=f"Fares rose in May this year. {footer}"
    )
    layer = layer_assign(document=document, user=world.users["annotator"])
    url = f"/api/v1/assignments/{layer.pk}/suggestions/"
    blind = world.client("annotator").get(url).json()
    assert blind == {
        "enabled": False,
        "reason": "Suggestions are off in this blind project until a manager turns them on.",
        "suggestions": [],
    }
    world.project.blind = False
    world.project.save(update_fields=["blind"])
    body = world.client("annotator").get(url).json()
    (suggestion,) = body["suggestions"]
    assert body["enabled"] is True
    assert (suggestion["label"], suggestion["text"], suggestion["rule"]) == (
        "DISCLAIMER",
        footer,
        "boilerplate",
    )
    assert document.text[suggestion["start"] : suggestion["end"]] == footer
    assert suggestion["articles"] == 5  # of the source's 6 articles
