"""A history that grants to a role made outside the migrations (a pg_dump baseline's GRANT
... TO reporting) replays: the role is created for the replay and said so."""

from __future__ import annotations

from pathlib import Path

from schemakit.lint import lint
from schemakit.testing import Cluster

BASELINE = """
CREATE SCHEMA app;
CREATE TABLE app.reports (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
-- pg_dump's grants to roles the platform creates elsewhere
GRANT SELECT ON app.reports TO reporting_readonly_x1;
ALTER TABLE app.reports OWNER TO app_owner_x1;
-- a role a migration creates itself is not created twice
CREATE ROLE made_here_x1 NOLOGIN;
GRANT USAGE ON SCHEMA app TO made_here_x1;
"""


def test_roles_named_but_not_created_are_made_for_the_replay(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    (tmp_path / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nmigrations = "m"\n\n[lint]\nselect = ["APL001"]\n'
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001_baseline.sql").write_text(BASELINE)
    said: list[str] = []
    result = lint(tmp_path, progress=said.append, cluster=pg_cluster)
    assert result.findings == []  # it applies: no APL001
    assert any("none creates them: app_owner_x1, reporting_readonly_x1" in line for line in said), (
        said
    )
