"""``schemakit studio`` end to end over examples/platform: the pages in a real headless
Chromium (Debian's ``chromium`` through Playwright), the live database's migrations, and no
password anywhere the pages or their JSON reach."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest

from schemakit.config import load_config
from schemakit.migrate import MigrateOptions, migrate
from schemakit.studio import create_app, load, running
from schemakit.testing import Cluster

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "platform"
PASSWORD = "s3cret-Pw-for-studio"
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium installed (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: the suite runs as root in CI, where Chromium's sandbox refuses to start
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


@pytest.fixture(scope="module")
def embedded(pg_cluster: Cluster) -> Iterator[str]:
    """The studio over the example's migrations replayed (as `schemakit studio` does)."""
    with running(create_app(load(EXAMPLE, cluster=pg_cluster))) as url:
        yield url


@pytest.fixture(scope="module")
def live_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example."""
    folder = tmp_path_factory.mktemp("studio") / "platform"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture(scope="module")
def live(pg_cluster: Cluster, live_project: Path) -> Iterator[str]:
    """The studio over a live database where research's last migration is still pending and
    an applied one was edited since, reached through a URL that carries a password."""
    database = "studio_live"
    pg_cluster.create_database(database)
    pending = live_project / "services" / "research" / "migrations" / "0004_answers.sql"
    kept = pending.read_text(encoding="utf-8")
    pending.unlink()
    dsn = pg_cluster.dsn(database) + f" password={PASSWORD}"
    migrate(
        dsn,
        load_config(live_project),
        options=MigrateOptions(allow_unsafe=("0002_scratch", "0001_init")),
        database="platform",
    )
    pending.write_text(kept, encoding="utf-8")
    edited = pending.with_name("0003_sources.sql")
    edited.write_text(edited.read_text(encoding="utf-8") + "-- edited once applied\n")
    loaded = load(live_project, dsn, database="platform", cluster=pg_cluster)
    try:
        with running(create_app(loaded)) as url:
            yield url
    finally:
        pg_cluster.drop_database(database)


def test_platform_view_shows_every_service_and_the_cross_service_edge(
    page: Any, embedded: str, tmp_path: Path
) -> None:
    page.goto(embedded)
    for name in load_config(EXAMPLE).services:
        box = page.locator(f'a.service[data-service="{name}"]')
        assert box.is_visible(), name
    edge = page.locator('g.edge.fk[data-source="credits"][data-target="auth"]')
    assert edge.count() == 1
    assert "credits.balances → auth.users" in (edge.locator("title").text_content() or "")
    # findings are counted on the boxes
    assert re.search(
        r"\d+ errors? · \d+ warnings?",
        page.locator('[data-service="credits"]').text_content() or "",
    )
    page.screenshot(path=tmp_path / "platform.png", full_page=True)
    assert (tmp_path / "platform.png").stat().st_size > 10_000


def test_service_page_shows_a_table_its_columns_and_a_finding(
    page: Any, embedded: str, tmp_path: Path
) -> None:
    page.goto(embedded)
    page.locator('a.service[data-service="credits"]').click()
    page.wait_for_url("**/service/credits")
    table = page.locator('g.table[data-table="credits.balances"]')
    assert table.is_visible()
    columns = table.locator("text.column").all_text_contents()
    assert any("user_id" in c and "text" in c for c in columns)
    assert any("amount" in c and "integer" in c for c in columns)
    # the cross-service key's target is drawn too, as another service's table
    assert page.locator('g.table.external[data-table="auth.users"]').count() == 1
    finding = page.locator('li.finding[data-table="credits.balances"]', has_text="ISO008")
    assert finding.count() == 1
    assert "references auth.users" in finding.inner_text()
    assert "has-error" in (table.get_attribute("class") or "")
    page.screenshot(path=tmp_path / "service.png", full_page=True)
    # filter by family, then open the rule's doc from the finding
    page.select_option('select[name="family"]', "ISO")
    page.wait_for_url("**family=ISO**")
    families = page.locator("li.finding").evaluate_all(
        "(items) => items.map(i => i.dataset.family)"
    )
    assert families
    assert set(families) == {"ISO"}
    page.locator("li.finding a.code", has_text="ISO008").first.click()
    page.wait_for_url("**/rules/ISO008")
    assert "cross-service-foreign-key" in page.locator("h1").inner_text()
    assert page.locator("article.doc h2", has_text="Why is this bad?").count() == 1


def test_search_box_finds_columns_as_you_type(page: Any, embedded: str) -> None:
    page.goto(embedded)
    page.locator("#search").fill("email")
    hit = page.locator("#search-results a", has_text=re.compile(r"^auth\.users\.email\s+text$"))
    hit.wait_for()
    hit.click()
    page.wait_for_url("**/service/auth?table=auth.users#t-auth.users")
    assert "focus" in (
        page.locator('g.table[data-table="auth.users"]').get_attribute("class") or ""
    )


def test_migrations_view_shows_a_pending_migration_with_its_lock_report(
    page: Any, live: str, tmp_path: Path
) -> None:
    page.goto(urljoin(live, "/service/research/migrations"))
    states = dict(
        zip(
            page.locator("table.migrations tbody td:first-child").all_inner_texts(),
            page.locator("table.migrations tbody td .state").all_inner_texts(),
            strict=True,
        )
    )
    assert states == {
        "0001_init": "applied",
        "0002_scratch": "applied",
        "0003_sources": "edited",
        "0004_answers": "pending",
    }
    # what the pending migration makes is pending, not drift (as `schemakit drift` reads it)
    assert page.locator("ul.drift li", has_text="answer_count").count() == 0
    page.screenshot(path=tmp_path / "migrations.png", full_page=True)
    page.locator("table.migrations a", has_text="0004_answers").click()
    page.wait_for_url("**/migrations/0004_answers")
    statement = page.locator("li.statement", has_text="SET NOT NULL")
    assert statement.locator("td.mode").all_inner_texts() == ["AccessExclusiveLock"]
    assert "research.queries" in statement.locator("table.locks").inner_text()
    # the finding on that statement sits under it
    # (with MIG022: the example's research service says another runner applies it)
    assert statement.locator("li.finding a.code").all_inner_texts() == ["MIG022", "MIG005"]
    page.screenshot(path=tmp_path / "migration.png", full_page=True)


def _crawl(base: str, get: Any) -> dict[str, str]:
    """Every page reachable from the platform page, the JSON each page's script asks for,
    and each migration's lock report: path -> body."""
    seen: dict[str, str] = {}
    queue = ["/", "/api/platform.json", "/api/search?q=user", "/api/search?q=id"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        body = get(path)
        seen[path] = body
        if path.startswith("/api/"):
            continue
        for href in re.findall(r'(?:href|src)="([^"#]+)', body):
            target = urlparse(urljoin(base + path, href))
            if target.netloc == urlparse(base).netloc:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
        for name in re.findall(r'href="/service/([^/"#?]+)"', body):
            queue.append(f"/api/service/{name}.json")
        match = re.fullmatch(r"/service/([^/]+)/migrations/([^/]+)", path)
        if match:
            queue.append(f"/api/service/{match[1]}/migrations/{match[2]}/locks.json")
    return seen


def test_no_page_or_json_endpoint_shows_the_password(live: str) -> None:
    import httpx2 as httpx

    with httpx.Client(base_url=live) as client:

        def get(path: str) -> str:
            response = client.get(path)
            assert response.status_code == 200, path
            return response.text

        bodies = _crawl(live.rstrip("/"), get)
    kinds = {p.split("/")[1] or "platform" for p in bodies}
    assert {"platform", "service", "rules", "api", "static"} <= kinds
    assert any(p.endswith("/locks.json") for p in bodies)
    leaked = [p for p, body in bodies.items() if PASSWORD in body]
    assert leaked == []
    assert any("password=***" in body for body in bodies.values())  # the source, redacted
