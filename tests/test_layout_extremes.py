"""Reports at the edges of what the limits allow still fit their pages and lose nothing."""

from __future__ import annotations

import pytest

from pdfcheck import render_file, squash
from test_adversarial import word_boxes
from test_pdf_output import body_text
from texreport.charts import MAX_BARS_PER_CHART
from texreport.view import chart_label


def outside_the_page(pdf):
    # A4 is 595 x 842 pt with 20 mm side margins; a word past them ran off the page.
    return [(box, word[:30]) for box, word in word_boxes(pdf)
            if box[0] < 50 or box[2] > 548 or box[1] < 0 or box[3] > 842]


def many_categories(document):
    document["categoryScores"] = [
        {"category": f"类别{i:03d} Spring", "score": (i * 37) % 101, "questionCount": i % 4} for i in range(100)]
    return document


def long_category_names(document):
    document["categoryScores"][0]["category"] = "分布式系统设计与高并发架构" * 30
    document["categoryScores"][1]["category"] = "A" * 900
    return document


def many_questions(document):
    base = document["questionDetails"][0]
    document["questionDetails"] = [dict(base, questionIndex=i, score=i % 101) for i in range(120)]
    document["referenceAnswers"] = []
    return document


@pytest.mark.parametrize("shape", [many_categories, long_category_names, many_questions],
                         ids=lambda f: f.__name__)
def test_extreme_reports_stay_on_their_pages(tmp_path, document, shape):
    document = shape(document)
    pdf = render_file(document, tmp_path / "extreme.pdf")
    assert outside_the_page(pdf) == []
    text = squash(body_text(pdf))
    for category in document["categoryScores"]:
        assert squash(category["category"]) in text   # the table always has the full name


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
