"""The progress comparison and its view, without TeX: order, deltas, weak areas, repeats, refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from texreport.errors import InputError, LimitError, UnsupportedCharacterError
from texreport.models import DocumentInvalid, load_document
from texreport.progress import MAX_REPEATED_QUESTIONS, MAX_SESSIONS, SessionInput, build_progress, progress_identifier
from texreport.progress_pipeline import located, read_sessions
from texreport.progress_sample import SAMPLE_CANDIDATE_ID, progress_sample_documents
from texreport.progress_view import SESSIONS_PER_TABLE, Delta, build_progress_view

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def report(session_id: str, score: int, categories: dict[str, int] | None = None, *, when: str | None = None,
           questions: list[tuple[str, str, int]] | None = None, candidate: str | None = None,
           language: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "sessionId": session_id,
        "overallScore": score,
        "categoryScores": [{"category": name, "score": s, "questionCount": 1} for name, s in (categories or {}).items()],
        "questionDetails": [
            {"questionIndex": i, "question": text, "category": category, "userAnswer": "答", "score": s,
             "feedback": ""}
            for i, (text, category, s) in enumerate(questions or [])
        ],
    }
    if when is not None:
        document["interview"] = {"dateTime": when} if "T" in when else {"date": when}
    if candidate is not None:
        document["candidate"] = {"id": candidate}
    if language is not None:
        document["language"] = language
    return document


def inputs(*documents: dict[str, Any], created: list[datetime] | None = None) -> list[SessionInput]:
    return [SessionInput(load_document(d), f"r{i}.json" if created is None else d["sessionId"],
                         created[i] if created else None)
            for i, d in enumerate(documents)]


def progress_of(*documents: dict[str, Any], **options: Any) -> Any:
    return build_progress(inputs(*documents), generated_at=NOW, **options)


# --------------------------------------------------------------------------- order


def test_sessions_are_ordered_by_interview_time_whatever_the_order_given():
    progress = progress_of(report("c", 70, when="2026-11-20T10:00:00+08:00"),
                           report("a", 50, when="2026-11-01"),
                           report("b", 60, when="2026-11-10T09:00:00Z"))
    assert [s.session_id for s in progress.sessions] == ["a", "b", "c"]
    assert [s.number for s in progress.sessions] == [1, 2, 3]


def test_offsets_are_compared_as_instants_and_ties_go_by_session_id():
    # 10:00+08:00 is 02:00 UTC: before 03:00 UTC although its wall-clock time is later.
    progress = progress_of(report("late", 70, when="2026-11-01T03:00:00Z"),
                           report("early", 50, when="2026-11-01T10:00:00+08:00"),
                           report("b-tie", 60, when="2026-11-02"), report("a-tie", 61, when="2026-11-02"))
    assert [s.session_id for s in progress.sessions] == ["early", "late", "a-tie", "b-tie"]


def test_undated_files_follow_the_dated_ones_in_the_order_given():
    progress = progress_of(report("z-undated", 40), report("dated", 50, when="2026-11-01"),
                           report("a-undated", 45))
    assert [s.session_id for s in progress.sessions] == ["dated", "z-undated", "a-undated"]


def test_stored_sessions_without_a_date_take_their_creation_time():
    created = [datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC),
               datetime(2026, 10, 20, tzinfo=UTC)]
    # s2 was created first but interviewed on 10 Nov: its interview time wins over its creation time.
    items = inputs(report("s1", 40), report("s2", 50, when="2026-11-10"), report("s3", 45), created=created)
    progress = build_progress(items, generated_at=NOW)
    assert [s.session_id for s in progress.sessions] == ["s3", "s1", "s2"]


# --------------------------------------------------------------------------- deltas and comparisons


def test_overall_and_category_deltas():
    progress = progress_of(report("a", 50, {"Java": 40, "Redis": 70}, when="2026-01-01"),
                           report("b", 62, {"Java": 55}, when="2026-01-02"),
                           report("c", 58, {"java ": 65, "Redis": 64, "MySQL": 80}, when="2026-01-03"))
    assert progress.overall_deltas == [None, 12, -4]
    java, redis, mysql = progress.categories
    assert (java.name, java.scores, java.deltas) == ("java ", [40, 55, 65], [None, 15, 10])
    # Absent in session 2: no score there, and session 3's change is from session 1 (its previous occurrence).
    assert (redis.scores, redis.deltas) == ([70, None, 64], [None, None, -6])
    assert (mysql.scores, mysql.deltas) == ([None, None, 80], [None, None, None])
    assert [(c.name, c.delta) for c in progress.improvements] == [("java ", 25)]
    assert [(c.name, c.delta) for c in progress.regressions] == [("Redis", -6)]


def test_biggest_changes_are_capped_and_sorted():
    first = {f"c{i}": 50 for i in range(6)}
    last = {f"c{i}": 50 + (i - 3) * 10 for i in range(6)}   # -30 -20 -10 0 +10 +20
    progress = progress_of(report("a", 50, first, when="2026-01-01"), report("b", 50, last, when="2026-01-02"))
    assert [(c.name, c.delta) for c in progress.improvements] == [("c5", 20), ("c4", 10)]
    assert [(c.name, c.delta) for c in progress.regressions] == [("c0", -30), ("c1", -20), ("c2", -10)]


def test_persistent_weak_areas_are_below_60_in_two_or_more_sessions():
    progress = progress_of(report("a", 50, {"并发": 40, "JVM": 59, "Redis": 55}, when="2026-01-01"),
                           report("b", 50, {"并发": 52, "JVM": 60, "Redis": 90}, when="2026-01-02"),
                           report("c", 50, {"并发": 70, "JVM": 30, "Redis": 58}, when="2026-01-03"))
    weak = {area.name: area.weak for area in progress.persistent_weak}
    assert weak == {"并发": [(1, 40), (2, 52)], "JVM": [(1, 59), (3, 30)], "Redis": [(1, 55), (3, 58)]}


def test_repeated_questions_match_after_collapsing_whitespace():
    progress = progress_of(
        report("a", 50, when="2026-01-01", questions=[("什么是 volatile？", "并发", 40), ("独有的题", "JVM", 60)]),
        report("b", 60, when="2026-01-02", questions=[("HashMap", "集合", 70), ("什么是  volatile？\n", "并发", 65)]))
    assert len(progress.repeated) == 1 and progress.repeated_total == 1
    repeat = progress.repeated[0]
    assert repeat.text == "什么是 volatile？"
    assert [(a.session, a.question, a.score) for a in repeat.asks] == [(1, 1, 40), (2, 2, 65)]


def test_repeated_questions_beyond_the_cap_are_counted():
    asked = [(f"题目 {i}", "并发", 50) for i in range(MAX_REPEATED_QUESTIONS + 4)]
    progress = progress_of(report("a", 50, when="2026-01-01", questions=asked),
                           report("b", 50, when="2026-01-02", questions=asked))
    assert len(progress.repeated) == MAX_REPEATED_QUESTIONS and progress.repeated_total == MAX_REPEATED_QUESTIONS + 4


# --------------------------------------------------------------------------- refusals


def test_fewer_than_two_sessions_are_refused():
    with pytest.raises(InputError, match="at least 2 sessions, got 1"):
        progress_of(report("a", 50))


def test_more_than_the_maximum_is_a_limit_error():
    documents = [report(f"s{i}", 50) for i in range(MAX_SESSIONS + 1)]
    with pytest.raises(LimitError, match=f"at most {MAX_SESSIONS} sessions"):
        progress_of(*documents)


def test_the_same_session_twice_is_refused_naming_it():
    with pytest.raises(InputError) as caught:
        progress_of(report("dup-1", 50), report("other", 60), report("dup-1", 70))
    assert caught.value.field == "r2.json: sessionId"
    assert "session dup-1 is given twice (r0.json and r2.json)" in str(caught.value)


def test_sessions_of_different_candidates_are_refused():
    with pytest.raises(InputError, match=r"different candidates: zhang-wei .* and li-na") as caught:
        progress_of(report("a", 50, candidate="zhang-wei"), report("b", 50), report("c", 50, candidate="li-na"))
    assert caught.value.field == "r2.json: candidate.id"


def test_errors_name_the_document_then_the_field():
    try:
        load_document({"sessionId": "x", "overallScore": "85"})
    except DocumentInvalid as error:
        moved = located(error, "2")
    assert isinstance(moved, DocumentInvalid)
    assert moved.field == "2.overallScore" and moved.errors[0][0] == "2.overallScore"
    assert str(moved).startswith("2.overallScore: must be a number")
    character = located(UnsupportedCharacterError("\ue000", field="overallFeedback"), "b.json")
    assert isinstance(character, UnsupportedCharacterError) and character.character == "\ue000"
    assert str(character).startswith("b.json: overallFeedback: character ") and "(U+E000" in str(character)
    limit = located(LimitError("too long", field="overallFeedback", limit=9), "b.json")
    assert isinstance(limit, LimitError) and limit.limit == 9 and str(limit) == "b.json: overallFeedback: too long"


def test_read_sessions_takes_files_in_order_and_folders_sorted(tmp_path: Path):
    folder = tmp_path / "zhang"
    folder.mkdir()
    for name, session_id in (("b.json", "s-b"), ("a.json", "s-a")):
        (folder / name).write_text(json.dumps(report(session_id, 60)), encoding="utf-8")
    single = tmp_path / "z.json"
    single.write_text(json.dumps(report("s-z", 50)), encoding="utf-8")
    sessions = read_sessions([str(single), str(folder)])
    assert [s.report.session_id for s in sessions] == ["s-z", "s-a", "s-b"]
    with pytest.raises(InputError, match="no such file or folder"):
        read_sessions([str(tmp_path / "missing.json")])
    (folder / "c.json").write_text('{"sessionId": "c", "overallScore": 101}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_sessions([str(folder)])
    assert caught.value.field == f"{folder / 'c.json'}: overallScore"


# --------------------------------------------------------------------------- the view


def test_delta_signs_and_arrows():
    assert (Delta.of(5).arrow, Delta.of(5).text) == ("↑", "+5")
    assert (Delta.of(-3).arrow, Delta.of(-3).text) == ("↓", "-3")
    assert (Delta.of(0).arrow, Delta.of(0).text) == ("—", "0")


def test_view_chunks_cover_every_session_once():
    documents = [report(f"s{i:02d}", i * 2, {"Java": i, "Redis": 90 - i}, when=f"2026-01-{i + 1:02d}")
                 for i in range(19)]
    view = build_progress_view(progress_of(*documents), generated_at=NOW)
    assert [n for chunk in view.chunks for n in chunk.sessions] == list(range(1, 20))
    assert all(len(chunk.sessions) <= SESSIONS_PER_TABLE for chunk in view.chunks)
    assert view.trend_ticks == "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19"
    assert view.trend_tick_style == "TRtickslanted"


def test_view_cover_footer_and_names_without_a_candidate():
    view = build_progress_view(progress_of(report("first", 40, when="2026-10-04"),
                                           report("second", 55, when="2026-11-29T14:30:00+08:00")),
                               generated_at=NOW)
    assert view.footer_id == "first" and view.footer_label == "会话编号"
    assert view.since_first == "较第一场 ↑ +15"
    assert ("时间范围", "2026年10月4日 – 2026年11月29日") in [(p.label, p.value) for p in view.cover]
    assert view.metadata.author == "texreport"


def test_language_is_the_callers_else_the_latest_sessions():
    documents = (report("a", 40, when="2026-01-01", language="zh"), report("b", 60, when="2026-01-02", language="en"))
    assert build_progress_view(progress_of(*documents), generated_at=NOW).title == "Interview Progress Report"
    assert build_progress_view(progress_of(*documents, lang="zh"), generated_at=NOW).title == "面试进步报告"


def test_plan_puts_persistent_weak_areas_first():
    progress = progress_of(report("a", 40, {"Redis": 50, "Java并发": 40, "MySQL": 75}, when="2026-01-01"),
                           report("b", 50, {"Redis": 55, "Java并发": 85, "MySQL": 70}, when="2026-01-02"))
    view = build_progress_view(progress, generated_at=NOW)
    assert [(e.item.area, e.persistent) for e in view.plan][:1] == [("Redis", True)]
    assert "#1: 50, #2: 55" in view.plan[0].item.actions[0]
    assert not any(e.persistent for e in view.plan[1:])


def test_a_persistent_weak_area_missing_from_the_latest_plan_gets_a_catalogue_item():
    document = report("b", 50, {"Redis": 55}, when="2026-01-02")
    document["improvementPlan"] = {"items": [{"area": "表达", "actions": ["多练习"]}]}
    progress = progress_of(report("a", 40, {"Redis": 50}, when="2026-01-01"), document)
    view = build_progress_view(progress, generated_at=NOW)
    assert [(e.item.area, e.persistent) for e in view.plan] == [("Redis", True), ("表达", False)]
    assert view.plan[0].item.resources and view.plan[0].item.score == 55


# --------------------------------------------------------------------------- the sample


def test_the_sample_is_five_valid_sessions_of_one_candidate():
    documents = progress_sample_documents()
    reports = [load_document(d) for d in documents]
    assert len(reports) == 5 and {r.candidate.id for r in reports if r.candidate} == {SAMPLE_CANDIDATE_ID}
    items = [SessionInput(r, str(i)) for i, r in enumerate(reports)]
    assert progress_identifier(items) == SAMPLE_CANDIDATE_ID
    progress = build_progress(items, generated_at=NOW)
    category_sets = {frozenset(c.name for c in s.view.categories) for s in progress.sessions}
    assert len(category_sets) > 1                                       # different category sets
    assert any(s.view.answered_count < len(s.view.questions) for s in progress.sessions[:-1])  # unanswered
    assert {w.name for w in progress.persistent_weak} >= {"Java并发", "项目经历"}
    assert progress.repeated and progress.improvements and progress.regressions
    # The latest session is the bundled single-report sample.
    from texreport.sample import sample_json

    latest = copy.deepcopy(json.loads(sample_json()))["data"]
    assert progress.latest.session_id == latest["sessionId"]
