"""Property-based fidelity: generated multilingual, hostile, Markdown-laden reports render exactly.

For every generated report: the render succeeds; in every text field (and
category names) every visible character appears in the PDF text, in order;
no word lies outside the page's side margins.  Separately, a character no font
covers, placed in any field, is refused before compiling with an error naming
the character and the field.

Profiles (``HYPOTHESIS_PROFILE``):

* ``ci`` (default): 2 x 8 documents (one test per language, so ``-n 2`` runs
  them side by side), derandomized: the same documents every run; ~30 s.
* ``large``: 2 x 150 documents, random; ``scripts/fuzz.sh`` runs it and prints
  the numbers.  Failures print the offending document (``note``).
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from hostile_support import ALPHABETS, INVISIBLE, UNCOVERED, body_text, squash, words_outside_margins
from texreport.coverage import default_chain
from texreport.errors import UnsupportedCharacterError
from texreport.models import load_document
from texreport.pipeline import RenderOptions, check_characters, render_to_file

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=8, derandomize=True, phases=[Phase.explicit, Phase.generate], **_COMMON)
settings.register_profile("large", max_examples=150, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE if PROFILE in ("ci", "large") else "ci")

STATS_FILE = os.environ.get("TEXREPORT_FUZZ_STATS")  # scripts/fuzz.sh collects numbers here

# ---------------------------------------------------------------- strategies

# Markdown markers are compared with the markers removed from both sides: which
# pairs become bold, italic, struck or code, and which backslash escapes a
# punctuation mark, is markdown-it's business; the other characters are ours.
_MARKERS = re.compile(r"[*_`~\\]")
_PLAIN = "".join(ALPHABETS.values()) + "      "
_CODE = "".join(ALPHABETS[k] for k in ("latin", "chinese", "tex", "math", "greek")).replace("`", "") + "   "


def _covered(alphabet: str) -> str:
    chain = default_chain()
    return "".join(ch for ch in dict.fromkeys(alphabet) if chain.covers(ch))


PLAIN = _covered(_PLAIN)
CODE = _covered(_CODE)

plain_run = st.text(alphabet=PLAIN + INVISIBLE, min_size=1, max_size=40)
url = st.builds(lambda path: "https://example.com/" + path,
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./?=&%#~", min_size=1, max_size=90))
long_token = st.text(alphabet="abcdefXYZ0123456789", min_size=30, max_size=200)


@st.composite
def segment(draw):
    """(markdown source, visible text) of one inline piece."""
    kind = draw(st.sampled_from(["plain", "plain", "plain", "bold", "code", "url", "token"]))
    if kind == "plain":
        text = draw(plain_run)
        return text, text
    if kind == "bold":
        inner = draw(st.text(alphabet=_covered(ALPHABETS["chinese"] + ALPHABETS["latin"]), min_size=1, max_size=12))
        return f"**{inner}**", inner
    if kind == "code":
        inner = draw(st.text(alphabet=CODE.replace(" ", ""), min_size=1, max_size=20))
        return f"`{inner}`", inner
    text = draw(url if kind == "url" else long_token)
    return text, text


# Text for places where Markdown syntax would end the construct (cells, link texts, headings).
SAFE = "".join(ch for ch in PLAIN if ch not in "|[]()\\`*_~<>#!&\n")
safe_run = st.text(alphabet=SAFE + INVISIBLE, min_size=1, max_size=20).filter(lambda t: t.strip())
link_url = st.builds(lambda path: "https://example.com/" + path,
                     st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_./?=", min_size=1, max_size=60))
LANGUAGES = ["java", "sql", "python", "bash", "shell", "yaml", "json", "xml", "go", "javascript", "typescript",
             "kotlin", "c", "c++", "", "Important: read this first", "}\\input{x}", "未知语言"]


@st.composite
def gfm_block(draw):
    """(markdown source, [visible chunks in order]) of one GFM construct beyond the old subset."""
    kind = draw(st.sampled_from(["table", "link", "heading", "quote", "deep", "fence", "task"]))
    if kind == "table":
        columns = draw(st.integers(1, 6))
        rows = draw(st.lists(st.lists(safe_run, min_size=columns, max_size=columns), min_size=2, max_size=4))
        lines = ["| " + " | ".join("格" + cell for cell in row) + " |" for row in rows]
        lines.insert(1, "|" + "".join(draw(st.sampled_from([":--|", ":-:|", "--:|", "---|"])) for _ in range(columns)))
        return "\n".join(lines), ["格" + cell for row in rows for cell in row]
    if kind == "link":
        text, target = draw(safe_run), draw(link_url)
        return f"述[链{text}]({target})", ["述", "链" + text, target]
    if kind == "heading":
        text = draw(safe_run)
        return "#" * draw(st.integers(1, 6)) + " 题" + text, ["题" + text]
    if kind == "quote":
        text = draw(safe_run)
        return "> 引" + text + "\n> > 深" + text, ["引" + text, "深" + text]
    if kind == "deep":
        depth = draw(st.integers(5, 90))
        text = draw(safe_run)
        return draw(st.sampled_from([">", "- ", "> - ", "1. "])) * depth + " 深" + text + "\n\n后" + text, \
            ["深" + text, "后" + text]
    if kind == "task":
        items = draw(st.lists(safe_run, min_size=1, max_size=3))
        return "\n".join(f"- [{draw(st.sampled_from([' ', 'x']))}] 务{item}" for item in items), \
            ["务" + item for item in items]
    language = draw(st.sampled_from(LANGUAGES))
    lines = draw(st.lists(st.text(alphabet=CODE, min_size=0, max_size=60), min_size=1, max_size=4))
    return f"```{language}\n" + "\n".join(lines) + "\n```", [language, *lines]


@st.composite
def markdown_field(draw):
    """(source, [visible chunks in order]) of a Markdown text field: paragraphs, a list, a fence."""
    chunks: list[str] = []
    blocks: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["paragraph", "paragraph", "list", "fence", "gfm"]))
        if kind == "paragraph":
            pieces = draw(st.lists(segment(), min_size=1, max_size=5))
            # Each paragraph starts with a CJK character: no line may begin with "- " or "1. " by accident.
            blocks.append("述" + " ".join(source for source, _ in pieces))
            chunks += ["述"] + [shown for _, shown in pieces]
        elif kind == "gfm":
            source, shown = draw(gfm_block())
            blocks.append(source)
            chunks += shown
        elif kind == "list":
            items = draw(st.lists(plain_run.filter(lambda t: t.strip()), min_size=1, max_size=3))
            blocks.append("\n".join(f"- 项{item}" for item in items))
            for item in items:
                chunks += ["项", item]
        else:
            lines = draw(st.lists(st.text(alphabet=CODE, min_size=0, max_size=60), min_size=1, max_size=4))
            blocks.append("```java\n" + "\n".join(lines) + "\n```")
            chunks += lines
    return "\n\n".join(blocks), chunks


@st.composite
def line_field(draw):
    text = draw(st.text(alphabet=PLAIN + INVISIBLE, min_size=1, max_size=30).filter(lambda t: squash(t)))
    return text, [text]


@st.composite
def report(draw):
    fields: dict[str, tuple[str, list[str]]] = {}
    counter = iter(range(1000))

    def put(path: str, value: tuple[str, list[str]]) -> str:
        marker = f"ZQ{next(counter)}QZ"
        fields[path] = (marker, value[1])
        return f"{marker} {value[0]}"

    categories = [put(f"categoryScores.{i}.category", draw(line_field())) for i in range(draw(st.integers(1, 3)))]
    questions = []
    references = []
    for i in range(draw(st.integers(1, 3))):
        questions.append({
            "questionIndex": i,
            "question": put(f"questionDetails.{i}.question", draw(markdown_field())),
            "category": categories[i % len(categories)],
            "userAnswer": put(f"questionDetails.{i}.userAnswer", draw(markdown_field())),
            "score": draw(st.integers(0, 100)),
            "feedback": put(f"questionDetails.{i}.feedback", draw(markdown_field())),
        })
        references.append({
            "questionIndex": i,
            "referenceAnswer": put(f"referenceAnswers.{i}.referenceAnswer", draw(markdown_field())),
            "keyPoints": [put(f"referenceAnswers.{i}.keyPoints.0", draw(line_field()))],
        })
    document = {
        "sessionId": "fuzz-" + str(draw(st.integers(0, 10**6))),
        "overallScore": draw(st.integers(0, 100)),
        "categoryScores": [{"category": c, "score": draw(st.integers(0, 100)), "questionCount": 1} for c in categories],
        "questionDetails": questions,
        "referenceAnswers": references,
        "overallFeedback": put("overallFeedback", draw(markdown_field())),
        "strengths": [put("strengths.0", draw(line_field()))],
        "improvements": [put("improvements.0", draw(markdown_field()))],
        "candidate": {"name": put("candidate.name", draw(line_field()))},
        "improvementPlan": {"items": [{
            "area": put("improvementPlan.items.0.area", draw(line_field())),
            "actions": [put("improvementPlan.items.0.actions.0", draw(markdown_field()))],
        }]},
    }
    return document, fields


# ---------------------------------------------------------------- the properties


def _comparable(text: str) -> str:
    from hostile_support import visible_characters

    return _MARKERS.sub("", visible_characters(text))


def check_fidelity(body: str, fields: dict[str, tuple[str, list[str]]]) -> list[str]:
    """Problems: fields whose marker or visible chunks are missing or out of order."""
    problems = []
    text = _MARKERS.sub("", squash(body))
    for path, (marker, chunks) in fields.items():
        position = text.find(marker)
        if position < 0:
            problems.append(f"{path}: marker {marker} not found")
            continue
        position += len(marker)
        for chunk in chunks:
            wanted = _comparable(chunk)
            if not wanted:
                continue
            found = text.find(wanted, position)
            if found < 0:
                problems.append(f"{path}: {wanted!r} not found in order after {text[position:position + 60]!r}")
                break
            position = found + len(wanted)
    return problems


def _record(seconds: float, pages: int, problems: int) -> None:
    if STATS_FILE:
        with open(STATS_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"seconds": round(seconds, 2), "pages": pages, "problems": problems}) + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
@given(generated=report())
def test_generated_reports_render_every_visible_character_in_order(tmp_path_factory, lang, generated):
    from hostile_support import pdf_page_count

    document, fields = generated
    note(json.dumps(document, ensure_ascii=False))
    document["language"] = lang
    pdf = tmp_path_factory.mktemp("fuzz") / "fuzz.pdf"
    started = time.monotonic()
    render_to_file(document, pdf, options=RenderOptions())
    seconds = time.monotonic() - started
    problems = check_fidelity(body_text(pdf), fields)
    outside = words_outside_margins(pdf)
    _record(seconds, pdf_page_count(pdf), len(problems) + len(outside))
    assert problems == []
    assert outside == []


# ---------------------------------------------------------------- uncovered characters: refused, named

FIELD_PATHS = ["overallFeedback", "strengths.0", "categoryScores.0.category", "questionDetails.0.question",
               "questionDetails.0.userAnswer", "questionDetails.0.feedback", "referenceAnswers.0.referenceAnswer",
               "referenceAnswers.0.keyPoints.0", "candidate.name", "improvementPlan.items.0.area",
               "improvementPlan.items.0.actions.0"]


def _set(document: dict, path: str, value: str) -> None:
    parts = path.split(".")
    target = document
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value


@settings(max_examples=200 if PROFILE == "large" else 40, derandomize=PROFILE != "large")
@given(path=st.sampled_from(FIELD_PATHS), before=plain_run, after=plain_run,
       character=st.sampled_from(UNCOVERED))
def test_uncovered_character_in_any_field_is_named(path, before, after, character):
    document = {
        "sessionId": "uncovered", "overallScore": 50, "overallFeedback": "ok", "strengths": ["ok"],
        "categoryScores": [{"category": "Java", "score": 50}],
        "questionDetails": [{"questionIndex": 0, "question": "q", "category": "Java", "userAnswer": "a",
                             "score": 50, "feedback": "f"}],
        "referenceAnswers": [{"questionIndex": 0, "referenceAnswer": "r", "keyPoints": ["k"]}],
        "candidate": {"name": "n"},
        "improvementPlan": {"items": [{"area": "a", "actions": ["x"]}]},
    }
    _set(document, path, before + character + after)
    with pytest.raises(UnsupportedCharacterError) as caught:
        check_characters(load_document(document))
    assert caught.value.field == path
    assert caught.value.character == character
    assert path in str(caught.value) and f"U+{ord(character):04X}" in str(caught.value)


def test_english_category_table_fits(tmp_path):
    # Found by the fuzzer: the smallest English report with a category below 60.
    document = {"sessionId": "fuzz-0", "language": "en", "overallScore": 0,
                "categoryScores": [{"category": "Java", "score": 0, "questionCount": 1}],
                "questionDetails": [{"questionIndex": 0, "question": "q", "category": "Java", "userAnswer": "a",
                                     "score": 0, "feedback": "f"}]}
    pdf = render_to_file(document, tmp_path / "en.pdf", options=RenderOptions())
    assert words_outside_margins(pdf) == []
