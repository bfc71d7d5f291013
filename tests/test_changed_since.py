"""`lint --changed-since REF`: the findings of the files a pull request changes, with the whole
project replayed so the catalog rules still judge what those files make."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from schemakit.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_changed_since_reports_only_changed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    # a new migration (untracked), and an edit to a committed one
    added = repo / "services" / "auth" / "migrations" / "0003_prefs.sql"
    added.write_text("CREATE TABLE auth.prefs (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\n")
    edited = repo / "services" / "research" / "migrations" / "0004_answers.sql"
    edited.write_text(edited.read_text() + "\nCREATE INDEX idx_x ON research.queries (id);\n")

    assert main(["lint", str(repo), "--changed-since", "main", "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    paths = {f["location"]["path"] for f in found}
    assert paths == {
        "services/auth/migrations/0003_prefs.sql",
        "services/research/migrations/0004_answers.sql",
    }
    codes = {(f["location"]["path"], f["code"]) for f in found}
    # a catalog rule on the new table (needs the replay), a statement rule on the edit
    assert ("services/auth/migrations/0003_prefs.sql", "COL001") in codes
    assert ("services/research/migrations/0004_answers.sql", "MIG001") in codes

    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    assert main(["lint", str(repo), "--changed-since", "HEAD"]) == 0
    assert "All checks passed" in capsys.readouterr().out

    assert main(["lint", str(repo), "--changed-since", "no-such-ref"]) == 2
    assert "--changed-since no-such-ref: git says" in capsys.readouterr().err
