"""Load the demo project: four invented outlets, a dozen articles written for the demo, a manager,
a reviewer and three annotators whose submitted layers disagree in places. Three more annotators
complete the panels (left, centre, right: two each) and have answered the three calibration
items, so the annotators page shows figures. A second, small project comes from a Label Studio
export through the annotation import, as a team moving from that tool would bring its work.
With --size large (what `make run` loads), twelve more articles an outlet, written from sentence
templates at load (annotator.demo.generated), make every profile figure show.
Safe to run again: nothing is duplicated, and the logins are printed each time."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from annotator.accounts.services import token_create, token_hash
from annotator.calibration.services import document_calibration_set
from annotator.claims.services import claims_refresh
from annotator.competence.services import project_competence_compute
from annotator.demo.generated import QUESTIONS, answers_for, generated_demo
from annotator.imports.annotations.services import (
    AnnotationImportOptions,
    AnnotationImportSummary,
    annotations_import,
)
from annotator.imports.services import ImportFile, documents_import_records
from annotator.layers.services import calibration_assign, layer_assign, layer_submit
from annotator.models import (
    ApiToken,
    Layer,
    LayerKind,
    LayerStatus,
    Project,
    Role,
    ScorecardPublication,
    Source,
    Target,
)
from annotator.panels.services import member_panel_set, panel_create
from annotator.projects.selectors import ProjectSchema, project_schema_get
from annotator.projects.services import membership_set, project_create, project_schema_replace, project_update
from annotator.publishing.services import scorecards_publish
from annotator.questions.services import answer_set
from annotator.review.services import review_accept_agreed, review_adjudicate
from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS
from annotator.spans.services import span_create
from annotator.suggestions.services import suggestion_model_train

# Generated articles an outlet for --size large: with the written three, the usual minimum of 15.
GENERATED_PER_SOURCE = 12
DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_FILE = DEMO_DIR / "demo.json"
# The last annotator leaves the final articles for the demo itself: pressing "Next" finds work.
ARTICLES_LEFT_OPEN = 2
DEMO_MIN_PROFILE_ARTICLES = 3
DEMO_CLIENT = "demo script"


class Command(BaseCommand):
    help = "Load the demo project, its users and their annotation layers (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size",
            choices=["small", "large"],
            default="small",
            help=(
                "small: the dozen written articles, three an outlet, so profiles show figures marked low "
                f"confidence; large: {GENERATED_PER_SOURCE} more an outlet from sentence templates, enough "
                "for every figure at the usual minimum of 15 articles (what `make run` loads)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        if options["size"] == "large":
            _add_generated(demo)
        with transaction.atomic():
            logins = self._users(demo["users"])
            project = self._project(demo, logins)
            self._layers(project, demo)
            _spread_over_days(project, demo["users"]["annotators"])
            self._panels(project, demo)
            self._calibration(project, demo)
            # Competence is fitted on request, not after each layer: fitted here once.
            project_competence_compute(project_id=project.pk)
            if not project.suggestion_models.exists():
                # Trained once here, so suggestions and their evaluation show; the demo is blind,
                # and its manager has turned them on (their layers are reported apart).
                suggestion_model_train(project_id=project.pk, created_by_id=project.created_by_id)
                Project.objects.filter(pk=project.pk).update(suggestions_when_blind=True)
            if not project.claims.exists():
                # Claims across outlets, grouped once here (the demo's outlets share stories).
                claims_refresh(project_id=project.pk)
            token = self._api_token(demo["users"]["manager"])
            if not ScorecardPublication.objects.filter(project=project).exists():
                # Published, so the public scorecard pages show figures too.
                scorecards_publish(project=project, basis="all", user=None)
            moved = self._moved_project(demo)
        # Agreement and profiles follow the submitted layers (annotator.jobs.scheduling): a
        # worker refreshes them, or without one the first read does.
        if moved is not None:
            self.stdout.write(
                f"Imported {moved.documents_created} articles with {moved.layers} layers and {moved.spans} "
                f"spans from {demo['moved']['file']} into {demo['moved']['project']['name']!r}."
            )
        self._print_logins(logins, demo["users"])
        self.stdout.write(f"  API token of {demo['users']['manager']} ({DEMO_CLIENT!r}): {token}")
        self.stdout.write(f"  Published scorecards, no login needed: /scorecards/{demo['project']['slug']}/")

    def _users(self, names: dict[str, Any]) -> dict[str, str]:
        """Creates the demo users; passwords are random, kept in var/ so reruns print the same."""
        logins_file = Path(settings.VAR_DIR) / "demo-logins.json"
        known: dict[str, str] = json.loads(logins_file.read_text()) if logins_file.exists() else {}
        user_model = get_user_model()
        usernames = [names["manager"], names["reviewer"], *names["annotators"], *names["checked_annotators"]]
        for username in usernames:
            user, created = user_model.objects.get_or_create(username=username)
            assert isinstance(user, AbstractUser)
            if created or username not in known:
                known[username] = secrets.token_urlsafe(9)
                user.set_password(known[username])
            # The manager runs the demo and may use the admin for imports.
            user.is_staff = user.is_superuser = username == names["manager"]
            user.save()
        logins_file.parent.mkdir(parents=True, exist_ok=True)
        logins_file.write_text(json.dumps(known, indent=2))
        logins_file.chmod(0o600)
        return known

    def _api_token(self, username: str) -> str:
        """A token for trying the API (and for the API tokens page to list); its key is kept
        in var/ beside the passwords, so reruns print the same one while it still works."""
        keys_file = Path(settings.VAR_DIR) / "demo-api-token.txt"
        user = get_user_model().objects.get(username=username)
        if keys_file.exists():
            key = keys_file.read_text().strip()
            if ApiToken.objects.filter(user=user, name=DEMO_CLIENT, key_hash=token_hash(key)).exists():
                return key
        _, key = token_create(user=user, name=DEMO_CLIENT)
        keys_file.write_text(key)
        keys_file.chmod(0o600)
        return key

    def _project(self, demo: dict[str, Any], logins: dict[str, str]) -> Project:
        spec = demo["project"]
        user_model = get_user_model()
        project = Project.objects.filter(slug=spec["slug"]).first()
        if project is None:
            project = project_create(
                name=spec["name"],
                slug=spec["slug"],
                description=spec.get("description", ""),
                guidelines=spec.get("guidelines", ""),
                created_by=user_model.objects.get(username=demo["users"]["manager"]),
                annotators_per_document=len(demo["users"]["annotators"]),
            )
            # Three articles per outlet is far below a real minimum (15); the small demo lowers
            # it so its profile pages show figures, each marked low confidence.
            project.min_profile_articles = demo.get("min_profile_articles", DEMO_MIN_PROFILE_ARTICLES)
            project.save(update_fields=["min_profile_articles"])
        for target in demo["targets"]:
            Target.objects.get_or_create(project=project, name=target["name"], defaults=target)
        if not project.questions.exists():  # optional questions may join a schema in use
            project_schema_replace(
                project=project, labels=DEFAULT_LABELS, attributes=DEFAULT_ATTRIBUTES, questions=QUESTIONS
            )
        users = demo["users"]
        membership_set(
            project=project, user=user_model.objects.get(username=users["reviewer"]), role=Role.REVIEWER
        )
        for username in [*users["annotators"], *users["checked_annotators"]]:
            membership_set(
                project=project, user=user_model.objects.get(username=username), role=Role.ANNOTATOR
            )
        for source in demo["sources"]:
            Source.objects.get_or_create(slug=source["slug"], defaults=source)
        summary = documents_import_records(project=project, records=demo["articles"], name="demo.json")
        if summary.errors:
            raise RuntimeError("The demo articles do not import: " + "; ".join(map(str, summary.errors)))
        return project

    def _layers(self, project: Project, demo: dict[str, Any]) -> None:
        user_model = get_user_model()
        schema = project_schema_get(project=project)
        documents = {d.external_id: d for d in project.documents.all()}
        annotators = demo["users"]["annotators"]
        open_ids = {a["external_id"] for a in demo["articles"][-ARTICLES_LEFT_OPEN:]}
        for username in annotators:
            user = user_model.objects.get(username=username)
            for external_id, spans in demo["layers"][username].items():
                if username == annotators[-1] and external_id in open_ids:
                    continue
                document = documents[external_id]
                layer = Layer.objects.filter(
                    document=document, user=user, kind=LayerKind.ANNOTATION
                ).first() or layer_assign(document=document, user=user)
                if layer.status == LayerStatus.SUBMITTED:
                    continue
                _submit_spans(layer, spans, key=f"demo/{username}/{external_id}", schema=schema)

    def _moved_project(self, demo: dict[str, Any]) -> AnnotationImportSummary | None:
        """The project brought over from another tool, made once: its articles and layers come
        from the tool's export through the same import the command, the API and the admin use."""
        spec = demo["moved"]
        if Project.objects.filter(slug=spec["project"]["slug"]).exists():
            return None
        user_model = get_user_model()
        manager = user_model.objects.get(username=demo["users"]["manager"])
        project = project_create(
            **spec["project"], created_by=manager, annotators_per_document=len(spec["annotators"])
        )
        project.min_profile_articles = 1
        project.save(update_fields=["min_profile_articles"])
        membership_set(
            project=project,
            user=user_model.objects.get(username=demo["users"]["reviewer"]),
            role=Role.REVIEWER,
        )
        for username in spec["annotators"].values():
            membership_set(
                project=project, user=user_model.objects.get(username=username), role=Role.ANNOTATOR
            )
        summary = annotations_import(
            project=project,
            file=ImportFile.from_path(DEMO_DIR / spec["file"]),
            options=AnnotationImportOptions(format=spec["format"], annotators=spec["annotators"]),
            actor=manager,
        )
        if summary.errors:
            raise RuntimeError(f"{spec['file']} does not import: " + "; ".join(map(str, summary.errors)))
        return summary

    def _panels(self, project: Project, demo: dict[str, Any]) -> None:
        """Panels, the self-placement question, and every annotator placed by the manager (the
        layers handed out before count for their annotator's panel in agreement by panel)."""
        spec = demo["panels"]
        manager = get_user_model().objects.get(username=demo["users"]["manager"])
        project_update(
            project=project,
            changes={
                "panel_balance": True,
                "panel_question": spec["question"],
                "panel_wait_minutes": spec["wait_minutes"],
            },
        )
        for order, panel in enumerate(spec["panels"]):
            if not project.panels.filter(key=panel["key"]).exists():
                panel_create(project=project, order=order, **panel)
        for username, key in spec["members"].items():
            user = get_user_model().objects.get(username=username)
            member_panel_set(project=project, user=user, panel_key=key, actor=manager)

    def _calibration(self, project: Project, demo: dict[str, Any]) -> None:
        """Three articles adjudicated (gold: the spans all three annotators agree on) and marked
        as calibration items; each further annotator has answered them with a copy of one
        annotator's layer (every n-th span of it), scored on submit."""
        spec = demo["calibration"]
        user_model = get_user_model()
        reviewer = user_model.objects.get(username=demo["users"]["reviewer"])
        project_update(
            project=project,
            changes={
                "calibration_every": spec["every"],
                "calibration_gate": spec["gate"],
                "calibration_window": spec["window"],
            },
        )
        schema = project_schema_get(project=project)
        for external_id in spec["items"]:
            document = project.documents.get(external_id=external_id)
            if not document.calibration:
                review_accept_agreed(document=document, reviewer=reviewer)
                review_adjudicate(document=document, reviewer=reviewer, note="Calibration item of the demo.")
                document_calibration_set(document=document, calibration=True)
            for username, answer in spec["answers"].items():
                user = user_model.objects.get(username=username)
                if document.layers.filter(user=user).exists():
                    continue
                panel = project.memberships.get(user=user).panel_id
                layer = calibration_assign(document=document, user=user, panel_id=panel)
                copied = demo["layers"][answer["copies"]][external_id][:: answer["keep_every"]]
                _submit_spans(layer, copied, key=f"demo/{username}/{external_id}/check", schema=schema)

    def _print_logins(self, logins: dict[str, str], users: dict[str, Any]) -> None:
        self.stdout.write(self.style.SUCCESS("Demo project loaded. Logins:"))
        roles = [(users["manager"], "manager, staff"), (users["reviewer"], "reviewer")]
        roles += [(name, "annotator") for name in [*users["annotators"], *users["checked_annotators"]]]
        for username, role in roles:
            self.stdout.write(f"  {username:<16} {logins[username]:<16} ({role})")


