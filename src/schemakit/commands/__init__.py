"""One typed function per subcommand, as Alembic's ``command`` module has them.

Each reads the config once, does its one job through the library, and returns what happened
as data: the command line (:mod:`schemakit.cli`) only parses argv, calls one of these,
renders the result and maps it to an exit code; other front ends (the studio, scripts,
tests) call them the same way.
"""

from schemakit.commands._adopt import Problem, baseline, repair, validate
from schemakit.commands._database import (
    Drift,
    Provisioned,
    Pushed,
    drift,
    explain_locks,
    generate,
    history,
    locks,
    migrate,
    provision,
    push,
    status,
    terminate_lock,
)
from schemakit.commands._lint import lint
from schemakit.commands._project import (
    InferredTypes,
    Initialized,
    infer_types,
    init,
    new_service,
)

__all__ = [
    "Drift",
    "InferredTypes",
    "Initialized",
    "Problem",
    "Provisioned",
    "Pushed",
    "baseline",
    "drift",
    "explain_locks",
    "generate",
    "history",
    "infer_types",
    "init",
    "lint",
    "locks",
    "migrate",
    "new_service",
    "provision",
    "push",
    "repair",
    "status",
    "terminate_lock",
    "validate",
]
