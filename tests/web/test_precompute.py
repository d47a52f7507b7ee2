"""`jejak build` computes the dashboard's first views into the build's cache: the first visit of a page reads them."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from conftest import build_demo_with_personas

from jejak.cli.main import cli
from jejak.segments.personas import personas_from_yaml
from jejak.store.derived import current_build
from jejak.store.files import remove_tree
from jejak.store.project import Project, open_project
from jejak.synth.demo_personas import DEMO_PERSONAS_YAML
from jejak.web.auth import add_user
from jejak.web.site import PAGES
from web.conftest import PASSWORD, USER, Dashboard, serving

WARM = [page.slug for page in PAGES if page.warm]
FILTERED = [page.slug for page in PAGES if page.warm and page.filters]
PERSONAS = [persona.name for persona in personas_from_yaml(DEMO_PERSONAS_YAML, "the demo personas")]


def _cache_files(project: Project) -> set[str]:
    cache = current_build(project) / ".cache"
    return {path.name for path in cache.iterdir()} if cache.exists() else set()


def _rounded(value: Any) -> Any:
    """A page's JSON with floats to 9 significant digits: Markov's solve sums in the engine's row order."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = build_demo_with_personas(tmp_path_factory.mktemp("precompute"), events=6_000, seed=29, file_format="csv")
    add_user(project.sqlite_path, USER, PASSWORD, admin=True)
    return project


def _build(project: Project, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, ["build", "--project", str(project.root)], env=env)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_a_build_precomputes_every_slow_page_and_the_first_visit_reads_it(small_project: Project) -> None:
    assert {"attribution", "map", "personas", "reports", "funnels", "flows", "overview"} <= set(WARM)
    output = _build(small_project)
    for slug in WARM:
        assert f"/{slug} " in output, f"the build did not say it computed /{slug}"
    project = open_project(small_project.root)
    precomputed = _cache_files(project)
    assert precomputed, "the build left its cache empty"
    first_views = {}
    for url in serving(project):
        with Dashboard(project, url).logged_in() as client:
            for slug in WARM:
                response = client.get(f"/{slug}.json")
                assert response.status_code == 200, response.text
                first_views[slug] = response.json()
                # Nothing new was computed: the page read what the build kept.
                assert _cache_files(project) == precomputed, f"/{slug} computed its first view again"
            # The other views a page names as precomputed (another dimension, attribution by campaign).
            for page in PAGES:
                for params in page.warm_also:
                    assert client.get(f"/{page.slug}.json", params=dict(params)).status_code == 200
                    assert _cache_files(project) == precomputed, f"/{page.slug} {dict(params)} computed again"
            # Each persona's view of every page with filters too.
            for persona in PERSONAS:
                assert f"persona {persona}" in output
                for slug in FILTERED:
                    response = client.get(f"/{slug}.json", params={"persona": persona})
                    assert response.status_code == 200, response.text
                    assert _cache_files(project) == precomputed, f"/{slug} for {persona} computed its view again"
            # The kept views are the ones a page computes with nothing kept.
            remove_tree(current_build(project) / ".cache")
            for slug in WARM:
                fresh = client.get(f"/{slug}.json").json()
                assert _rounded(fresh) == _rounded(first_views[slug]), slug
    assert first_views["attribution"]["sections"]["comparison"], "attribution showed no rows"


def test_precompute_personas_false_leaves_the_persona_views_to_the_pages(small_project: Project) -> None:
    output = _build(small_project, env={"JEJAK_PRECOMPUTE_PERSONAS": "false"})
    assert "/attribution " in output
    assert "persona " not in output.replace("/personas", "")
    project = open_project(small_project.root)
    precomputed = _cache_files(project)
    for url in serving(project):
        with Dashboard(project, url).logged_in() as client:
            assert client.get("/overview.json", params={"persona": PERSONAS[0]}).status_code == 200
    assert _cache_files(project) - precomputed, "the persona's view was there before anyone asked"


def test_precompute_views_false_leaves_the_cache_empty(small_project: Project) -> None:
    output = _build(small_project, env={"JEJAK_PRECOMPUTE_VIEWS": "false"})
    assert "first views" not in output
    assert _cache_files(open_project(small_project.root)) == set()


def test_an_answer_kept_by_another_version_of_jejak_is_computed_again(
    small_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An upgrade may change an answer's shape (the overview's warnings did): the kept one must not be read.
    from jejak.service import cache

    question = {"kept": "across versions"}
    assert cache.cached(small_project, "version-test", question, lambda: {"shape": "old"}) == {"shape": "old"}
    assert cache.cached(small_project, "version-test", question, lambda: {"shape": "new"}) == {"shape": "old"}
    monkeypatch.setattr(cache, "JEJAK_VERSION", f"{cache.JEJAK_VERSION}.after-an-upgrade")
    assert cache.cached(small_project, "version-test", question, lambda: {"shape": "new"}) == {"shape": "new"}
