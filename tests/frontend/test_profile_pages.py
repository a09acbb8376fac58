"""The source-profile pages: the list, one source's profile card and the comparison render for
the demo project (four sources, three articles each) and for a project with enough articles
for values, for those who may read profiles, and only for them."""

from __future__ import annotations

import re

import pytest

from annotator.models import Project, Source, SourceProfile
from tests.frontend.pages import client_for, page_html

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def _sources(project: Project) -> list[Source]:
    return list(Source.objects.filter(documents__project=project).distinct().order_by("name"))


def test_the_project_page_links_the_profile_pages_for_reviewers(client, demo):
    html = client_for(client, "demo-reviewer").get(f"/projects/{demo.pk}/").content.decode()
    assert f'href="/projects/{demo.pk}/sources/"' in html
    assert f'href="/projects/{demo.pk}/sources/compare/"' in html
    # Annotators of a blind project see no link.
    html = client_for(client, "demo-anna").get(f"/projects/{demo.pk}/").content.decode()
    assert "/sources/" not in html


def test_the_source_list_shows_every_demo_source_with_badges(client, demo):
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/")
    sources = _sources(demo)
    assert len(sources) == 4
    for source in sources:
        assert f'href="/projects/{demo.pk}/sources/{source.pk}/?basis=all"' in html
    # Three articles each: the demo lowers the minimum to 3, so figures show, each marked as
    # low confidence (below twice the minimum).
    assert demo.min_profile_articles == 3
    assert html.count("low confidence") >= 4
    assert "All sources (corpus)" in html
    assert "Recompute" in html
    assert f"/api/v1/projects/{demo.pk}/profiles/export.csv?basis=all" in html
    assert SourceProfile.objects.filter(project=demo, basis="all").count() == 4


def test_the_source_page_shows_the_profile_card_against_the_corpus(client, demo):
    source = _sources(demo)[0]
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/{source.pk}/?basis=consensus")
    for text in (
        "Profile card",
        "Figures against the corpus",
        "Evidence mix",
        "Stance per target",
        source.name,
    ):
        assert text in html
    assert html.count("<svg") >= 3  # shares, rates, evidence mix
    assert "Opinion share" in html and "Sourced-claim rate" in html
    assert '<option value="consensus" selected>' in html


def test_the_comparison_page_draws_every_chart_with_a_table(client, demo):
    html = page_html(
        client, "demo-manager", f"/projects/{demo.pk}/sources/compare/?metric=claims_per_1k_words"
    )
    for text in (
        "One figure across sources",
        "Evidence mix",
        "Net stance by source and target",
        "Opinion share against sourced-claim rate",
    ):
        assert text in html
    assert '<option value="claims_per_1k_words" selected>' in html
    assert html.count('<table class="table">') == 4


def test_an_unknown_basis_or_figure_falls_back_to_the_defaults(client, demo):
    html = (
        client_for(client, "demo-reviewer")
        .get(f"/projects/{demo.pk}/sources/compare/?basis=nope&metric=nope")
        .content.decode()
    )
    assert '<option value="all" selected>' in html
    assert '<option value="opinion_share" selected>' in html


def test_profile_pages_follow_the_annotator_rule(client, demo):
    from tests.factories import UserFactory

    anna = client_for(client, "demo-anna")
    for path in ("sources/", "sources/compare/", f"sources/{_sources(demo)[0].pk}/"):
        assert anna.get(f"/projects/{demo.pk}/{path}").status_code == 403
    demo.profiles_visible_to_annotators = True
    demo.save()
    assert anna.get(f"/projects/{demo.pk}/sources/").status_code == 403  # still blind
    demo.blind = False
    demo.calibration_every = 0  # calibration needs a blind project
    demo.save()
    page = anna.get(f"/projects/{demo.pk}/sources/")
    assert page.status_code == 200
    assert "Recompute" not in page.content.decode()  # reading is not recomputing
    assert "/sources/" in anna.get(f"/projects/{demo.pk}/").content.decode()
    client.force_login(UserFactory())
    assert client.get(f"/projects/{demo.pk}/sources/").status_code == 404


def test_a_source_of_another_project_is_not_found(client, demo):
    from tests.factories import DocumentFactory, SourceFactory

    elsewhere = SourceFactory(slug="elsewhere-times")
    DocumentFactory(source=elsewhere)
    reviewer = client_for(client, "demo-reviewer")
    assert reviewer.get(f"/projects/{demo.pk}/sources/{elsewhere.pk}/").status_code == 404
    assert reviewer.get(f"/projects/{demo.pk}/sources/999999/").status_code == 404


def test_profile_pages_need_a_login(client, demo):
    response = client.get(f"/projects/{demo.pk}/sources/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_with_values_draw_dots_bars_cells_and_points(client, demo):
    """With the minimum lowered to one article, the demo's figures have values (their
    low-confidence badge shows) and every chart draws them."""
    demo.min_profile_articles = 1
    demo.save()
    from annotator.profiles.services import project_profiles_refresh

    project_profiles_refresh(project_id=demo.pk, n_boot=200)
    reviewer = client_for(client, "demo-reviewer")
    html = reviewer.get(f"/projects/{demo.pk}/sources/compare/").content.decode()
    assert "low confidence" in html
    assert len(re.findall(r"<circle ", html)) >= 4  # dots of the dot plot and scatter points
    assert "corpus " in html  # the corpus mark on the dot plot
    assert 'fill="#0072b2"' in html  # an evidence segment
    assert "url(#hatch)" in html  # small stance samples are hatched
    source = _sources(demo)[0]
    html = reviewer.get(f"/projects/{demo.pk}/sources/{source.pk}/").content.decode()
    assert "  corpus" in html or "corpus" in html
    assert "[" in html and "]" in html  # intervals in the tables


def test_the_model_basis_is_offered_once_competence_was_estimated(client, demo):
    from annotator.models import CompetenceReport

    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/?basis=model")
    assert '<option value="model" selected>Model consensus (MACE)</option>' in html
    assert "on basis <strong>model</strong>" in html
    # Without a fit the basis is not offered, and asking for it shows the default.
    CompetenceReport.objects.filter(project=demo).delete()
    html = page_html(client, "demo-reviewer", f"/projects/{demo.pk}/sources/?basis=model")
    assert 'value="model"' not in html
    assert '<option value="all" selected>' in html
