"""The studio without a browser: its layout, what it makes of a catalog and findings, its pages
over a snapshot built in memory, and where it listens."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from schemakit.catalog import Catalog, Column, Constraint, ForeignKey, Grant, Index, Schema, Table
from schemakit.config import parse_config
from schemakit.rules import Finding, Location, Severity
from schemakit.studio import create_app, warm
from schemakit.studio._data import Loaded, _snapshot, unclaimed_name
from schemakit.studio._layout import layered
from schemakit.studio._serve import LOOPBACK, bind, is_loopback
from schemakit.studio._views import DETAIL_LIMIT, search
from schemakit.testing import Cluster

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"

_CONFIG = """
database = "app"

[services.auth]
schemas = ["auth"]
role = "auth_service"

[services.billing]
schemas = ["billing"]
role = "billing_service"
"""


def _table(schema: str, name: str, *columns: str, fks: tuple[ForeignKey, ...] = ()) -> Table:
    return Table(
        schema,
        name,
        owner=f"{schema}_owner",
        columns=tuple(Column(c, "text" if c != "id" else "uuid", c != "id") for c in columns),
        indexes=(Index(f"{name}_pkey", ("id",), unique=True, primary=True),),
        foreign_keys=fks,
        constraints=(Constraint(f"{name}_pkey", "p", ("id",)),),
    )


@pytest.fixture
def loaded(tmp_path: Path) -> Loaded:
    (tmp_path / "schemakit.toml").write_text(_CONFIG, encoding="utf-8")
    config = parse_config(tmp_path / "schemakit.toml")
    invoices = _table(
        "billing",
        "invoices",
        "id",
        "user_id",
        fks=(ForeignKey("invoices_user_id_fkey", ("user_id",), "auth", "users", ("id",)),),
    )
    odd = _table("public", "<script>alert(1)</script>", "id")
    catalog = Catalog(
        database="app",
        schemas={
            "auth": Schema("auth", "auth_service"),
            "billing": Schema("billing", "billing_owner"),
            "public": Schema("public", "postgres"),
        },
        tables={t.path: t for t in (_table("auth", "users", "id", "email"), invoices, odd)},
        grants=(
            Grant("schema", "auth", None, "billing_service", "USAGE"),
            Grant("table", "auth", "users", "billing_service", "SELECT"),
            Grant("schema", "billing", None, "billing_service", "USAGE"),
        ),
    )
    findings = [
        Finding(
            "ISO008",
            "cross-service-foreign-key",
            "Foreign key billing.invoices.invoices_user_id_fkey references auth.users",
            "Keep the reference as a plain column.",
            Severity.ERROR,
            object="billing.invoices.invoices_user_id_fkey",
            database="app",
            location=Location(tmp_path / "billing.sql", 3),
        ),
        Finding(
            "TYP001",
            "user-id-not-text",
            "Column billing.invoices.user_id is uuid",
            "Change it.",
            Severity.WARNING,
            object="billing.invoices.user_id",
            database="app",
        ),
        Finding(
            "IDX002",
            "duplicate-index",
            "Index auth.users_pkey duplicates another",
            "Drop it.",
            Severity.WARNING,
            object="auth.users_pkey",
            database="app",
        ),
        Finding(
            "ISO001",
            "table-in-public",
            "Table public.<script> is in public",
            "Move it.",
            Severity.ERROR,
            object="public.<script>alert(1)</script>",
            database="app",
        ),
    ]
    snapshot = _snapshot(
        config, {"app": catalog}, findings, {}, source="embedded replay", live=False, drift={}
    )
    return Loaded(snapshot, {})


def test_findings_land_on_the_objects_they_name(loaded: Loaded) -> None:
    snapshot = loaded.snapshot
    by_code = {f.code: f for f in snapshot.findings.values()}
    assert (by_code["ISO008"].table, by_code["ISO008"].column) == (
        "billing.invoices",
        "invoices_user_id_fkey",
    )
    assert (by_code["TYP001"].table, by_code["TYP001"].column) == ("billing.invoices", "user_id")
    # an index is named schema.index: it lands on its table
    assert by_code["IDX002"].table == "auth.users"
    assert by_code["ISO008"].file == "billing.sql"
    assert snapshot.services["billing"].count("error", snapshot.findings) == 1
    assert snapshot.services["billing"].count("warning", snapshot.findings) == 1
    # what no service claims has a box of its own
    unclaimed = snapshot.services[unclaimed_name("app")]
    assert unclaimed.schemas == ("public",)
    assert unclaimed.tables == ("public.<script>alert(1)</script>",)


def test_cross_service_keys_and_grants_are_edges(loaded: Loaded) -> None:
    edges = {(e.source, e.target, e.kind) for e in loaded.snapshot.edges}
    assert edges == {("billing", "auth", "foreign key"), ("billing", "auth", "grant")}


def test_security_matrix_lists_what_each_role_may_do_per_schema(loaded: Loaded) -> None:
    assert loaded.snapshot.security == {
        "auth_service": {"auth": ("OWNER",)},
        "billing_service": {"auth": ("USAGE", "SELECT"), "billing": ("USAGE",)},
    }
    client = TestClient(create_app(loaded))
    page = client.get("/security").text
    assert "<th>billing_service</th>" in page
    assert "USAGE SELECT" in page


def test_pages_escape_what_the_database_names(loaded: Loaded) -> None:
    client = TestClient(create_app(loaded))
    name = unclaimed_name("app")
    page = client.get(f"/service/{name}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "'self'" in page.headers["content-security-policy"]


def test_service_findings_filter_by_family_and_severity(loaded: Loaded) -> None:
    client = TestClient(create_app(loaded))
    page = client.get("/service/billing", params={"family": "typ"}).text
    assert 'data-family="TYP"' in page
    assert 'data-family="ISO"' not in page
    page = client.get("/service/billing", params={"severity": "error"}).text
    assert 'data-family="ISO"' in page
    assert 'data-family="TYP"' not in page


def test_unknown_things_are_404_pages_and_json(loaded: Loaded) -> None:
    client = TestClient(create_app(loaded))
    assert client.get("/service/nope").status_code == 404
    assert "no service nope" in client.get("/service/nope").text
    assert client.get("/rules/XYZ999").status_code == 404
    response = client.get("/api/service/nope.json")
    assert (response.status_code, response.json()) == (404, {"error": "no service nope"})
    assert client.get("/service/billing/migrations/0001").status_code == 404


def test_search_puts_tables_first_and_ignores_case(loaded: Loaded) -> None:
    hits = search(loaded.snapshot, "USER")
    assert [(h.kind, h.table.path, h.column) for h in hits] == [
        ("table", "auth.users", None),
        ("column", "billing.invoices", "user_id"),
    ]
    assert search(loaded.snapshot, "  ") == []
    assert len(search(loaded.snapshot, "i", limit=2)) == 2


_graphs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.integers(40, 300), st.integers(20, 200)), min_size=n, max_size=n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
    )
)


@settings(max_examples=60, deadline=None)
@given(_graphs)
def test_layout_places_every_box_without_overlap(graph: tuple[list, list]) -> None:
    sizes, edges = graph
    layout = layered(
        {i: (float(w), float(h)) for i, (w, h) in enumerate(sizes)}, edges, max_width=900
    )
    boxes = list(layout.boxes.values())
    assert len(boxes) == len(sizes)
    for i, a in enumerate(boxes):
        assert a.x >= 0
        assert a.y >= 0
        assert a.x + a.width <= layout.width
        assert a.y + a.height <= layout.height
        for b in boxes[i + 1 :]:
            apart = (
                a.x + a.width <= b.x
                or b.x + b.width <= a.x
                or a.y + a.height <= b.y
                or b.y + b.height <= a.y
            )
            assert apart, (a, b)
    assert len(layout.paths) == len(edges)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=40))
def test_layout_puts_what_is_referenced_above_without_a_cycle(
    pairs: list[tuple[int, int]],
) -> None:
    edges = [(a, b) for a, b in pairs if a > b]  # acyclic: always towards a smaller number
    layout = layered(dict.fromkeys(range(20), (100.0, 50.0)), edges, max_width=10_000)
    for source, target in edges:
        assert layout.boxes[target].y < layout.boxes[source].y


def test_it_listens_on_loopback_on_a_free_port_by_default() -> None:
    with bind() as sock:
        host, port = sock.getsockname()[:2]
    assert (host, port != 0) == (LOOPBACK, True)
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")
    assert not is_loopback("example.org")


def test_cli_warns_before_listening_beyond_loopback() -> None:
    command = [str(Path(sys.executable).parent / "schemakit"), "studio", str(EXAMPLE), "--no-open"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # the port is taken, so the command stops before it loads or serves anything
        proc = subprocess.run(
            [*command, "--host", "0.0.0.0", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert "warning: listening on 0.0.0.0" in proc.stderr
    assert f"cannot listen on 0.0.0.0:{port}" in proc.stderr


def test_a_big_service_shows_names_and_one_table_with_its_neighbours_in_full(
    tmp_path: Path,
) -> None:
    (tmp_path / "schemakit.toml").write_text(_CONFIG, encoding="utf-8")
    config = parse_config(tmp_path / "schemakit.toml")
    count = DETAIL_LIMIT + 5
    tables = [_table("billing", "t_0", "id", "note")] + [
        _table(
            "billing",
            f"t_{n}",
            "id",
            "parent_id",
            fks=(
                ForeignKey(f"t_{n}_parent_fkey", ("parent_id",), "billing", f"t_{n - 1}", ("id",)),
            ),
        )
        for n in range(1, count)
    ]
    catalog = Catalog(database="app", tables={t.path: t for t in tables})
    snapshot = _snapshot(
        config, {"app": catalog}, [], {}, source="embedded replay", live=False, drift={}
    )
    client = TestClient(create_app(Loaded(snapshot, {})))
    page = client.get("/service/billing").text
    assert page.count('class="table') == count
    assert 'class="column' not in page
    assert "2 columns · 1 index" in page
    focused = client.get("/service/billing", params={"table": "billing.t_10"}).text
    assert sorted(re.findall(r'data-table="([^"]+)" transform', focused)) == [
        "billing.t_10",
        "billing.t_11",
        "billing.t_9",
    ]
    assert focused.count('class="column') == 6


def test_pages_rendered_ahead_are_the_pages_served_and_filters_still_apply(
    loaded: Loaded,
) -> None:
    warmed = create_app(loaded)
    warm(warmed)
    fresh, ahead = TestClient(create_app(loaded)), TestClient(warmed)
    for path in ("/", "/service/billing", f"/service/{unclaimed_name('app')}"):
        assert ahead.get(path).text == fresh.get(path).text, path
    everything = ahead.get("/service/billing").text
    typ_only = ahead.get("/service/billing", params={"family": "TYP"}).text
    assert 'data-family="ISO"' in everything
    assert 'data-family="ISO"' not in typ_only


def test_a_pending_migration_is_not_drift_on_the_live_page(
    tmp_path: Path, pg_cluster: Cluster, pg_database: str
) -> None:
    """The studio reads the ledger as `schemakit drift` does: a file not deployed yet is
    pending, and an object changed by hand is drift."""
    import psycopg

    from schemakit.commands import migrate
    from schemakit.studio._data import load

    (tmp_path / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nmigrations = "app"\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "0001_init.sql").write_text(
        "CREATE SCHEMA app;\nCREATE TABLE app.notes (id bigint PRIMARY KEY, body text);\n"
    )
    url = f"postgresql://postgres@/{pg_database}?host={pg_cluster.socket_dir}"
    migrate(tmp_path, url)
    (tmp_path / "app" / "0002_tags.sql").write_text(
        "CREATE TABLE app.tags (id bigint PRIMARY KEY, name text);\n"
    )
    assert load(tmp_path, url, cluster=pg_cluster).snapshot.drift == {"main": ()}

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE app.notes ADD COLUMN by_hand text")
    drifted = load(tmp_path, url, cluster=pg_cluster).snapshot.drift["main"]
    assert len(drifted) == 1, drifted
    assert "by_hand" in drifted[0]
