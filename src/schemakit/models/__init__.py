"""The model layer: SQLAlchemy 2 declarative bases and mixins that write tables the guideline way."""

from schemakit.models._base import (
    TYPE_ANNOTATION_MAP,
    ServiceEnum,
    exempt_database_base,
    exempt_metadata,
    service_base,
    service_metadata,
    snake_case,
)
from schemakit.models._infer import models_in, render_types
from schemakit.models._mixins import (
    SoftDelete,
    Timestamps,
    UserOwned,
    UUIDPrimaryKey,
    Versioned,
    jsonb_column,
    relationship,
)
from schemakit.models._rls import (
    USER_ID_SETTING,
    enable_row_security,
    row_security_sql,
)
from schemakit.models._session import (
    INCLUDE_DELETED,
    SOFT_DELETE_CRITERIA,
    Session,
    ahard_delete,
    arestore,
    asoft_delete,
    hard_delete,
    restore,
    soft_delete,
)

__all__ = [
    "INCLUDE_DELETED",
    "SOFT_DELETE_CRITERIA",
    "TYPE_ANNOTATION_MAP",
    "USER_ID_SETTING",
    "ServiceEnum",
    "Session",
    "SoftDelete",
    "Timestamps",
    "UUIDPrimaryKey",
    "UserOwned",
    "Versioned",
    "ahard_delete",
    "arestore",
    "asoft_delete",
    "enable_row_security",
    "exempt_database_base",
    "exempt_metadata",
    "hard_delete",
    "jsonb_column",
    "models_in",
    "relationship",
    "render_types",
    "restore",
    "row_security_sql",
    "service_base",
    "service_metadata",
    "snake_case",
    "soft_delete",
]
