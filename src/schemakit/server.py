"""The embedded PostgreSQL server: a throwaway cluster on a private unix socket.

Runtime code, not a test helper: `schemakit lint`, `drift`, `explain-locks` and `generate`
replay migrations into it; the test helpers re-export it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from schemakit.errors import ClusterError

__all__ = ["Cluster", "Starting", "find_bindir"]

_PREFIX = "schemakit-pg-"
_SUPERUSER = "postgres"
_INSTALL_HINT = (
    "install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; "
    "macOS: brew install postgresql@16) or point SCHEMAKIT_PG_BINDIR at the folder "
    "that holds initdb and postgres"
)
# Tuned for throwaway data: durability is worthless here, speed is not.
_SERVER_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    "max_locks_per_transaction": "1024",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


def _candidate_bindirs() -> Iterator[Path]:
    env = os.environ.get("SCHEMAKIT_PG_BINDIR")
    if env:
        yield Path(env)
        return
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            yield Path(out.stdout.strip())
    initdb = shutil.which("initdb")
    if initdb:
        yield Path(initdb).resolve().parent
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted(
            (p for p in debian.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)
        )
        for version in reversed(versions):
            yield version / "bin"
    for base in ("/opt/homebrew/opt", "/usr/local/opt"):
        root = Path(base)
        if root.is_dir():
            yield from sorted(root.glob("postgresql*/bin"), reverse=True)
    yield Path("/usr/pgsql/bin")


def find_bindir() -> Path:
    """Locate a folder holding both ``initdb`` and ``postgres``.

    Looks at ``SCHEMAKIT_PG_BINDIR``, ``pg_config --bindir``, ``PATH`` and the usual Debian and
    Homebrew places, in that order.
    """
    tried: list[str] = []
    for candidate in _candidate_bindirs():
        tried.append(str(candidate))
        if (candidate / "initdb").is_file() and (candidate / "postgres").is_file():
            return candidate
    if os.environ.get("SCHEMAKIT_PG_BINDIR"):
        raise ClusterError(
            f"SCHEMAKIT_PG_BINDIR={os.environ['SCHEMAKIT_PG_BINDIR']} holds no initdb and postgres",
            hint=_INSTALL_HINT,
        )
    raise ClusterError(
        "no PostgreSQL server binaries found (looked in: " + ", ".join(dict.fromkeys(tried)) + ")",
        hint=_INSTALL_HINT,
    )


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int


def _run_as() -> _RunAs | None:
    """initdb refuses to run as root, so as root the server runs as the ``postgres`` OS user."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise ClusterError(
            "running as root, but there is no 'postgres' OS user to run the server as",
            hint="create one (useradd --system postgres) or run as a normal user",
        ) from exc
    return _RunAs(entry.pw_uid, entry.pw_gid)


def _die_with_parent() -> None:
    # The server must not outlive a test process killed with SIGKILL: ask Linux to send
    # SIGQUIT (immediate shutdown) when our process goes away.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGQUIT, 0, 0, 0)


_TEMPLATE_PREFIX = "schemakit-pgtemplate-"
_TEMPLATE_FORMAT = "1"
"""Bump when the initdb options change, so no run copies a template made with the old ones."""

_TMPFS = Path("/dev/shm")
_TMPFS_ROOM = 1 << 30
"""Free bytes the memory-backed folder must have for the server's files to go there."""


def server_files() -> tuple[str, tuple[str, ...]]:
    """The folder the embedded servers keep their files in, and the name prefixes of theirs
    (a running server's, the initdb template's)."""
    return str(storage_root()), (_PREFIX, _TEMPLATE_PREFIX)


def storage_root() -> Path:
    """Where the throwaway server's files go: ``$SCHEMAKIT_PG_TMPDIR`` when set; else the
    memory-backed ``/dev/shm`` when it is writable and has 1 GiB free (a replay writes every
    catalog change: in memory it took 0.55-0.60x of the time on a disk, by issue 19's
    measurements); else the temporary folder (``$TMPDIR``)."""
    chosen = os.environ.get("SCHEMAKIT_PG_TMPDIR")
    if chosen:
        return Path(chosen)
    try:
        if os.access(_TMPFS, os.W_OK | os.X_OK) and shutil.disk_usage(_TMPFS).free >= _TMPFS_ROOM:
            return _TMPFS
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def _reap_stale(tmp_root: Path) -> None:
    """Remove clusters left behind by processes that were killed before they could clean up."""
    for path in tmp_root.glob(_PREFIX + "*"):
        owner_file = path / "owner.pid"
        try:
            owner = int(owner_file.read_text())
        except (OSError, ValueError):
            continue
        try:
            os.kill(owner, 0)
            continue  # its owner still runs
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        pidfile = path / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, ProcessLookupError, PermissionError):
            server_pid = int(pidfile.read_text().splitlines()[0])
            os.kill(server_pid, signal.SIGQUIT)
            time.sleep(0.2)
        # a server's children may still be writing as they exit: try again until it is gone
        for _ in range(50):
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                break
            time.sleep(0.1)


