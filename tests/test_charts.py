"""charts.build_charts: the CSV files pgfplots reads hold numbers only, under the program's own file names."""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
from pathlib import Path

import pytest

from pdfcheck import pdf_pages, word_boxes
from test_view import report_with
from texreport.charts import BANDS, MAX_BARS_PER_CHART, MAX_RADAR_AXES, build_charts
from texreport.labels import labels_for
from texreport.models import load_document
from texreport.theme import builtin_theme
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


# --------------------------------------------------------------------------- the charts as a reader sees them
# A real PDF, rasterised: each bar is a solid rectangle of its band's fill colour (the theme's),
# as long as its score; every label is text pdftotext extracts, next to what it labels.

DPI = 144
PT = 72 / DPI                                   # PDF points per pixel
SCORES = [("Alpha", 100), ("Beta", 75), ("Gamma", 50), ("Delta", 25), ("Epsilon", 90), ("Zeta", 65)]
Image = tuple[int, int, bytes]
Rect = tuple[int, int, int, int]                # x0, y0, x1, y1 in pixels (x1, y1 exclusive)


@pytest.fixture(scope="module")
def charted_pdf(tmp_path_factory) -> Path:
    from pdfcheck import render_file

    return render_file(report_with(SCORES, overallScore=30), tmp_path_factory.mktemp("charts") / "charts.pdf",
                       lang="en")


def page_image(pdf: Path, page: int) -> Image:
    out = subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True, timeout=60).stdout
    _, size, _, pixels = out.split(b"\n", 3)
    width, height = map(int, size.split())
    return width, height, pixels


def band_colour(band: str) -> tuple[int, int, int]:
    fill = builtin_theme().bands[band].fill  # type: ignore[index]
    return int(fill[0:2], 16), int(fill[2:4], 16), int(fill[4:6], 16)


