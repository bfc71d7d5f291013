"""The replay cache: what replaying a database's migrations made, kept under the digest of
everything that decides it, so a lint of an unchanged project starts no server.

The key is built from the inputs themselves, never from times or names alone: every file the
replay runs (its path, its place and its bytes), each baseline's statements, the config
file's bytes, the roles created for the replay, the PostgreSQL binaries, and schemakit's own
code and its parsing and driver libraries. Any change to any of them is another key, so a
stale hit cannot happen; what is not seen cannot be keyed, so Alembic revisions (Python that
may import anything) are never cached.

Entries are files in the user's cache folder (``$XDG_CACHE_HOME/schemakit/replay``), written
to a private name and renamed into place, so two lints at once each read a whole entry or
none; the folder is kept under a size bound by removing the least recently used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemakit.catalog import Catalog
from schemakit.rules import Location

__all__ = ["CacheEntry", "Origin", "ReplayCache", "cache_folder", "code_digest"]

_FORMAT = b"schemakit replay cache 1"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""The folder's bound: a 5,000-file platform's entry is a few MB."""
_SUFFIX = ".replay"
_RUN_SUFFIX = ".run"


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/schemakit/replay`` (``~/.cache`` when unset or not absolute, as the
    XDG spec says)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "schemakit" / "replay"