_LIVE: weakref.WeakSet[Cluster] = weakref.WeakSet()
_HANDLERS_INSTALLED = False
_HANDLERS_LOCK = threading.Lock()


def _stop_all() -> None:
    for cluster in list(_LIVE):
        cluster.stop()


def _install_handlers() -> None:
    """Stop every cluster on exit and on SIGTERM/SIGHUP, so no directory is left behind."""
    global _HANDLERS_INSTALLED
    with _HANDLERS_LOCK:
        if _HANDLERS_INSTALLED:
            return
        _HANDLERS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(signum)

        def handler(num: int, frame: FrameType | None, previous: Any = previous) -> None:
            _stop_all()
            if callable(previous):
                previous(num, frame)
            else:
                raise SystemExit(128 + num)

        signal.signal(signum, handler)


class Cluster:
    """A PostgreSQL server in a temporary directory, reachable only through a unix socket.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. ``stop`` also runs at
    interpreter exit and on SIGTERM; a server whose owner was SIGKILLed shuts down by itself and
    its directory is removed by the next cluster that starts.
    """

    def __init__(self, bindir: Path | None = None, *, settings: dict[str, str] | None = None):
        self.bindir = bindir or find_bindir()
        self.settings = {**_SERVER_SETTINGS, **(settings or {})}
        self.user = _SUPERUSER
        self.base_dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._run_as = _run_as()

    @property
    def socket_dir(self) -> Path:
        if self.base_dir is None:
            raise ClusterError("the cluster is not started")
        return self.base_dir / "socket"

    @property
    def data_dir(self) -> Path:
        if self.base_dir is None:
            raise ClusterError("the cluster is not started")
        return self.base_dir / "data"

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string for ``dbname`` on this cluster."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=str(self.socket_dir), port=5432, user=self.user, dbname=dbname)

    def url(self, dbname: str = "postgres") -> str:
        """An SQLAlchemy URL (psycopg 3 driver) for ``dbname`` on this cluster."""
        from urllib.parse import quote

        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql+psycopg://{self.user}@/{quote(dbname)}?host={host}&port=5432"

    def _subprocess_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"env": {**os.environ, "LC_ALL": "C", "TZ": "UTC"}}
        if self._run_as is not None:
            kwargs["user"] = self._run_as.uid
            kwargs["group"] = self._run_as.gid
            kwargs["extra_groups"] = []
        return kwargs

    def start(self) -> Cluster:
        if self._process is not None:
            return self
        tmp_root = storage_root()
        _reap_stale(tmp_root)
        _install_handlers()
        self.base_dir = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=tmp_root))
        (self.base_dir / "owner.pid").write_text(str(os.getpid()))
        self.socket_dir.mkdir()
        if self._run_as is not None:
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, self._run_as.uid, self._run_as.gid)
        _LIVE.add(self)
        try:
            self._data_from_template(tmp_root)
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _data_from_template(self, tmp_root: Path) -> None:
        """Copy a data folder initdb made once for these binaries (a copy takes a fraction of
        initdb's 0.8-1.8 s), making it first when there is none; initdb straight into this
        cluster when the template cannot be made or copied."""
        template = self._template(tmp_root)
        if template is not None:
            copied = subprocess.run(
                ["cp", "-R", "-p", str(template), str(self.data_dir)],
                capture_output=True,
                **self._subprocess_kwargs(),
            )
            if copied.returncode == 0:
                return
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self._initdb(self.data_dir)

    def _template(self, tmp_root: Path) -> Path | None:
        """The cached data folder, keyed by the binaries (path, size, time) and who runs them;
        built in a private folder and renamed into place, so concurrent runs see it whole or
        not at all (the loser of a race removes its own)."""
        try:
            key = [
                str(self.bindir.resolve()),
                str(self._run_as),
                str(os.geteuid()),
                _TEMPLATE_FORMAT,
            ]
            for name in ("initdb", "postgres"):
                info = (self.bindir / name).stat()
                key += [str(info.st_size), str(info.st_mtime_ns), str(info.st_ino)]
        except OSError:
            return None
        digest = hashlib.sha256("\0".join(key).encode()).hexdigest()[:16]
        final = tmp_root / f"{_TEMPLATE_PREFIX}{digest}"
        if (final / "data" / "PG_VERSION").is_file():
            return final / "data"
        building = Path(tempfile.mkdtemp(prefix=f"{_TEMPLATE_PREFIX}building-", dir=tmp_root))
        try:
            if self._run_as is not None:
                os.chown(building, self._run_as.uid, self._run_as.gid)
            self._initdb(building / "data")
            with contextlib.suppress(OSError):  # another run renamed its own first: use that
                os.rename(building, final)
        except (OSError, ClusterError):
            return None
        finally:
            shutil.rmtree(building, ignore_errors=True)
        return final / "data" if (final / "data" / "PG_VERSION").is_file() else None

    def _initdb(self, data_dir: Path) -> None:
        cmd = [
            str(self.bindir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, **self._subprocess_kwargs())
        if proc.returncode != 0:
            raise ClusterError(
                f"initdb failed (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout}",
                hint=(
                    f"check that {self.bindir / 'initdb'} runs and that "
                    f"{'the postgres OS user' if self._run_as else 'you'} can write to "
                    f"{storage_root()} (set SCHEMAKIT_PG_TMPDIR to change it)"
                ),
            )

    def _launch(self) -> None:
        cmd = [str(self.bindir / "postgres"), "-D", str(self.data_dir), "-k", str(self.socket_dir)]
        for key, value in self.settings.items():
            cmd += ["-c", f"{key}={value}"]
        log = open(self.base_dir / "server.log", "wb")  # type: ignore[operator]  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
                start_new_session=True,
                **self._subprocess_kwargs(),
            )
        finally:
            log.close()
        socket = self.socket_dir / ".s.PGSQL.5432"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ClusterError(
                    f"postgres exited with code {self._process.returncode} while starting:\n"
                    + self._log_tail()
                )
            if socket.exists() and self._accepts():
                return
            time.sleep(0.02)
        raise ClusterError("postgres did not accept connections within 30 s:\n" + self._log_tail())

    def _accepts(self) -> bool:
        import psycopg

        try:
            psycopg.connect(self.dsn(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def _log_tail(self) -> str:
        try:
            text = (self.base_dir / "server.log").read_text(errors="replace")  # type: ignore[operator]
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-15:])

    def stop(self) -> None:
        """Shut the server down (immediate mode) and remove its directory. Safe to call twice.

        Immediate, not fast: a fast shutdown writes a checkpoint of every page the run
        dirtied (0.4 s after a 5,000-file replay) into a directory removed the next moment."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGQUIT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        _LIVE.discard(self)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connect(self, dbname: str = "postgres", **kwargs: Any) -> Any:
        """A psycopg connection (autocommit by default) to ``dbname``."""
        import psycopg

        kwargs.setdefault("autocommit", True)
        return psycopg.connect(self.dsn(dbname), **kwargs)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create database ``name``, cloned from ``template`` when given."""
        from psycopg import sql

        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            # FILE_COPY (PostgreSQL 15+): with fsync off, copying the files beats WAL-logging
            # every page.
            query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with self.connect() as conn:
            if template and conn.info.server_version >= 150000:
                query = query + sql.SQL(" STRATEGY FILE_COPY")
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Starting:
    """A cluster starting on another thread, so copying its data folder and starting the
    server overlap the caller's own work (reading and parsing migrations). :meth:`wait`
    returns it started (or raises what the start raised); :meth:`stop` always ends it.

    The thread lives until :meth:`stop`: the server is told to die with the thread that
    started it (PR_SET_PDEATHSIG follows the thread, not the process)."""

    def __init__(self) -> None:
        _install_handlers()  # signal handlers can only be set from the main thread
        self.cluster = Cluster()
        self._failure: BaseException | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="schemakit-server", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.cluster.start()
        except BaseException as exc:  # handed to the thread that waits
            self._failure = exc
        finally:
            self._ready.set()
        self._done.wait()
        self.cluster.stop()

    def wait(self) -> Cluster:
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self.cluster

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