def _add_generated(demo: dict[str, Any]) -> None:
    """Put the generated articles and layers before the written ones (the written ones stay
    last, so the last annotator's two open articles are still theirs to find with Next)."""
    articles, layers = generated_demo(annotators=demo["users"]["annotators"], per_source=GENERATED_PER_SOURCE)
    demo["articles"] = [*articles, *demo["articles"]]
    for username, spans_by_article in layers.items():
        demo["layers"][username] = {**spans_by_article, **demo["layers"][username]}
    demo["min_profile_articles"] = 15


def _spread_over_days(project: Project, annotators: list[str]) -> None:
    """Date the annotators' submitted layers as a team's fortnight: each person submits a few a
    day, taking 6 to 30 minutes an article, so the dashboard's pace shows figures. Deterministic
    for a given day of loading."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for person, username in enumerate(annotators):
        layers = Layer.objects.filter(
            document__project=project,
            user__username=username,
            kind=LayerKind.ANNOTATION,
            status=LayerStatus.SUBMITTED,
        ).order_by("document__external_id")
        dated = list(layers.only("pk"))
        step = timedelta(days=13) / max(1, len(dated))
        for index, layer in enumerate(dated):
            layer.submitted_at = now - step * (len(dated) - index) - timedelta(hours=2 * person)
            layer.created_at = layer.submitted_at - timedelta(minutes=6 + (7 * index + 11 * person) % 25)
        Layer.objects.bulk_update(dated, ["created_at", "submitted_at"])  # one statement a person


def _submit_spans(layer: Layer, spans: list[dict[str, Any]], *, key: str, schema: ProjectSchema) -> None:
    """Write the demo file's spans (quote, occurrence, label, attributes) into the layer and
    submit it; `key` makes each span's client_uuid, so a rerun writes none twice."""
    text = layer.document.text
    for index, span in enumerate(spans):
        start = _find(text, span["quote"], span.get("occurrence", 1))
        span_create(
            layer=layer,
            label=span["label"],
            start=start,
            end=start + len(span["quote"]),
            text=span["quote"],
            attributes=span.get("attributes", {}),
            client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"{key}/{index}"),
            schema=schema,
        )
    document = layer.document
    answers = answers_for(
        source=document.source.slug, external_id=document.external_id, annotator=layer.user.username
    )
    for question, value in answers.items():
        answer_set(layer=layer, key=question, value=value, version=None)
    layer_submit(layer=layer)


def _find(text: str, quote: str, occurrence: int) -> int:
    """Code-point offset of the n-th occurrence of `quote` in `text`."""
    start = -1
    for _ in range(occurrence):
        start = text.find(quote, start + 1)
        if start < 0:
            raise ValueError(f"{quote!r} does not occur {occurrence} time(s) in the article")
    return start
