"""One typed function per subcommand, as Alembic's ``command`` module has them.

Each reads the config once, does its one job through the library, and returns what happened
as data: the command line (:mod:`schemakit.cli`) only parses argv, calls one of these,
renders the result and maps it to an exit code; other front ends (the studio, scripts,
tests) call them the same way.
"""

from typing import TYPE_CHECKING

from schemakit._lazy import lazy_getattr

if TYPE_CHECKING:
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

# Loaded on first use: `lint --sql FILE` (a pre-commit hook) reads one of these and must not
# pay for the migration runner, provisioning and scaffolding at start-up.
_LAZY = {
    "Problem": "schemakit.commands._adopt",
    "baseline": "schemakit.commands._adopt",
    "repair": "schemakit.commands._adopt",
    "validate": "schemakit.commands._adopt",
    "Drift": "schemakit.commands._database",
    "Provisioned": "schemakit.commands._database",
    "Pushed": "schemakit.commands._database",
    "drift": "schemakit.commands._database",
    "explain_locks": "schemakit.commands._database",
    "generate": "schemakit.commands._database",
    "history": "schemakit.commands._database",
    "locks": "schemakit.commands._database",
    "migrate": "schemakit.commands._database",
    "provision": "schemakit.commands._database",
    "push": "schemakit.commands._database",
    "status": "schemakit.commands._database",
    "terminate_lock": "schemakit.commands._database",
    "lint": "schemakit.commands._lint",
    "InferredTypes": "schemakit.commands._project",
    "Initialized": "schemakit.commands._project",
    "infer_types": "schemakit.commands._project",
    "init": "schemakit.commands._project",
    "new_service": "schemakit.commands._project",
}

__getattr__ = lazy_getattr(__name__, globals(), {n: (m, n) for n, m in _LAZY.items()})

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
