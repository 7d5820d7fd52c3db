"""The adversarial corpus (tests/fixtures/adversarial.json), twice.

1. Escaped, through the real pipeline: every case, in every field it lists,
   prints literally; the planted secret never appears; nothing is written or
   run; the PDF carries no javascript:/data: link or script action.  All cases
   go into ONE document (one compile), each placement introduced by a
   ``CASE <id>`` label so that a case's text is found at its own place.
2. Raw, escaping switched off: each case's text is pasted into a tiny .tex and
   compiled with :func:`texreport.compiler.compile_tex`.  The sandbox settings
   alone (openin_any=p, openout_any=p, no shell escape, timeout, rlimits) must
   stop it: no file outside the job folder read into the output, none written,
   nothing executed, loops killed, no process left.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path

import pytest

from hostile_support import body_text, full_text, link_targets, squash, words_outside_margins, xelatex_processes_in
from texreport.compiler import CompileLimits, compile_tex
from texreport.errors import RenderError, UnsupportedCharacterError
from texreport.pipeline import RenderOptions, render_to_file

CORPUS = json.loads((Path(__file__).parent / "fixtures" / "adversarial.json").read_text(encoding="utf-8"))
CASES = CORPUS["cases"]
IDS = [case["id"] for case in CASES]
MARKDOWN_FIELDS = {"userAnswer", "feedback", "referenceAnswer", "keyPoint", "strength", "planAction"}
PLAIN_FIELDS = {"category", "candidateName", "resourceTitle", "resourceUrl"}


def test_corpus_is_complete():
    assert len(CASES) >= 40
    for case in CASES:
        assert case["fields"] and set(case["fields"]) <= MARKDOWN_FIELDS | PLAIN_FIELDS, case["id"]
        assert case["attack"] and case["expect"] and case["raw"]["expect"], case["id"]
    covered = {field for case in CASES for field in case["fields"]}
    assert covered == MARKDOWN_FIELDS | PLAIN_FIELDS
    texts = " ".join(case["text"] for case in CASES)
    for attack in (r"\input", r"\include", r"\openin", r"\verbatiminput", r"\lstinputlisting", r"\catcode", "^^5c",
                   "^^^^005c", r"\openout", r"\write18", '\\input{|"', r"\def\x{\x}\x", r"\loop\null\newpage",
                   "{{ 7*7 }}", r"\VAR{", r"\BLOCK{", "(((", "javascript:", "data:", "\u202e", "\ud800"):
        assert attack in texts, attack


class Planted:
    """A secret outside the job folder and a marker path that must never appear."""

    def __init__(self, root: Path) -> None:
        self.token = "SECRET" + secrets.token_hex(12)
        self.outside = root / "outside"
        self.outside.mkdir(parents=True)
        self.secret = self.outside / "secret.txt"
        self.secret.write_text(self.token + "\n", encoding="utf-8")
        (self.outside / "secret.tex").write_text(self.token + "\n", encoding="utf-8")
        self.marker = self.outside / "pwned-marker"

    def make_secret_pdf(self) -> None:
        folder = self.outside / "make-pdf"
        folder.mkdir()
        (folder / "s.tex").write_text(f"\\documentclass{{article}}\\begin{{document}}{self.token}\\end{{document}}\n")
        pdf = compile_tex(folder, "s.tex", limits=CompileLimits(timeout=30)).pdf
        (self.outside / "secret.pdf").write_bytes(pdf.read_bytes())
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()

    def fill(self, text: str) -> str:
        return text.replace("@SECRET@", str(self.secret)).replace("@MARKER@", str(self.marker))

    def snapshot(self, root: Path, skip: Path) -> set[str]:
        return {str(p) for p in root.rglob("*") if skip not in p.parents and p != skip}


# ---------------------------------------------------------------- escaped, through the pipeline


def corpus_document(planted: Planted) -> dict:
    report = {
        "sessionId": "adversarial-corpus",
        "overallScore": 50,
        "overallFeedback": "Adversarial corpus.",
        "questionDetails": [], "referenceAnswers": [], "categoryScores": [], "strengths": [],
        "candidate": {}, "improvementPlan": {"items": []},
    }
    names = []
    for index, case in enumerate(CASES):
        text = planted.fill(case["text"])
        label = f"CASE {case['id']}"
        block = f"{label}\n\n{text}"  # label in its own paragraph: fences and lists still start a line
        line = f"{label} {text}"
        fields = set(case["fields"])
        category = line if "category" in fields else "General"
        report["questionDetails"].append({
            "questionIndex": index, "question": f"Question for {label}", "category": category,
            "userAnswer": block if "userAnswer" in fields else "ok",
            "score": 50, "feedback": block if "feedback" in fields else "ok",
        })
        if "category" in fields:
            report["categoryScores"].append({"category": category, "score": 50, "questionCount": 1})
        if fields & {"referenceAnswer", "keyPoint"}:
            report["referenceAnswers"].append({
                "questionIndex": index,
                "referenceAnswer": block if "referenceAnswer" in fields else "ok",
                "keyPoints": [line] if "keyPoint" in fields else [],
            })
        if "strength" in fields:
            report["strengths"].append(line)
        if fields & {"planAction", "resourceTitle", "resourceUrl"}:
            report["improvementPlan"]["items"].append({
                "area": f"plan {case['id']}",
                "actions": [line] if "planAction" in fields else [],
                "resources": [{"title": line if "resourceTitle" in fields else f"resource {case['id']}",
                               "url": line if "resourceUrl" in fields else None}]
                if fields & {"resourceTitle", "resourceUrl"} else [],
            })
        if "candidateName" in fields:
            names.append(line)
    report["candidate"]["name"] = " ; ".join(names)
    report["categoryScores"].append({"category": "General", "score": 70, "questionCount": 1})
    return report


@pytest.fixture(scope="module")
def escaped(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    planted = Planted(root)
    before = planted.snapshot(root, root / "out")
    pdf = render_to_file(corpus_document(planted), root / "out" / "corpus.pdf", options=RenderOptions())
    return planted, pdf, squash(body_text(pdf)), squash(full_text(pdf)), before, root


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_prints_literally_in_every_field(escaped, case):
    planted, _, body, _, _, _ = escaped
    shown = squash(f"CASE{case['id']}" + planted.fill(case["shown"]))
    # Markdown fields show what GFM makes of the text (markers consumed, escapes applied).
    markdown = squash(f"CASE{case['id']}" + planted.fill(case.get("shown_markdown", case["shown"])))
    in_markdown = len(set(case["fields"]) & MARKDOWN_FIELDS)
    # category and name labels also appear in the table and charts: at least once per placement
    if markdown == shown:
        assert body.count(shown) >= len(case["fields"]), (case["id"], shown)
    else:
        assert body.count(markdown) >= in_markdown, (case["id"], markdown)
        assert body.count(shown) >= len(case["fields"]) - in_markdown, (case["id"], shown)


@pytest.mark.slow
def test_escaped_corpus_reads_writes_and_runs_nothing(escaped):
    planted, pdf, body, full, before, root = escaped
    assert planted.token not in full
    assert "root:x:0:0" not in full
    assert not planted.marker.exists()
    assert planted.snapshot(root, root / "out") == before
    assert sorted(p.name for p in (root / "out").iterdir()) == ["corpus.pdf"]


@pytest.mark.slow
def test_jinja_never_evaluates(escaped):
    _, _, body, _, _, _ = escaped
    assert "{{7*7}}" in body and "{{7*'7'}}" in body
    assert "7777777" not in body and "XXX" not in body.replace("CASE", "")


@pytest.mark.slow
def test_no_link_or_script_annotations(escaped):
    _, pdf, _, _, _, _ = escaped
    targets = link_targets(pdf)
    # Only http(s) and mailto links (Markdown links and bare URLs) become annotations: no other
    # scheme, no script or launch action, and a target's own text cannot add one.
    assert targets and all(t.startswith(("https://", "http://", "mailto:")) for t in targets), targets
    assert not [t for t in targets if "javascript" in t.lower() or "data:" in t.lower() or "file:" in t.lower()]
    assert not [t for t in targets if any(ch in t for ch in " <>{}\\")]  # percent-encoded (the PDF gets hex strings)


@pytest.mark.slow
def test_nothing_outside_the_margins(escaped):
    _, pdf, _, _, _, _ = escaped
    assert words_outside_margins(pdf) == []


# ---------------------------------------------------------------- raw: the sandbox on its own

RAW_LIMITS = CompileLimits(timeout=6, max_file_bytes=32 * 1024 * 1024, max_cpu_seconds=20)


@pytest.fixture(scope="module")
def planted_raw(tmp_path_factory):
    planted = Planted(tmp_path_factory.mktemp("raw"))
    planted.make_secret_pdf()
    return planted


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sandbox_alone_stops_the_case(planted_raw, tmp_path, case):
    planted = planted_raw
    job = tmp_path / "job"
    job.mkdir()
    before = planted.snapshot(planted.outside.parent, job) | planted.snapshot(tmp_path, job)
    packages = "".join(f"\\usepackage{{{name}}}\n" for name in case["raw"]["packages"])
    source = f"\\documentclass{{article}}\n{packages}\\begin{{document}}\nstart\n{planted.fill(case['text'])}\n\\end{{document}}\n"
    (job / "report.tex").write_bytes(source.encode("utf-8", errors="surrogatepass"))
    outcome = "pdf"
    try:
        compile_tex(job, "report.tex", limits=RAW_LIMITS)
    except (RenderError, UnsupportedCharacterError) as error:  # raw text may hold glyphs article's font lacks
        outcome = type(error).__name__
    # nothing executed, nothing written outside the job folder
    assert not planted.marker.exists(), case["id"]
    after = planted.snapshot(planted.outside.parent, job) | planted.snapshot(tmp_path, job)
    assert after == before, (case["id"], after ^ before)
    # no file outside the folder read into anything the job produced (PDF text, log, aux files)
    for path in job.iterdir():
        data = path.read_bytes()
        assert planted.token.encode() not in data, (case["id"], path.name)
        if path.suffix == ".pdf" and data.startswith(b"%PDF"):
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60).stdout
            assert planted.token.encode() not in text and b"root:x:0:0" not in text, (case["id"], outcome)
    # loops are killed with their process group
    assert xelatex_processes_in(job) == []
    if case["threat"] == "loop" and case["id"] in ("def-loop", "empty-loop"):
        assert outcome == "CompileTimeout"
