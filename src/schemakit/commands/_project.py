"""The commands that work on the project's files: a new service, and its models' types."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schemakit.errors import SchemakitError

if TYPE_CHECKING:
    from schemakit.discovery import Project
    from schemakit.scaffold import NewService

__all__ = ["InferredTypes", "Initialized", "infer_types", "init", "new_service"]


def new_service(
    name: str,
    start: Path,
    *,
    schema: str | None = None,
    database: str | None = None,
    folder: Path | None = None,
) -> NewService:
    """Scaffold a Python service the guideline way and register it in the config."""
    from schemakit.scaffold import new_service as scaffold

    return scaffold(name, start=start, schema=schema, database=database, folder=folder)


@dataclass(frozen=True)
class InferredTypes:
    text: str
    models: int


def infer_types(module: str, python_path: Sequence[Path] = ()) -> InferredTypes:
    """``{Model}Row`` and ``New{Model}`` TypedDicts for the models ``module`` defines."""
    from schemakit.models import models_in, render_types

    sys.path[:0] = [str(p.resolve()) for p in python_path]
    try:
        models = models_in(module)
    except ImportError as exc:
        raise SchemakitError(
            f"cannot import {module}: {exc}",
            hint="run from the folder that holds the package, or pass --python-path DIR "
            "(the service's python-path in schemakit.toml)",
        ) from exc
    if not models:
        raise SchemakitError(
            f"{module} defines no mapped classes",
            hint="classes it only imports are left out: name the module that defines them",
        )
    return InferredTypes(render_types(models), len(models))


@dataclass(frozen=True)
class Initialized:
    path: Path
    project: Project
    changed: bool
    """False when the config already said exactly this (a second run changes nothing)."""


def init(root: Path, *, force: bool = False, exempt: Sequence[tuple[str, str]] = ()) -> Initialized:
    """Write ``root/schemakit.toml`` from the services its tools describe (drizzle-kit configs,
    Alembic folders, SQL migration folders). An existing, different config is kept unless
    ``force``."""
    from schemakit.discovery import discover_project, render_config

    project = discover_project(root, exempt)
    text = render_config(project)
    path = project.root / "schemakit.toml"
    if path.is_file():
        if path.read_text(encoding="utf-8") == text:
            return Initialized(path, project, changed=False)
        if not force:
            raise SchemakitError(
                f"{path} exists and says something else",
                hint="move it aside to compare, or rewrite it with --force",
            )
    path.write_text(text, encoding="utf-8")
    return Initialized(path, project, changed=True)
