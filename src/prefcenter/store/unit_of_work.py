"""The unit of work: every change appends a hash-chained event and updates its projection in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar
from uuid import UUID

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from prefcenter.core import crypto
from prefcenter.core.audit_chain import (
    GENESIS_HASH,
    ChainEvent,
    canonical_tail,
    chain_hash,
    sign_checkpoint,
)
from prefcenter.errors import Conflict, NotFound, PreconditionFailed
from prefcenter.keys import KeyMaterial
from prefcenter.store.database import AutocommitTransaction, Database, PostgresTransaction, WriterTransaction
from prefcenter.store.models import Checkpoint, Subject, SubjectKey
from prefcenter.store.outage import database_outage
from prefcenter.store.projection_rows import ProfileRows
from prefcenter.store.write_statements import (
    AutocommitStatements,
    LockedSubject,
    NeedsTransaction,
    PostgresStatements,
    TransactionStatements,
    Write,
    preferences_upsert,
    rows_after_writes,
    subject_row,
    subject_updates,
    transaction_statements,
    update_subjects,
)

CHECKPOINT_EVERY = 256
# PostgreSQL: the chain lock (an advisory lock held until the transaction ends: it serialises appends to the
# one chain), then the head read after it, in one round trip (a function's statements each take a fresh
# snapshot; migration 20261202_chain_head)
_PG_LOCKED_CHAIN_HEAD = "SELECT head_seq, head_hash FROM prefcenter_chain_head()"
# PostgreSQL: the chain lock, the head and the events linked after it and written, in one round trip
# (migration 20261204_chain_append): the types of its columns after ``{written}``, the writes made in the same
# statement before the lock (``write_statements.rows_after_writes``); up to ``_CHAIN_APPEND_LISTED`` events,
# each column an ARRAY[...] of listed values rather than one array value
_CHAIN_APPEND_TYPES = (
    "bytea",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "text",
    "bytea",
    "varchar",
)
_CHAIN_APPEND_LISTED = 8


@cache
def _pg_chain_append(events: int) -> str:
    """``prefcenter_chain_append`` for ``events`` events: each column's values as an ``ARRAY[?, ...]`` (asyncpg
    checks every element of an array value it encodes for nesting, with ABC ``isinstance`` calls: about 10 us
    a call for the ten one-element arrays of a grant), or as one array value each when there are many."""
    if events > _CHAIN_APPEND_LISTED:
        columns = ", ".join(f"?::{t}[]" for t in _CHAIN_APPEND_TYPES)
    else:
        columns = ", ".join(f"ARRAY[{', '.join([f'?::{t}'] * events)}]" for t in _CHAIN_APPEND_TYPES)
    return f"SELECT event_seq, event_hash FROM prefcenter_chain_append({{written}}, {columns})"


# Statements on the transaction's driver connection (``store/write_statements.py``): an event is a plain row,
# the chain head two columns, a revision bump one UPDATE (through the session, the ORM's bookkeeping for
# these was a large share of a save's time).
EVENT_COLUMNS = (
    "seq",
    "occurred_at",
    "subject_id",
    "type",
    "actor_type",
    "actor_id",
    "touchpoint",
    "data",
    "sealed",
    "prev_hash",
    "hash",
    "site",
)
_INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
)
CHECKPOINT_COLUMNS = ("seq", "head_hash", "signed_at", "key_id", "signature")
_INSERT_CHECKPOINT = f"INSERT INTO checkpoints ({', '.join(CHECKPOINT_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
_CHAIN_HEAD = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"
_SUBJECT_KEY = "SELECT master_key_id, wrapped_key FROM subject_keys WHERE subject_id = ?"


@dataclass(frozen=True, slots=True)
class Actor:
    type: str  # customer | agent | client | staff | system (vocabulary.ActorType)
    id: str | None = None
    site: str | None = None  # the site a widget token was minted for: the events it writes record it


SYSTEM = Actor("system", "prefcenter")


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(data: dict) -> str:
    return msgspec.json.encode(data, order="sorted").decode()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event for ``UnitOfWork.append_events``; ``sealed`` is already sealed with the subject's data key."""

    type: str
    actor: Actor
    subject_id: str | None = None
    touchpoint: str | None = None
    data: dict | None = None
    sealed: bytes | None = None


