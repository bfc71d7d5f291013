"""The single source of the guideline's naming and column conventions.

The model layer applies them; the rules check them. Change a convention here and both move.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "BOOLEAN_PREFIXES",
    "COUNT_SUFFIX",
    "FOREIGN_KEY_SUFFIX",
    "INDEX_PREFIX",
    "IRREGULAR_PLURALS",
    "NAMING_CONVENTION",
    "PRIMARY_KEY",
    "SOFT_DELETE_COLUMNS",
    "TEXT_ID_COLUMNS",
    "TIMESTAMP_COLUMNS",
    "TIMESTAMP_SUFFIX",
    "UNCOUNTABLE_NOUNS",
    "VERSION_COLUMNS",
    "count_name_problem",
    "index_name",
    "index_name_matches",
    "is_snake_case",
    "looks_singular",
    "plural",
    "quote_ident",
    "quote_qualified",
    "schema_name_problem",
    "singular",
    "singular_forms",
    "snake_case",
]

INDEX_PREFIX = "idx_"
BOOLEAN_PREFIXES = ("is_", "has_")
TIMESTAMP_SUFFIX = "_at"
COUNT_SUFFIX = "_count"
FOREIGN_KEY_SUFFIX = "_id"
PRIMARY_KEY = "id"
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
SOFT_DELETE_COLUMNS = ("is_deleted", "deleted_at")
TEXT_ID_COLUMNS = ("user_id",)
"""Columns holding Better Auth ids, which are not UUIDs: always ``text``."""
VERSION_COLUMNS = ("version", "current_version")
"""The optimistic-locking counter: ``integer NOT NULL DEFAULT 1`` (the guideline's names)."""

UNCOUNTABLE_NOUNS = frozenset(
    {
        "aircraft", "analytics", "audio", "baggage", "cash", "config", "content", "data",
        "deer", "equipment", "evidence", "feedback", "fish", "furniture", "hardware",
        "health", "info", "information", "inventory", "knowledge", "luggage", "mail",
        "media", "metadata", "money", "music", "news", "offspring", "personnel",
        "research", "series", "settings", "sheep", "software", "species", "staff",
        "storage", "traffic", "video",
    }
)  # fmt: skip
"""Words a plural table name may end in although they do not end in ``s``."""

IRREGULAR_PLURALS = {
    "alumni": "alumnus",
    "cacti": "cactus",
    "children": "child",
    "criteria": "criterion",
    "dice": "die",
    "feet": "foot",
    "fungi": "fungus",
    "geese": "goose",
    "indices": "index",
    "mice": "mouse",
    "oxen": "ox",
    "people": "person",
    "phenomena": "phenomenon",
    "teeth": "tooth",
    "vertices": "vertex",
}
"""Plural -> singular for the plurals the ``s`` heuristic cannot see."""

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_VERSION_WORD = re.compile(r"^(v?[0-9]+|p[0-9]+|default|old|new|tmp|archive)$")

# SQLAlchemy's MetaData.naming_convention: indexes follow the guideline (idx_{table}_{cols});
# constraints follow PostgreSQL's own default names, so SQL, Drizzle and models agree.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "idx_%(table_name)s_%(column_0_N_name)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_N_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}

_SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_SCHEMA_NAME = 20


_BARE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@functools.cache
def _keywords_to_quote() -> frozenset[str]:
    # PostgreSQL's quote_ident() leaves only unreserved keywords bare; pglast carries the
    # parser's own keyword lists (imported here, on first use: it loads the parser).
    from pglast import keywords

    return frozenset(
        keywords.RESERVED_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS | keywords.COL_NAME_KEYWORDS
    )


def quote_ident(name: str) -> str:
    """``name`` as an SQL identifier, quoted only when it must be, as PostgreSQL's
    ``quote_ident()`` does: ``users`` stays bare; ``user``, ``order``, ``Users`` and
    ``a-b`` are quoted."""
    if _BARE_IDENTIFIER.fullmatch(name) and name not in _keywords_to_quote():
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(*parts: str) -> str:
    """``schema.name`` (or ``schema.table.column``) with each part quoted as needed."""
    return ".".join(quote_ident(part) for part in parts)


def index_name(table: str, columns: list[str] | tuple[str, ...]) -> str:
    """``idx_{table}_{col1}_{col2}``: the guideline's index name."""
    return f"{INDEX_PREFIX}{table}_{'_'.join(columns)}"


def schema_name_problem(name: str, platform_prefixes: tuple[str, ...] = ("mana_",)) -> str | None:
    """Why ``name`` is not a short, unambiguous schema name (the guideline's rule), or None.

    The guideline: "pick a short, unambiguous name (auth, not mana_auth_schema)".
    """
    if not _SCHEMA_NAME.match(name):
        return "use lower case letters, digits and underscores, starting with a letter"
    if name.endswith("_schema"):
        return "drop the '_schema' suffix: every schema is a schema"
    for prefix in platform_prefixes:
        if name.startswith(prefix):
            return f"drop the platform prefix '{prefix}': the database already says which platform"
    if name.startswith("pg_"):
        return "names starting with pg_ are reserved by PostgreSQL"
    if name == "public":
        return "public is shared by everyone; a service needs a schema of its own"
    if len(name) > MAX_SCHEMA_NAME:
        return f"keep it short (at most {MAX_SCHEMA_NAME} characters)"
    return None


def snake_case(name: str) -> str:
    """``userSessions`` -> ``user_sessions``: the snake_case spelling of a name."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return name or "_"


def is_snake_case(name: str) -> bool:
    """Lower case words joined by single underscores: ``user_sessions``, not ``userSessions``."""
    return bool(_SNAKE_CASE.match(name))


def _last_noun(name: str) -> str | None:
    words = [w for w in name.split("_") if w]
    while words and _VERSION_WORD.match(words[-1]):
        words.pop()
    return words[-1] if words else None


def looks_singular(name: str, uncountable: frozenset[str] | set[str] = UNCOUNTABLE_NOUNS) -> bool:
    """Whether a table name's last word is clearly singular, conservatively.

    The last word (ignoring trailing version or partition words such as ``v2`` or ``2024``)
    counts as plural if it ends in ``s`` (so ``status`` and ``address`` are never flagged),
    is a known irregular plural or ends in one (``people``, ``salesmen``), or is an
    uncountable noun (``data``, ``feedback``). Everything else is taken as singular.
    """
    word = _last_noun(name)
    if word is None or word.endswith("s") or word in uncountable:
        return False
    if word.endswith("men"):
        return False
    return not any(word.endswith(plural) for plural in IRREGULAR_PLURALS)


def singular_forms(plural: str) -> tuple[str, ...]:
    """Candidate singulars of a plural table name (its last word changes): ``files`` -> ``file``.

    Several candidates because English is ambiguous (``statuses`` -> ``statuse``/``status``);
    callers accept any of them, and the plural itself.
    """
    head, _, word = plural.rpartition("_")
    prefix = f"{head}_" if head else ""
    forms = [plural]
    if word in IRREGULAR_PLURALS:
        forms.append(prefix + IRREGULAR_PLURALS[word])
    if word.endswith("men"):
        forms.append(prefix + word[:-3] + "man")
    if word.endswith("ies") and len(word) > 3:
        forms.append(prefix + word[:-3] + "y")
    if word.endswith("es") and len(word) > 2:
        forms.append(prefix + word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        forms.append(prefix + word[:-1])
    return tuple(dict.fromkeys(forms))


def count_name_problem(name: str) -> str | None:
    """The ``{thing}_count`` name an integer column that counts things should have, or None.

    Conservative: only ``num_*``, ``n_*``, ``number_of_*``, and ``total_*``/``*_total`` whose
    counted word is plural (``total_files``; ``order_total`` or ``total_amount`` are amounts,
    not counts). ``*_num`` is left alone: it usually means an ordinal (``page_num``).
    """
    for prefix in ("number_of_", "num_", "n_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return _count_name(name[len(prefix) :])
    counted = None
    if name.startswith("total_"):
        counted = name[len("total_") :]
    elif name.endswith("_total"):
        counted = name[: -len("_total")]
    if counted and counted.split("_")[-1] in MEASURE_UNITS:
        return None  # total_cents, total_bytes: an amount measured in a unit, not a count
    if counted and counted.endswith("s") and not counted.endswith("ss"):
        return _count_name(counted)
    return None


MEASURE_UNITS = frozenset(
    {
        "cents",
        "bytes",
        "kilobytes",
        "megabytes",
        "bits",
        "seconds",
        "secs",
        "ms",
        "millis",
        "milliseconds",
        "minutes",
        "mins",
        "hours",
        "days",
        "weeks",
        "months",
        "years",
        "points",
        "credits",
        "tokens",
        "units",
        "grams",
        "meters",
        "miles",
    }
)
"""Plural words that name a unit of measure: ``total_cents`` is an amount, not a count."""

TOOL_TABLES = frozenset({"alembic_version", "__drizzle_migrations"})
"""Tables migration tools keep inside a service's schema; they follow the tool's rules."""


def _count_name(counted: str) -> str:
    return singular(counted) + COUNT_SUFFIX


def plural(singular: str) -> str:
    """The likeliest plural of a singular name, for suggestions: its last noun changes
    (``audit_log`` -> ``audit_logs``, ``invoice_v2`` -> ``invoices_v2``)."""
    words = singular.split("_")
    last = len(words) - 1
    while last > 0 and _VERSION_WORD.match(words[last]):
        last -= 1
    word = words[last]
    if re.search(r"[^aeiou]y$", word):
        word = word[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", word):
        word += "es"
    else:
        word += "s"
    words[last] = word
    return "_".join(words)


def singular(plural: str) -> str:
    """The likeliest singular of a plural name (its last word changes), for suggestions."""
    head, _, word = plural.rpartition("_")
    prefix = f"{head}_" if head else ""
    if word in IRREGULAR_PLURALS:
        word = IRREGULAR_PLURALS[word]
    elif word.endswith("ies") and len(word) > 3:
        word = word[:-3] + "y"
    elif re.search(r"(ss|us|x|z|ch|sh)es$", word):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return prefix + word


def index_name_matches(name: str, table: str, columns: tuple[str, ...]) -> bool:
    """Whether ``name`` is ``idx_{table}_{cols}``, allowing the guideline's abbreviations.

    The guideline names ``(parent_folder_id)`` ``idx_files_parent_folder`` and
    ``(conversation_id, created_at)`` ``idx_messages_conversation_created``: after
    ``idx_{table}_`` each key column, in order, contributes its first one or more words.
    Expression keys match any words. PostgreSQL's 63-byte truncation is allowed for.
    """
    full = index_name(table, columns)
    if name == full or (len(name.encode()) == 63 and full.startswith(name)):
        return True
    head = f"{INDEX_PREFIX}{table}_"
    if not name.startswith(head):
        return False
    if any(not _SNAKE_CASE.match(c) for c in columns):
        return True  # an expression or a quoted name: only the idx_{table}_ part is checked
    words = name[len(head) :].split("_")
    return _prefix_words(words, [c.split("_") for c in columns])


def _prefix_words(words: list[str], columns: list[list[str]]) -> bool:
    if not columns:
        return not words
    column, rest = columns[0], columns[1:]
    for taken in range(1, len(column) + 1):
        if words[:taken] == column[:taken] and _prefix_words(words[taken:], rest):
            return True
    return False
