"""The single source of the guideline's naming and column conventions.

The model layer applies them; the rules check them. Change a convention here and both move.
"""

from __future__ import annotations

import re

__all__ = [
    "BOOLEAN_PREFIXES",
    "COUNT_SUFFIX",
    "INDEX_PREFIX",
    "NAMING_CONVENTION",
    "TIMESTAMP_SUFFIX",
    "index_name",
    "schema_name_problem",
]

INDEX_PREFIX = "idx_"
BOOLEAN_PREFIXES = ("is_", "has_")
TIMESTAMP_SUFFIX = "_at"
COUNT_SUFFIX = "_count"
FOREIGN_KEY_SUFFIX = "_id"

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
