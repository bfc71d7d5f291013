"""Throwaway PostgreSQL for tests and embedded linting, and a pytest plugin around it."""

from schemakit.testing._cluster import Cluster, find_bindir
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
