"""The lint cache: a second lint of an unchanged project replays nothing and prints the same
report, byte for byte; any change to what a run read or replayed is seen and linted afresh;
two runs at once are both right; the folder is bounded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from schemakit.cli import main
from schemakit.config import load_config
from schemakit.lint import LintOptions, _replay, lint
from schemakit.lint._cache import CacheEntry, ReplayCache, cache_folder

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "platform"
HIT = "the findings are read from the cache"
REPLAY_HIT = "its result is read from the cache"


def write_platform(root: Path, services: int = 3, files: int = 3) -> None:
    """A platform as the world writes one: a schema per service, tables with the guideline's
    columns, a later file altering an earlier table, a grant, and a service joining another's
    table by a foreign key."""
    config = ['database = "platform"', ""]
    for s in range(services):
        name = f"svc_{s}"
        folder = root / "services" / name / "migrations"
        folder.mkdir(parents=True)
        config += [f"[services.{name.replace('_', '-')}]", f'schemas = ["{name}"]']
        config += [f'migrations = "services/{name}/migrations"', f'role = "{name}_app"', ""]
        for f in range(files):
            sql = f"CREATE SCHEMA {name};\n" if f == 0 else ""
            sql += (
                f"CREATE TABLE {name}.items_{f} (\n"
                "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
                "    user_id text NOT NULL,\n"
                "    done boolean NOT NULL DEFAULT false,\n"
                "    created_at timestamptz NOT NULL DEFAULT now()\n"
                ");\n"
                f"CREATE INDEX items_{f}_user ON {name}.items_{f} (user_id);\n"
            )
            if f > 0:
                sql += f"ALTER TABLE {name}.items_{f - 1} ADD COLUMN note_{f} text;\n"
            if s > 0 and f == 1:
                sql += (
                    f"ALTER TABLE {name}.items_1 ADD COLUMN first_id uuid "
                    f"REFERENCES svc_0.items_0 (id);\n"
                )
            if f == files - 1:
                sql += f"GRANT SELECT ON {name}.items_0 TO reporting;\n"
            (folder / f"{f:04d}_step.sql").write_text(sql)
    (root / "schemakit.toml").write_text("\n".join(config))


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["lint", *args, "--format", "json"]) in (0, 1)
    return capsys.readouterr().out


def _said(path: Path, cache: bool = True) -> tuple[list[str], str]:
    said: list[str] = []
    result = lint(path, LintOptions(cache=cache), progress=said.append)
    return said, repr(result.findings)


def test_a_second_lint_of_the_example_is_read_from_the_cache_and_prints_the_same(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fresh = _json([str(EXAMPLE), "--no-cache"], capsys)
    assert not cache_folder().exists()  # --no-cache writes nothing
    cold = _json([str(EXAMPLE)], capsys)
    warm = _json([str(EXAMPLE)], capsys)
    assert fresh == cold == warm
    said, _ = _said(EXAMPLE)
    assert any(HIT in line for line in said)
    assert not any("replaying" in line for line in said)


Change = Callable[[Path], None]


def _append(path: str, sql: str) -> Change:
    def change(root: Path) -> None:
        with (root / path).open("a") as stream:
            stream.write(sql)

    return change


def _rename(old: str, new: str) -> Change:
    return lambda root: (root / old).rename(root / new)


def _edit_config(old: str, new: str) -> Change:
    def change(root: Path) -> None:
        config = root / "schemakit.toml"
        config.write_text(config.read_text().replace(old, new, 1))

    return change


MIGRATIONS = "services/svc_1/migrations"
CHANGES = {
    # a file's bytes: its last statement now fails to apply (APL001) in one case, adds a
    # column in the other
    "a file's last statement": _append(
        f"{MIGRATIONS}/0002_step.sql", "ALTER TABLE svc_1.items_0 ADD COLUMN late boolean;\n"
    ),
    "a failing statement": _append(
        f"{MIGRATIONS}/0001_step.sql", "ALTER TABLE svc_1.nowhere ADD COLUMN x int;\n"
    ),
    "a new file": lambda root: (root / MIGRATIONS / "0003_more.sql").write_text(
        "CREATE TABLE svc_1.extra (id bigint PRIMARY KEY);\n"
    ),
    "the order of files": _rename(f"{MIGRATIONS}/0001_step.sql", f"{MIGRATIONS}/0009_step.sql"),
    "the config": _edit_config('role = "svc_2_app"', 'role = "svc_1_app"'),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_is_linted_afresh_and_as_without_the_cache(
    change: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_platform(tmp_path)
    cold = _json([str(tmp_path)], capsys)
    assert _json([str(tmp_path), "--no-cache"], capsys) == cold
    assert any(HIT in line for line in _said(tmp_path)[0])
    CHANGES[change](tmp_path)
    said, findings = _said(tmp_path)
    assert not any(HIT in line or REPLAY_HIT in line for line in said), said
    assert any("replaying" in line for line in said)
    assert findings == _said(tmp_path, cache=False)[1]
    after = _json([str(tmp_path)], capsys)
    assert after == _json([str(tmp_path), "--no-cache"], capsys)
    assert after != cold


def test_an_edited_model_is_linted_afresh(tmp_path: Path) -> None:
    # in new processes: a process that imported the models once keeps them
    project = tmp_path / "platform"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    exe = Path(sys.executable).parent / "schemakit"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def run(*extra: str) -> bytes:
        command = [str(exe), "lint", str(project), "--format", "json", *extra]
        return subprocess.run(command, capture_output=True, env=env).stdout

    before = run()
    assert run() == before
    models = project / "services/storage/storage/db/schema/files.py"
    line = "    mime_type: Mapped[str] = mapped_column(sa.String(255))\n"
    assert line in models.read_text()
    models.write_text(models.read_text().replace(line, line + "    shared_flag: Mapped[bool]\n"))
    after = run()
    assert b"shared_flag" in after
    assert after == run("--no-cache")


def test_the_replay_key_covers_postgresql_and_schemakit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_platform(tmp_path, services=2, files=2)
    config = load_config(tmp_path)
    cache = ReplayCache(tmp_path / "cache")

    def replayed() -> bool:
        said: list[str] = []
        list(_replay.replay(config, said.append, failures=[], cache=cache))
        return not any(REPLAY_HIT in line for line in said)

    assert replayed()
    assert not replayed()
    real = _replay.server_identity()
    monkeypatch.setattr(_replay, "server_identity", lambda: (real[0], real[1] + 1, *real[2:]))
    assert replayed()  # another PostgreSQL build
    assert not replayed()
    monkeypatch.setattr(_replay, "code_digest", lambda: b"another schemakit")
    assert replayed()
    assert not replayed()


def test_two_lints_at_once_are_both_right(tmp_path: Path) -> None:
    project = tmp_path / "platform"
    write_platform(project, services=4, files=4)
    exe = Path(sys.executable).parent / "schemakit"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [str(exe), "lint", str(project), "--format", "json"]
    expected = subprocess.run([*command, "--no-cache"], capture_output=True, env=env).stdout
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, env=env) for _ in range(2)]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1]
    assert outputs == [expected, expected]
    assert subprocess.run(command, capture_output=True, env=env).stdout == expected
    leftovers = [p.name for p in (tmp_path / "cache").rglob(".writing-*")]
    assert leftovers == []


def test_a_damaged_entry_is_linted_afresh(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_platform(tmp_path, services=2, files=2)
    cold = _json([str(tmp_path)], capsys)
    entries = list(cache_folder().iterdir())
    assert {p.suffix for p in entries} == {".run", ".replay"}
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:40])
    said, _ = _said(tmp_path)
    assert any("replaying" in line for line in said)
    assert _json([str(tmp_path)], capsys) == cold


def test_the_cache_folder_is_bounded_and_keeps_the_most_recently_used(tmp_path: Path) -> None:
    from schemakit.catalog import Catalog

    cache = ReplayCache(tmp_path, max_bytes=3 * 1024 * 1024 + 4096)
    big = "x" * (1024 * 1024)
    for key in ("a", "b", "c"):
        assert cache.store(key, CacheEntry(Catalog(), {}, said=[big]))
        os.utime(tmp_path / f"{key}.replay", (1, {"a": 10, "b": 20, "c": 30}[key]))
    assert cache.load("a") is not None  # used now: the newest
    assert cache.store("d", CacheEntry(Catalog(), {}, said=[big]))
    kept = sorted(p.stem for p in tmp_path.glob("*.replay"))
    assert kept == ["a", "c", "d"]  # "b", the least recently used, went
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= cache.max_bytes
    assert not cache.store("e", CacheEntry(Catalog(), {}, said=[big * 4]))  # over the bound


def test_same_findings_with_and_without_the_cache_and_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = Path(tempfile.mkdtemp(dir=tempfile.gettempdir()))  # the postgres OS user reads it
    try:
        write_platform(project, services=4, files=5)
        outputs = []
        for folder in (Path(tempfile.gettempdir()), Path("/dev/shm")):
            if not folder.is_dir():
                pytest.skip("no /dev/shm on this machine")
            monkeypatch.setenv("SCHEMAKIT_PG_TMPDIR", str(folder))
            outputs.append(_json([str(project), "--no-cache"], capsys))
            outputs.append(_json([str(project)], capsys))
            outputs.append(_json([str(project)], capsys))
        assert len(set(outputs)) == 1
        assert '"code": "APL001"' not in outputs[0]  # every file applied
    finally:
        shutil.rmtree(project, ignore_errors=True)


def test_what_a_run_read_is_seen_and_each_kind_of_change_to_it(tmp_path: Path) -> None:
    from schemakit.lint._cache import manifest, recording, still_true

    (tmp_path / "a.sql").write_text("SELECT 1;")
    with recording() as reads:
        (tmp_path / "a.sql").read_text()
        os.listdir(tmp_path)
        with pytest.raises(FileNotFoundError):
            (tmp_path / "optional.toml").read_text()  # looked for, not there
    rows = manifest(reads)
    assert rows is not None
    assert {(kind, Path(name).name) for kind, name, _ in rows} == {
        ("file", "a.sql"),
        ("folder", tmp_path.name),
        ("absent", "optional.toml"),
    }
    assert still_true(rows)
    changes: list[Callable[[], object]] = [
        lambda: (tmp_path / "a.sql").write_text("SELECT 2;"),
        lambda: (tmp_path / "b.sql").write_text(""),
        lambda: (tmp_path / "optional.toml").write_text(""),
    ]
    for change in changes:
        saved = {p: p.read_bytes() for p in tmp_path.iterdir()}
        change()
        assert not still_true(rows)
        for path in list(tmp_path.iterdir()):
            if path not in saved:
                path.unlink()
        for path, data in saved.items():
            path.write_bytes(data)
        assert still_true(rows)
