"""Throwaway PostgreSQL for tests and embedded linting, and a pytest plugin around it."""

from schemakit.testing._cluster import Cluster, find_bindir
from schemakit.testing._counting import QueryCounter, count_queries

__all__ = ["Cluster", "QueryCounter", "count_queries", "find_bindir"]
