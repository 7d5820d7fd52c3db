"""The service's storage: sessions, their answers, generated reports and cached PDFs.

One :class:`Store` wraps a SQLAlchemy 2 engine over SQLite (the embedded default)
or PostgreSQL through psycopg 3 (several instances share one database). Its
methods are blocking and short; async callers run them in a worker thread.

What a caller must know:

* Tables: ``sessions`` (the report document a session was created from, its
  status), ``answers`` (one row per question: answer, score, feedback — what the
  answers endpoint changes), ``reports`` (the generated report object, canonical
  JSON) and ``pdfs`` (cached PDFs by session and cache key: up to
  :data:`PDF_VARIANTS` per session — one per language and theme asked for — the
  least recently served dropped first). Deleting a session deletes its rows in all four.
* Every write that depends on what it read first locks the session row
  (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so a
  report is never generated from answers that a concurrent submission replaced.
* The PDF cache is correct by key, not by timing: a cached PDF is served only if
  its key equals the key of the session's current report, so a PDF that was
  rendered while the report changed can be stored but is never served.
  A submitted answer drops every cached PDF of its session.
* SQLite runs in WAL mode with ``synchronous=FULL``: a committed transaction
  survives a process kill *and* a power loss; a kill mid-write leaves the
  previous committed state (WAL is append-only and checksummed). ``FULL`` costs
  one fsync per commit, which is small next to a 1–3 s compile.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from ..errors import InputError
from ..limits import MAX_COUNT
from .records import (
    AnswerRecord,
    CachedPdf,
    CandidateSession,
    SessionRecord,
    SessionStatus,
    SessionSummary,
    StoredReport,
    canonical_json,
)

__all__ = [
    "PDF_VARIANTS",
    "QuestionNotFound",
    "SessionExists",
    "SessionNotFound",
    "Store",
    "StoreError",
    "normalize_url",
]


MAX_STORED_INT = MAX_COUNT   # INTEGER columns: the range both SQLite and PostgreSQL store (2^31-1)
PDF_VARIANTS = 4             # cached PDFs kept per session (languages × themes asked for), least recently used out


class StoreError(Exception):
    """Base class of the store's expected failures (the app maps them to statuses)."""


class SessionExists(StoreError):
    """A session with this id already exists (HTTP 409)."""


class SessionNotFound(StoreError):
    """No session with this id (HTTP 404)."""


class QuestionNotFound(StoreError):
    """The session has no question with this ``questionIndex`` (HTTP 422 naming the field)."""


