"""The service's storage: sessions, their answers, generated reports and cached PDFs.

One :class:`Store` wraps a SQLAlchemy 2 engine over SQLite (the embedded default)
or PostgreSQL through psycopg 3 (several instances share one database). Its
methods are blocking and short; async callers run them in a worker thread.

What a caller must know:

* Tables: ``sessions`` (the report document a session was created from, its
  status), ``answers`` (one row per question: answer, score, feedback — what the
  answers endpoint changes), ``reports`` (the generated report object, canonical
  JSON) and ``pdfs`` (at most one cached PDF per session, with the cache key it
  was rendered for). Deleting a session deletes its rows in all four.
* Every write that depends on what it read first locks the session row
  (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so a
  report is never generated from answers that a concurrent submission replaced.
* The PDF cache is correct by key, not by timing: a cached PDF is served only if
  its key equals the key of the session's current report, so a PDF that was
  rendered while the report changed can be stored but is never served.
* SQLite runs in WAL mode with ``synchronous=FULL``: a committed transaction
  survives a process kill *and* a power loss; a kill mid-write leaves the
  previous committed state (WAL is append-only and checksummed). ``FULL`` costs
  one fsync per commit, which is small next to a 1–3 s compile.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
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

__all__ = [
    "SessionStatus",
    "StoreError",
    "SessionExists",
    "SessionNotFound",
    "QuestionNotFound",
    "SessionSummary",
    "SessionRecord",
    "AnswerRecord",
    "StoredReport",
    "CachedPdf",
    "CandidateSession",
    "Store",
    "normalize_url",
    "canonical_json",
]


class SessionStatus:
    """The platform's session states (strings, as the API shows them)."""

    CREATED = "CREATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    EVALUATED = "EVALUATED"


class StoreError(Exception):
    """Base class of the store's expected failures (the app maps them to statuses)."""


class SessionExists(StoreError):
    """A session with this id already exists (HTTP 409)."""


class SessionNotFound(StoreError):
    """No session with this id (HTTP 404)."""


class QuestionNotFound(StoreError):
    """The session has no question with this ``questionIndex`` (HTTP 422 naming the field)."""


@dataclass(frozen=True)
class AnswerRecord:
    question_index: int
    answer: str | None
    score: int | None
    feedback: str | None
    updated_at: datetime


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    status: str
    total_questions: int
    overall_score: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SessionRecord:
    """A session with its source document and current answers."""

    session_id: str
    status: str
    document: dict[str, Any]
    answers: list[AnswerRecord]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredReport:
    """A generated report: its object (as JSON-ready data), canonical text and generation time."""

    session_id: str
    canonical: str
    generated_at: datetime

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.canonical)


@dataclass(frozen=True)
class CachedPdf:
    cache_key: str
    etag: str
    size: int
    pdf: bytes | None  # None when only the metadata was asked for


@dataclass(frozen=True)
class CandidateSession:
    """One session of a candidate (``candidate.id`` of its document) and its generated report, if any."""

    session_id: str
    created_at: datetime
    report: StoredReport | None