def solid_rectangles(image: Image, colour: tuple[int, int, int]) -> list[Rect]:
    """Every rectangle of exactly ``colour`` (anti-aliased edges are left out)."""
    width, height, pixels = image
    pattern = re.compile(b"(?:" + re.escape(bytes(colour)) + b")+")
    found: list[Rect] = []
    started: dict[tuple[int, int], int] = {}     # (x0, x1) → first row
    for y in range(height + 1):
        spans = set()
        row = pixels[y * width * 3:(y + 1) * width * 3] if y < height else b""
        position = 0
        while (match := pattern.search(row, position)) is not None:
            start = match.start() + (-match.start()) % 3    # a run starts on a pixel
            if match.end() - start >= 3:
                spans.add((start // 3, start // 3 + (match.end() - start) // 3))
            position = max(match.end(), start)
        for span in [s for s in started if s not in spans]:
            found.append((span[0], started.pop(span), span[1], y))
        for span in spans:
            started.setdefault(span, y)
    return found


def page_with(pdf: Path, text: str) -> int:
    return next(number for number, page in enumerate(pdf_pages(pdf), start=1) if text in page)


def centre_y(box: tuple[float, float, float, float]) -> float:
    return (box[1] + box[3]) / 2


def test_bars_are_as_long_as_their_scores_in_their_band_colour(charted_pdf: Path) -> None:
    page = page_with(charted_pdf, labels_for("en")["category_breakdown"])
    image = page_image(charted_pdf, page)
    bar_height = 0.55 / 2.54 * DPI                 # 0.55 cm
    bars = sorted(((rect, band) for band in BANDS for rect in solid_rectangles(image, band_colour(band))
                   if abs((rect[3] - rect[1]) - bar_height) <= 2), key=lambda bar: bar[0][1])  # top to bottom
    view = made_view(SCORES)
    assert [band for _, band in bars] == [category.band for category in view.categories]
    assert max(rect[0] for rect, _ in bars) - min(rect[0] for rect, _ in bars) <= 1   # all start on the axis
    per_point = [(rect[2] - rect[0]) / score for (rect, _), (_, score) in zip(bars, SCORES, strict=True)]
    assert max(per_point) - min(per_point) <= 2 / 25   # lengths proportional to scores (±1 px at score 25)
    words = [(box, word) for number, box, word in word_boxes(charted_pdf) if number == page]
    for (rect, _), (name, score) in zip(bars, SCORES, strict=True):
        middle = (rect[1] + rect[3]) / 2 * PT
        label = next(box for box, word in words if word == name and abs(centre_y(box) - middle) < 2)
        assert 0 < rect[0] * PT - label[2] < 12      # the name ends left of the bar
        value = next(box for box, word in words if word == str(score) and abs(centre_y(box) - middle) < 2)
        assert 0 < value[0] - rect[2] * PT < 8       # the score right after the bar's end


def test_question_columns_are_as_high_as_their_scores(charted_pdf: Path) -> None:
    page = page_with(charted_pdf, labels_for("en")["question_scores"])
    image = page_image(charted_pdf, page)
    columns = sorted((rect, band) for band in BANDS for rect in solid_rectangles(image, band_colour(band))
                     if rect[3] - rect[1] > 20 and rect[2] - rect[0] > 20)
    columns = [c for c in columns if abs(c[0][3] - max(r[3] for r, _ in columns)) <= 1]  # standing on the axis
    view = made_view(SCORES)
    assert [band for _, band in columns] == [q.band for q in view.questions]
    per_point = [(rect[3] - rect[1]) / q.score for (rect, _), q in zip(columns, view.questions, strict=True)]
    assert max(per_point) - min(per_point) <= 2 / 25
    hundred = 4 / 2.54 * DPI                       # score 100 is 4 cm high
    assert hundred / 100 - 0.05 < min(per_point) and max(per_point) < hundred / 100 + 0.05
    words = [(box, word) for number, box, word in word_boxes(charted_pdf) if number == page]
    for (rect, _), q in zip(columns, view.questions, strict=True):
        middle = (rect[0] + rect[2]) / 2 * PT
        tick = next(box for box, word in words if word == str(q.number) and abs((box[0] + box[2]) / 2 - middle) < 1)
        assert 0 < tick[1] - rect[3] * PT < 8      # the question's number under its column


def test_radar_labels_go_clockwise_from_the_top(charted_pdf: Path) -> None:
    """Each category's name sits at its spoke's end: the first at the top, the others clockwise."""
    boxes = word_boxes(charted_pdf)
    pages = [number for number, _, word in boxes if word == "Zeta"]
    radar_page = max(set(pages), key=pages.count)   # the page with the table and the radar
    found = {word: box for number, box, word in boxes if number == radar_page and word in dict(SCORES)}
    assert set(found) == set(dict(SCORES))
    # each name is in the table, then on the radar (then in the weakest categories' panel)
    radar = {name: sorted((box for number, box, word in boxes if number == radar_page and word == name),
                          key=lambda box: box[1])[1] for name, _ in SCORES}
    centres = {name: ((box[0] + box[2]) / 2, centre_y(box)) for name, box in radar.items()}
    middle_x = sum(x for x, _ in centres.values()) / len(centres)
    middle_y = sum(y for _, y in centres.values()) / len(centres)
    angles = []                                        # clockwise from the top, in degrees
    for name, _ in SCORES:
        x, y = centres[name]
        angles.append(math.degrees(math.atan2(x - middle_x, middle_y - y)) % 360)
    for index, angle in enumerate(angles):
        expected = index * 360 / len(SCORES)
        assert min(abs(angle - expected), 360 - abs(angle - expected)) < 15, (SCORES[index][0], angle)


def ring_pixels(image: Image, colour: tuple[int, int, int], centre: tuple[float, float], inner: float,
                outer: float) -> int:
    """Pixels of ``colour`` between ``inner`` and ``outer`` points from ``centre`` (points)."""
    return sum(1 for x0, y0, x1, y1 in solid_rectangles(image, colour) for x in range(x0, x1) for y in range(y0, y1)
               if inner <= math.dist(((x + 0.5) * PT, (y + 0.5) * PT), centre) <= outer)


@pytest.mark.parametrize("score", [30, 85])
def test_cover_gauge_is_filled_as_far_as_the_score(tmp_path: Path, score: int) -> None:
    from pdfcheck import render_file

    pdf = render_file(report_with([("a", 50)], overallScore=score), tmp_path / "gauge.pdf")
    words = [(box, word) for number, box, word in word_boxes(pdf) if number == 1]
    slash = next(index for index, (_, word) in enumerate(words) if word == "/")
    assert words[slash + 1][1] == "100" and words[slash - 1][1] == str(score)   # "score / 100" is text
    # "/ 100" is 0.75 cm under the ring's centre; the ring is 2.6 cm round, 9 mm wide
    centre = ((words[slash][0][0] + words[slash + 1][0][2]) / 2, centre_y(words[slash][0]) - 0.75 / 2.54 * 72)
    image = page_image(pdf, 1)
    band = "poor" if score < 60 else "good"
    panel = builtin_theme().colours["panel"]
    empty_colour = int(panel[0:2], 16), int(panel[2:4], 16), int(panel[4:6], 16)
    filled = ring_pixels(image, band_colour(band), centre, 65, 82)
    empty = ring_pixels(image, empty_colour, centre, 65, 82)
    assert abs(filled / (filled + empty) - score / 100) < 0.02


def test_progress_trend_points_sit_at_their_scores(tmp_path: Path) -> None:
    """The overall trend: each session's score printed above its point, the points evenly apart,
    as high as their scores (the axis is 6.4 cm less 45 pt high for 0 … 105)."""
    from test_progress_pdf import render, reports, when
    from texreport.progress_sample import progress_sample_documents

    sessions = sorted(reports(progress_sample_documents()), key=when)
    pdf = render(sessions, tmp_path / "progress.pdf", lang="en")
    page = page_with(pdf, labels_for("en")["progress_overall_trend"])
    small = [(box, word) for number, box, word in word_boxes(pdf) if number == page and box[3] - box[1] < 8]
    labels = []
    for session in sessions:   # a score's label is the first small word with its value right of the last
        after = labels[-1][0] if labels else 0
        labels.append(next(((box[0] + box[2]) / 2, box[3]) for box, word in sorted(small)
                           if word == str(session["overallScore"]) and box[0] > after))
    steps = [b[0] - a[0] for a, b in itertools.pairwise(labels)]
    assert max(steps) - min(steps) < 0.1
    per_point = (6.4 / 2.54 * 72 - 45 * 72 / 72.27) / 105
    first_score, first_bottom = sessions[0]["overallScore"], labels[0][1]
    for session, (_, bottom) in zip(sessions[1:], labels[1:], strict=True):
        assert abs((first_bottom - bottom) - (session["overallScore"] - first_score) * per_point) < 0.05
