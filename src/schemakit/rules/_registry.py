"""The one explicit list of rules; nothing registers itself by being imported."""

from __future__ import annotations

from schemakit.rules._base import Rule
from schemakit.rules.apl.migration_does_not_apply import MigrationDoesNotApply
from schemakit.rules.apl.sources_and_migrations_disagree import SourcesAndMigrationsDisagree
from schemakit.rules.col.incomplete_soft_delete import IncompleteSoftDelete
from schemakit.rules.col.malformed_version_column import MalformedVersionColumn
from schemakit.rules.col.missing_primary_key import MissingPrimaryKey
from schemakit.rules.col.missing_timestamps import MissingTimestamps
from schemakit.rules.col.nullable_or_defaultless_boolean import NullableOrDefaultlessBoolean
from schemakit.rules.col.nullable_or_defaultless_timestamp import NullableOrDefaultlessTimestamp
from schemakit.rules.idx.duplicate_index import DuplicateIndex
from schemakit.rules.idx.fk_without_index import FkWithoutIndex
from schemakit.rules.idx.user_id_without_index import UserIdWithoutIndex
from schemakit.rules.invalid_suppression import InvalidSuppression
from schemakit.rules.iso.cross_service_foreign_key import CrossServiceForeignKey
from schemakit.rules.iso.missing_service_schema import MissingServiceSchema
from schemakit.rules.iso.object_in_foreign_schema import ObjectInForeignSchema
from schemakit.rules.iso.routine_or_sequence_in_public import RoutineOrSequenceInPublic
from schemakit.rules.iso.schema_claimed_twice import SchemaClaimedTwice
from schemakit.rules.iso.stale_read_only_table import StaleReadOnlyTable
from schemakit.rules.iso.table_in_public import TableInPublic
from schemakit.rules.iso.table_in_unclaimed_schema import TableInUnclaimedSchema
from schemakit.rules.iso.type_in_public import TypeInPublic
from schemakit.rules.iso.unclaimed_schema import UnclaimedSchema
from schemakit.rules.mig.column_type_rewrite import ColumnTypeRewrite
from schemakit.rules.mig.concurrently_in_transaction import ConcurrentlyInTransaction
from schemakit.rules.mig.constraint_without_not_valid import ConstraintWithoutNotValid
from schemakit.rules.mig.data_and_ddl_in_one_transaction import DataAndDdlInOneTransaction
from schemakit.rules.mig.detach_partition_without_concurrently import (
    DetachPartitionWithoutConcurrently,
)
from schemakit.rules.mig.domain_constraint import DomainConstraint
from schemakit.rules.mig.drop_column_or_table import DropColumnOrTable
from schemakit.rules.mig.drop_index_without_concurrently import DropIndexWithoutConcurrently
from schemakit.rules.mig.drop_not_null import DropNotNull
from schemakit.rules.mig.index_without_concurrently import IndexWithoutConcurrently
from schemakit.rules.mig.missing_lock_timeout import MissingLockTimeout
from schemakit.rules.mig.missing_statement_timeout import MissingStatementTimeout
from schemakit.rules.mig.not_null_column_without_default import NotNullColumnWithoutDefault
from schemakit.rules.mig.reindex_without_concurrently import ReindexWithoutConcurrently
from schemakit.rules.mig.rename_column_or_table import RenameColumnOrTable
from schemakit.rules.mig.set_not_null_without_check import SetNotNullWithoutCheck
from schemakit.rules.mig.statement_outside_transaction import StatementOutsideTransaction
from schemakit.rules.mig.transaction_control import TransactionControl
from schemakit.rules.mig.truncate_table import TruncateTable
from schemakit.rules.mig.unqualified_alter import UnqualifiedAlter
from schemakit.rules.mig.unqualified_create import UnqualifiedCreate
from schemakit.rules.mig.volatile_default_rewrite import VolatileDefaultRewrite
from schemakit.rules.nam.boolean_without_prefix import BooleanWithoutPrefix
from schemakit.rules.nam.count_without_count_suffix import CountWithoutCountSuffix
from schemakit.rules.nam.foreign_key_without_id_suffix import ForeignKeyWithoutIdSuffix
from schemakit.rules.nam.misnamed_junction_table import MisnamedJunctionTable
from schemakit.rules.nam.non_snake_case_name import NonSnakeCaseName
from schemakit.rules.nam.singular_table_name import SingularTableName
from schemakit.rules.nam.timestamp_without_at_suffix import TimestampWithoutAtSuffix
from schemakit.rules.nam.unconventional_index_name import UnconventionalIndexName
from schemakit.rules.nam.verbose_schema_name import VerboseSchemaName
from schemakit.rules.sec.create_on_public import CreateOnPublic
from schemakit.rules.sec.cross_service_access import CrossServiceAccess
from schemakit.rules.sec.cross_service_membership import CrossServiceMembership
from schemakit.rules.sec.definer_without_search_path import DefinerWithoutSearchPath
from schemakit.rules.sec.foreign_default_privilege import ForeignDefaultPrivilege
from schemakit.rules.sec.foreign_function_owner import ForeignFunctionOwner
from schemakit.rules.sec.foreign_owner import ForeignOwner
from schemakit.rules.sec.privileged_service_role import PrivilegedServiceRole
from schemakit.rules.sec.user_table_without_rls import UserTableWithoutRls
from schemakit.rules.syntax_error import SyntaxError_
from schemakit.rules.typ.json_column import JsonColumn
from schemakit.rules.typ.non_uuid_primary_key import NonUuidPrimaryKey
from schemakit.rules.typ.timestamp_without_time_zone import TimestampWithoutTimeZone
from schemakit.rules.typ.user_id_not_text import UserIdNotText
from schemakit.rules.typescript_syntax_error import TypeScriptSyntaxError
from schemakit.rules.unused_suppression import UnusedSuppression

