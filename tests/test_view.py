"""Tests for texreport.view and texreport.labels: bands, ordering, plan derivation, catalogue, metadata."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from texreport import catalogue as catalogue_module
from texreport import labels as labels_module
from texreport import view as view_module
from texreport.bands import band_for
from texreport.catalogue import catalogue_entry_for, load_catalogue
from texreport.labels import labels_for
from texreport.models import Report, iter_text_fields, load_document, load_json
from texreport.sample import sample_json
from texreport.view import (
    MAX_PLAN_ACTIONS,
    MAX_PLAN_RESOURCES,
    ReportView,
    build_view,
    format_datetime,
)

FIXTURES = Path(__file__).parent / "fixtures"
GENERATED = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


def fixture(name: str) -> Report:
    return load_json((FIXTURES / name).read_bytes())


def report_with(categories: list[tuple[str, int]], **extra: Any) -> Report:
    """A report with one question per category, scored as the category."""
    document: dict[str, Any] = {
        "sessionId": "s-1",
        "overallScore": 70,
        "categoryScores": [{"category": name, "score": score, "questionCount": 1} for name, score in categories],
        "questionDetails": [
            {"questionIndex": i, "question": f"q{i}", "category": name, "userAnswer": f"a{i}", "score": score,
             "feedback": ""}
            for i, (name, score) in enumerate(categories)
        ],
    }
    document.update(extra)
    return load_document(document)


# --------------------------------------------------------------------------- bands and dates


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "poor"), (59, "poor"), (60, "fair"), (79, "fair"), (80, "good"), (100, "good")],
)
def test_band_boundaries(score: int, band: str) -> None:
    assert band_for(score) == band


@pytest.mark.parametrize(
    ("value", "lang", "text"),
    [
        (datetime(2026, 11, 29, 14, 30), "zh", "2026年11月29日 14:30"),
        (datetime(2026, 11, 29, 14, 30), "en", "29 Nov 2026, 14:30"),
        (datetime(2026, 1, 5, 9, 5), "zh", "2026年1月5日 09:05"),
        (datetime(2026, 1, 5, 9, 5), "en", "5 Jan 2026, 09:05"),
        (date(2026, 11, 29), "zh", "2026年11月29日"),
        (date(2026, 11, 29), "en", "29 Nov 2026"),
        (datetime(2026, 11, 29, 14, 30, tzinfo=UTC), "zh", "2026年11月29日 14:30 UTC"),
        (datetime(2026, 11, 29, 14, 30, tzinfo=timezone(timedelta(hours=8))), "en", "29 Nov 2026, 14:30 UTC+08:00"),
        (datetime(2026, 11, 29, 14, 30, tzinfo=timezone(-timedelta(hours=3, minutes=30))), "en",
         "29 Nov 2026, 14:30 UTC-03:30"),
    ],
)
def test_format_datetime(value: datetime | date, lang: str, text: str) -> None:
    assert format_datetime(value, lang) == text


def test_generated_at_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC)
    view = build_view(fixture("minimal.json"))
    assert view.generated_at.endswith(" UTC")
    assert view.generated_at.startswith(f"{before.year}年")


def test_generated_at_is_formatted_per_language() -> None:
    assert build_view(fixture("minimal.json"), generated_at=GENERATED).generated_at == "2026年11月30日 08:15 UTC"
    assert build_view(fixture("minimal.json"), lang="en", generated_at=GENERATED).generated_at == "30 Nov 2026, 08:15 UTC"


# --------------------------------------------------------------------------- language and labels


@pytest.mark.parametrize(
    ("name", "argument", "expected"),
    [
        ("minimal.json", None, "zh"),
        ("minimal.json", "en", "en"),
        ("full_extensions_en.json", None, "en"),
        ("full_extensions_en.json", "zh", "zh"),
        ("full_extensions_en.json", "zh-CN", "zh"),
    ],
)
def test_language_choice(name: str, argument: str | None, expected: str) -> None:
    view = build_view(fixture(name), lang=argument, generated_at=GENERATED)
    assert view.lang == expected
    assert view.labels == labels_for(expected)
    assert view.title == labels_for(expected)["title"]


def test_unknown_language_argument_is_refused() -> None:
    with pytest.raises(ValueError):
        build_view(fixture("minimal.json"), lang="fr")


def test_labels_have_identical_keys_in_every_language() -> None:
    zh, en = labels_for("zh"), labels_for("en")
    assert zh.keys() == en.keys()
    assert set(labels_module.LANGUAGES) == {"zh", "en"}


@pytest.mark.parametrize(
    ("key", "zh", "en"),
    [
        ("title", "模拟面试报告", "Mock Interview Report"),
        ("not_answered", "未作答", "Not answered"),
        ("band_good", "优秀", "Excellent"),
        ("band_fair", "合格", "Adequate"),
        ("band_poor", "待提高", "Needs improvement"),
        ("page_prefix", "第 ", "Page "),
        ("page_middle", " 页 / 共 ", " of "),
        ("page_suffix", " 页", ""),
    ],
)
def test_label_values(key: str, zh: str, en: str) -> None:
    assert labels_for("zh")[key] == zh
    assert labels_for("en")[key] == en


def test_labels_are_not_empty_except_affixes() -> None:
    may_be_empty = {"page_suffix", "question_heading_suffix", "points_suffix"}
    for lang in labels_module.LANGUAGES:
        for key, value in labels_for(lang).items():
            assert value or key in may_be_empty, (lang, key)


def test_labels_for_returns_a_copy() -> None:
    labels_for("zh")["title"] = "changed"
    assert labels_for("zh")["title"] == "模拟面试报告"
    with pytest.raises(KeyError):
        labels_for("fr")


def test_phrase_templates_have_the_same_placeholders() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    zh, en = labels_for("zh"), labels_for("en")
    for key in zh:
        assert fields(zh[key]) == fields(en[key]), key


# --------------------------------------------------------------------------- cover pairs and metadata


def test_pairs_only_for_given_fields() -> None:
    view = build_view(fixture("envelope.json"), generated_at=GENERATED)
    assert view.candidate == [] and view.interview == []
    document = json.loads((FIXTURES / "minimal.json").read_text(encoding="utf-8"))
    document["candidate"] = {"targetPosition": "后端", "name": " "}
    document["interview"] = {"interviewType": "技术面"}
    view = build_view(load_document(document), generated_at=GENERATED)
    assert [(pair.label, pair.value) for pair in view.candidate] == [("目标岗位", "后端")]
    assert [(pair.label, pair.value) for pair in view.interview] == [("面试类型", "技术面")]


def test_pairs_for_every_extension_in_english() -> None:
    view = build_view(fixture("full_extensions_en.json"), generated_at=GENERATED)
    assert [(p.label, p.value) for p in view.candidate] == [
        ("Candidate", "Alice Zhang"),
        ("Target position", "Senior Backend Engineer"),
        ("Experience", "6 years"),
    ]
    assert [(p.label, p.value) for p in view.interview] == [
        ("Interview date", "29 Nov 2026, 09:05 UTC"),
        ("Interviewer", "Bob Li"),
        ("Interview type", "Technical (system design)"),
    ]


@pytest.mark.parametrize(
    ("candidate", "author"),
    [
        (None, "texreport"),
        ({}, "texreport"),
        ({"name": ""}, "texreport"),
        ({"targetPosition": "Java"}, "texreport"),
        ({"name": "张伟"}, "张伟"),
    ],
)
def test_metadata_author_is_never_invented(candidate: dict[str, str] | None, author: str) -> None:
    document = json.loads((FIXTURES / "minimal.json").read_text(encoding="utf-8"))
    if candidate is not None:
        document["candidate"] = candidate
    view = build_view(load_document(document), generated_at=GENERATED)
    assert view.metadata.author == author
    for text in (view.metadata.author, *(pair.value for pair in view.candidate)):
        assert "匿名" not in text and "Anonymous" not in text


def test_metadata_fields() -> None:
    view = build_view(load_json(sample_json()), generated_at=GENERATED)
    assert view.metadata.title == "模拟面试报告 — a3f9c2e17b4d8e60"
    assert view.metadata.keywords == "Java基础, Java集合, Java并发, JVM, MySQL, Redis, Spring, SpringBoot, 项目经历"
    assert view.metadata.subject == "Java 后端开发工程师 模拟面试评估报告"
    assert view.metadata.creator.startswith("texreport ") and len(view.metadata.creator) > len("texreport ")
    english = build_view(fixture("minimal.json"), lang="en", generated_at=GENERATED)
    assert english.metadata.title == "Mock Interview Report — m1n1m4l5e5510n01"
    assert english.metadata.subject == "Mock interview evaluation report"


# --------------------------------------------------------------------------- questions


def test_questions_sorted_and_references_matched_by_index() -> None:
    view = build_view(fixture("envelope.json"), generated_at=GENERATED)
    assert [(q.number, q.question_index) for q in view.questions] == [(1, 0), (2, 1), (3, 2)]
    first = view.questions[0]
    assert first.category == "Java并发" and first.score == 62 and first.band == "fair"
    assert first.reference_answer is not None and first.reference_answer.startswith("1. 实现层面")
    assert first.key_points == ["JVM 关键字 vs. AQS", "公平锁、可中断、tryLock", "锁升级"]
    assert view.questions[2].key_points == ["内存", "单线程模型", "IO 多路复用", "高效数据结构"]


def test_unanswered_and_missing_references() -> None:
    view = build_view(fixture("unanswered_and_missing_refs.json"), generated_at=GENERATED)
    by_index = {q.question_index: q for q in view.questions}
    assert by_index[3].answer is None  # null
    assert by_index[1].answer is None  # blank counts as not answered
    assert by_index[0].answer is not None
    assert view.answered_count == 2 and view.total_questions == 4
    assert by_index[0].reference_answer is not None and by_index[0].key_points == ["同步初始序列号", "防止历史连接"]
    assert by_index[2].reference_answer is None and by_index[2].key_points == []  # no reference at all
    assert by_index[3].reference_answer is None and by_index[3].key_points == []  # null reference
    assert by_index[3].feedback == ""
    assert view.overall_feedback == "" and view.strengths == []
    every_text = " ".join(_strings(view))
    assert "孤立要点" not in every_text  # the orphan reference answer is not printed


def test_total_questions_comes_from_the_report() -> None:
    report = report_with([("Redis", 70)], totalQuestions=5)
    assert build_view(report, generated_at=GENERATED).total_questions == 5


# --------------------------------------------------------------------------- categories


def test_categories_keep_report_order() -> None:
    view = build_view(load_json(sample_json()), generated_at=GENERATED)
    assert [c.position for c in view.categories] == list(range(9))
    assert view.categories[2].name == "Java并发" and view.categories[2].question_count == 2
    assert [c.band for c in view.categories[:3]] == ["good", "good", "poor"]
    assert view.extra["categories_derived"] is False


def test_categories_derived_from_questions_when_missing() -> None:
    view = build_view(fixture("unanswered_and_missing_refs.json"), generated_at=GENERATED)
    # Order of first appearance by questionIndex; 计算机网络 = mean(70, 95) = 82.5 → 83 (half up).
    assert [(c.position, c.name, c.score, c.question_count) for c in view.categories] == [
        (0, "计算机网络", 83, 2),
        (1, "操作系统", 0, 1),
        (2, "消息队列", 0, 1),
    ]
    assert view.extra["categories_derived"] is True


def test_no_questions_no_categories() -> None:
    report = load_document({"sessionId": "s", "overallScore": 0})
    view = build_view(report, generated_at=GENERATED)
    assert view.categories == [] and view.weakest == [] and view.questions == []
    assert view.answered_count == 0 and view.total_questions == 0


@pytest.mark.parametrize(
    ("categories", "weakest"),
    [
        ([("A", 90), ("B", 85)], []),
        ([("A", 80), ("B", 79)], ["B"]),
        ([("A", 70), ("B", 50), ("C", 60), ("D", 40)], ["D", "B", "C"]),
        ([("A", 60), ("B", 60), ("C", 60), ("D", 60)], ["A", "B", "C"]),  # ties keep report order
        ([("A", 79), ("B", 10), ("C", 95)], ["B", "A"]),
    ],
)
def test_weakest_categories(categories: list[tuple[str, int]], weakest: list[str]) -> None:
    view = build_view(report_with(categories), generated_at=GENERATED)
    assert [c.name for c in view.weakest] == weakest
    assert all(c in view.categories for c in view.weakest)


# --------------------------------------------------------------------------- improvement plan


def test_explicit_plan_is_used_as_given() -> None:
    view = build_view(fixture("full_extensions_en.json"), generated_at=GENERATED)
    assert view.plan_is_derived is False
    design, communication = view.plan
    assert (design.area, design.score, design.band) == ("System Design", 78, "fair")  # score from the category
    assert design.actions == ["Practise one design question a week, ending with failure modes",
                              "Read about rate limiting at the edge"]
    assert [(r.title, r.detail) for r in design.resources] == [
        ("Designing Data-Intensive Applications", "Martin Kleppmann · https://dataintensive.net/"),
        ("The System Design Primer", "https://github.com/donnemartin/system-design-primer"),
    ]
    assert (communication.score, communication.band, communication.resources) == (90, "good", [])


def test_explicit_plan_is_not_truncated() -> None:
    actions = [f"action {i}" for i in range(8)]
    report = report_with([("Redis", 50)], improvementPlan={"items": [{"area": "Redis", "actions": actions}]})
    view = build_view(report, generated_at=GENERATED)
    assert view.plan[0].actions == actions


def test_derived_plan_for_the_sample() -> None:
    view = build_view(load_json(sample_json()), generated_at=GENERATED)
    assert view.plan_is_derived is True
    assert [item.area for item in view.plan] == ["Java并发", "项目经历", "JVM", "综合提升"]
    concurrency = view.plan[0]
    assert (concurrency.score, concurrency.band) == (29, "poor")
    # The unanswered question (number 4, score 0) first, then question 3 (58), by number, not by text.
    assert concurrency.actions[0].startswith("第 4 题未作答")
    assert concurrency.actions[1].startswith("复习第 3 题（58 分）") and "4 个要点" in concurrency.actions[1]
    assert any(r.title == "Java Concurrency in Practice" for r in concurrency.resources)
    general = view.plan[-1]
    assert general.score is None and general.band is None
    assert general.actions == view.improvements
    for item in view.plan:
        assert 1 <= len(item.actions) <= MAX_PLAN_ACTIONS
        assert len(item.resources) <= MAX_PLAN_RESOURCES


def test_derived_plan_in_english_prefers_english_resources() -> None:
    view = build_view(load_json(sample_json()), lang="en", generated_at=GENERATED)
    concurrency = view.plan[0]
    assert concurrency.actions[0].startswith("Question 4 was not answered")
    assert concurrency.resources[0].title == "Java Concurrency in Practice"
    assert view.plan[-1].area == "General"


def test_unanswered_without_reference_does_not_promise_one() -> None:
    view = build_view(fixture("unanswered_and_missing_refs.json"), generated_at=GENERATED)
    queue = next(item for item in view.plan if item.area == "消息队列")
    assert queue.actions[0].startswith("第 4 题未作答") and "参考答案" not in queue.actions[0]


def test_plan_when_nothing_is_weak_keeps_sharp() -> None:
    view = build_view(report_with([("Redis", 95), ("MySQL", 85), ("JVM", 90)]), generated_at=GENERATED)
    assert view.weakest == []
    assert len(view.plan) == 1
    item = view.plan[0]
    assert (item.area, item.score, item.band) == ("MySQL", 85, "good")
    assert item.actions[0] == labels_for("zh")["plan_keep_sharp_action"]
    assert 1 <= len(item.resources) <= 2


def test_plan_for_an_empty_report_is_the_generic_fallback() -> None:
    view = build_view(load_document({"sessionId": "s", "overallScore": 0}), lang="en", generated_at=GENERATED)
    assert len(view.plan) == 1
    assert view.plan[0].area == "General" and view.plan[0].actions and view.plan[0].resources


def test_general_item_holds_at_most_five_improvements() -> None:
    improvements = [f"改进 {i}" for i in range(7)] + ["   "]
    view = build_view(report_with([("Redis", 95)], improvements=improvements), generated_at=GENERATED)
    general = view.plan[-1]
    assert general.actions == improvements[:5]
    assert view.improvements == improvements[:7]  # the summary still lists them all


# --------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize(
    ("category", "entry_id"),
    [
        ("Java基础", "java-basics"),
        ("java", "java-basics"),
        ("Java集合", "java-collections"),
        ("Java并发", "java-concurrency"),
        ("Java并发编程", "java-concurrency"),
        ("并发", "java-concurrency"),
        ("concurrency", "java-concurrency"),
        ("JUC", "java-concurrency"),
        ("Java 多线程", "java-concurrency"),
        ("JVM", "jvm"),
        ("JVM调优实践", "jvm"),
        ("MySQL", "mysql"),
        ("mysql 索引优化", "mysql"),
        ("Redis", "redis"),
        ("Redis缓存设计", "redis"),
        ("Spring", "spring"),
        ("SpringBoot", "spring-boot"),
        ("spring boot", "spring-boot"),
        ("Spring Boot", "spring-boot"),
        ("Spring-Boot 原理", "spring-boot"),
        ("ＳｐｒｉｎｇＢｏｏｔ", "spring-boot"),  # full-width letters
        ("项目经历", "projects"),
        ("系统设计", "system-design"),
        ("高并发系统设计", "system-design"),
        ("System Design", "system-design"),
        ("数据结构 & 算法", "algorithms"),
        ("算法", "algorithms"),
        ("计算机网络", "networking"),
        ("TCP/IP", "networking"),
        ("操作系统", "operating-systems"),
        ("Kafka", "message-queues"),
        ("消息队列", "message-queues"),
        ("JavaScript", "general"),  # "java" inside a longer word is not Java
        ("PostgreSQL", "general"),  # nor is "sql"/"os" inside a word
        ("C#", "general"),
        ("C++", "general"),
        ("Node.js/React", "general"),
        ("{x}", "general"),
        ("", "general"),
    ],
)
def test_catalogue_matching(category: str, entry_id: str) -> None:
    assert catalogue_entry_for(category).id == entry_id


def test_catalogue_is_complete() -> None:
    entries = load_catalogue()
    ids = [entry.id for entry in entries]
    assert len(ids) == len(set(ids))
    for required in ("java-basics", "jvm", "java-collections", "java-concurrency", "mysql", "redis", "spring",
                     "spring-boot", "projects", "system-design", "algorithms", "networking",
                     "operating-systems", "message-queues", "general"):
        assert required in ids
    seen: dict[str, str] = {}
    for entry in entries:
        assert set(entry.actions) == {"zh", "en"}, entry.id
        assert all(len(entry.actions[lang]) >= 2 for lang in ("zh", "en")), entry.id
        assert 2 <= len(entry.resources) <= 4, entry.id
        assert all(resource.title and resource.detail for resource, _ in entry.resources), entry.id
        for alias in entry.aliases:
            key = catalogue_module._tight(alias)
            assert seen.setdefault(key, entry.id) == entry.id, f"alias {alias!r} in {seen[key]} and {entry.id}"


def test_catalogue_is_package_data() -> None:
    path = Path(view_module.__file__).parent / "data" / "resources.json"
    assert json.loads(path.read_text(encoding="utf-8"))["entries"]


# --------------------------------------------------------------------------- the view keeps user text intact


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(
    "name",
    ["minimal.json", "envelope.json", "full_extensions_en.json", "unanswered_and_missing_refs.json", "sample"],
)
def test_every_user_text_reaches_the_view_unchanged(name: str) -> None:
    report = load_json(sample_json()) if name == "sample" else fixture(name)
    view = build_view(report, generated_at=GENERATED)
    assert isinstance(view, ReportView)
    texts = list(_strings(view))
    for path, text in iter_text_fields(report):
        assert any(text == candidate or text in candidate for candidate in texts), path


def test_view_module_exports_are_honest() -> None:
    for name in view_module.__all__:
        assert hasattr(view_module, name), name
    for name in labels_module.__all__:
        assert hasattr(labels_module, name), name


# --------------------------------------------------------------------------- layout decisions


def test_cover_facts_are_candidate_interview_then_counts() -> None:
    view = build_view(fixture("full_extensions_en.json"), generated_at=GENERATED)
    assert view.cover_facts[:6] == [*view.candidate, *view.interview]
    assert [(p.label, p.value) for p in view.cover_facts[6:]] == [
        ("Questions", str(view.total_questions)), ("Answered", str(view.answered_count))]


def test_every_band_has_a_label_in_every_language() -> None:
    from texreport.bands import BANDS

    for lang, names in (("zh", ("优秀", "合格", "待提高")), ("en", ("Excellent", "Adequate", "Needs improvement"))):
        view = build_view(fixture("minimal.json"), lang=lang, generated_at=GENERATED)
        assert list(view.band_labels) == list(BANDS) == ["good", "fair", "poor"]
        assert tuple(view.band_labels.values()) == names


@pytest.mark.parametrize(("count", "name_length", "breaks"), [
    (view_module.LONG_TABLE_CATEGORIES, 2, False),
    (view_module.LONG_TABLE_CATEGORIES + 1, 2, True),
    (4, view_module.LONG_TABLE_NAME_CHARS // 4, False),
    (4, view_module.LONG_TABLE_NAME_CHARS // 4 + 1, True),
])
def test_category_table_breaks_across_pages_only_when_it_may_not_fit(count: int, name_length: int,
                                                                      breaks: bool) -> None:
    names = [f"{i:02d}" + "x" * (name_length - 2) for i in range(count)]
    view = build_view(report_with([(name, 70) for name in names]), generated_at=GENERATED)
    assert view.category_table_breaks is breaks


def test_no_categories_no_long_table() -> None:
    view = build_view(report_with([]), generated_at=GENERATED)
    assert view.category_table_breaks is False