def canonical_json(data: Any) -> str:
    """The one text form of a JSON value that hashes and compares (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def normalize_url(url: str) -> str:
    """``postgresql://`` (and ``postgres://``) mean psycopg 3; SQLite URLs pass unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _record(row: Any, answers: list[Any]) -> SessionRecord:
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
           primary_key=True),
    Column("cache_key", String(64), nullable=False),
    Column("etag", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class Store:
    """Blocking access to the service's tables; thread-safe (one connection per call)."""

    def __init__(self, url: str, *, create_schema: bool = True) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        self.engine = self._make_engine()
        self._schema_lock = threading.Lock()
        if create_schema:
            self.create_schema()

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

    def create_schema(self) -> None:
        """Create missing tables (idempotent; tolerant of another instance doing it at once)."""
        with self._schema_lock:
            try:
                metadata.create_all(self.engine, checkfirst=True)
            except IntegrityError:
                # Two instances racing on PostgreSQL's catalog: the other one won.
                metadata.create_all(self.engine, checkfirst=True)

    def drop_schema(self) -> None:
        """Drop the service's tables (tests only)."""
        metadata.drop_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            with connection.begin():
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
        ``questionDetails`` seed the answers table. Raises :class:`SessionExists`.
        """
        now = _now()
        details = document.get("questionDetails") or []
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
        except IntegrityError:
            raise SessionExists(session_id) from None
        record = self.get_session(session_id)
        assert record is not None
        return record

    def get_session(self, session_id: str) -> SessionRecord | None:
        with self._read() as connection:
            row = connection.execute(
                select(sessions_table).where(sessions_table.c.session_id == session_id)
            ).first()
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
            # Explicit deletes, not only ON DELETE CASCADE: correct even on a SQLite
            # connection opened without foreign_keys=ON.
            for table in (pdfs_table, reports_table, answers_table):
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
    ) -> SessionRecord:
        """Replace a question's answer (and, when given, its score/feedback).

        Invalidates the generated report and the cached PDF: the session is back to
        ``COMPLETED`` until the report is generated again. Raises
        :class:`SessionNotFound` or :class:`QuestionNotFound`.
        """
        now = _now()
        with self._write() as connection:
            self._lock_session(connection, session_id)
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
            connection.execute(delete(reports_table).where(reports_table.c.session_id == session_id))
            connection.execute(delete(pdfs_table).where(pdfs_table.c.session_id == session_id))
            connection.execute(
                update(sessions_table).where(sessions_table.c.session_id == session_id)
                .values(status=SessionStatus.COMPLETED, updated_at=now)
            )
        record = self.get_session(session_id)
        if record is None:  # deleted right after our commit
            raise SessionNotFound(session_id)
        return record

    # ------------------------------------------------------------------ reports

    def get_report(self, session_id: str) -> StoredReport | None:
        with self._read() as connection:
            row = connection.execute(
                select(reports_table).where(reports_table.c.session_id == session_id)
            ).first()
        return None if row is None else StoredReport(row.session_id, row.report, _utc(row.generated_at))

    def generate_report(self, session_id: str, build: Any) -> StoredReport:
        """Return the session's report, generating and persisting it first if needed.

        ``build(record) -> dict`` turns a :class:`SessionRecord` into the report
        object; it runs inside the transaction that holds the session lock, so the
        answers it sees are the ones the stored report reflects. Sets ``EVALUATED``.
        Raises :class:`SessionNotFound`.
        """
        with self._write() as connection:
            row = self._lock_session(connection, session_id)
            existing = connection.execute(
                select(reports_table).where(reports_table.c.session_id == session_id)
            ).first()
            if existing is not None:
                return StoredReport(existing.session_id, existing.report, _utc(existing.generated_at))
            answers = connection.execute(
                select(answers_table).where(answers_table.c.session_id == session_id)
                .order_by(answers_table.c.question_index)
            ).all()
            record = _record(row, answers)
            report = canonical_json(build(record))
            now = _now()
            connection.execute(reports_table.insert().values(session_id=session_id, report=report, generated_at=now))
            connection.execute(
                update(sessions_table).where(sessions_table.c.session_id == session_id)
                .values(status=SessionStatus.EVALUATED, updated_at=now)
            )
        # Re-read: the database's timestamp precision is what later exports will see.
        stored = self.get_report(session_id)
        if stored is None:
            raise SessionNotFound(session_id)
        return stored

    # ------------------------------------------------------------------ PDF cache

    def cached_pdf(self, session_id: str, cache_key: str, *, with_bytes: bool = True) -> CachedPdf | None:
        """The cached PDF of a session if it was rendered for ``cache_key``, else ``None``."""
        columns = [pdfs_table.c.cache_key, pdfs_table.c.etag, pdfs_table.c.size]
        if with_bytes:
            columns.append(pdfs_table.c.pdf)
        with self._read() as connection:
            row = connection.execute(
                select(*columns).where(pdfs_table.c.session_id == session_id, pdfs_table.c.cache_key == cache_key)
            ).first()
        if row is None:
            return None
        return CachedPdf(row.cache_key, row.etag, row.size, bytes(row.pdf) if with_bytes else None)

    def save_pdf(self, session_id: str, cache_key: str, etag: str, pdf: bytes) -> bool:
        """Cache a rendered PDF for a session (replacing any other); ``False`` if the session is gone."""
        now = _now()
        with self._write() as connection:
            try:
                # The lock serializes two exports saving at once (PRIMARY KEY race on PostgreSQL).
                self._lock_session(connection, session_id)
            except SessionNotFound:
                return False
            connection.execute(delete(pdfs_table).where(pdfs_table.c.session_id == session_id))
            connection.execute(pdfs_table.insert().values(
                session_id=session_id, cache_key=cache_key, etag=etag, size=len(pdf), pdf=pdf, created_at=now,
            ))
        return True

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
