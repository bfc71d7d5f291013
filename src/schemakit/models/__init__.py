"""The model layer: SQLAlchemy 2 declarative bases and mixins that write tables the guideline way."""

from schemakit.models._base import ServiceEnum, exempt_database_base, service_base, snake_case
from schemakit.models._mixins import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    jsonb_column,
    relationship,
)
from schemakit.models._session import INCLUDE_DELETED, Session, hard_delete, restore, soft_delete

__all__ = [
    "INCLUDE_DELETED",
    "ServiceEnum",
    "Session",
    "SoftDelete",
    "Timestamps",
    "UUIDPrimaryKey",
    "UserOwned",
    "Versioned",
    "exempt_database_base",
    "hard_delete",
    "jsonb_column",
    "relationship",
    "restore",
    "service_base",
    "snake_case",
    "soft_delete",
]
