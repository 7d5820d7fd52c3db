"""The service's store against SQLite and PostgreSQL: sessions, answers, reports, PDF cache."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy")

from texreport.http.store import (  # noqa: E402
    QuestionNotFound,
    SessionExists,
    SessionNotFound,
    SessionStatus,
    Store,
    canonical_json,
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
    assert [(a.answer, a.score, a.feedback) for a in record.answers][0] == ("new", 60, "F0")


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
    assert store.cached_pdf(session_id, "a" * 64) is None       # one PDF per session: replaced
    assert store.cached_pdf(session_id, "b" * 64).pdf == b"%PDF-bb"
    store.delete_session(session_id)
    assert store.cached_pdf(session_id, "b" * 64) is None
    assert store.save_pdf(session_id, "c" * 64, '"c"', b"%PDF-c") is False  # session gone: nothing stored


def test_concurrent_generation_and_pdf_saves_do_not_conflict(store):
    session_id = new_id()
    store.create_session(session_id, document(session_id))
    results, errors = [], []

    def work(n):
        try:
            results.append(store.generate_report(session_id, lambda r: {"sessionId": r.session_id}).canonical)
            store.save_pdf(session_id, f"{n:064d}", f'"{n}"', b"%PDF-" + bytes([65 + n]))
        except Exception as error:  # noqa: BLE001 — collected and asserted below
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
    second.create_schema()
    assert second.count_sessions() == 0
    second.close()
    assert Path(tmp_path / "twice.db").exists()
