"""``schemakit studio``: a local, read-only web app over a platform's services, tables,
findings, migrations and grants."""

from typing import TYPE_CHECKING

from schemakit._lazy import lazy_getattr
from schemakit.studio._model import (
    ColumnView,
    Edge,
    FindingView,
    ForeignKeyView,
    IndexView,
    MigrationView,
    ServiceView,
    Snapshot,
    TableView,
)

if TYPE_CHECKING:
    from schemakit.studio._app import create_app, warm
    from schemakit.studio._data import load
    from schemakit.studio._serve import running

__all__ = [
    "ColumnView",
    "Edge",
    "FindingView",
    "ForeignKeyView",
    "IndexView",
    "MigrationView",
    "ServiceView",
    "Snapshot",
    "TableView",
    "create_app",
    "load",
    "running",
    "warm",
]


# Starlette, Jinja2 and uvicorn come with the 'studio' extra: they load when first used, so a
# missing extra is one clear error at `schemakit studio`, not at `import schemakit.studio`.
__getattr__ = lazy_getattr(
    __name__,
    globals(),
    {
        "create_app": ("schemakit.studio._app", "create_app"),
        "load": ("schemakit.studio._data", "load"),
        "running": ("schemakit.studio._serve", "running"),
        "warm": ("schemakit.studio._app", "warm"),
    },
)
