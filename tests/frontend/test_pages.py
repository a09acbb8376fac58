"""The pages render for the people who may see them, and only for them."""

from __future__ import annotations

import pytest

from annotator.models import Project, Source
from tests.frontend.pages import client_for, page_html

pytestmark = pytest.mark.django_db


def test_home_lists_projects_with_progress(client, demo):
    page = client_for(client, "demo-anna").get("/").content.decode()
    assert "Harbour City Transit Debate (demo)" in page
    assert "12 / 12" in page  # the annotator's own layers: all 12 submitted
    assert "10 / 12" in page  # documents complete: the last two wait for a third layer


def test_agreement_page_shows_tables_and_charts_to_reviewers(client, demo):
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/agreement/")
    for text in (
        "Per label",
        "CLAIM",
        "Attributes",
        "evidence",
        "Label confusion",
        "Annotator pairs",
        "By source",
    ):
        assert text in html
    assert html.count("<svg") >= 4
    assert "demo-anna · demo-ben" in html
    assert ".800 reliable" in html
    # The headline's definition, and each source's figures (fewer than 10 documents each) say
    # why they carry no interval.
    assert "Jaccard distance" in html
    assert 'title="too few documents for an interval">[no interval]' in html


def test_agreement_page_is_not_for_annotators_or_outsiders(client, demo):
    from tests.factories import UserFactory

    assert client_for(client, "demo-anna").get(f"/projects/{demo.pk}/agreement/").status_code == 403
    client.force_login(UserFactory())
    assert client.get(f"/projects/{demo.pk}/agreement/").status_code == 404


def test_pages_need_a_login(client, demo):
    response = client.get(f"/projects/{demo.pk}/agreement/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_annotators_page_shows_panels_calibration_and_the_gate_to_reviewers(client, demo):
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/annotators/")
    for username in ("demo-anna", "demo-ben", "demo-chloe", "demo-dev", "demo-emma", "demo-femi"):
        assert f'data-annotator="{username}"' in html
    assert "Span F1 against gold on calibration items" in html and "<svg" in html
    assert "Below the gate" in html and "Passing" in html
    assert "Fitted " in html and "over 12 documents" in html  # competence, fitted when the demo loads
    # Each basis against gold, over the adjudicated demo documents with two or more layers.
    against = demo.competence.metrics["against_gold"]
    assert f"over the {against['n_documents']} adjudicated documents" in html
    for basis in ("all", "consensus", "model"):
        assert f'<tr data-basis="{basis}">' in html
        assert f"{against[basis]['span_f1']:.3f}" in html
    assert "panel-select" not in html  # placing members is for managers
    assert 'class="panel-select"' in page_html(client, "demo-manager", f"/projects/{demo.pk}/annotators/")
    assert client_for(client, "demo-anna").get(f"/projects/{demo.pk}/annotators/").status_code == 403


def test_project_page_shows_the_members_panel_or_asks_the_question_and_their_checks(client, demo):
    from annotator.models import Role
    from tests.factories import MembershipFactory, UserFactory

    anna = page_html(client, "demo-anna", f"/projects/{demo.pk}/")
    assert "Your panel: <strong>Left</strong> (placed by demo-manager" in anna
    dev = page_html(client, "demo-dev", f"/projects/{demo.pk}/")
    assert "Your span F1 on the last 3 checks against known answers: <strong>0.61</strong>" in dev
    MembershipFactory(project=demo, user=UserFactory(username="newcomer"), role=Role.ANNOTATOR)
    newcomer = page_html(client, "newcomer", f"/projects/{demo.pk}/")
    assert "Where would you place your own politics?" in newcomer
    assert newcomer.count('name="panel"') == 3


def test_agreement_page_splits_agreement_by_panel_with_stance_per_target(client, demo):
    from annotator.agreement.services import project_agreement_refresh

    project_agreement_refresh(project_id=demo.pk, n_boot=0)
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/agreement/")
    assert "By panel" in html and "Alpha between and within panels" in html
    assert "left · centre" in html and "centre · right" in html and "left · right" in html
    assert "all between panels" in html
    assert "Stance per target, by panel" in html and "Mayor Ines Okafor" in html


@pytest.mark.parametrize(("k", "words"), [(1, "annotated by 1 person,"), (3, "annotated by 3 people,")])
def test_counts_on_the_pages_agree_with_their_nouns(client, demo, k, words):
    Project.objects.filter(pk=demo.pk).update(annotators_per_document=k)
    assert words in page_html(client, "demo-anna", f"/projects/{demo.pk}/")


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "from 1 article of 1 source on basis"), (2, "from 2 articles of 2 sources on basis")],
)
def test_the_profiles_head_counts_agree_with_their_nouns(n, words):
    from django.template.loader import render_to_string

    settings = {"n_boot": n, "seed": 7, "min_articles": n, "ok_articles": 15}
    corpus = {"n_articles": n, "n_sources": n, "metrics": {"settings": settings, "layers": {"gold": n}}}
    head = " ".join(
        render_to_string(
            "frontend/_profiles_head.html", {"corpus": corpus, "basis": "all", "bases": []}
        ).split()
    )
    assert words in head
    assert f"({n} article{'s' if n > 1 else ''} from the gold layer" in head
    assert f"({n} resample{'s' if n > 1 else ''}, seed 7)" in head


