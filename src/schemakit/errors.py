"""One error root for schemakit, with structured fields, and DSN redaction."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "CatalogError",
    "ClusterError",
    "ConfigError",
    "ConflictError",
    "DatabaseError",
    "MigrationError",
    "SchemakitError",
    "UsageError",
    "first_line",
    "not_utf8",
    "redact",
    "register_dsn",
    "register_secret",
]

# URL form (also with the "//" collapsed, as a path does): scheme://user:password@host
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*:/{1,2}[^:/@\s]*:)(?P<pw>[^@/]*)(?=@)"
)
# a URL's query string: ?password=secret&sslmode=require (the value ends at & or #)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<pw>[^&#\s]*)", re.IGNORECASE)
# key/value form: password=secret, password='a b', password=a\ b
_KV_PASSWORD = re.compile(
    r"(?P<head>(?<![?&])\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|(?:[^\s\\]|\\.)+)",
    re.IGNORECASE,
)
_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Remember a secret so that :func:`redact` removes it wherever it appears later."""
    from urllib.parse import quote, unquote

    for form in (value, unquote(value), quote(value, safe="")):
        if form:
            _SECRETS.add(form)


def register_dsn(dsn: str) -> None:
    """Remember the password of ``dsn`` (URL or key/value form, raw and percent-decoded)."""
    url = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?P<userinfo>[^/?#]*)@", dsn)
    if url and ":" in url["userinfo"]:
        register_secret(url["userinfo"].split(":", 1)[1])
    for match in _KV_PASSWORD.finditer(dsn):
        raw = match["pw"]
        register_secret(raw)
        if raw.startswith("'") and raw.endswith("'"):
            raw = raw[1:-1]
        register_secret(re.sub(r"\\(.)", r"\1", raw))


def redact(text: str) -> str:
    """Replace every password in DSNs found in ``text``, and every registered secret, with ***."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    if ":/" not in text and "password" not in text.casefold():
        return text  # no pattern below can match: a lint report's thousands of messages
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    text = _QUERY_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    return _KV_PASSWORD.sub(lambda m: m.group("head") + "***", text)


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message, redacted (its type's name when it has none):
    what an error of ours quotes from a driver's or a library's multi-line one."""
    lines = str(exc).strip().splitlines()
    return redact(lines[0]) if lines else type(exc).__name__


def not_utf8(data: bytes, exc: UnicodeDecodeError) -> str:
    """Where ``data`` stops being UTF-8, for an error message: line, column and byte."""
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return f"not UTF-8 text at line {line}, column {column} (byte {exc.start})"


class SchemakitError(Exception):
    """Root of every error schemakit raises on purpose; the CLI maps it to exit code 2."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(redact(message))
        self.message = redact(message)
        self.hint = redact(hint) if hint else None

    def render(self) -> str:
        """The message plus the hint, as the CLI prints it."""
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(SchemakitError):
    """Options that do not go together (the command line reports it as a usage error)."""


class ConfigError(SchemakitError):
    """The configuration file is missing, unreadable or invalid."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if key:
                where += f": {key}"
            where += ": "
        super().__init__(where + message, hint=hint)
        self.path = path
        self.key = key


class ClusterError(SchemakitError):
    """The throwaway PostgreSQL cluster could not be found, started or stopped."""


class DatabaseError(SchemakitError):
    """A database could not be reached or answered with an error outside a migration."""


class CatalogError(DatabaseError):
    """Reading the catalog from a live database failed."""


class MigrationError(SchemakitError):
    """A migration file could not be read, parsed or applied."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        statement: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        full = where + message
        if statement:
            shown = statement.strip()
            if len(shown) > 300:
                shown = shown[:300] + " ..."
            full += "\n  statement: " + shown.replace("\n", "\n    ")
        super().__init__(full, hint=hint)
        self.path = path
        self.line = line
        self.statement = statement


class ConflictError(SchemakitError):
    """An optimistic-locking write lost: the row's version changed since it was read.

    The guideline's ``ErrorCode.CONFLICT``; a web layer maps it to HTTP 409.
    """
