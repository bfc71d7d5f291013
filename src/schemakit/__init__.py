"""schemakit: schema-per-service PostgreSQL platforms, made executable."""

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # importlib.metadata costs ~35 ms at start-up; only --version and reports need it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("schemakit")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    raise AttributeError(name)
