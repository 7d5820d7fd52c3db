"""The service's store against SQLite and PostgreSQL: sessions, answers, reports, PDF cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from texreport.http.records import SessionStatus, canonical_json
from texreport.http.store import (
    QuestionNotFound,
    SessionExists,
    SessionNotFound,
    Store,
    normalize_url,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        the_store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        the_store = Store(request.getfixturevalue("pg_url"))
    yield the_store
    the_store.close()


def new_id() -> str:
    # Unique per test: PostgreSQL tests share one database across xdist workers.
    return "t" + uuid.uuid4().hex[:15]


def document(session_id: str) -> dict:
    return {
        "sessionId": session_id, "totalQuestions": 2, "overallScore": 70,
        "categoryScores": [{"category": "Java基础", "score": 70, "questionCount": 2}],
        "questionDetails": [
            {"questionIndex": 0, "question": "Q0", "category": "Java基础", "userAnswer": "A0", "score": 60,
             "feedback": "F0"},
            {"questionIndex": 1, "question": "Q1", "category": "Java基础", "userAnswer": None, "score": 80,
             "feedback": ""},
        ],
    }


def test_create_get_list_delete(store):
    session_id = new_id()
    record = store.create_session(session_id, document(session_id))
    assert record.status == SessionStatus.COMPLETED
    assert [(a.question_index, a.answer, a.score) for a in record.answers] == [(0, "A0", 60), (1, None, 80)]
    assert record.document["questionDetails"][0]["question"] == "Q0"
    assert store.get_session(session_id) == record
    assert session_id in [s.session_id for s in store.list_sessions(limit=500)]
    with pytest.raises(SessionExists):
        store.create_session(session_id, document(session_id))
    assert store.delete_session(session_id) is True
    assert store.get_session(session_id) is None
    assert store.delete_session(session_id) is False


def test_report_generation_is_persisted_once_and_answers_invalidate_it(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    calls = []

    def build(record):
        calls.append(record)
        return {"sessionId": record.session_id, "answers": [a.answer for a in record.answers]}

    first = store.generate_report(session_id, build)
    assert first.data == {"sessionId": session_id, "answers": ["A0", None]}
    assert store.get_session(session_id).status == SessionStatus.EVALUATED
    again = store.generate_report(session_id, build)
    assert again == first and len(calls) == 1

    store.save_pdf(session_id, "k" * 64, '"e"', b"%PDF-cached")
    assert store.cached_pdf(session_id, "k" * 64).pdf == b"%PDF-cached"

    record = store.submit_answer(session_id, 1, answer="A1", score=90, feedback="F1")
    assert record.status == SessionStatus.COMPLETED
    assert [(a.answer, a.score, a.feedback) for a in record.answers][1] == ("A1", 90, "F1")
    assert store.get_report(session_id) is None
    assert store.cached_pdf(session_id, "k" * 64) is None

    regenerated = store.generate_report(session_id, build)
    assert regenerated.data["answers"] == ["A0", "A1"]
    assert regenerated.generated_at >= first.generated_at


def test_submit_answer_keeps_evaluation_unless_given(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    record = store.submit_answer(session_id, 0, answer="new")
    assert next((a.answer, a.score, a.feedback) for a in record.answers) == ("new", 60, "F0")


def test_submit_answer_errors(store):
    with pytest.raises(SessionNotFound):
        store.submit_answer(new_id(), 0, answer="x")
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    with pytest.raises(QuestionNotFound):
        store.submit_answer(session_id, 7, answer="x")


def test_pdf_cache_is_keyed(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    assert store.save_pdf(session_id, "a" * 64, '"a"', b"%PDF-a")
    assert store.cached_pdf(session_id, "b" * 64) is None
    meta = store.cached_pdf(session_id, "a" * 64, with_bytes=False)
    assert (meta.etag, meta.size, meta.pdf) == ('"a"', 6, None)
    assert store.save_pdf(session_id, "b" * 64, '"b"', b"%PDF-bb")
    assert store.cached_pdf(session_id, "a" * 64).pdf == b"%PDF-a"     # another variant: side by side
    assert store.cached_pdf(session_id, "b" * 64).pdf == b"%PDF-bb"
    assert store.save_pdf(session_id, "b" * 64, '"b2"', b"%PDF-b2")     # the same key: replaced
    assert store.cached_pdf(session_id, "b" * 64).etag == '"b2"'
    store.delete_session(session_id)
    assert store.cached_pdf(session_id, "b" * 64) is None
    assert store.save_pdf(session_id, "c" * 64, '"c"', b"%PDF-c") is False  # session gone: nothing stored


def test_pdf_variants_are_bounded_least_recently_served_out(store):
    from texreport.http.store import PDF_VARIANTS

    session_id = new_id()
    store.create_session(session_id, document(session_id))
    keys = [letter * 64 for letter in "abcdef"]
    assert PDF_VARIANTS == 4
    for key in keys[:4]:
        assert store.save_pdf(session_id, key, f'"{key[0]}"', b"%PDF-" + key[:1].encode())
    assert store.cached_pdf(session_id, keys[0], with_bytes=False) is not None   # served: a is the newest now
    store.save_pdf(session_id, keys[4], '"e"', b"%PDF-e")                       # b, the least recently served, goes
    assert [key[0] for key in keys if store.cached_pdf(session_id, key, with_bytes=False)] == list("acde")
    store.save_pdf(session_id, keys[5], '"f"', b"%PDF-f", keep=2)
    assert [key[0] for key in keys if store.cached_pdf(session_id, key, with_bytes=False)] == list("ef")
    store.submit_answer(session_id, 0, answer="changed")                        # the report changed: all go
    assert [key for key in keys if store.cached_pdf(session_id, key)] == []


def test_concurrent_generation_and_pdf_saves_do_not_conflict(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    results, errors = [], []

    def work(n):
        try:
            results.append(store.generate_report(session_id, lambda r: {"sessionId": r.session_id}).canonical)
            store.save_pdf(session_id, f"{n:064d}", f'"{n}"', b"%PDF-" + bytes([65 + n]))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1


def test_urls_and_canonical_json():
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    assert canonical_json({"b": 1, "a": "模"}) == '{"a":"模","b":1}'


def test_sqlite_is_wal_with_full_sync(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.close()


def test_sqlite_survives_a_kill_mid_write(tmp_path):
    """SIGKILL a process that is writing PDFs in a loop: every committed row stays readable."""
    path = tmp_path / "kill.db"
    script = textwrap.dedent(f"""
        import sys
        from texreport.http.store import Store
        store = Store("sqlite:///{path}")
        n = 0
        while True:
            sid = f"s{{n:06d}}"
            store.create_session(sid, {{"sessionId": sid, "overallScore": 1, "questionDetails": []}})
            store.save_pdf(sid, "k" * 64, '"e"', b"%PDF-" + b"x" * 200_000)
            print(sid, flush=True)
            n += 1
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    committed = [process.stdout.readline().strip() for _ in range(15)]
    process.kill()
    process.wait(timeout=10)
    store = Store(f"sqlite:///{path}")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    for sid in committed:
        assert store.cached_pdf(sid, "k" * 64).size == 200_005
    store.close()