def test_favicon_ico_leads_to_the_sites_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    assert "frontend/favicon" in response["Location"]


def test_403_and_404_pages_say_why_and_keep_the_sites_navigation(client, demo):
    anna = client_for(client, "demo-anna")
    refused = anna.get(f"/projects/{demo.pk}/agreement/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "You cannot open this page" in page and "A project's manager can change your role" in page
    assert "Sign out demo-anna" in page and 'href="/"' in page
    missing = anna.get("/projects/999999/nowhere/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "There is nothing here" in page and "<code>/projects/999999/nowhere/</code>" in page
    assert "Sign out demo-anna" in page


def test_page_scripts_get_their_urls_from_django(client, demo):
    from frontend.script_urls import url_template

    assert url_template("api:span", "id") == "/api/v1/spans/{id}/"
    assert url_template("api:member-detail", 7, "user") == "/api/v1/projects/7/members/{user}/"
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/agreement/")
    assert f'data-url="/api/v1/projects/{demo.pk}/agreement/?resolution=' in html
    assert 'data-job-url="/api/v1/jobs/{id}/"' in html
    layer = demo.documents.first().layers.filter(user__username="demo-anna").first()
    html = page_html(client, "demo-anna", f"/annotate/{layer.pk}/")
    assert '"span": "/api/v1/spans/{id}/"' in html and '"annotate": "/annotate/{id}/"' in html


def test_a_layer_sent_back_shows_the_reviewers_comment_until_it_is_submitted_again(client, demo):
    from django.contrib.auth import get_user_model

    from annotator.layers.services import layer_submit
    from annotator.models import Layer
    from annotator.review.services import review_reopen

    layer = Layer.objects.filter(
        document__project=demo, user__username="demo-anna", status="submitted"
    ).first()
    reviewer = get_user_model().objects.get(username="demo-reviewer")
    review_reopen(
        document=layer.document, reviewer=reviewer, layer_id=layer.pk, note="Mark the mayor's quote too."
    )
    project_page = page_html(client, "demo-anna", f"/projects/{demo.pk}/")
    assert "Returned for changes" in project_page and "Mark the mayor&#x27;s quote too." in project_page
    annotate_page = page_html(client, "demo-anna", f"/annotate/{layer.pk}/")
    assert "Returned for changes</strong> by demo-reviewer" in annotate_page
    assert "<blockquote>Mark the mayor&#x27;s quote too.</blockquote>" in annotate_page
    layer.refresh_from_db()
    layer_submit(layer=layer)
    assert "Returned for changes" not in page_html(client, "demo-anna", f"/annotate/{layer.pk}/")
    assert "Returned for changes" not in page_html(client, "demo-anna", f"/projects/{demo.pk}/")


def test_the_work_dashboard_shows_pace_freshness_and_members_to_reviewers_only(client, demo):
    from tests.factories import UserFactory

    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/work/")
    for text in (
        "demo-anna",
        "Layers a day",
        "Median time per document",
        "Agreement</a>: computed",
        "demo-manager: manager",
    ):
        assert text in html
    # The demo's fortnight: anna submitted 12 layers over the last 14 days.
    assert '<td class="num" data-label="Layers a day">0.9</td>' in html
    assert client_for(client, "demo-anna").get(f"/projects/{demo.pk}/work/").status_code == 403
    client.force_login(UserFactory())
    assert client.get(f"/projects/{demo.pk}/work/").status_code == 404


def test_the_schema_editor_is_for_managers_and_says_when_the_schema_is_fixed(client, demo):
    html = page_html(client, "demo-manager", f"/projects/{demo.pk}/schema/")
    assert "what those spans mean is fixed" in html
    assert client_for(client, "demo-reviewer").get(f"/projects/{demo.pk}/schema/").status_code == 403


def test_the_markdown_preview_renders_as_the_pages_do_and_cleans_what_it_must(client, demo):
    import json

    url = "/markdown/preview/"
    assert client.post(url, "{}", content_type="application/json").status_code == 302  # login first
    signed_in = client_for(client, "demo-manager")
    assert signed_in.get(url).status_code == 405
    response = signed_in.post(
        url,
        json.dumps({"text": "**bold** <script>alert(1)</script> [x](javascript:alert(1))"}),
        content_type="application/json",
    )
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html  # raw HTML is text
    assert "&lt;script&gt;" in html
    assert "href" not in html  # a javascript: link is no link
    refused = signed_in.post(url, json.dumps({"text": ["a list"]}), content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {"text": ["Give the Markdown as a string."]}
    assert signed_in.post(url, "not json", content_type="application/json").status_code == 400


def test_suggestions_page_shows_the_demo_models_evaluation_against_its_baseline(client, demo):
    from annotator.models import SuggestionModel

    # The small demo's dozen articles make a model that beats no baseline (make run's large demo
    # makes one that is used): listed, and nothing suggested from it.
    model = SuggestionModel.objects.get(project=demo)
    assert not model.in_use
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/suggestions/")
    assert "Suggestions are <strong>on</strong> in this blind project." in html
    assert "every sentence marked with the label" in html
    assert f"<tr><td>{model.pk}</td>" in html
    assert "No model beat its baseline yet" in html and 'id="model-evaluation"' not in html
    assert 'id="train-model"' not in html  # reviewers read; managers train
    assert 'id="train-model"' in page_html(client, "demo-manager", f"/projects/{demo.pk}/suggestions/")
    assert client_for(client, "demo-anna").get(f"/projects/{demo.pk}/suggestions/").status_code == 403


def test_claims_page_shows_claims_two_outlets_carry_and_the_profile_its_figures(client, demo):
    from annotator.claims.selectors import clusters_view

    views = clusters_view(project_id=demo.pk)
    assert views, "the demo groups its claims at load"
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/claims/")
    for view in views:
        assert f'id="cluster-{view.cluster.pk}"' in html
        assert f"First carried by <strong>{view.first.source}</strong>" in html
    assert "Verdicts as ClaimReview JSON-LD" in html
    assert client_for(client, "demo-anna").get(f"/projects/{demo.pk}/claims/").status_code == 403
    first = views[0].first.source_id
    profile = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/{first}/")
    assert "Of those, claims it carried first</dt><dd>" in profile
    # The Herald ends each of its three articles with the same footer; the Klaxon has none.
    herald, klaxon = (Source.objects.get(slug=slug).pk for slug in ("harbour-herald", "daily-klaxon"))
    profile = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/{herald}/")
    assert "Its standard disclaimer</dt><dd>“The views expressed here are the author’s own" in profile
    assert "in 3 of its 3 articles (100%)" in profile
    profile = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/{klaxon}/")
    assert "Its standard disclaimer</dt><dd>None: no sentence recurs" in profile


def test_review_page_shows_the_documents_claims_in_other_outlets(client, demo):
    from annotator.claims.selectors import clusters_view

    view = clusters_view(project_id=demo.pk)[0]
    here = view.appearances[0]
    html = page_html(client, "demo-reviewer", f"/review/{here.document_id}/")
    assert "These claims in other outlets" in html
    for other in view.appearances[1:]:
        assert f'href="/review/{other.document_id}/"' in html


def test_suggestions_page_shows_a_model_in_use_with_its_evaluation_and_calibration(client, db):
    from annotator.suggestions.services import suggestion_model_train
    from tests.annotator.suggestion_team import SuggestionTeam

    team = SuggestionTeam("suggest-page")
    model = suggestion_model_train(project_id=team.project.pk)
    assert model.in_use
    html = page_html(client, team.reviewer.username, f"/projects/{team.project.pk}/suggestions/")
    assert "Suggestions are <strong>on</strong>." in html
    assert f"In use: <strong>model {model.pk}</strong>" in html
    for label in model.labels_used:
        assert f'<tr data-label="{label}">' in html
    assert 'id="model-calibration"' in html and html.count("<svg") == 1
