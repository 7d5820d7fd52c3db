"""Size limits are refused before compiling, naming field and limit; compile timeout and rlimits hold.

The limits are documented in :mod:`texreport.models`; the compile bounds in
:class:`texreport.compiler.CompileLimits`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_support import xelatex_processes_in
from texreport import limits, models
from texreport.compiler import CompileLimits, compile_tex
from texreport.errors import CompileError, CompileTimeout, InputError, LimitError
from texreport.models import load_document, load_json

TEXREPORT = Path(sys.executable).parent / "texreport"


def _answer(d, n):
    d["questionDetails"][0]["userAnswer"] = "答" * n


def _feedback(d, n):
    d["questionDetails"][1]["feedback"] = "x" * n


def _overall(d, n):
    d["overallFeedback"] = "y" * n


def _reference(d, n):
    d["referenceAnswers"][0]["referenceAnswer"] = "z" * n


def _question(d, n):
    d["questionDetails"][2]["question"] = "q" * n


def _strength(d, n):
    d["strengths"] = ["s" * n]


def _key_point(d, n):
    d["referenceAnswers"][0]["keyPoints"] = ["k" * n]


def _category(d, n):
    d["categoryScores"][0]["category"] = "c" * n


def _candidate(d, n):
    d["candidate"] = {"name": "n" * n}


def _questions(d, n):
    template = d["questionDetails"][0]
    d["questionDetails"] = [dict(template, questionIndex=i) for i in range(n)]
    d["referenceAnswers"] = []


def _categories(d, n):
    d["categoryScores"] = [{"category": f"c{i}", "score": 50, "questionCount": 1} for i in range(n)]


def _strengths(d, n):
    d["strengths"] = ["ok"] * n


def _key_points(d, n):
    d["referenceAnswers"][0]["keyPoints"] = ["ok"] * n


def _question_category(d, n):
    d["questionDetails"][1]["category"] = "类" * n


def _area(d, n):
    d["improvementPlan"] = {"items": [{"area": "域" * n}]}


def _actions(d, n):
    d["improvementPlan"] = {"items": [{"area": "a", "actions": ["ok"] * n}]}


def _derived_categories(d, n):
    # Without categoryScores the questions' categories become the category table: the same cap.
    template = d["questionDetails"][0]
    d["questionDetails"] = [dict(template, questionIndex=i, category=f"c{i}") for i in range(n)]
    d["referenceAnswers"] = []
    d["categoryScores"] = []


def _plan_items(d, n):
    d["improvementPlan"] = {"items": [{"area": f"a{i}"} for i in range(n)]}


LIMITS = [
    # (id, setter, size at the limit, limit, field named)
    ("userAnswer", _answer, limits.MAX_TEXT_CHARS, limits.MAX_TEXT_CHARS, "questionDetails.0.userAnswer"),
    ("feedback", _feedback, limits.MAX_TEXT_CHARS, limits.MAX_TEXT_CHARS, "questionDetails.1.feedback"),
    ("overallFeedback", _overall, limits.MAX_TEXT_CHARS, limits.MAX_TEXT_CHARS, "overallFeedback"),
    ("referenceAnswer", _reference, limits.MAX_TEXT_CHARS, limits.MAX_TEXT_CHARS, "referenceAnswers.0.referenceAnswer"),
    ("question", _question, limits.MAX_TEXT_CHARS, limits.MAX_TEXT_CHARS, "questionDetails.2.question"),
    ("strength", _strength, limits.MAX_ITEM_CHARS, limits.MAX_ITEM_CHARS, "strengths.0"),
    ("keyPoint", _key_point, limits.MAX_ITEM_CHARS, limits.MAX_ITEM_CHARS, "referenceAnswers.0.keyPoints.0"),
    ("category", _category, limits.MAX_HEADING_CHARS, limits.MAX_HEADING_CHARS, "categoryScores.0.category"),
    ("questionCategory", _question_category, limits.MAX_HEADING_CHARS, limits.MAX_HEADING_CHARS,
     "questionDetails.1.category"),
    ("area", _area, limits.MAX_HEADING_CHARS, limits.MAX_HEADING_CHARS, "improvementPlan.items.0.area"),
    ("candidateName", _candidate, limits.MAX_LABEL_CHARS, limits.MAX_LABEL_CHARS, "candidate.name"),
    ("questions", _questions, limits.MAX_QUESTIONS, limits.MAX_QUESTIONS, "questionDetails"),
    ("categories", _categories, limits.MAX_CATEGORIES, limits.MAX_CATEGORIES, "categoryScores"),
    ("strengths", _strengths, limits.MAX_LIST_ITEMS, limits.MAX_LIST_ITEMS, "strengths"),
    ("keyPoints", _key_points, limits.MAX_LIST_ITEMS, limits.MAX_LIST_ITEMS, "referenceAnswers.0.keyPoints"),
    ("planItems", _plan_items, limits.MAX_CATEGORIES, limits.MAX_CATEGORIES, "improvementPlan.items"),
    ("derivedCategories", _derived_categories, limits.MAX_CATEGORIES, limits.MAX_CATEGORIES, "questionDetails"),
    ("actions", _actions, limits.MAX_LIST_ITEMS, limits.MAX_LIST_ITEMS, "improvementPlan.items.0.actions"),
]


@pytest.mark.parametrize("name, put, size, limit, field", LIMITS, ids=[c[0] for c in LIMITS])
def test_at_the_limit_is_accepted(document, name, put, size, limit, field):
    put(document, size)
    load_document(document)


@pytest.mark.parametrize("name, put, size, limit, field", LIMITS, ids=[c[0] for c in LIMITS])
def test_over_the_limit_is_refused_naming_field_and_limit(document, name, put, size, limit, field):
    put(document, size + 1)
    with pytest.raises(LimitError) as caught:
        load_document(document)
    error = caught.value
    assert isinstance(error, InputError) and error.exit_code == 2
    assert error.field == field and error.limit == limit
    assert field in str(error) and f"{limit}" in str(error)


def _lines(d, n):
    d["questionDetails"][0]["feedback"] = "\n".join(["a"] * n)


def test_line_limit_per_field(document):
    _lines(document, limits.MAX_TEXT_LINES)
    load_document(document)
    _lines(document, limits.MAX_TEXT_LINES + 1)
    with pytest.raises(LimitError) as caught:
        load_document(document)
    assert caught.value.field == "questionDetails.0.feedback" and caught.value.limit == limits.MAX_TEXT_LINES
    assert "lines" in str(caught.value) and str(limits.MAX_TEXT_LINES) in str(caught.value)


def test_fields_at_their_limits_render(document, tmp_path):
    # The limits are honest: the worst shapes the limits allow compile (measured ~2-3 s).
    from hostile_support import pdf_page_count
    from texreport.pipeline import render

    document["questionDetails"][0]["userAnswer"] = "多" * limits.MAX_TEXT_CHARS
    document["questionDetails"][0]["feedback"] = "\n".join(["a"] * limits.MAX_TEXT_LINES)
    width = limits.MAX_TEXT_CHARS // limits.MAX_TEXT_LINES - 1
    document["questionDetails"][1]["userAnswer"] = "\n".join(["線" * width] * limits.MAX_TEXT_LINES)
    pdf = tmp_path / "limits.pdf"
    pdf.write_bytes(render(document))
    assert pdf_page_count(pdf) > 20


def test_issue_examples_are_refused(document):
    document["questionDetails"][0]["userAnswer"] = "a" * 200_000
    with pytest.raises(LimitError, match=r"questionDetails.0.userAnswer.*200000.*20000"):
        load_document(document)
    _questions(document, 2000)
    with pytest.raises(LimitError, match=r"questionDetails.*2000.*500"):
        load_document(document)


def test_whole_document_text_limit(document):
    # 30 answers of 18,000 characters: each within its field limit, the total (540,000) not.
    template = document["questionDetails"][0]
    document["questionDetails"] = [dict(template, questionIndex=i, userAnswer="w" * 18_000) for i in range(30)]
    with pytest.raises(LimitError) as caught:
        load_document(document)
    assert caught.value.field is None and caught.value.limit == limits.MAX_TOTAL_CHARS
    assert str(limits.MAX_TOTAL_CHARS) in str(caught.value)


def test_document_bytes_limit():
    with pytest.raises(LimitError) as caught:
        load_json(b'{"sessionId": "x", "pad": "' + b"p" * limits.MAX_DOCUMENT_BYTES + b'"}')
    assert caught.value.limit == limits.MAX_DOCUMENT_BYTES and str(limits.MAX_DOCUMENT_BYTES) in str(caught.value)


def test_huge_list_is_refused_before_validation(document, monkeypatch):
    # 100,000 invalid entries: refused on length alone, long before pydantic would list 100,000 errors.
    document["questionDetails"] = [{}] * 100_000

    def must_not_validate(cls, *args, **kwargs):
        raise AssertionError("pydantic validation ran on a list over the limit")

    monkeypatch.setattr(models.Report, "model_validate", classmethod(must_not_validate))
    with pytest.raises(LimitError) as caught:
        load_document(document)
    assert "questionDetails" in str(caught.value)


def test_limits_are_checked_before_anything_compiles(document, monkeypatch):
    import texreport.compiler
    import texreport.pipeline
    import texreport.transports

    def must_not_run(*args, **kwargs):
        raise AssertionError("compile_tex called for a document over the limits")

    monkeypatch.setattr(texreport.transports, "compile_tex", must_not_run)
    monkeypatch.setattr(texreport.compiler, "compile_tex", must_not_run)
    document["questionDetails"][0]["feedback"] = "f" * (limits.MAX_TEXT_CHARS + 1)
    with pytest.raises(LimitError):
        texreport.pipeline.render(document)


def test_cli_exits_2_naming_field_and_limit(tmp_path, document):
    document["questionDetails"][0]["userAnswer"] = "a" * 200_000
    source = tmp_path / "big.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out.pdf"
    result = subprocess.run([str(TEXREPORT), "render", str(source), "-o", str(out)], capture_output=True, timeout=120)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "questionDetails.0.userAnswer" in message and str(limits.MAX_TEXT_CHARS) in message
    assert "Traceback" not in message and not out.exists()


# ---------------------------------------------------------------- compile bounds


def _compile(folder: Path, body: str, limits: CompileLimits) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "report.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n" + body + "\n\\end{document}\n", encoding="utf-8")
    compile_tex(folder, "report.tex", limits=limits)


def test_wall_clock_timeout_kills_a_runaway(tmp_path):
    # the endless loop ends only by the wall-clock timeout (pytest's own timeout would catch a hang)
    with pytest.raises(CompileTimeout) as caught:
        _compile(tmp_path / "job", r"\def\x{\x}\x", CompileLimits(timeout=2))
    assert caught.value.seconds == 2
    assert xelatex_processes_in(tmp_path / "job") == []


def test_cpu_rlimit_stops_a_busy_loop_before_the_wall_clock(tmp_path):
    # a wall clock far beyond the CPU limit: only the rlimit's signal can end the run (CompileTimeout is no
    # CompileError, so a run ended by the wall clock fails this test)
    with pytest.raises(CompileError) as caught:
        _compile(tmp_path / "job", r"\loop\iftrue\repeat", CompileLimits(timeout=3600, max_cpu_seconds=2))
    assert "SIGXCPU" in str(caught.value) or "SIGKILL" in str(caught.value)


def test_file_size_rlimit_stops_a_page_flood(tmp_path):
    # a wall clock far beyond what the flood needs to reach the size limit: only the rlimit can end the run
    with pytest.raises(CompileError):
        _compile(tmp_path / "job", r"\loop\null\newpage\iftrue\repeat",
                 CompileLimits(timeout=3600, max_file_bytes=256 * 1024))
    assert all(p.stat().st_size <= 256 * 1024 for p in (tmp_path / "job").iterdir())


def test_memory_rlimit_stops_a_memory_hog(tmp_path):
    # XeTeX cannot even map its format and fonts in 64 MB of address space.
    with pytest.raises(CompileError):
        _compile(tmp_path / "job", "hello", CompileLimits(timeout=30, max_memory_bytes=64 * 1024 * 1024))