def test_schema_creation_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    Store(url).close()
    second = Store(url)
    second.upgrade_schema()
    assert second.count_sessions() == 0
    second.close()
    assert Path(tmp_path / "twice.db").exists()


# ----------------------------------------------------------------------------- schema migrations


def release_0_1_0_metadata():
    """The tables texreport 0.1.0 created with ``create_all`` (frozen copy; no version table)."""
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
    )

    old = MetaData()
    parent = "texreport_sessions.session_id"
    Table("texreport_sessions", old, Column("session_id", String(128), primary_key=True),
          Column("status", String(16), nullable=False), Column("document", Text, nullable=False),
          Column("total_questions", Integer, nullable=False), Column("overall_score", Integer, nullable=True),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("updated_at", DateTime(timezone=True), nullable=False))
    Table("texreport_answers", old,
          Column("session_id", String(128), ForeignKey(parent, ondelete="CASCADE"), primary_key=True),
          Column("question_index", Integer, primary_key=True), Column("answer", Text, nullable=True),
          Column("score", Integer, nullable=True), Column("feedback", Text, nullable=True),
          Column("updated_at", DateTime(timezone=True), nullable=False))
    Table("texreport_reports", old,
          Column("session_id", String(128), ForeignKey(parent, ondelete="CASCADE"), primary_key=True),
          Column("report", Text, nullable=False), Column("generated_at", DateTime(timezone=True), nullable=False))
    Table("texreport_pdfs", old,
          Column("session_id", String(128), ForeignKey(parent, ondelete="CASCADE"), primary_key=True),
          Column("cache_key", String(64), nullable=False), Column("etag", String(80), nullable=False),
          Column("size", Integer, nullable=False), Column("pdf", LargeBinary, nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False))
    return old


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> str:
    """A database with nothing in it (PostgreSQL: a new database on the test server)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(normalize_url(request.getfixturevalue("pg_url")))
    name = "t" + uuid.uuid4().hex[:12]
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def test_a_database_made_by_release_0_1_0_is_upgraded_and_keeps_its_sessions(empty_db_url):
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, inspect

    from texreport.http.schema import VERSION_TABLE, current_revision, head_revision

    engine = create_engine(normalize_url(empty_db_url))
    old = release_0_1_0_metadata()
    old.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(old.tables["texreport_sessions"].insert().values(
            session_id="old1", status="COMPLETED", total_questions=1, overall_score=70, created_at=now, updated_at=now,
            document=canonical_json({"sessionId": "old1", "overallScore": 70, "questionDetails": [
                {"questionIndex": 0, "question": "q", "category": "c", "score": 70}]})))
        connection.execute(old.tables["texreport_answers"].insert().values(
            session_id="old1", question_index=0, answer="kept", score=70, feedback=None, updated_at=now))
    assert current_revision(engine) is None

    store = Store(empty_db_url)                          # what `texreport serve` does on start
    try:
        assert current_revision(store.engine) == head_revision() == "0003"
        assert inspect(store.engine).has_table("texreport_leases") and inspect(store.engine).has_table(VERSION_TABLE)
        record = store.get_session("old1")
        assert record is not None and record.answers[0].answer == "kept"
        assert store.take_lease("old1", "k" * 64, "me", 30) and not store.take_lease("old1", "k" * 64, "you", 30)
        store.upgrade_schema()                           # again: nothing to do
        assert store.delete_session("old1") and store.count_sessions() == 0
    finally:
        store.close()
        engine.dispose()


def test_a_database_at_revision_0002_is_upgraded_and_keeps_its_cached_pdf(empty_db_url):
    """0002 held one PDF per session (keyed by session); 0003 holds variants: the cached one is still served."""
    from datetime import UTC, datetime

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import MetaData, create_engine

    from texreport.http.schema import MIGRATIONS, current_revision

    engine = create_engine(normalize_url(empty_db_url))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    tables = MetaData()
    tables.reflect(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(tables.tables["texreport_sessions"].insert().values(
            session_id="old2", status="EVALUATED", total_questions=0, overall_score=70, created_at=now,
            updated_at=now, document=canonical_json({"sessionId": "old2", "overallScore": 70})))
        connection.execute(tables.tables["texreport_pdfs"].insert().values(
            session_id="old2", cache_key="z" * 64, etag='"z"', size=9, pdf=b"%PDF-kept", created_at=now))
    assert current_revision(engine) == "0002"
    store = Store(empty_db_url)
    try:
        assert current_revision(store.engine) == "0003"
        assert store.cached_pdf("old2", "z" * 64).pdf == b"%PDF-kept"
        assert store.save_pdf("old2", "y" * 64, '"y"', b"%PDF-new")
        assert store.cached_pdf("old2", "z" * 64).pdf == b"%PDF-kept"
        assert store.cached_pdf("old2", "y" * 64).pdf == b"%PDF-new"
        assert store.delete_session("old2") and store.cached_pdf("old2", "y" * 64) is None
    finally:
        store.close()
        engine.dispose()


def test_the_tables_the_store_uses_are_the_tables_the_migrations_make(empty_db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from texreport.http.store import metadata

    store = Store(empty_db_url)
    try:
        with store.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in differences if "alembic_version" not in str(d)] == []
    finally:
        store.close()


def test_db_upgrade_command(tmp_path):
    import subprocess
    import sys

    from texreport.http.schema import current_revision, head_revision

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    texreport = Path(sys.executable).parent / "texreport"
    result = subprocess.run([str(texreport), "db", "upgrade", "--db", url], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stdout
    store = Store(url, upgrade_schema=False)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.close()
    env_result = subprocess.run([str(texreport), "db", "upgrade"], capture_output=True, text=True, timeout=120,
                                check=False, env={**os.environ, "TEXREPORT_DB": f"sqlite:///{tmp_path / 'env.db'}"})
    assert env_result.returncode == 0 and (tmp_path / "env.db").exists()


def test_compile_leases(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    key = "a" * 64
    assert store.take_lease(session_id, key, "one", 30)
    assert not store.take_lease(session_id, key, "two", 30)          # held by another owner
    assert store.take_lease(session_id, key, "one", 30)              # its owner may extend it
    assert store.take_lease(session_id, "b" * 64, "two", 30)         # another PDF of the session: its own lease
    assert store.lease_holder(session_id, key) == "one"
    assert store.renew_lease(session_id, key, "one", 30) and not store.renew_lease(session_id, key, "two", 30)
    store.release_lease(session_id, key, "two")                       # not its lease: nothing happens
    assert store.lease_holder(session_id, key) == "one"
    store.release_lease(session_id, key, "one")
    assert store.lease_holder(session_id, key) is None and store.take_lease(session_id, key, "two", 30)
    assert store.renew_lease(session_id, key, "two", -1)              # expired a second ago …
    assert store.lease_holder(session_id, key) is None                # … so it holds nothing …
    assert store.take_lease(session_id, key, "three", 30)             # … and another owner takes over
    assert store.delete_session(session_id) and store.lease_holder(session_id, key) is None
    with pytest.raises(SessionNotFound):
        store.take_lease(session_id, key, "one", 30)
