"""Lock modes and the effects a statement has: one lock on one object, collected per object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ACCESS_EXCLUSIVE",
    "ACCESS_SHARE",
    "EXCLUSIVE",
    "LOCK_MODES",
    "ROW_EXCLUSIVE",
    "ROW_SHARE",
    "SHARE",
    "SHARE_ROW_EXCLUSIVE",
    "SHARE_UPDATE_EXCLUSIVE",
    "UNKNOWN",
    "Effects",
    "LockEffect",
    "lock_strength",
]

LOCK_MODES = (
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
)
"""The table lock modes, weakest first, as ``pg_locks.mode`` names them (``LOCK TABLE``'s
mode number is the position plus one)."""

UNKNOWN = "unknown"

(ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE) = LOCK_MODES[:4]
(SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE) = LOCK_MODES[4:]


def lock_strength(mode: str) -> int:
    """1 (AccessShareLock) to 8 (AccessExclusiveLock); 0 for anything else."""
    try:
        return LOCK_MODES.index(mode) + 1
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class LockEffect:
    """One lock a statement takes on one object."""

    object: str
    """``schema.name`` as written (``public`` when unqualified); empty with ``table_of``."""
    kind: str
    """``table``, ``index``, ``sequence``, ``view``, ``materialized view``, ``foreign
    table``, ``type``, or empty for an unknown statement."""
    mode: str
    """A name of :data:`LOCK_MODES`, or ``unknown``."""
    rewrites: bool = False
    scans: bool = False
    note: str = ""
    table_of: str = ""
    """For a lock on the table of an index whose table the statement does not name."""
    conditional: bool = False
    """This mode is taken only when rows are affected (a foreign-key trigger's check): a
    weaker lock, or none, is no disagreement."""

    @property
    def shown(self) -> str:
        """The object as a person reads it."""
        return self.object or (f"table of {self.table_of}" if self.table_of else "?")


def _effect_maker() -> Callable[[str, str, str, bool, bool, str, str, bool], LockEffect]:
    """``LockEffect(object, kind, mode, rewrites, scans, note, table_of, conditional)``, its
    slots set directly (a frozen dataclass's ``__init__`` goes through
    ``object.__setattr__``, twice as slow; a folder's lint makes one or more a statement)."""
    fields = ("object", "kind", "mode", "rewrites", "scans", "note", "table_of", "conditional")
    assert tuple(LockEffect.__dataclass_fields__) == fields
    s_object, s_kind, s_mode, s_rewrites, s_scans, s_note, s_table_of, s_conditional = (
        LockEffect.__dict__[name].__set__ for name in fields
    )
    new = object.__new__

    def make(
        obj: str,
        kind: str,
        mode: str,
        rewrites: bool,
        scans: bool,
        note: str,
        table_of: str,
        conditional: bool,
    ) -> LockEffect:
        effect: LockEffect = new(LockEffect)
        s_object(effect, obj)
        s_kind(effect, kind)
        s_mode(effect, mode)
        s_rewrites(effect, rewrites)
        s_scans(effect, scans)
        s_note(effect, note)
        s_table_of(effect, table_of)
        s_conditional(effect, conditional)
        return effect

    return make


_make_effect = _effect_maker()


class Effects:
    """Effects being collected: one per object, the strongest mode wins (as ALTER TABLE
    takes the strongest lock any of its subcommands needs, once), notes join."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], LockEffect] = {}

    def add(
        self,
        obj: str,
        kind: str,
        mode: str,
        note: str = "",
        *,
        rewrites: bool = False,
        scans: bool = False,
        table_of: str = "",
        conditional: bool = False,
    ) -> None:
        key = (obj, table_of)
        old = self._by_key.get(key)
        if old is None:
            self._by_key[key] = _make_effect(
                obj, kind, mode, rewrites, scans, note, table_of, conditional
            )
            return
        new_wins = lock_strength(mode) > lock_strength(old.mode)
        stronger = mode if new_wins else old.mode
        if UNKNOWN in (mode, old.mode):
            stronger = UNKNOWN  # one subcommand without a model leaves the whole lock unknown
        notes = old.note if not note or note in old.note else f"{old.note}; {note}".strip("; ")
        self._by_key[key] = _make_effect(
            obj,
            old.kind or kind,
            stronger,
            old.rewrites or rewrites,
            old.scans or scans,
            notes,
            table_of,
            # conditional when the strongest lock is: a weaker definite one may be all it takes
            conditional if new_wins else old.conditional and (conditional or mode != old.mode),
        )

    def result(self) -> list[LockEffect]:
        return list(self._by_key.values())
