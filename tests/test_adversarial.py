"""Hostile text in every kind of field renders literally; nothing is read, written or run.

All cases go into ONE document (one compile), each as a question's answer, so the
suite stays fast; the checks then look for each case's visible text in the PDF.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pdfcheck import body_text, render_file, squash, word_boxes

MARKER = "/tmp/texreport-adversarial-pwned"
TOKEN = "".join("abcdefghij"[i % 10] for i in range(2000))
URL = "https://example.com/" + "/".join(f"segment{i:03d}" for i in range(40)) + "?q=" + "x" * 20

# (case name, input text, the characters the PDF must show, whitespace ignored)
CASES = [
    ("input", r"\input{/etc/passwd}", r"\input{/etc/passwd}"),
    ("write18", rf"\immediate\write18{{touch {MARKER}}}", rf"\immediate\write18{{touch {MARKER}}}"),
    ("caret-notation", r"^^5cinput{/etc/hostname}", r"^^5cinput{/etc/hostname}"),
    ("caret4-notation", r"^^^^005cinput{/etc/hostname}", r"^^^^005cinput{/etc/hostname}"),
    ("endless-loop", r"\def\x{\x}\x", r"\def\x{\x}\x"),
    ("end-document", "\\end{document}\nafter the end", "\\end{document}after the end"),
    ("unbalanced", "}}} {{{ unbalanced {", "}}}{{{unbalanced{"),
    ("percent", "100% done % not a comment", "100%done%notacomment"),
    ("specials", r"\ { } $ & # % _ ~ ^", r"\{}$&#%_~^"),
    # One backtick only: a pair would be a Markdown code span (the fields are Markdown).
    ("ligatures", "a -- b --- c ``q'' \"d\" 'e' !` << >> ,,", "a--b---c``q''\"d\"'e'!`<<>>,,"),
    ("inverted-ligature", "?` alone", "?`alone"),
    ("emoji", "表情 😀 🚀 ✅ ❤", "表情😀🚀✅❤"),
    ("rare-cjk", "𠮷野家 𪚥", "𠮷野家𪚥"),
    ("long-token", TOKEN, TOKEN),
    ("long-url", URL, URL),
    ("control-chars", "a\x00b\x07c\x1bd\x7fe\u200bf\ufeffg\u202eh", "abcdefgh"),
    ("verbatim-breakout", "```\n\\end{Verbatim}\n\\input{/etc/passwd}\n```", "\\end{Verbatim}\\input{/etc/passwd}"),
    ("jinja", "{{ 7*7 }} {% raw %} \\VAR{x} \\BLOCK{if} ((( y )))", "{{7*7}}{%raw%}\\VAR{x}\\BLOCK{if}(((y)))"),
    ("link", "[click](javascript:alert(1)) <b>html</b> # heading", "[click](javascript:alert(1))<b>html</b>#heading"),
    ("item-bracket", "[optional] arg \\item[x] y", "[optional]arg\\item[x]y"),
    # GFM backslash escapes (the fields are Markdown): "\^" prints "^" and "\@" prints "@".
    ("catcode", r"\catcode`\^^M=13 \makeatletter\@@end", r"\catcode`^^M=13\makeatletter@@end"),
]


@pytest.fixture(scope="module")
def hostile_pdf(tmp_path_factory, sample_document):
    import copy

    data = copy.deepcopy(sample_document)
    report = data["data"]
    template = report["questionDetails"][0]
    report["questionDetails"] = []
    report["referenceAnswers"] = []
    for index, (name, text, _) in enumerate(CASES):
        detail = dict(template, questionIndex=index, question=f"case {name}", userAnswer=text, score=50,
                      feedback=f"feedback {name}")
        report["questionDetails"].append(detail)
    report["totalQuestions"] = len(CASES)
    report["strengths"] = [r"\input{/etc/passwd} 100% & #1"]
    report["categoryScores"] = [
        {"category": name, "score": score, "questionCount": 1}
        for name, score in [("C#", 85), ("C++", 65), ("100%", 40), ("数据结构 & 算法", 70), ("{x}", 90),
                            ("a_b^c~d$e", 55)]
    ]
    path = tmp_path_factory.mktemp("hostile") / "hostile.pdf"
    render_file(data, path)
    return path


@pytest.fixture(scope="module")
def hostile_text(hostile_pdf):
    return squash(body_text(hostile_pdf))


@pytest.mark.parametrize("name, text, shown", CASES, ids=[c[0] for c in CASES])
def test_case_renders_literally(hostile_text, name, text, shown):
    assert squash(shown) in hostile_text


def test_nothing_read_or_run(hostile_text):
    assert not Path(MARKER).exists()
    assert "root:x:0:0" not in hostile_text
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    if len(hostname) >= 6:
        assert squash(hostname) not in hostile_text.replace("/etc/hostname", "")


@pytest.mark.parametrize("category", ["C#", "C++", "100%", "数据结构 & 算法", "{x}", "a_b^c~d$e"])
def test_category_names_chart_and_table_correctly(hostile_pdf, category):
    # Each category appears in the table, the bar chart and the radar chart: at least three times.
    full = squash(subprocess.run(["pdftotext", "-enc", "UTF-8", str(hostile_pdf), "-"],
                                 capture_output=True, check=True).stdout.decode())
    assert full.count(squash(category)) >= 3


def test_nothing_runs_off_the_page(hostile_pdf):
    # A4 is 595 x 842 pt; the margins are 20 mm (56.7 pt) left and right.
    offenders = [(box, word[:40]) for _, box, word in word_boxes(hostile_pdf)
                 if box[0] < 50 or box[2] > 595 - 50]
    assert offenders == []
