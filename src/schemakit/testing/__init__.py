"""Test helpers: the embedded server (re-exported from :mod:`schemakit.server`), query and
statement counters, and a pytest plugin around them."""

from schemakit.server import Cluster, find_bindir
from schemakit.testing._counting import QueryCounter, count_queries
from schemakit.testing._statements import StatementCounter, count_statements, statement_shape

__all__ = [
    "Cluster",
    "QueryCounter",
    "StatementCounter",
    "count_queries",
    "count_statements",
    "find_bindir",
    "statement_shape",
]