class SubjectKeyMissing(Exception):
    """The subject's data key is gone (erased): its sealed data can no longer be read."""


class UnitOfWork:
    """One write transaction. Its ORM ``session`` is made when first asked for (``Database.writer_transaction``:
    SQLite's writer connection, a pooled PostgreSQL connection); the hot paths need only ``statements``."""

    def __init__(
        self,
        transaction: AsyncSession | WriterTransaction | PostgresTransaction | AutocommitTransaction,
        keys: KeyMaterial,
        db: Database,
    ) -> None:
        self._transaction = transaction
        # PostgreSQL, a one-statement write (``write``): reads without locks, then one statement that writes
        self.one_statement = isinstance(transaction, AutocommitTransaction)
        self.keys = keys
        self.db = db
        self.dialect = db.dialect
        self.now = utcnow()
        self._head: tuple[int, str] | None = None
        self._data_keys: dict[str, bytes] = {}
        # subject id -> columns changed by ``change_subject`` and ``bump_revision``, written by ``flush``
        self._subject_changes: dict[str, dict] = {}
        self._locked: dict[
            str, LockedSubject
        ] = {}  # subjects read (on PostgreSQL locked) by ``lock_subject``
        self._statements: TransactionStatements | None = None
        self._held_events: list[
            NewEvent
        ] = []  # ``append_events``' events, linked and written by ``complete``
        self._held_writes: list[Write] = []  # ``set_preferences``' statements, written with the events
        # subject id -> (channel, topic) -> status, held in ``_held_writes`` (a one-statement save's answer)
        self._set_preferences: dict[str, dict[tuple[str, str], str]] = {}

    @property
    def session(self) -> AsyncSession:
        """The transaction's ORM session (on the writer connection made here, on first use)."""
        transaction = self._transaction
        return transaction if isinstance(transaction, AsyncSession) else transaction.session

    async def statements(self) -> TransactionStatements:
        """This transaction's hot-path statements on its own driver connection (``store/write_statements``)."""
        if self._statements is None:
            transaction = self._transaction
            if isinstance(transaction, AsyncSession):
                self._statements = await transaction_statements(transaction)
            else:
                self._statements = await transaction.statements()
        return self._statements

    async def _chain_head(self) -> tuple[int, str]:
        """The chain's head, read under the chain lock (PostgreSQL: an advisory lock held until the commit,
        so what this transaction writes before it, the subject's changes first, stays outside the lock). For
        the import's linking and the checkpoints; events of the hot paths are linked by the database
        (``_append_under_the_chain_lock``), with the subject's changes in its statement."""
        if self._head is None:
            if self.one_statement:
                raise NeedsTransaction("the chain lock")
            statements = await self.statements()
            await self.flush()
            rows = await statements.rows(
                _PG_LOCKED_CHAIN_HEAD if self.dialect == "postgresql" else _CHAIN_HEAD
            )
            self._head = (rows[0][0], rows[0][1]) if rows else (0, GENESIS_HASH)
        return self._head

    async def append_event(
        self,
        type: str,
        *,
        actor: Actor,
        subject_id: str | None = None,
        touchpoint: str | None = None,
        data: dict | None = None,
        sealed: dict | None = None,
        writes: Sequence[Write] = (),
    ) -> int:
        """Append one event to the chain, written at once as a plain row; its ``seq``. ``sealed`` (personal
        fields) is encrypted with the subject's key. ``writes``: the change the event records, not run yet
        (``write_statements.consent_update``): run first, on PostgreSQL in the chain lock's round trip, before
        the lock is taken."""
        sealed_blob = None
        if sealed:
            if subject_id is None:
                raise ValueError("sealed personal data needs a subject")
            sealed_blob = crypto.seal_json(await self.data_key(subject_id), sealed)
        # after the events held before it, which come first in the chain
        self._held_events.append(NewEvent(type, actor, subject_id, touchpoint, data, sealed_blob))
        await self._write_held_events(writes)
        assert self._head is not None
        return self._head[0]

    async def append_events(self, events: Iterable[NewEvent]) -> int:
        """The bulk form of ``append_event``, held back until the unit of work completes (or until another
        event is appended, which they precede): then linked in order after the head, read under the chain
        lock, and written, with the signed checkpoints they cross, with one INSERT each. So the chain lock
        is taken as late as it can be and held only for the chain's own statements and the commit. Each
        ``sealed`` must already be sealed with its subject's data key (the caller holds the keys)."""
        held = list(events)
        for e in held:
            if e.sealed is not None and e.subject_id is None:
                raise ValueError("sealed personal data needs a subject")
        self._held_events.extend(held)
        return len(held)

    async def set_preferences(self, subject_id: str, changes: Sequence[tuple[str, str, str]]) -> None:
        """Store (channel, topic, status) preferences of the subject, new or changed, with one statement held
        back until the events are written (on PostgreSQL in their statement, before the chain lock), or
        until a read that must see them (``flush``, ``profile_rows``)."""
        statements = await self.statements()
        self._held_writes.append(preferences_upsert(statements, subject_id, changes, self.now))
        self._set_preferences.setdefault(subject_id, {}).update({(c, t): s for c, t, s in changes})

    async def _write_held_events(self, writes: Sequence[Write] = ()) -> None:
        """Write the events held back, after ``writes`` (the changes they record, not run yet) and the
        statements held back (``set_preferences``)."""
        if not self._held_events:
            return
        events, self._held_events = self._held_events, []
        writes, self._held_writes = [*self._held_writes, *writes], []
        if self.dialect == "postgresql" and self._head is None:
            linked = await self._append_under_the_chain_lock(events, writes)
            checkpoints = [self._checkpoint_values(*e) for e in linked if e[0] % CHECKPOINT_EVERY == 0]
            self._head = linked[-1]
        else:
            statements = await self.statements()
            for write in writes:
                await statements.run(*write)
            rows, checkpoints = await self._link_events(events)
            await statements.run_many(_INSERT_EVENT, [[row[c] for c in EVENT_COLUMNS] for row in rows])
        if checkpoints:
            await self._insert_checkpoints(checkpoints)

    async def _append_under_the_chain_lock(
        self, events: list[NewEvent], writes: Sequence[Write]
    ) -> list[tuple[int, str]]:
        """PostgreSQL, the chain lock not held yet: take it, read the head, link ``events`` after it and write
        them, in one round trip (``prefcenter_chain_append``), with ``writes`` and the subject's changes (when
        they can be) written just before the lock in the same statement; each event's ``seq`` and ``hash``.
        The function hashes each event's ``canonical_tail`` after its ``[seq,``: the bytes ``chain_hash``
        hashes."""
        columns: list[list] = [[] for _ in _CHAIN_APPEND_TYPES]
        for e in events:
            data_text = canonical_json(e.data or {})
            chain_event = self._chain_event(
                0, e.type, e.actor, e.subject_id, e.touchpoint, data_text, e.sealed
            )
            values = (
                canonical_tail(chain_event),  # (the seq, not known yet, is not in the tail)
                chain_event.occurred_at,
                e.subject_id,
                e.type,
                e.actor.type,
                e.actor.id,
                e.touchpoint,
                data_text,
                e.sealed,
                e.actor.site,
            )
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        statements = await self.statements()
        assert isinstance(statements, PostgresStatements)
        guarded = 0
        if self._subject_changes_go_with_the_chain():
            changes, self._subject_changes = self._subject_changes, {}
            versions = None
            if self.one_statement:  # each subject's UPDATE names the row version read: the write's guard
                versions = {subject_id: self._locked[subject_id].row_version for subject_id in changes}
                guarded = len(changes)
            writes = [*subject_updates(statements, changes, versions), *writes]
        elif self.one_statement:
            raise NeedsTransaction("a write without a read subject's guard")
        else:
            await self.flush()
        values = columns if len(events) > _CHAIN_APPEND_LISTED else [v for column in columns for v in column]
        rows = await rows_after_writes(statements, writes, _pg_chain_append(len(events)), values, guarded)
        return [(row[0], row[1]) for row in rows]

    def _subject_changes_go_with_the_chain(self) -> bool:
        """PostgreSQL: whether the subject changes held back can be written in the chain lock's statement:
        only for subjects this transaction locked (``lock_subject``), so the UPDATE never waits on another
        transaction, and only when the ORM session has nothing pending (otherwise ``flush`` first)."""
        return (
            bool(self._subject_changes)
            and self._subject_changes.keys() <= self._locked.keys()
            and not self._session_pending()
        )

    async def complete(self) -> None:
        """Write everything held back, just before the commit: the subject's changes (``flush``), then the
        held events, under the chain lock."""
        if self._held_events and self._head is None:
            await self._write_held_events()  # the chain head writes the subject's changes first
        await self.flush()
        await self._write_held_events()

    async def _insert_checkpoints(self, checkpoints: list[dict]) -> None:
        """In this transaction; after a one-statement write, in one of their own (a checkpoint signs a head
        already committed; if it is lost, the next one covers the events before it as well)."""
        statements = await self.statements()
        rows = [[c[k] for k in CHECKPOINT_COLUMNS] for c in checkpoints]
        if isinstance(statements, AutocommitStatements):
            await statements.run_many_alone(_INSERT_CHECKPOINT, rows)
        else:
            await statements.run_many(_INSERT_CHECKPOINT, rows)

    async def link_events(self, events: Iterable[NewEvent]) -> tuple[list[dict], list[dict]]:
        """The rows of ``events`` linked in order after the head (read under the chain lock), and of the signed
        checkpoints they cross, for the caller to write in this transaction (``append_events`` does; the bulk
        import writes them with the driver's own bulk insert)."""
        await self._write_held_events()
        return await self._link_events(events)

    async def _link_events(self, events: Iterable[NewEvent]) -> tuple[list[dict], list[dict]]:
        await self._chain_head()
        rows, checkpoints = [], []
        for e in events:
            if e.sealed is not None and e.subject_id is None:
                raise ValueError("sealed personal data needs a subject")
            rows.append(self._link(e.type, e.actor, e.subject_id, e.touchpoint, e.data, e.sealed))
            if rows[-1]["seq"] % CHECKPOINT_EVERY == 0:
                checkpoints.append(self._checkpoint_values(*self._head))
        return rows, checkpoints

    def _link(
        self,
        type: str,
        actor: Actor,
        subject_id: str | None,
        touchpoint: str | None,
        data: dict | None,
        sealed_blob: bytes | None,
    ) -> dict:
        """The next event's column values, hash-linked to the head; advances the head (loaded by the caller)."""
        assert self._head is not None
        head_seq, head_hash = self._head
        data_text = canonical_json(data or {})
        chain_event = self._chain_event(
            head_seq + 1, type, actor, subject_id, touchpoint, data_text, sealed_blob
        )
        digest = chain_hash(head_hash, chain_event)
        self._head = (chain_event.seq, digest)
        return {
            "seq": chain_event.seq,
            "occurred_at": chain_event.occurred_at,
            "subject_id": subject_id,
            "type": type,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "touchpoint": touchpoint,
            "data": data_text,
            "sealed": sealed_blob,
            "prev_hash": head_hash,
            "hash": digest,
            "site": actor.site,
        }

    def _chain_event(
        self,
        seq: int,
        type: str,
        actor: Actor,
        subject_id: str | None,
        touchpoint: str | None,
        data_text: str,
        sealed_blob: bytes | None,
    ) -> ChainEvent:
        """The event as the chain hashes it (``data_text``: its canonical JSON, as stored)."""
        return ChainEvent(
            seq=seq,
            occurred_at=format_instant(self.now),
            subject_id=subject_id,
            type=type,
            actor_type=actor.type,
            actor_id=actor.id,
            touchpoint=touchpoint,
            data=msgspec.json.decode(data_text),
            sealed=sealed_blob,
            site=actor.site,
        )

    def _checkpoint_values(self, seq: int, head_hash: str) -> dict:
        """A signed checkpoint of the chain at ``seq``, whose event's hash is ``head_hash``."""
        signed_at = format_instant(utcnow())
        return {
            "seq": seq,
            "head_hash": head_hash,
            "signed_at": signed_at,
            "key_id": self.keys.signing_key_id,
            "signature": sign_checkpoint(self.keys.signing_key, seq, head_hash, signed_at),
        }

    async def checkpoint_now(self) -> bool:
        """Sign the current head unless it is already checkpointed; whether a checkpoint was written."""
        await self._write_held_events()
        seq, head_hash = await self._chain_head()
        if seq == 0 or await self.session.get(Checkpoint, seq) is not None:
            return False
        await self._insert_checkpoints([self._checkpoint_values(seq, head_hash)])
        return True

    async def lock_subject(
        self,
        subject_id: str,
        expected_revision: int | None = None,
        *,
        consent_id: str | None = None,
        current_topic: str | None = None,
        preferences: bool = False,
    ) -> LockedSubject:
        """Read a subject's row for a change in this transaction: it must exist and not be erased, and match
        ``If-Match`` when ``expected_revision`` is given. On PostgreSQL its row stays locked until commit
        (read and locked in one round trip, ``SELECT ... FOR UPDATE``). ``consent_id``: a consent record the
        write reads next, read in the same round trip (``write_statements.subject_row``); ``current_topic``: the
        topic a consent is granted to, whose current record's id is read the same way; ``preferences``: the
        subject's preferences, read the same way."""
        try:
            UUID(subject_id)
        except ValueError:
            raise NotFound(f"no subject {subject_id}") from None
        subject = self._locked.get(subject_id)
        if subject is None:  # (locked earlier in this transaction: nobody else can have changed it)
            await self.flush()  # the row as this transaction left it (pending ORM objects, bumps)
            subject = await subject_row(
                await self.statements(), subject_id, consent_id, current_topic, preferences
            )
        if subject is None:
            raise NotFound(f"no subject {subject_id}")
        if subject.erased_at is not None:
            raise Conflict(f"subject {subject_id} was erased; it cannot be changed", reason="erased")
        if expected_revision is not None and subject.revision != expected_revision:
            raise PreconditionFailed(
                f"the subject is at revision {subject.revision}, not {expected_revision}; read it again",
                current_revision=subject.revision,
            )
        self._locked[subject_id] = subject
        return subject

    def change_subject(self, subject: LockedSubject, **values) -> None:
        """Set columns of a locked subject: the object shows them at once, the row gets them (with one UPDATE
        per subject, together with a revision bump) at ``flush``, which the unit of work runs before it
        commits."""
        for column, value in values.items():
            setattr(subject, column, value)
        self._subject_changes.setdefault(subject.id, {}).update(values)

    def bump_revision(self, subject: LockedSubject | Subject) -> None:
        """Record that the subject changed in this transaction: its revision (the ETag) moves on by one,
        written like ``change_subject``. (An ORM ``Subject`` is shown the new revision as committed, so the
        ORM does not write the column again.)"""
        revision = subject.revision + 1
        if isinstance(subject, Subject):
            set_committed_value(subject, "revision", revision)
        else:
            subject.revision = revision
        self._subject_changes.setdefault(subject.id, {})["revision"] = revision

    async def flush(self) -> None:
        """Write what this unit of work holds back (subject changes, revision bumps) and the session's
        pending objects: what a statement in this transaction reads from here on sees every change so far."""
        if self.one_statement and (self._subject_changes or self._held_writes):
            # (a one-statement write writes them with its event; after the write ``write`` refuses this)
            raise NeedsTransaction("changes without an event")
        if self._subject_changes:
            changes, self._subject_changes = self._subject_changes, {}
            await update_subjects(await self.statements(), changes)
        if self._held_writes:
            statements, (writes, self._held_writes) = await self.statements(), (self._held_writes, [])
            for write in writes:
                await statements.run(*write)
        if self._session_pending():
            await self.session.flush()

    async def profile_rows(self, subject_id: str) -> ProfileRows | None:
        """The subject's profile as this unit of work leaves it (None: no such subject). In a transaction,
        read after what it holds back is written (``flush``). A one-statement write writes nothing before
        its statement: read before it, with this unit of work's changes to the subject (its revision among
        them) and to its preferences applied; the statement's guard fails if the subject changed after the
        read (every change to its preferences or consents moves its revision on)."""
        statements = await self.statements()
        if not self.one_statement:
            await self.flush()
            return await statements.profile(subject_id)
        rows = await statements.profile(subject_id)
        if rows is None:
            return None
        return rows.with_changes(
            self._subject_changes.get(subject_id, {}), self._set_preferences.get(subject_id, {}), self.now
        )

    def _session_pending(self) -> bool:
        """Whether the ORM session (if one was made) holds objects not yet flushed."""
        transaction = self._transaction
        session = transaction if isinstance(transaction, AsyncSession) else transaction.opened_session
        return session is not None and bool(session.new or session.dirty or session.deleted)

    async def create_data_key(self, subject_id: str) -> bytes:
        key = crypto.new_data_key()
        self.session.add(
            SubjectKey(
                subject_id=subject_id,
                master_key_id=self.keys.master_key_id,
                wrapped_key=crypto.wrap_key(self.keys.master_key, key, subject_id),
                created_at=self.now,
            )
        )
        self._data_keys[subject_id] = key
        return key

    async def data_key(self, subject_id: str) -> bytes:
        key = self._data_keys.get(subject_id)
        if key is None:
            if self.one_statement:  # (no ORM session: read as the statements read)
                rows = await (await self.statements()).rows(_SUBJECT_KEY, (subject_id,))
                if not rows:
                    raise SubjectKeyMissing(subject_id)
                key = _unwrapped(self.keys, subject_id, *rows[0])
            else:
                key = await load_data_key(self.session, self.keys, subject_id)
            self._data_keys[subject_id] = key
        return key


