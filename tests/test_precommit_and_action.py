"""Findings where reviewers are: the pre-commit hooks run by pre-commit on a real git
repository, and the GitHub Actions recipe's commands run against the example."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "platform"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
RECIPE = ROOT / "docs" / "github-action.yml"
BIN = Path(sys.executable).parent
PRE_COMMIT = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")

UNSAFE = "CREATE INDEX idx_queries_question ON research.queries (question);\n"
SAFE = (
    "SET lock_timeout = '5s';\n"
    "CREATE INDEX CONCURRENTLY idx_queries_question ON research.queries (question);\n"
)


def _git(repo: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The example platform as a git repository with one commit, and pre-commit installed
    with schemakit's SQL hook as .pre-commit-hooks.yaml defines it."""
    if PRE_COMMIT is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed (pip install -e '.[dev]')")
    folder = tmp_path / "platform"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    # pre-commit builds a language: python hook's own virtualenv from PyPI, which takes
    # minutes; here the hook runs as language: system on the schemakit of this checkout,
    # with everything else (id, entry, types, files, pass_filenames) as the manifest says.
    hook = next(h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == "schemakit-migrations")
    local = {**hook, "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (folder / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert _git(folder, "init", "-q", "-b", "main", env=env).returncode == 0
    assert _git(folder, "add", "-A", env=env).returncode == 0
    assert _git(folder, "commit", "-q", "--no-verify", "-m", "platform", env=env).returncode == 0
    installed = subprocess.run(
        [PRE_COMMIT, "install"], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    assert installed.returncode == 0, installed.stderr
    return folder, env


def test_the_hooks_manifest_is_valid_for_pre_commit() -> None:
    if PRE_COMMIT is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    proc = subprocess.run(
        [PRE_COMMIT, "validate-manifest", str(HOOKS)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [hook["id"] for hook in yaml.safe_load(HOOKS.read_text())]
    assert ids == ["schemakit-migrations", "schemakit"]


def test_a_staged_migration_with_a_mig_finding_fails_the_commit(
    repo: tuple[Path, dict[str, str]],
) -> None:
    folder, env = repo
    migration = folder / "services" / "research" / "migrations" / "0005_question_index.sql"
    migration.write_text(UNSAFE, encoding="utf-8")
    _git(folder, "add", str(migration), env=env)
    refused = _git(folder, "commit", "-m", "index the question", env=env)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "schemakit (staged SQL migrations)" in output
    assert "0005_question_index.sql" in output
    assert "MIG001" in output
    assert _git(folder, "log", "--oneline", env=env).stdout.count("\n") == 1  # not committed
    migration.write_text(SAFE, encoding="utf-8")
    _git(folder, "add", str(migration), env=env)
    accepted = _git(folder, "commit", "-m", "index the question", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr


def _recipe() -> dict[str, Any]:
    data = yaml.safe_load(RECIPE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_action_recipe_is_a_workflow_that_uploads_what_it_lints() -> None:
    workflow = _recipe()
    # YAML 1.1 reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"pull_request", "push"}
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["lint"]["steps"]
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    sarif_step = next(s for s in steps if "--format sarif" in s.get("run", ""))
    words = shlex.split(sarif_step["run"])
    assert words[words.index("--output") + 1] == upload["with"]["sarif_file"]
    assert "--exit-zero" in words  # the upload must happen even with findings
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert "postgresql" in install["run"]


def test_the_action_recipe_commands_succeed_against_the_example(tmp_path: Path) -> None:
    workflow = _recipe()
    job = workflow["jobs"]["lint"]
    folder = tmp_path / "platform"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        **os.environ,
        **{k: str(v) for k, v in job["env"].items()},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("DATABASE_URL", None)
    ran = {}
    for step in job["steps"]:
        command = step.get("run", "")
        if not command.startswith("schemakit "):
            continue  # the install step: apt-get and PyPI, which this checkout already has
        ran[step["name"]] = subprocess.run(
            ["bash", "-e", "-c", command],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    sarif_run, annotations = ran.values()
    assert sarif_run.returncode == 0, sarif_run.stderr
    report = json.loads((folder / "schemakit.sarif").read_text(encoding="utf-8"))
    schema = json.loads(
        (ROOT / "src" / "schemakit" / "report" / "sarif-2.1.0.schema.json").read_text()
    )
    jsonschema.validate(report, schema)
    results = report["runs"][0]["results"]
    assert any(r["ruleId"] == "ISO008" for r in results)
    # paths as GitHub reads them: relative to the repository's root, where the job runs
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "services/credits/drizzle/0000_init_balances.sql" in uris
    # the example has findings: the annotations step fails the job, as it should
    assert annotations.returncode == 1, annotations.stderr
    assert "::error file=services/credits/drizzle/0000_init_balances.sql,line=13" in (
        annotations.stdout
    )
