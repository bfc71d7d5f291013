"""Provisioning: each service's schemas owned by its owner role, used through its role,
nothing for PUBLIC or another service.

``plan`` reads what the database has and returns only the statements still needed, so a
second run has nothing to do; ``apply`` runs them in one transaction. ``check_claims``
refuses, from the config alone, a schema or role two services claim.
"""

from schemakit.provision._boundary import check_claims
from schemakit.provision._plan import Step, apply, plan, plan_catalog
from schemakit.provision._rls import row_security_pending

__all__ = ["Step", "apply", "check_claims", "plan", "plan_catalog", "row_security_pending"]
