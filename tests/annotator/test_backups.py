"""Project backups: export_project writes one file that import_project turns back into an equal
project, compared field by field by natural keys; without password hashes; all or nothing."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from annotator.backups.services import PROJECT_FIELDS
from annotator.calibration.services import document_calibration_set
from annotator.imports.services import documents_import_records
from annotator.layers.services import layer_reopen, layer_skip, layer_submit, queue_next
from annotator.models import (
    CalibrationScore,
    Decision,
    Document,
    Label,
    Layer,
    Membership,
    Project,
    Role,
    Source,
    Span,
)
from annotator.panels.services import member_panel_declare, member_panel_set, panel_create
from annotator.projects.services import membership_set, project_create, project_update
from annotator.review.services import review_accept, review_adjudicate
from annotator.spans.services import span_delete, span_update
from tests.factories import SourceFactory, UserFactory, span_at

pytestmark = pytest.mark.django_db

ARTICLES = [
    "The council said the tram 🚋 costs rose to £48 million, critics called it reckless.",
    "Officials, who asked not to be named, said the depot café will close.",
    "This article is an opinion piece. The mayor is wrong about the tramline extension.",
]


def build_project() -> Project:
    """A project made the way people make one: through the services."""
    manager = UserFactory(username="max", first_name="Max", last_name="Moll")
    project = project_create(
        name="Harbour news",
        slug="harbour",
        created_by=manager,
        description="Trams and depots.",
        guidelines="# Read carefully",
        annotators_per_document=2,
        targets=["Harbour City Council", "Tramline Extension"],
    )
    anna, ben, cleo, rita = (UserFactory(username=name) for name in ("anna", "ben", "cleo", "rita"))
    for user, role in (
        (anna, Role.ANNOTATOR),
        (ben, Role.ANNOTATOR),
        (cleo, Role.ANNOTATOR),
        (rita, Role.REVIEWER),
    ):
        membership_set(project=project, user=user, role=role)
    project_update(project=project, changes={"panel_balance": True, "panel_question": "Where do you stand?"})
    for order, key in enumerate(["left", "right"]):
        panel_create(project=project, key=key, name=key.title(), order=order, description=f"{key} of centre")
    member_panel_set(project=project, user=anna, panel_key="left", actor=manager)
    member_panel_declare(project=project, user=ben, panel_key="right")
    member_panel_declare(project=project, user=cleo, panel_key="right")
    SourceFactory(slug="herald", name="The Herald", country="GB", language="en")
    summary = documents_import_records(
        project=project,
        records=[
            {
                "text": text,
                "title": f"Story {i}",
                "source": "herald" if i else {"name": "Daily Planet", "slug": "planet", "country": "US"},
                "external_id": f"ext-{i}",
                "published_at": "2024-05-01T09:30:00+02:00",
                "metadata": {"section": "city", "n": i},
            }
            for i, text in enumerate(ARTICLES)
        ],
    )
    assert summary.created == 3

    first_a = queue_next(project=project, user=anna)
    first_b = queue_next(project=project, user=ben)
    assert first_a is not None and first_b is not None and first_a.document_id == first_b.document_id
    claim = span_at(first_a, "CLAIM", "the tram 🚋 costs rose", actor=anna, evidence="NAMED_SOURCE")
    claim = span_update(span=claim, version=1, attributes={"evidence": "DATA", "hedged": False}, actor=anna)
    dropped = span_at(first_a, "OPINION", "critics", actor=anna)
    span_delete(span=dropped, version=1, actor=anna)
    span_at(
        first_a,
        "OPINION",
        "reckless",
        actor=anna,
        stance=[{"target": "Harbour City Council", "stance": "AGAINST"}],
    )
    span_at(first_b, "CLAIM", "The council said the tram 🚋 costs rose", actor=ben, evidence="NAMED_SOURCE")
    for layer in (first_a, first_b):
        layer_submit(layer=layer)
    layer_reopen(layer=first_a, reviewer=rita, note="Check the stance.")
    layer_submit(layer=first_a)
    review_accept(document=first_a.document, reviewer=rita, span_id=claim.pk, note="Well sourced.")
    review_adjudicate(document=first_a.document, reviewer=rita)
    document_calibration_set(document=first_a.document, calibration=True)
    project_update(project=project, changes={"calibration_every": 1, "calibration_gate": 0.5})
    check = queue_next(project=project, user=cleo)
    assert check is not None and check.document_id == first_a.document_id
    span_at(check, "CLAIM", "the tram 🚋 costs rose to £48 million", actor=cleo, evidence="DATA")
    layer_submit(layer=check)  # overlap-matched to gold's claim: scored, and cleo passes
    project_update(project=project, changes={"calibration_every": 0})

    second = queue_next(project=project, user=anna)
    assert second is not None
    layer_skip(layer=second, reason="Not news")
    return project


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def canonical(project: Project) -> dict[str, Any]:
    """Every field that matters, keyed by natural keys (never by database ids)."""
    documents = Document.objects.filter(project=project)
    sha = dict(documents.values_list("pk", "text_sha256"))
    layers = Layer.objects.filter(document__project=project).select_related("user")
    layer_key = {a.pk: (sha[a.document_id], a.user.username, a.kind) for a in layers}
    scores = CalibrationScore.objects.filter(project=project)
    spans = Span.objects.filter(layer__document__project=project).select_related("label")
    span_key = {s.pk: (*layer_key[s.layer_id], str(s.client_uuid)) for s in spans}
    return {
        "project": {
            **{f: getattr(project, f) for f in PROJECT_FIELDS if f != "slug"},
            "created_by": project.created_by.username if project.created_by else None,
        },
        "panels": sorted(project.panels.values_list("key", "name", "description", "order")),
        "members": sorted(
            (
                m.user.username,
                m.user.email,
                m.user.first_name,
                m.user.last_name,
                m.role,
                m.created_at,
                m.panel.key if m.panel else None,
                m.panel_set_by.username if m.panel_set_by else None,
                m.panel_set_at,
                m.calibration_failing_since,
                m.calibration_passed_at,
            )
            for m in Membership.objects.filter(project=project).select_related(
                "user", "panel", "panel_set_by"
            )
        ),
        "labels": sorted(
            Label.objects.filter(project=project).values_list("key", "name", "color", "shortcut", "order")
        ),
        "attributes": sorted(
            (
                a.key,
                a.name,
                a.kind,
                a.description,
                _json(a.values),
                _json(a.applies_to),
                _json(a.required_for),
                a.order,
            )
            for a in project.attributes.all()
        ),
        "targets": sorted((t.name, _json(t.aliases)) for t in project.targets.all()),
        "sources": sorted(
            Source.objects.filter(documents__project=project)
            .distinct()
            .values_list("slug", "name", "domain", "country", "language", "notes")
        ),
        "documents": sorted(
            (
                d.text_sha256,
                d.source.slug,
                d.external_id,
                d.title,
                d.url,
                d.author,
                d.published_at,
                d.text,
                _json(d.metadata),
                d.created_at,
                d.calibration,
                d.n_layers,  # layer_added_at is left out: the import sets it from the counted layers
            )
            for d in documents.select_related("source")
        ),
        "layers": sorted(
            (
                *layer_key[a.pk],
                a.status,
                a.skip_reason,
                a.created_at,
                a.updated_at,
                a.submitted_at,
                a.panel.key if a.panel else None,
                a.outside_panel,
                a.needs_review,
            )
            for a in layers.select_related("panel")
        ),
        "calibration_scores": sorted(
            (
                layer_key[c.layer_id],
                c.user.username,
                c.scored_at,
                c.tp,
                c.n_gold_spans,
                c.n_spans,
                c.label_alpha,
                c.n_attribute_pairs,
                c.n_attribute_agreed,
            )
            for c in scores.select_related("user")
        ),
        "spans": sorted(
            (
                *span_key[s.pk],
                s.label.key,
                s.start,
                s.end,
                s.text,
                _json(s.attributes),
                s.version,
                s.created_at,
                s.updated_at,
            )
            for s in spans
        ),
        "decisions": sorted(
            (
                sha[d.document_id],
                d.reviewer.username,
                d.action,
                span_key.get(d.gold_span_id) if d.gold_span_id else None,
                tuple(sorted(span_key[i] for i in d.source_span_ids if i in span_key)),
                _json(d.before),
                _json(d.after),
                d.note,
                d.created_at,
            )
            for d in Decision.objects.filter(document__project=project).select_related("reviewer")
        ),
    }


def _export(tmp_path: Path, name: str = "harbour.jsonl.gz") -> tuple[Path, str]:
    path = tmp_path / name
    out = io.StringIO()
    call_command("export_project", project="harbour", output=str(path), stdout=out)
    return path, out.getvalue()


def _import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_project", str(path), *args, stdout=out)
    return out.getvalue()


def _records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_a_project_exported_and_imported_into_an_empty_database_is_equal(tmp_path):
    project = build_project()
    before = canonical(project)
    assert len(before["spans"]) == 5  # three annotator spans left, one gold span, one check
    assert {d[2] for d in before["decisions"]} == {"reopen", "accept", "adjudicate"}
    assert len(before["calibration_scores"]) == 1 and len(before["panels"]) == 2

    path, said = _export(tmp_path)
    assert "3 document" in said
    # Empty the database of everything the file holds.
    project.delete()
    User.objects.all().delete()
    Source.objects.all().delete()
    assert not Span.objects.exists()

    report = _import(path)

    restored = Project.objects.get(slug="harbour")
    assert canonical(restored) == before
    assert "Created 5 user(s) WITHOUT a usable password" in report
    assert set(User.objects.values_list("username", flat=True)) == {"max", "anna", "ben", "cleo", "rita"}
    assert not any(user.has_usable_password() for user in User.objects.all())
    assert not User.objects.filter(is_staff=True).exists()
    assert "Created source(s): herald, planet" in report


def test_the_file_holds_no_password_hash(tmp_path):
    build_project()
    path, _ = _export(tmp_path)
    records = _records(path)
    users = [r for r in records if r["type"] == "user"]
    assert {u["username"] for u in users} == {"max", "anna", "ben", "cleo", "rita"}
    assert all("password" not in u for u in users)
    assert "md5$" not in path.read_bytes().decode("latin-1") and "pbkdf2" not in str(records)
    assert records[0]["type"] == "header"
    assert records[-1]["type"] == "end"


def test_importing_under_another_slug_uses_the_existing_users_and_sources(tmp_path):
    project = build_project()
    before = canonical(project)
    path, _ = _export(tmp_path, "plain.jsonl")  # not compressed

    report = _import(path, "--slug", "harbour-copy")

    copy = Project.objects.get(slug="harbour-copy")
    assert canonical(copy) == before
    assert "Used existing user(s)" in report and "Used existing source(s): herald, planet" in report
    assert User.objects.get(username="anna").has_usable_password()
    # Restored spans have a history row that says where they came from.
    span = Span.objects.filter(layer__document__project=copy).first()
    assert span.history.get().history_change_reason == "imported from a backup"


def test_an_existing_slug_or_a_cut_off_file_imports_nothing(tmp_path):
    build_project()
    path, _ = _export(tmp_path)
    with pytest.raises(CommandError, match="a project with the slug 'harbour' exists"):
        _import(path)

    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:-3]))
    projects = Project.objects.count()
    with pytest.raises(CommandError, match="cut off"):
        _import(cut, "--slug", "other")
    assert Project.objects.count() == projects
    assert not Project.objects.filter(slug="other").exists()


def test_a_damaged_record_names_its_line(tmp_path):
    build_project()
    path, _ = _export(tmp_path)
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if '"type": "document"' in line)
    record = json.loads(lines[number - 1])
    record["text"] += " (edited)"
    lines[number - 1] = json.dumps(record) + "\n"
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(lines))

    with pytest.raises(CommandError, match=f"line {number}: the document's text does not match"):
        _import(damaged, "--slug", "other")
    assert not Project.objects.filter(slug="other").exists()


def test_export_names_an_unknown_project(tmp_path):
    with pytest.raises(CommandError, match="No project has the slug 'nope'"):
        call_command("export_project", project="nope", output=str(tmp_path / "x.jsonl.gz"))


def test_a_file_written_before_panels_and_calibration_still_imports(tmp_path):
    from annotator.backups.services import LATER_FIELDS

    build_project()
    path, _ = _export(tmp_path, "older.jsonl")
    older = [
        {key: value for key, value in record.items() if key not in LATER_FIELDS}
        for record in _records_plain(path)
        if record["type"] != "panel"
    ]
    older[-1]["counts"].pop("panel")
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in older))
    _import(path, "--slug", "harbour-older")
    copy = Project.objects.get(slug="harbour-older")
    assert not copy.panels.exists()
    assert not Membership.objects.filter(project=copy, panel__isnull=False).exists()
    layers = Layer.objects.filter(document__project=copy)
    assert layers.count() == Layer.objects.filter(document__project__slug="harbour").count()
    assert (
        not layers.filter(outside_panel=True).exists()
        and not copy.documents.filter(calibration=True).exists()
    )


def _records_plain(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