@functools.cache
def code_digest() -> bytes:
    """schemakit's own files and the versions of what parses and talks to the server: a
    development checkout's edit changes the key as a release would."""
    import msgspec
    import pglast
    import psycopg

    import schemakit

    digest = hashlib.blake2b(digest_size=20)
    for lib in (msgspec, pglast, psycopg):
        digest.update(f"{lib.__name__} {getattr(lib, '__version__', '?')}\0".encode())
    package = Path(schemakit.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(package)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.digest()


class KeyBuilder:
    """Length-prefixed parts, so no two different inputs digest alike."""

    def __init__(self) -> None:
        self._digest = hashlib.blake2b(_FORMAT, digest_size=20)

    def add(self, *parts: str | bytes | int | None) -> KeyBuilder:
        for part in parts:
            if part is None:
                data = b"\xff"
            elif isinstance(part, int):
                data = str(part).encode()
            elif isinstance(part, str):
                data = part.encode("utf-8", "surrogateescape")
            else:
                data = part
            self._digest.update(len(data).to_bytes(8, "little") + data)
        return self

    def copy(self) -> KeyBuilder:
        twin = KeyBuilder()
        twin._digest = self._digest.copy()
        return twin

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Origin:
    """The statement that made an object, and its service."""

    location: Location
    service: str


@dataclass
class CacheEntry:
    """One database's replay: its catalog, which statement made each object, the migrations
    the server refused and what the replay said."""

    catalog: Catalog
    origins: dict[str, Origin]
    failures: list[Any] = field(default_factory=list)
    said: list[str] = field(default_factory=list)

    def __getstate__(self) -> tuple[Any, ...]:
        # Origins as plain tuples, one per statement: pickle rebuilds tens of thousands of
        # small frozen dataclasses slowly (a third of a warm 5,000-file run's load)
        sites: dict[Origin, int] = {}
        at = {path: sites.setdefault(origin, len(sites)) for path, origin in self.origins.items()}
        rows = [
            (str(o.location.path), o.location.line, o.location.column, o.service) for o in sites
        ]
        return self.catalog, at, rows, self.failures, self.said

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.catalog, at, rows, self.failures, self.said = state
        paths: dict[str, Path] = {}
        made = [
            Origin(Location(paths.setdefault(path, Path(path)), line, column), service)
            for path, line, column, service in rows
        ]
        self.origins = {path: made[index] for path, index in at.items()}


class ReplayCache:
    """Entries by key in ``folder``; ``max_bytes`` bounds the folder."""

    def __init__(self, folder: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder if folder is not None else cache_folder()
        self.max_bytes = max_bytes

    def _path(self, key: str, suffix: str = _SUFFIX) -> Path:
        return self.folder / f"{key}{suffix}"

    def load_run(self, key: str) -> Any | None:
        """A whole run's result, when everything it read is as it was."""
        path = self._path(key, _RUN_SUFFIX)
        try:
            rows, result = pickle.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except Exception:  # a damaged entry is a miss, and goes
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if not still_true(rows):
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return result

    def store_run(self, key: str, reads: Reads, result: Any) -> bool:
        from schemakit.server import server_files

        # the throwaway servers' own files, and the folder holding them, are not inputs
        where, prefixes = server_files()
        skip = (str(self.folder), *(os.path.join(where, p) for p in prefixes))
        rows = manifest(reads, skip, frozenset({where}))
        if rows is None:
            return False
        return self._write(self._path(key, _RUN_SUFFIX), (rows, result))

    def load(self, key: str) -> CacheEntry | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            entry = pickle.loads(data)
        except Exception:  # a damaged entry is a miss, and goes
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if not isinstance(entry, CacheEntry):
            return None
        with contextlib.suppress(OSError):  # most recently used: evicted last
            os.utime(path)
        return entry

    def store(self, key: str, entry: CacheEntry) -> bool:
        return self._write(self._path(key), entry)

    def _write(self, final: Path, value: Any) -> bool:
        """Write the entry whole or not at all; False when the folder cannot take it."""
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_bytes:
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, name = tempfile.mkstemp(prefix=".writing-", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(data)
                os.replace(name, final)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(name)
                raise
        except OSError:
            return False
        self._evict()
        return True

    def _evict(self) -> None:
        """Remove the least recently used entries until the folder is within its bound."""
        entries: list[tuple[float, int, Path]] = []
        for path in self._entries():
            with contextlib.suppress(OSError):  # another run may have removed it
                info = path.stat()
                entries.append((info.st_mtime, info.st_size, path))
        with contextlib.suppress(OSError):  # what a run killed while writing left behind
            for path in self.folder.glob(".writing-*"):
                if path.stat().st_mtime < time.time() - 3600:
                    path.unlink()
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size

    def _entries(self) -> Iterable[Path]:
        try:
            return [p for p in self.folder.iterdir() if p.name.endswith((_SUFFIX, _RUN_SUFFIX))]
        except OSError:
            return []


# --- whole runs --------------------------------------------------------------------------
# A lint run's report is kept with the list of every file it opened for reading and every
# folder it listed (seen through Python's audit hooks, so nothing the run reads can be left
# out by an oversight here), each with a digest of its bytes or names. A later run with the
# same options reuses the report only when every one of them is as it was.


@dataclass
class Reads:
    """What a run opened for reading (path -> size and time when first opened) and listed."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)


_recording: Reads | None = None
_ABSENT = (-1, -1)
_hooked = False
_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[Any, ...]) -> None:
    reads = _recording
    if reads is None or event not in ("open", "os.listdir", "os.scandir"):
        return
    try:
        path = args[0]
        if isinstance(path, int):
            return  # a descriptor: its file was opened, and seen, before
        if event == "open":
            mode, flags = args[1], args[2]
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                return
            if mode is None and isinstance(flags, int) and flags & _WRITES:
                return
            name = os.path.abspath(os.fsdecode(path))
            if name not in reads.files:
                try:
                    info = os.stat(name)
                except FileNotFoundError:  # looked for and not there: its coming is a change
                    reads.files[name] = _ABSENT
                    return
                reads.files[name] = (info.st_size, info.st_mtime_ns)
        else:
            reads.folders.add(os.path.abspath(os.fsdecode(path if path is not None else ".")))
    except Exception:  # an audit hook must never break what it watches
        return


@contextlib.contextmanager
def recording() -> Any:
    """Record the files opened for reading and the folders listed inside the block."""
    global _recording, _hooked
    if not _hooked:
        import sys

        sys.addaudithook(_audit)
        _hooked = True
    outer, _recording = _recording, Reads()
    try:
        yield _recording
    finally:
        _recording = outer


_NOT_INPUTS = ("/proc/", "/sys/", "/dev/")


def _digest_file(path: str) -> bytes | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.blake2b(stream.read(), digest_size=20).digest()
    except OSError:
        return None


def _digest_folder(path: str) -> bytes | None:
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    return hashlib.blake2b("\0".join(names).encode("utf-8", "surrogateescape")).digest()


def manifest(
    reads: Reads, skip: tuple[str, ...] = (), skip_folders: frozenset[str] = frozenset()
) -> list[tuple[str, str, bytes]] | None:
    """(kind, path, digest) of everything read but what starts with ``skip`` and the folders
    in ``skip_folders``; None when a file changed or vanished while the run read it (then its
    result must not be kept)."""
    rows: list[tuple[str, str, bytes]] = []
    files = dict(reads.files)
    for name in list(files):
        if name.endswith(".pyc") and "__pycache__" in name:
            # a module loaded from its cached bytecode: its source is what an edit changes
            import importlib.util

            with contextlib.suppress(ValueError, NotImplementedError):
                source = importlib.util.source_from_cache(name)
                with contextlib.suppress(OSError):
                    info = os.stat(source)
                    files.setdefault(source, (info.st_size, info.st_mtime_ns))
    for name, (size, mtime) in sorted(files.items()):
        if name.startswith(_NOT_INPUTS + skip):
            continue
        if (size, mtime) == _ABSENT:
            if os.path.lexists(name):
                return None
            rows.append(("absent", name, b""))
            continue
        try:
            info = os.stat(name)
        except OSError:
            return None
        if (info.st_size, info.st_mtime_ns) != (size, mtime):
            return None
        digest = _digest_file(name)
        if digest is None:
            return None
        rows.append(("file", name, digest))
    for name in sorted(reads.folders):
        if name.startswith(_NOT_INPUTS + skip) or name in skip_folders:
            continue
        digest = _digest_folder(name)
        if digest is None:
            return None
        rows.append(("folder", name, digest))
    return rows


def still_true(rows: list[tuple[str, str, bytes]]) -> bool:
    """Every file and folder of a manifest is as it was."""
    for kind, name, digest in rows:
        if kind == "absent":
            if os.path.lexists(name):
                return False
            continue
        now = _digest_file(name) if kind == "file" else _digest_folder(name)
        if now != digest:
            return False
    return True


def server_identity() -> tuple[str, int, int, int]:
    """The PostgreSQL binaries a replay would run: their folder and the server's size, time
    and inode (raises ClusterError when there are none)."""
    from schemakit.server import find_bindir

    bindir = find_bindir().resolve()
    info = (bindir / "postgres").stat()
    return str(bindir), info.st_size, info.st_mtime_ns, info.st_ino


def run_key(*parts: str | bytes | int | None) -> str:
    """The key of a whole run: schemakit and the libraries it reads models and sources with,
    Python, the server's binaries and ``parts`` (the run's options and paths)."""
    import sys

    key = KeyBuilder().add(code_digest(), "run", sys.version)
    for name in ("sqlalchemy", "alembic", "tree_sitter"):
        module = sys.modules.get(name)
        key.add(name, getattr(module, "__version__", None) if module else None)
    for name in sorted(os.environ):
        if name.startswith("SCHEMAKIT_") or name == "PYTHONPATH":
            key.add(name, os.environ[name])
    return key.add(*parts).hexdigest()
