"""Reports at the edges of what the limits allow still fit their pages and lose nothing."""

from __future__ import annotations

import pytest

from pdfcheck import body_text, render_file, squash, word_boxes
from texreport.charts import MAX_BARS_PER_CHART
from texreport.limits import MAX_CATEGORIES, MAX_HEADING_CHARS
from texreport.view import chart_label


def outside_the_page(pdf):
    # A4 is 595 x 842 pt with 20 mm side margins; a word past them ran off the page.
    return [(box, word[:30]) for _, box, word in word_boxes(pdf)
            if box[0] < 50 or box[2] > 548 or box[1] < 0 or box[3] > 842]


def many_categories(document):
    document["categoryScores"] = [
        {"category": f"类别{i:03d} Spring", "score": (i * 37) % 101, "questionCount": i % 4} for i in range(100)]
    return document


def long_category_names(document):
    document["categoryScores"][0]["category"] = ("分布式系统设计与高并发架构" * 30)[:MAX_HEADING_CHARS]
    document["categoryScores"][1]["category"] = "A" * MAX_HEADING_CHARS
    return document


_NAME = "分布式系统设计与高并发架构负载均衡" * 20


def table_rows_filling_a_page(document):
    # 25 rows of 150 characters: a plain tabular would run ~18 rows past the page's bottom.
    document["categoryScores"] = [
        {"category": f"{i:03d}{_NAME}"[:150], "score": (i * 37) % 101, "questionCount": 1} for i in range(25)]
    return document


def every_category_at_its_limit(document):
    # The most the limits allow: every category name at its length limit (also on the document-info line).
    document["categoryScores"] = [
        {"category": f"{i:03d}{_NAME}"[:MAX_HEADING_CHARS], "score": (i * 37) % 101, "questionCount": 1}
        for i in range(MAX_CATEGORIES)]
    return document


def headings_at_their_limit(document):
    # A question's category and a plan area are headings, which never break across pages.
    for i, question in enumerate(document["questionDetails"][:3]):
        question["category"] = f"{i:03d}{_NAME}"[:MAX_HEADING_CHARS]
    document["improvementPlan"] = {"items": [{"area": f"域{i}{_NAME}"[:MAX_HEADING_CHARS], "actions": ["练习"]}
                                             for i in range(3)]}
    return document


def many_questions(document):
    base = document["questionDetails"][0]
    document["questionDetails"] = [dict(base, questionIndex=i, score=i % 101) for i in range(120)]
    document["referenceAnswers"] = []
    return document


@pytest.mark.parametrize("shape", [many_categories, long_category_names, many_questions, table_rows_filling_a_page,
                                   every_category_at_its_limit, headings_at_their_limit],
                         ids=lambda f: f.__name__)
def test_extreme_reports_stay_on_their_pages(tmp_path, document, shape):
    document = shape(document)
    pdf = render_file(document, tmp_path / "extreme.pdf")
    assert outside_the_page(pdf) == []
    text = squash(body_text(pdf))   # above the footer: a row under it or past the page is lost
    for category in document["categoryScores"]:
        assert squash(category["category"]) in text   # the table always has the full name
    for question in document["questionDetails"]:
        assert squash(question["category"]) in text
    for item in (document.get("improvementPlan") or {}).get("items", []):
        assert squash(item["area"]) in text


def test_bar_charts_are_split_to_fit_a_page(document):
    from texreport.charts import build_charts
    from texreport.models import load_document
    from texreport.view import build_view

    view = build_view(load_document(many_categories(document)))
    charts = build_charts(view)
    assert [c.count for c in charts.category_charts] == [MAX_BARS_PER_CHART] * 4
    assert [c.offset for c in charts.category_charts] == [0, 25, 50, 75]
    assert charts.radar == ""   # 100 axes would be unreadable


@pytest.mark.parametrize("name, label", [
    ("Java", "Java"),
    ("x" * 40, "x" * 40),
    ("y" * 41, "y" * 39 + "…"),
    ("  spaced   out  ", "spaced out"),
])
def test_chart_labels_are_short(name, label):
    assert chart_label(name) == label


def test_page_total_is_right_wherever_the_last_line_falls(tmp_path, document):
    """The total is read when the document ends: sweep the last page's fill over a whole page."""
    import json

    from pdfcheck import pdf_pages
    from texreport.batch import plan_batch, run_batch

    document["questionDetails"] = document["questionDetails"][:1]
    document["referenceAnswers"] = document["referenceAnswers"][:1]
    sources = []
    for lines in range(1, 49):   # one more line each time: some variant ends exactly at a page bottom
        variant = dict(document, sessionId=f"fill{lines:02d}", improvementPlan={"items": [
            {"area": "Java", "actions": [f"第 {i} 行" for i in range(lines)]}]})
        path = tmp_path / "in" / f"{lines:02d}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(variant, ensure_ascii=False), encoding="utf-8")
        sources.append(path)
    summary = run_batch(plan_batch(sources), tmp_path / "out", jobs=2, group=12)
    assert summary.failed == ()
    wrong = []
    for pdf in sorted((tmp_path / "out").iterdir()):
        pages = pdf_pages(pdf)
        for number, text in enumerate(pages, start=1):
            if f"第{number}页/共{len(pages)}页" not in squash(text):
                wrong.append((pdf.name, number, len(pages)))
    assert wrong == []


def test_very_long_candidate_details_break_across_pages(tmp_path, document):
    value = "张" * 300 + "Z" * 300 + "_".join(["tok"] * 100)  # no "-": pdftotext drops it at line ends
    document["candidate"] = {"name": value[:1000], "targetPosition": value[:1000], "experienceLevel": value[:1000]}
    document["interview"] = {"interviewer": value[:1000], "interviewType": value[:1000]}
    pdf = render_file(document, tmp_path / "cover.pdf")
    assert outside_the_page(pdf) == []
    assert squash(value[:1000]) in squash(body_text(pdf))
