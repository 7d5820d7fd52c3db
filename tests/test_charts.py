"""charts.build_charts: the CSV files pgfplots reads hold numbers only, under the program's own file names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from test_view import report_with
from texreport.charts import BANDS, MAX_BARS_PER_CHART, MAX_RADAR_AXES, build_charts
from texreport.models import load_document
from texreport.view import build_view

FIXTURES = Path(__file__).parent / "fixtures"
NUMBER = re.compile(r"-?\d+(\.\d+)?")
NAME = re.compile(r"[a-z0-9-]*(categories-\d+-(good|fair|poor)|questions-(good|fair|poor)|radar)\.csv")


def fixture_view(name: str):
    return build_view(load_document(json.loads((FIXTURES / name).read_text(encoding="utf-8"))))


def made_view(categories: list[tuple[str, int]]):
    return build_view(report_with(categories))


def rows(content: str) -> tuple[list[str], list[list[str]]]:
    lines = content.splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:]]


HOSTILE = [("C#", 95), ("100%", 72), ("{x}", 40), ("a,b", 85), ("\\relax", 65), ("x\ny", 20)]


@pytest.mark.parametrize("view", [
    pytest.param(lambda: fixture_view("minimal.json"), id="minimal"),
    pytest.param(lambda: fixture_view("full_extensions_en.json"), id="full_extensions_en"),
    pytest.param(lambda: made_view(HOSTILE), id="hostile-names"),
    pytest.param(lambda: made_view([(f"c{i}", i * 3) for i in range(30)]), id="30-categories"),
])
def test_csv_files_hold_numbers_only_under_own_names(view) -> None:
    data = build_charts(view())
    assert data.files
    for name, content in data.files.items():
        assert NAME.fullmatch(name), name
        assert content.endswith("\n")
        header, body = rows(content)
        assert header in (["position", "score", "questions"], ["number", "score"], ["angle", "score"])
        assert body
        for row in body:
            assert len(row) == len(header)
            assert all(NUMBER.fullmatch(cell) for cell in row), (name, row)


def test_category_names_never_enter_a_csv() -> None:
    data = build_charts(made_view(HOSTILE))
    everything = "".join(data.files.values())
    for name, _ in HOSTILE:
        assert name not in everything


def test_rows_follow_each_category_band_and_position() -> None:
    view = made_view([("a", 95), ("b", 70), ("c", 30), ("d", 90)])
    data = build_charts(view)
    (chart,) = data.category_charts
    assert (chart.offset, chart.count) == (0, 4)
    seen = []
    for band in BANDS:
        expected = [c for c in view.categories if c.band == band]
        if not expected:
            assert chart.bars[band] == ""
            continue
        _, body = rows(data.files[chart.bars[band]])
        assert [(int(p), int(s), int(q)) for p, s, q in body] == [(c.position, c.score, c.question_count)
                                                                   for c in expected]
        seen += [int(p) for p, _, _ in body]
    assert sorted(seen) == [0, 1, 2, 3]


def test_question_files_by_band() -> None:
    view = made_view([("a", 95), ("b", 70), ("c", 30)])
    data = build_charts(view)
    numbers = []
    for band in BANDS:
        name = data.question_bars[band]
        expected = [(q.number, q.score) for q in view.questions if q.band == band]
        assert bool(name) == bool(expected)
        if name:
            _, body = rows(data.files[name])
            assert [(int(n), int(s)) for n, s in body] == expected
            numbers += [int(n) for n, _ in body]
    assert sorted(numbers) == sorted(q.number for q in view.questions)
    assert data.question_count == 3


@pytest.mark.parametrize(("count", "charts", "last_count"), [
    (1, 1, 1),
    (MAX_BARS_PER_CHART, 1, MAX_BARS_PER_CHART),
    (MAX_BARS_PER_CHART + 1, 2, 1),
    (2 * MAX_BARS_PER_CHART + 3, 3, 3),
])
def test_categories_split_into_charts_of_bounded_size(count: int, charts: int, last_count: int) -> None:
    data = build_charts(made_view([(f"c{i}", 50 + i % 50) for i in range(count)]))
    assert len(data.category_charts) == charts
    assert [c.offset for c in data.category_charts] == [i * MAX_BARS_PER_CHART for i in range(charts)]
    assert data.category_charts[-1].count == last_count
    assert data.category_count == count
    for number, chart in enumerate(data.category_charts, start=1):
        for band, name in chart.bars.items():
            if name:
                assert name == f"categories-{number}-{band}.csv"
                _, body = rows(data.files[name])
                # positions are relative to the chart's first category
                assert all(0 <= int(p) < chart.count for p, _, _ in body)


@pytest.mark.parametrize(("count", "radar"), [
    (1, False), (2, False), (3, True), (MAX_RADAR_AXES, True), (MAX_RADAR_AXES + 1, False),
])
def test_radar_only_between_three_and_max_axes(count: int, radar: bool) -> None:
    view = made_view([(f"c{i}", 10 + i) for i in range(count)])
    data = build_charts(view)
    assert bool(data.radar) == radar
    if radar:
        assert data.radar == "radar.csv"
        header, body = rows(data.files["radar.csv"])
        assert header == ["angle", "score"]
        assert len(body) == count + 1
        assert float(body[0][0]) == 0
        assert body[-1] == ["360", body[0][1]]   # the polygon closes on the first score
        angles = [float(a) for a, _ in body]
        assert angles == sorted(angles)
    else:
        assert "radar.csv" not in data.files


@pytest.mark.parametrize(("questions", "ticks"), [
    (0, ""),
    (1, "1"),
    (3, "1,2,3"),
    (25, ",".join(str(i) for i in range(1, 26))),
    (26, "1,2,4,6,8,10,12,14,16,18,20,22,24,26"),
    (60, "1,5,10,15,20,25,30,35,40,45,50,55,60"),
])
def test_question_ticks(questions: int, ticks: str) -> None:
    view = made_view([(f"c{i}", 50) for i in range(questions)]) if questions else None
    if view is None:
        document = {"sessionId": "s-1", "overallScore": 70, "categoryScores": [], "questionDetails": []}
        view = build_view(load_document(document))
    assert build_charts(view).question_ticks == ticks


@pytest.mark.parametrize("prefix", ["r1-", "abc", "0-0-"])
def test_prefix_keeps_reports_apart(prefix: str) -> None:
    view = made_view([("a", 95), ("b", 70), ("c", 30)])
    plain, prefixed = build_charts(view), build_charts(view, prefix=prefix)
    assert sorted(prefixed.files) == sorted(prefix + name for name in plain.files)
    assert all(prefixed.files[prefix + name] == content for name, content in plain.files.items())
    assert prefixed.radar == prefix + plain.radar


@pytest.mark.parametrize("prefix", ["A", "x_", "../", "a b", "é", "x/"])
def test_prefix_outside_own_alphabet_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        build_charts(made_view([("a", 50)]), prefix=prefix)
