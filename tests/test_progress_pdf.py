"""The progress report as a reader sees it: real compiles, read back with pdftotext, pypdf and the CSV files."""

from __future__ import annotations

import copy
import csv
import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest

from pdfcheck import GENERATED_AT, pdf_text, pdfinfo, squash, word_boxes
from texreport.models import load_document
from texreport.pipeline import RenderOptions
from texreport.progress import SessionInput
from texreport.progress_pipeline import render_progress_to_file
from texreport.progress_sample import SAMPLE_CANDIDATE_ID, progress_sample_documents

TEXREPORT = [sys.executable, "-m", "texreport.cli"]


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(TEXREPORT + args, cwd=cwd, capture_output=True, timeout=300)


def outside_the_page(pdf: Path) -> list[tuple[int, tuple[float, float, float, float], str]]:
    # A4 is 595 x 842 pt with 20 mm side margins; a word past them ran off the page (as test_layout_extremes).
    return [(page, box, word[:30]) for page, box, word in word_boxes(pdf)
            if box[0] < 50 or box[2] > 548 or box[1] < 0 or box[3] > 842]


def reports(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d["data"] if "data" in d and "code" in d else d for d in documents]


def when(report: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(report["interview"]["dateTime"])


def expected_rows(documents: list[dict[str, Any]]) -> dict[str, list[int | None]]:
    """Score per category per session, computed here independently of texreport.progress."""
    ordered = sorted(reports(documents), key=when)
    names = [c["category"] for r in ordered for c in r["categoryScores"]]
    rows: dict[str, list[int | None]] = {name: [None] * len(ordered) for name in dict.fromkeys(names)}
    for index, report in enumerate(ordered):
        for category in report["categoryScores"]:
            rows[category["category"]][index] = category["score"]
    return rows


def deltas(row: list[int | None]) -> list[str]:
    out, previous = [], None
    for score in row:
        if score is not None and previous is not None:
            change = score - previous
            out.append(f"↑+{change}" if change > 0 else f"↓{change}" if change < 0 else "—0")
        if score is not None:
            previous = score
    return out


def many_sessions(count: int) -> list[dict[str, Any]]:
    """``count`` sessions from the sample's five, each with its own id, date and scores."""
    base = reports(progress_sample_documents())
    out = []
    for i in range(count):
        report = copy.deepcopy(base[i % len(base)])
        report["sessionId"] = f"s{i:03d}-{report['sessionId'][:8]}"
        report["interview"]["dateTime"] = f"{date(2025, 3, 1) + timedelta(days=7 * i)}T10:00:00+08:00"
        report["overallScore"] = (37 + i * 13) % 101
        for category in report["categoryScores"]:
            category["score"] = (category["score"] + i * 7) % 101
        out.append(report)
    return out


def render(documents: list[dict[str, Any]], path: Path, **options: Any) -> Path:
    inputs = [SessionInput(load_document(d), f"{i}") for i, d in enumerate(documents)]
    return render_progress_to_file(inputs, path, options=RenderOptions(generated_at=GENERATED_AT, **options))


# --------------------------------------------------------------------------- the sample, through the CLI


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("progress")
    made = run(["sample", "--progress", "-o", "in"], folder)
    assert made.returncode == 0, made.stderr
    rendered = run(["progress", "in", "--keep", "keep"], folder)
    assert rendered.returncode == 0, rendered.stderr
    pdf = folder / f"面试进步报告_{SAMPLE_CANDIDATE_ID}.pdf"
    assert rendered.stdout.decode().strip() == pdf.name
    return pdf, folder / "keep", progress_sample_documents()


def test_every_session_id_score_and_date_is_in_the_pdf(sample_run):
    pdf, _, documents = sample_run
    lines = pdf_text(pdf, layout=True).splitlines()
    ordered = sorted(reports(documents), key=when)
    for number, report in enumerate(ordered, start=1):
        row = next(line for line in lines if report["sessionId"] in line)
        cells = squash(row)
        assert cells.startswith(f"{number}{report['sessionId']}"), row
        change = "" if number == 1 else deltas([ordered[number - 2]["overallScore"], report["overallScore"]])[0]
        day = when(report)
        assert f"{day.year}年{day.month}月{day.day}日" in cells and f"{report['overallScore']}{change}" in cells, row


def test_trend_chart_data_matches_the_inputs(sample_run):
    _, keep, documents = sample_run
    ordered = sorted(reports(documents), key=when)
    with open(keep / "progress-overall.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["session"]), int(r["score"])) for r in rows] == \
        [(n, r["overallScore"]) for n, r in enumerate(ordered, start=1)]
    expected = expected_rows(documents)
    drawn = sorted(keep.glob("progress-category-*.csv"))
    assert len(drawn) == sum(1 for row in expected.values() if sum(s is not None for s in row) >= 2)
    for position, (name, row) in enumerate(expected.items()):
        with open(keep / f"progress-category-{position}.csv", encoding="utf-8") as handle:
            scores = [None if r["score"] == "nan" else int(r["score"]) for r in csv.DictReader(handle)]
        assert scores == row, name
    # The axis labels are the session dates, the points carry the scores.
    trend_page = pdf_text(keep.parent / f"面试进步报告_{SAMPLE_CANDIDATE_ID}.pdf", first=2, last=2)
    for report in ordered:
        assert f"{when(report).month}月{when(report).day}日" in squash(trend_page)


def test_category_table_scores_and_deltas(sample_run):
    pdf, _, documents = sample_run
    lines = pdf_text(pdf, layout=True).splitlines()
    table = lines.index(next(line for line in lines if "分类 × 场次" in line))
    for name, row in expected_rows(documents).items():
        at = next(i for i in range(table, len(lines)) if lines[i].split() and squash(lines[i]).startswith(
            squash(name)) and re.search(r"\d", lines[i]))
        cells = lines[at].split()[-len(row):]
        assert cells == ["—" if s is None else str(s) for s in row], (name, lines[at])
        assert squash(lines[at + 1]) == "".join(deltas(row)), (name, lines[at + 1])


def test_what_changed_names_persistent_weak_areas_and_repeats(sample_run):
    pdf, _, documents = sample_run
    text = squash(pdf_text(pdf))
    section = text[text.index("变化分析"):text.index("改进计划")]
    lines = [squash(line) for line in pdf_text(pdf, layout=True).splitlines()]
    weak_lines = lines[lines.index("持续薄弱的分类"):lines.index("重复出现的题目")]
    for name, row in expected_rows(documents).items():
        weak = [(n, s) for n, s in enumerate(row, start=1) if s is not None and s < 60]
        listed = f"持续薄弱{squash(name)}" + ",".join(f"#{n}:{s}" for n, s in weak)
        assert (listed in weak_lines) == (len(weak) >= 2), (name, weak)
    assert "Java并发" in section[section.index("进步最大的分类"):section.index("持续薄弱的分类")]
    repeats = section[section.index("重复出现的题目"):]
    assert squash("第 2 场第 8 题: 0 (未作答)") in repeats   # the unanswered question of session 2
    assert squash("↓ -7 Redis") in section or squash("↓ -9 Redis") in section
    plan = text[text.index("改进计划"):]
    assert plan.index("持续薄弱") < plan.index("建议行动")


def test_footer_metadata_and_outline(sample_run):
    pdf, _, _ = sample_run
    pages = pdf_text(pdf).split("\f")[:-1]
    total = int(pdfinfo(pdf)["Pages"])
    for number, page in enumerate(pages, start=1):
        assert f"候选人编号:{SAMPLE_CANDIDATE_ID}" in squash(page) and f"第{number}页/共{total}页" in squash(page)
    info = pdfinfo(pdf)
    assert info["Title"] == f"面试进步报告 — {SAMPLE_CANDIDATE_ID}" and info["Author"] == "张伟"
    outline = [item.title for item in pypdf.PdfReader(pdf).outline if not isinstance(item, list)]
    assert outline[:5] == ["封面", "成绩趋势", "分类 × 场次", "变化分析", "改进计划"]


# --------------------------------------------------------------------------- sizes and shapes


@pytest.mark.parametrize("count", [2, 50])
def test_two_and_fifty_sessions_stay_on_their_pages(tmp_path, count):
    documents = many_sessions(count)
    pdf = render(documents, tmp_path / "p.pdf")
    assert outside_the_page(pdf) == []
    text = squash(pdf_text(pdf))
    for document in documents:
        assert document["sessionId"] in text


def test_english_labels(tmp_path):
    pdf = render(reports(progress_sample_documents())[:3], tmp_path / "en.pdf", lang="en")
    text = pdf_text(pdf)
    for label in ("Interview Progress Report", "Score Trend", "What Changed", "Persistent weak areas",
                  "Improvement Plan", "Candidate ID: zhang-wei"):
        assert label in text


def test_session_without_questions_and_different_categories(tmp_path):
    empty = {"sessionId": "empty-0001", "overallScore": 35, "interview": {"date": "2026-09-01"}}
    other = {"sessionId": "other-0002", "overallScore": 72, "interview": {"date": "2026-09-15"},
             "categoryScores": [{"category": "C# & .NET 100%", "score": 72, "questionCount": 1}],
             "questionDetails": [{"questionIndex": 0, "question": "What is {x}_1?", "category": "C# & .NET 100%",
                                  "userAnswer": None, "score": 0, "feedback": ""}]}
    latest = reports(progress_sample_documents())[-1]
    pdf = render([empty, other, latest], tmp_path / "mixed.pdf")
    text = squash(pdf_text(pdf))
    for session_id, score in (("empty-0001", 35), ("other-0002", 72), (latest["sessionId"], latest["overallScore"])):
        assert f"{session_id}" in text and str(score) in text
    assert "C#&.NET100%" in text
    assert outside_the_page(pdf) == []


def test_the_same_session_twice_is_refused_by_the_cli(tmp_path):
    assert run(["sample", "--progress", "-o", "in"], tmp_path).returncode == 0
    result = run(["progress", "in/session-1.json", "in/session-2.json", "in/session-1.json", "-o", "x.pdf"],
                 tmp_path)
    assert result.returncode == 2 and not (tmp_path / "x.pdf").exists()
    session_id = reports(progress_sample_documents())[0]["sessionId"]
    assert result.stderr.decode().strip() == (
        f"texreport: error: in/session-1.json: sessionId: session {session_id} is given twice "
        "(in/session-1.json and in/session-1.json)")


def test_a_bad_document_is_named_by_file_then_field(tmp_path):
    assert run(["sample", "--progress", "-o", "in"], tmp_path).returncode == 0
    broken = json.loads((tmp_path / "in" / "session-3.json").read_text(encoding="utf-8"))
    broken["data"]["questionDetails"][1]["score"] = 140
    (tmp_path / "in" / "session-3.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    result = run(["progress", "in", "-o", "x.pdf"], tmp_path)
    assert result.returncode == 2 and not (tmp_path / "x.pdf").exists()
    assert result.stderr.decode().strip() == (
        "texreport: error: in/session-3.json: questionDetails.1.score: must be from 0 to 100, got 140")
    one = run(["progress", "in/session-1.json", "-o", "x.pdf"], tmp_path)
    assert one.returncode == 2 and b"at least 2 sessions, got 1" in one.stderr
    themed = run(["progress", "in", "--theme", "nosuch", "-o", "x.pdf"], tmp_path)
    assert themed.returncode == 2 and b"theme nosuch" in themed.stderr and not (tmp_path / "x.pdf").exists()


def test_a_theme_brands_the_progress_report(tmp_path):
    pdf = render(reports(progress_sample_documents())[:2], tmp_path / "ink.pdf", theme="ink")
    cover = pdf_text(pdf, first=1, last=1)
    assert "Northwind 人才评估中心" in cover and "Confidential" in cover
    assert len(pypdf.PdfReader(pdf).pages[0].images) == 1          # the theme's logo
    plain = render(reports(progress_sample_documents())[:2], tmp_path / "default.pdf")
    assert "Northwind" not in pdf_text(plain) and not pypdf.PdfReader(plain).pages[0].images