def normalize_url(url: str) -> str:
    """``postgresql://`` (and ``postgres://``) mean psycopg 3; SQLite URLs pass unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _check_storable(document: dict[str, Any], details: list[dict[str, Any]]) -> None:
    """Refuse integers our INTEGER columns cannot hold, naming the field (never an overflow deep in a driver)."""
    fields: list[tuple[str, Any]] = [("totalQuestions", document.get("totalQuestions")),
                                     ("overallScore", document.get("overallScore"))]
    for number, detail in enumerate(details):
        fields += [(f"questionDetails.{number}.questionIndex", detail.get("questionIndex")),
                   (f"questionDetails.{number}.score", detail.get("score"))]
    for field, value in fields:
        if isinstance(value, int) and not -MAX_STORED_INT <= value <= MAX_STORED_INT:
            raise InputError(f"must be at most {MAX_STORED_INT}", field=field)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _record(row: Any, answers: Sequence[Any]) -> SessionRecord:
    return SessionRecord(
        session_id=row.session_id,
        status=row.status,
        document=json.loads(row.document),
        answers=[AnswerRecord(a.question_index, a.answer, a.score, a.feedback, _utc(a.updated_at)) for a in answers],
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


metadata = MetaData()

sessions_table = Table(
    "texreport_sessions", metadata,
    Column("session_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),          # canonical JSON of the report it was created from
    Column("total_questions", Integer, nullable=False),
    Column("overall_score", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

answers_table = Table(
    "texreport_answers", metadata,
    Column("session_id", String(128), ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
           primary_key=True),
    Column("question_index", Integer, primary_key=True),
    Column("answer", Text, nullable=True),
    Column("score", Integer, nullable=True),
    Column("feedback", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reports_table = Table(
    "texreport_reports", metadata,
    Column("session_id", String(128), ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
           primary_key=True),
    Column("report", Text, nullable=False),            # canonical JSON of the report object
    Column("generated_at", DateTime(timezone=True), nullable=False),
)

pdfs_table = Table(
    "texreport_pdfs", metadata,
    Column("session_id", String(128), ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
           nullable=False),
    Column("cache_key", String(64), nullable=False),
    Column("etag", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),      # last served (the LRU order)
    PrimaryKeyConstraint("session_id", "cache_key", name="texreport_pdf_variants_pkey"),
)

leases_table = Table(
    "texreport_leases", metadata,
    Column("session_id", String(128), ForeignKey("texreport_sessions.session_id", ondelete="CASCADE"),
           primary_key=True),
    Column("cache_key", String(64), primary_key=True),
    Column("owner", String(96), nullable=False),       # the instance compiling this PDF
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

_RECENT_FIRST = (pdfs_table.c.used_at.desc(), pdfs_table.c.cache_key)   # the PDF cache's LRU order


class Store:
    """Blocking access to the service's tables; thread-safe (one connection per call)."""

    def __init__(self, url: str, *, upgrade_schema: bool = True) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        self.engine = self._make_engine()
        self._schema_lock = threading.Lock()
        if upgrade_schema:
            self.upgrade_schema()

    # ------------------------------------------------------------------ engine

    def _make_engine(self) -> Engine:
        if not self.is_sqlite:
            # pre_ping: a PostgreSQL restart must cost one retry, not a burst of 500s.
            return create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        engine = create_engine(
            self.url,
            # The driver must not open transactions on its own: we emit BEGIN ourselves
            # (below) so that writers can take the lock up front with BEGIN IMMEDIATE.
            connect_args={"isolation_level": None, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # A deferred transaction that reads and then writes can fail at once with
            # SQLITE_BUSY (no busy wait) when another writer got in between; taking the
            # write lock at BEGIN makes writers queue on busy_timeout instead.
            immediate = connection.get_execution_options().get("texreport_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def upgrade_schema(self) -> str:
        """Create or upgrade the tables to the newest schema revision (:mod:`~texreport.http.schema`)."""
        from .schema import upgrade

        with self._schema_lock:
            return upgrade(self.engine)

    def drop_schema(self) -> None:
        """Drop the service's tables and schema version (tests only)."""
        from .schema import VERSION_TABLE

        metadata.drop_all(self.engine)
        with self.engine.connect() as connection, connection.begin():
            connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(texreport_write=True)
            with connection.begin():
                yield connection

    def _lock_session(self, connection: Connection, session_id: str) -> Any:
        """The session row, locked for this transaction; ``SessionNotFound`` if absent."""
        row = connection.execute(
            select(sessions_table).where(sessions_table.c.session_id == session_id).with_for_update()
        ).first()
        if row is None:
            raise SessionNotFound(session_id)
        return row

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    # ------------------------------------------------------------------ sessions

    def create_session(self, session_id: str, document: dict[str, Any]) -> SessionRecord:
        """Store a session created from a complete report document (status ``COMPLETED``).

        ``document`` is the validated report object (camelCase, JSON-ready). Its
        ``questionDetails`` seed the answers table. Raises :class:`SessionExists`,
        or :class:`~texreport.errors.InputError` naming a number too large to store.
        """
        now = _now()
        details = document.get("questionDetails") or []
        _check_storable(document, details)
        try:
            with self._write() as connection:
                connection.execute(sessions_table.insert().values(
                    session_id=session_id,
                    status=SessionStatus.COMPLETED,
                    document=canonical_json(document),
                    total_questions=int(document.get("totalQuestions") or len(details)),
                    overall_score=document.get("overallScore"),
                    created_at=now,
                    updated_at=now,
                ))
                if details:
                    connection.execute(answers_table.insert(), [
                        {
                            "session_id": session_id,
                            "question_index": detail["questionIndex"],
                            "answer": detail.get("userAnswer"),
                            "score": detail.get("score"),
                            "feedback": detail.get("feedback"),
                            "updated_at": now,
                        }
                        for detail in details
                    ])
                record = self._session_in(connection, session_id)
        except IntegrityError:
            raise SessionExists(session_id) from None
        if record is None:  # pragma: no cover - we hold the write lock; the row we inserted is there
            raise SessionNotFound(session_id)
        return record

    def get_session(self, session_id: str) -> SessionRecord | None:
        with self._read() as connection:
            return self._session_in(connection, session_id)

    @staticmethod
    def _session_in(connection: Connection, session_id: str, *, lock: bool = False) -> SessionRecord | None:
        """The session as this transaction sees it (read back before commit: no race with a delete)."""
        query = select(sessions_table).where(sessions_table.c.session_id == session_id)
        row = connection.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        answers = connection.execute(
            select(answers_table)
            .where(answers_table.c.session_id == session_id)
            .order_by(answers_table.c.question_index)
        ).all()
        return _record(row, answers)

    def list_sessions(self, *, limit: int = 100, offset: int = 0) -> list[SessionSummary]:
        """Newest first."""
        with self._read() as connection:
            rows = connection.execute(
                select(sessions_table.c.session_id, sessions_table.c.status, sessions_table.c.total_questions,
                       sessions_table.c.overall_score, sessions_table.c.created_at, sessions_table.c.updated_at)
                .order_by(sessions_table.c.created_at.desc(), sessions_table.c.session_id)
                .limit(limit).offset(offset)
            ).all()
        return [
            SessionSummary(r.session_id, r.status, r.total_questions, r.overall_score, _utc(r.created_at),
                           _utc(r.updated_at))
            for r in rows
        ]

    def count_sessions(self) -> int:
        with self._read() as connection:
            return int(connection.execute(select(func.count()).select_from(sessions_table)).scalar_one())

    def delete_session(self, session_id: str) -> bool:
        """Remove the session, its answers, report and cached PDF; ``False`` if it did not exist."""
        with self._write() as connection:
            # The session row first, as every other writer does: one lock order, no deadlock.
            try:
                self._lock_session(connection, session_id)
            except SessionNotFound:
                return False
            # Explicit deletes, not only ON DELETE CASCADE: correct even on a SQLite
            # connection opened without foreign_keys=ON.
            for table in (leases_table, pdfs_table, reports_table, answers_table):
                connection.execute(delete(table).where(table.c.session_id == session_id))
            result = connection.execute(delete(sessions_table).where(sessions_table.c.session_id == session_id))
            return result.rowcount > 0

    # ------------------------------------------------------------------ answers

    def submit_answer(
        self,
        session_id: str,
        question_index: int,
        *,
        answer: str | None,
        score: int | None = None,
        feedback: str | None = None,
        check: Callable[[SessionRecord], None] | None = None,
    ) -> SessionRecord:
        """Replace a question's answer (and, when given, its score/feedback).

        ``check(record)`` sees the session as it will be after this change and may
        raise to refuse it; it runs under the session's lock, so two concurrent
        submissions cannot both pass a whole-document check (the second one sees
        the first). Invalidates the generated report and the cached PDF: the
        session is back to ``COMPLETED`` until the report is generated again.
        Raises :class:`SessionNotFound`, :class:`QuestionNotFound` or what
        ``check`` raised (nothing is stored then).
        """
        now = _now()
        with self._write() as connection:
            self._lock_session(connection, session_id)
            self._update_answer(connection, session_id, question_index, now,
                                answer=answer, score=score, feedback=feedback)
            self._invalidate(connection, session_id, now)
            record = self._session_in(connection, session_id)
            if record is None:  # pragma: no cover - the row is locked by this transaction
                raise SessionNotFound(session_id)
            if check is not None:
                check(record)   # raising rolls the whole change back
        return record

    @staticmethod
    def _update_answer(connection: Connection, session_id: str, question_index: int, now: datetime, *,
                       answer: str | None, score: int | None, feedback: str | None) -> None:
        """Replace one question's answer (its score and feedback only when given); QuestionNotFound if none."""
        values: dict[str, Any] = {"answer": answer, "updated_at": now}
        if score is not None:
            values["score"] = score
        if feedback is not None:
            values["feedback"] = feedback
        result = connection.execute(
            update(answers_table)
            .where(answers_table.c.session_id == session_id, answers_table.c.question_index == question_index)
            .values(**values)
        )
        if result.rowcount == 0:
            raise QuestionNotFound(str(question_index))

    @staticmethod
    def _invalidate(connection: Connection, session_id: str, now: datetime) -> None:
        connection.execute(delete(reports_table).where(reports_table.c.session_id == session_id))
        connection.execute(delete(pdfs_table).where(pdfs_table.c.session_id == session_id))
        connection.execute(
            update(sessions_table).where(sessions_table.c.session_id == session_id)
            .values(status=SessionStatus.COMPLETED, updated_at=now)
        )

    # ------------------------------------------------------------------ reports

    def get_report(self, session_id: str) -> StoredReport | None:
        with self._read() as connection:
            return self._report_in(connection, session_id)

    @staticmethod
    def _report_in(connection: Connection, session_id: str) -> StoredReport | None:
        row = connection.execute(select(reports_table).where(reports_table.c.session_id == session_id)).first()
        return None if row is None else StoredReport(row.session_id, row.report, _utc(row.generated_at))

    def generate_report(self, session_id: str, build: Callable[[SessionRecord], dict[str, Any]]) -> StoredReport:
        """Return the session's report, generating and persisting it first if needed.

        ``build(record) -> dict`` turns a :class:`SessionRecord` into the report
        object; it runs inside the transaction that holds the session lock, so the
        answers it sees are the ones the stored report reflects. Sets ``EVALUATED``.
        Raises :class:`SessionNotFound`.
        """
        with self._write() as connection:
            record = self._session_in(connection, session_id, lock=True)
            if record is None:
                raise SessionNotFound(session_id)
            existing = self._report_in(connection, session_id)
            if existing is not None:
                return existing
            report = canonical_json(build(record))
            now = _now()
            connection.execute(reports_table.insert().values(session_id=session_id, report=report, generated_at=now))
            connection.execute(
                update(sessions_table).where(sessions_table.c.session_id == session_id)
                .values(status=SessionStatus.EVALUATED, updated_at=now)
            )
            # Read back in this transaction: the database's timestamp precision is what
            # later exports will see, and a delete cannot slip in between.
            stored = self._report_in(connection, session_id)
        if stored is None:  # pragma: no cover - inserted above under the session lock
            raise SessionNotFound(session_id)
        return stored

    # ------------------------------------------------------------------ PDF cache

    def cached_pdf(self, session_id: str, cache_key: str, *, with_bytes: bool = True) -> CachedPdf | None:
        """The session's PDF cached for ``cache_key``, else ``None``; found, it becomes the most recently used."""
        columns = [pdfs_table.c.cache_key, pdfs_table.c.etag, pdfs_table.c.size]
        if with_bytes:
            columns.append(pdfs_table.c.pdf)
        of_session = pdfs_table.c.session_id == session_id
        with self._read() as connection:
            row = connection.execute(select(*columns).where(of_session, pdfs_table.c.cache_key == cache_key)).first()
            newest = None if row is None else connection.execute(
                select(pdfs_table.c.cache_key).where(of_session).order_by(*_RECENT_FIRST).limit(1)).scalar()
        if row is None:
            return None
        if newest != cache_key:   # repeated hits on the newest variant need no write
            self._touch_pdf(session_id, cache_key)
        return CachedPdf(row.cache_key, row.etag, row.size, bytes(row.pdf) if with_bytes else None)

    def _touch_pdf(self, session_id: str, cache_key: str) -> None:
        with self._write() as connection:
            connection.execute(update(pdfs_table).where(
                pdfs_table.c.session_id == session_id, pdfs_table.c.cache_key == cache_key).values(used_at=_now()))

    def save_pdf(self, session_id: str, cache_key: str, etag: str, pdf: bytes, *, keep: int = PDF_VARIANTS) -> bool:
        """Cache a rendered PDF for a session beside its other variants (the same key: replaced), keeping the
        ``keep`` most recently used; ``False`` if the session is gone."""
        now = _now()
        with self._write() as connection:
            try:
                # The lock serializes two exports saving at once (PRIMARY KEY race on PostgreSQL).
                self._lock_session(connection, session_id)
            except SessionNotFound:
                return False
            connection.execute(delete(pdfs_table).where(pdfs_table.c.session_id == session_id,
                                                        pdfs_table.c.cache_key == cache_key))
            connection.execute(pdfs_table.insert().values(
                session_id=session_id, cache_key=cache_key, etag=etag, size=len(pdf), pdf=pdf, created_at=now,
                used_at=now,
            ))
            self._prune_pdfs(connection, session_id, keep)
        return True

    @staticmethod
    def _prune_pdfs(connection: Connection, session_id: str, keep: int) -> None:
        """Drop the session's cached PDFs beyond the ``keep`` most recently used (under the session's lock)."""
        of_session = pdfs_table.c.session_id == session_id
        stale = connection.execute(select(pdfs_table.c.cache_key).where(of_session)
                                   .order_by(*_RECENT_FIRST).offset(keep)).scalars().all()
        if stale:
            connection.execute(delete(pdfs_table).where(of_session, pdfs_table.c.cache_key.in_(stale)))

    # ------------------------------------------------------------------ compile leases

    def take_lease(self, session_id: str, cache_key: str, owner: str, seconds: float) -> bool:
        """Claim the compile of this PDF for ``owner`` unless another owner holds an unexpired lease.

        Taken under the session's lock, so two instances cannot both get it.
        ``True`` also when ``owner`` already holds it (the lease is extended).
        Raises :class:`SessionNotFound` when the session is gone.
        """
        now = _now()
        with self._write() as connection:
            self._lock_session(connection, session_id)
            held = self._lease_in(connection, session_id, cache_key)
            if held is not None and held.owner != owner and _utc(held.expires_at) > now:
                return False
            where = (leases_table.c.session_id == session_id, leases_table.c.cache_key == cache_key)
            connection.execute(delete(leases_table).where(*where))
            connection.execute(leases_table.insert().values(
                session_id=session_id, cache_key=cache_key, owner=owner,
                expires_at=now + timedelta(seconds=seconds)))
        return True

    def renew_lease(self, session_id: str, cache_key: str, owner: str, seconds: float) -> bool:
        """Extend ``owner``'s lease; ``False`` if it no longer holds it."""
        with self._write() as connection:
            result = connection.execute(
                update(leases_table)
                .where(leases_table.c.session_id == session_id, leases_table.c.cache_key == cache_key,
                       leases_table.c.owner == owner)
                .values(expires_at=_now() + timedelta(seconds=seconds)))
            return result.rowcount > 0

    def release_lease(self, session_id: str, cache_key: str, owner: str) -> None:
        with self._write() as connection:
            connection.execute(delete(leases_table).where(
                leases_table.c.session_id == session_id, leases_table.c.cache_key == cache_key,
                leases_table.c.owner == owner))

    def lease_holder(self, session_id: str, cache_key: str) -> str | None:
        """The owner of an unexpired lease on this PDF, else ``None``."""
        with self._read() as connection:
            held = self._lease_in(connection, session_id, cache_key)
        return held.owner if held is not None and _utc(held.expires_at) > _now() else None

    @staticmethod
    def _lease_in(connection: Connection, session_id: str, cache_key: str) -> Any:
        return connection.execute(select(leases_table).where(
            leases_table.c.session_id == session_id, leases_table.c.cache_key == cache_key)).first()

    # ------------------------------------------------------------------ candidates

    def candidate_sessions(self, candidate_id: str) -> list[CandidateSession]:
        """Every session whose document has ``candidate.id == candidate_id``, oldest first.

        A LIKE on the canonical document narrows the rows; each is then checked on
        its parsed ``candidate.id`` (the LIKE may match the text elsewhere).
        """
        needle = canonical_json(candidate_id)
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            select(sessions_table.c.session_id, sessions_table.c.created_at, sessions_table.c.document,
                   reports_table.c.report, reports_table.c.generated_at)
            .outerjoin(reports_table, reports_table.c.session_id == sessions_table.c.session_id)
            .where(sessions_table.c.document.like(f'%"id":{escaped}%', escape="\\"))
            .order_by(sessions_table.c.created_at, sessions_table.c.session_id)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
        found = []
        for row in rows:
            candidate = json.loads(row.document).get("candidate") or {}
            if candidate.get("id") != candidate_id:
                continue
            report = None if row.report is None else StoredReport(row.session_id, row.report, _utc(row.generated_at))
            found.append(CandidateSession(row.session_id, _utc(row.created_at), report))
        return found