async def load_data_key(session: AsyncSession, keys: KeyMaterial, subject_id: str) -> bytes:
    stored = await session.get(SubjectKey, subject_id)
    if stored is None:
        raise SubjectKeyMissing(subject_id)
    return _unwrapped(keys, subject_id, stored.master_key_id, stored.wrapped_key)


def _unwrapped(keys: KeyMaterial, subject_id: str, master_key_id: str, wrapped: bytes) -> bytes:
    """A subject's stored data key, unwrapped with the master key it names."""
    return crypto.unwrap_key(keys.master_key_by_id(master_key_id), bytes(wrapped), subject_id)


async def kept_data_key(session: AsyncSession, keys: KeyMaterial, subject_id: str) -> bytes | None:
    """The subject's data key; None once it is shredded (the subject was erased)."""
    try:
        return await load_data_key(session, keys, subject_id)
    except SubjectKeyMissing:
        return None


ONE_STATEMENT_ATTEMPTS = 3
_RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure (``prefcenter_unchanged``), deadlock


T = TypeVar("T")


async def write(db: Database, keys: KeyMaterial, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run ``use_case`` in a unit of work and commit it; its answer. A use case that may run more than once:
    its reads and checks are made again on each attempt, and it keeps nothing from an attempt that failed.

    On PostgreSQL (outside a request transaction) it first runs as a one-statement write: its reads go
    without ``BEGIN`` or locks, the subject's row with its version, and its changes, the revision bump and
    its event go in one statement that commits as it ends (``AutocommitStatements``): two round trips for a
    grant or a withdrawal instead of four, and the chain lock is held for that statement's own work and
    commit, not for a round trip to this process and back, where the event loop may be busy with other
    requests. The statement's UPDATE of the subject names the row version read; if the row changed in
    between, the statement fails whole and the use case runs again (``ONE_STATEMENT_ATTEMPTS`` times). A
    use case that needs more, before it has written anything (a second write, the ORM session, changes
    without an event, the database away at its first read), raises ``NeedsTransaction`` and runs again in
    a transaction (``unit_of_work``), as it does on SQLite."""
    if db.dialect == "postgresql" and db.has_writer_connection():
        for _ in range(ONE_STATEMENT_ATTEMPTS):
            transaction = None
            try:
                async with db.autocommit_transaction() as transaction:
                    uow = UnitOfWork(transaction, keys, db)
                    result = await use_case(uow)
                    await uow.complete()
                return result
            except NeedsTransaction:
                if transaction is not None and transaction.written:
                    raise RuntimeError(
                        "a one-statement write asked for a transaction after it wrote"
                    ) from None
                break
            except Exception as exc:
                written = transaction is not None and transaction.written
                if written and getattr(exc, "sqlstate", None) in _RETRYABLE:
                    continue  # the statement failed whole: nothing was written
                if written or database_outage(exc) is None:
                    raise
                break  # the database away before anything was written: a transaction's checkout pings
    async with unit_of_work(db, keys) as uow:
        return await use_case(uow)


@asynccontextmanager
async def unit_of_work(db: Database, keys: KeyMaterial) -> AsyncIterator[UnitOfWork]:
    if db.has_writer_connection():
        async with db.writer_transaction() as transaction:
            uow = UnitOfWork(transaction, keys, db)
            yield uow
            await uow.complete()
        return
    async with db.write_session() as session:
        uow = UnitOfWork(session, keys, db)
        yield uow
        await uow.complete()
