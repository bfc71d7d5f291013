"""Provisioning: each service's schemas owned by its own role, nothing for PUBLIC.

``plan`` reads what the database has and returns only the statements still needed, so a
second run has nothing to do; ``apply`` runs them in one transaction.
"""

from schemakit.provision._plan import (
    Step,
    apply,
    foreign_owned,
    foreign_owned_in,
    plan,
    plan_catalog,
)
from schemakit.provision._rls import row_security_pending

__all__ = [
    "Step",
    "apply",
    "foreign_owned",
    "foreign_owned_in",
    "plan",
    "plan_catalog",
    "row_security_pending",
]