__all__ = ["RULES", "get_rule", "matches", "meta_rule", "select_rules"]

RULES: tuple[type[Rule], ...] = (
    TableInPublic,
    TypeInPublic,
    RoutineOrSequenceInPublic,
    TableInUnclaimedSchema,
    UnclaimedSchema,
    SchemaClaimedTwice,
    ObjectInForeignSchema,
    CrossServiceForeignKey,
    MissingServiceSchema,
    StaleReadOnlyTable,
    CrossServiceAccess,
    CreateOnPublic,
    UserTableWithoutRls,
    CrossServiceMembership,
    PrivilegedServiceRole,
    DefinerWithoutSearchPath,
    ForeignDefaultPrivilege,
    ForeignOwner,
    ForeignFunctionOwner,
    NonSnakeCaseName,
    SingularTableName,
    MisnamedJunctionTable,
    BooleanWithoutPrefix,
    TimestampWithoutAtSuffix,
    ForeignKeyWithoutIdSuffix,
    CountWithoutCountSuffix,
    UnconventionalIndexName,
    VerboseSchemaName,
    UserIdNotText,
    TimestampWithoutTimeZone,
    NonUuidPrimaryKey,
    JsonColumn,
    MissingTimestamps,
    NullableOrDefaultlessTimestamp,
    IncompleteSoftDelete,
    NullableOrDefaultlessBoolean,
    MissingPrimaryKey,
    MalformedVersionColumn,
    FkWithoutIndex,
    DuplicateIndex,
    UserIdWithoutIndex,
    IndexWithoutConcurrently,
    ConcurrentlyInTransaction,
    NotNullColumnWithoutDefault,
    DropColumnOrTable,
    SetNotNullWithoutCheck,
    ColumnTypeRewrite,
    ConstraintWithoutNotValid,
    RenameColumnOrTable,
    UnqualifiedCreate,
    MissingLockTimeout,
    DataAndDdlInOneTransaction,
    VolatileDefaultRewrite,
    DropIndexWithoutConcurrently,
    ReindexWithoutConcurrently,
    DropNotNull,
    TruncateTable,
    TransactionControl,
    StatementOutsideTransaction,
    UnqualifiedAlter,
    DomainConstraint,
    DetachPartitionWithoutConcurrently,
    MissingStatementTimeout,
    MigrationDoesNotApply,
    SourcesAndMigrationsDisagree,
    SyntaxError_,
    TypeScriptSyntaxError,
    UnusedSuppression,
    InvalidSuppression,
)

_BY_CODE = {rule.code: rule for rule in RULES}
_BY_NAME = {rule.name: rule for rule in RULES}
_BY_META = {rule.meta: rule for rule in RULES if rule.meta}


def get_rule(code_or_name: str) -> type[Rule] | None:
    return _BY_CODE.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())


def meta_rule(meta: str) -> type[Rule]:
    """The rule about the linting itself marked ``meta`` (see :attr:`Rule.meta`)."""
    return _BY_META[meta]


def matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def select_rules(
    select: tuple[str, ...], ignore: tuple[str, ...] = (), extend: tuple[str, ...] = ()
) -> tuple[type[Rule], ...]:
    """Rules matched by ``select`` or ``extend`` and by no ``ignore`` entry, in registry order.

    Preview rules run only when selected by their exact code.
    """
    chosen = []
    for rule in RULES:
        selectors = (*select, *extend)
        if rule.status == "preview":
            picked = rule.code in selectors
        else:
            picked = any(matches(rule.code, s) for s in selectors)
        if picked and not any(matches(rule.code, s) for s in ignore):
            chosen.append(rule)
    return tuple(chosen)
