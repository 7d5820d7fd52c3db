"""GitHub-Flavoured Markdown in a real report, read back from the PDF as a reader sees it.

One report whose fields use every construct is rendered once (cold); the tests
read its text (pdftotext), word positions (-bbox), pixels (pdftoppm), link
annotations and outline.  The same report through a warm worker and a batch
group must give the same text.
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import pypdf
import pytest

from hostile_support import body_text, link_targets, words_outside_margins
from pdfcheck import GENERATED_AT, pdf_pages, render_file, squash, word_boxes

FEEDBACK = """### 总体评价 HeadingWord

候选人对 **HashMap** 的理解*基本正确*，English *italicWord* and ***bothWord***, ~~struckWord 删除线~~ 结束。
第二行 SecondLine。

| colA | colB | colC | colD | colE | colF |
|:-----|:----:|-----:|------|------|------|
| a1 | b1 | c1 | d1 这是一个很长的单元格需要换行才能放进六列表格 | `e1` | **f1** |
| a2 | b2 | c2222 | d2 | e2 | pipe\\|inside |

1. firstItem
2. secondItem
   - nestedA
     - nestedB
       - nestedC
         - nestedD
           - nestedE
             - nestedF

Between lists.

7. startSeven
8. startEight

- [ ] todoItem
- [x] doneItem

> quoteOuter
> > quoteInner
> > - quoteList

---

See [docsLink](https://docs.example.com/guide?a=1) and <mailto:someone@example.com>, bare https://bare.example.org/path too,
and [evilLink](javascript:alert(1)) stays text. ![altText](https://img.example.com/a.png)

```java
public class Counter { // commentWord
    private int count = 42 + 7;
}
```

```Important: read this first
infoBody
```

    indentedCode

Raw <b>html</b> and \\*escaped\\* stay.
"""

LONG_TABLE = "| hdrLeft | hdrRight |\n|---|--:|\n" + "".join(f"| row{n:02d}left | row{n:02d}right |\n" for n in range(70))


def _document(document: dict) -> dict:
    doc = copy.deepcopy(document)
    doc["sessionId"] = "markdown-gfm"
    doc["overallFeedback"] = "OverallStart\n\n" + LONG_TABLE + "\nOverallEnd"
    doc["questionDetails"] = doc["questionDetails"][:2]
    doc["questionDetails"][0]["feedback"] = FEEDBACK
    doc["questionDetails"][1]["userAnswer"] = FEEDBACK.replace("colA", "colA2")
    doc["referenceAnswers"] = [r for r in doc.get("referenceAnswers", []) if r["questionIndex"] < 2]
    return doc


@pytest.fixture(scope="module")
def gfm(tmp_path_factory, sample_document):
    data = sample_document.get("data", sample_document)
    doc = _document(data)
    pdf = render_file(doc, tmp_path_factory.mktemp("gfm") / "gfm.pdf")
    return doc, pdf, squash(body_text(pdf))


IN_ORDER = ["总体评价HeadingWord", "候选人对HashMap的理解基本正确", "italicWord", "bothWord", "struckWord删除线", "第二行SecondLine",
            "colAcolBcolCcolDcolEcolF", "a1b1c1d1这是一个很长的单元格需要换行才能放进六列表格e1f1", "a2b2c2222d2e2pipe|inside",
            "1.firstItem", "2.secondItem", "nestedA", "nestedB", "nestedC", "nestedD", "nestedE", "nestedF", "Betweenlists.",
            "7.startSeven", "8.startEight", "☐todoItem", "☑doneItem", "quoteOuter", "quoteInner", "quoteList",
            "SeedocsLink(https://docs.example.com/guide?a=1)", "someone@example.com", "barehttps://bare.example.org/pathtoo",
            "[evilLink](javascript:alert(1))staystext.", "altText(https://img.example.com/a.png)",
            "java", "publicclassCounter{//commentWord", "privateintcount=42+7;", "}",
            "Important:readthisfirst", "infoBody", "indentedCode", "Raw<b>html</b>and*escaped*stay."]


def test_every_construct_prints_its_text_in_order(gfm):
    _, _, body = gfm
    position = 0
    for chunk in IN_ORDER:
        found = body.find(chunk, position)
        assert found >= 0, (chunk, body[position:position + 200])
        position = found + len(chunk)


def test_no_markdown_syntax_leaks_where_a_construct_was_typeset(gfm):
    _, _, body = gfm
    for syntax in ("###", "**", "~~", "|:--", "|---", "--:|", "-[]", "-[x]", ">quote", "](https", "![", "```", "<https"):
        assert syntax not in body, syntax


def test_headings_in_fields_are_not_in_the_outline(gfm):
    _, pdf, _ = gfm
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(pypdf.PdfReader(str(pdf)).outline)
    assert titles and not [t for t in titles if "HeadingWord" in t]


def _boxes(pdf: Path, word: str) -> list[tuple[int, tuple[float, float, float, float]]]:
    return [(page, box) for page, box, text in word_boxes(pdf) if text == word]


def test_table_cells_of_a_row_share_a_line_and_follow_the_columns(gfm):
    _, pdf, _ = gfm
    header = [_boxes(pdf, f"col{c}")[0] for c in "BCDEF"] + [_boxes(pdf, "colA")[0]]
    row = [_boxes(pdf, w)[0] for w in ("a1", "b1", "c1", "d1", "e1", "f1")]
    for cells in (header, row):
        assert len({page for page, _ in cells}) == 1
        tops = [box[1] for _, box in cells]
        assert max(tops) - min(tops) < 2, tops
    xs = [box[0] for _, box in row]
    assert xs == sorted(xs)
    # alignment from the delimiter row: colA left (same left edge), colB centred, colC right (same right edge)
    a1, a2 = _boxes(pdf, "a1")[0][1], _boxes(pdf, "a2")[0][1]
    c1, c2 = _boxes(pdf, "c1")[0][1], _boxes(pdf, "c2222")[0][1]
    assert abs(a1[0] - a2[0]) < 1 and abs(c1[2] - c2[2]) < 1 and c2[0] < c1[0] - 5
    # (the sample's own feedback has a full-width comma hanging at a line end: not ours to check here)
    assert [word for _, _, word in words_outside_margins(pdf) if word.isascii()] == []


def test_a_long_table_breaks_across_pages_with_its_header_repeated(gfm):
    _, pdf, body = gfm
    rows = [f"row{n:02d}left" for n in range(70)]
    pages_of_rows = {page for page, _, word in word_boxes(pdf) if word in rows}
    header_pages = {page for page, _ in _boxes(pdf, "hdrLeft")}
    assert len(pages_of_rows) >= 2 and pages_of_rows <= header_pages
    assert [n for n in range(70) if body.count(f"row{n:02d}leftrow{n:02d}right") != 1] == []
    assert body.index("OverallStart") < body.index("row00left") < body.index("row69right") < body.index("OverallEnd")


def test_links_are_annotations_only_for_http_and_mailto_and_print_their_url(gfm):
    _, pdf, body = gfm
    targets = link_targets(pdf)
    assert "https://docs.example.com/guide?a=1" in targets
    assert "mailto:someone@example.com" in targets
    assert "https://bare.example.org/path" in targets
    assert not [t for t in targets if not t.startswith(("https://", "mailto:"))]
    assert "https://img.example.com/a.png" not in targets  # images are never fetched nor linked
    assert "(https://docs.example.com/guide?a=1)" in body


def _pixels(pdf: Path, page: int, dpi: int) -> tuple[int, int, bytes]:
    ppm = subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), str(pdf)],
                         capture_output=True, check=True, timeout=60).stdout
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", ppm)
    assert match
    return int(match.group(1)), int(match.group(2)), ppm[match.end():]


def _ink(pdf: Path, word: str) -> tuple[int, int, int]:
    """The darkest colour drawn inside the first box of ``word`` (the glyphs' colour)."""
    page, (x0, y0, x1, y1) = _boxes(pdf, word)[0]
    dpi = 150
    width, _, data = _pixels(pdf, page, dpi)
    scale = dpi / 72
    darkest = (255, 255, 255)
    for y in range(int(y0 * scale) + 1, int(y1 * scale)):
        for x in range(int(x0 * scale) + 1, int(x1 * scale)):
            offset = 3 * (y * width + x)
            pixel = tuple(data[offset:offset + 3])
            if sum(pixel) < sum(darkest):
                darkest = pixel  # type: ignore[assignment]
    return darkest


def _close(colour: tuple[int, int, int], hex_colour: str, slack: int = 40) -> bool:
    wanted = [int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)]
    return all(abs(a - b) <= slack for a, b in zip(colour, wanted, strict=True))


def _sty_colour(name: str) -> str:
    sty = (Path(__file__).parents[1] / "latex" / "texreport.sty").read_text(encoding="utf-8")
    return re.search(rf"\\definecolor{{{name}}}{{HTML}}{{(\w+)}}", sty).group(1)


def test_highlighted_tokens_have_their_colours(gfm):
    _, pdf, _ = gfm
    assert _close(_ink(pdf, "public"), _sty_colour("TRcodekw"))
    assert _close(_ink(pdf, "42"), _sty_colour("TRcodenum"))
    assert _close(_ink(pdf, "commentWord"), _sty_colour("TRcodecom"))
    assert _close(_ink(pdf, "Counter"), _sty_colour("TRcodetype"))
    # plain code and unknown languages stay black
    assert _close(_ink(pdf, "infoBody"), "000000", slack=60)
    assert _close(_ink(pdf, "indentedCode"), "000000", slack=60)
    # and the text after a block quote is not left in the quote's grey
    assert _close(_ink(pdf, "stay."), "000000", slack=30)


def test_palette_stays_legible_in_greyscale():
    for name in ("TRcodekw", "TRcodetype", "TRcodestr", "TRcodecom", "TRcodenum", "TRcodefn", "TRcodebuiltin",
                 "TRcodeattr", "TRlink"):
        r, g, b = (int(_sty_colour(name)[i:i + 2], 16) for i in (0, 2, 4))
        assert 0.299 * r + 0.587 * g + 0.114 * b < 140, name  # dark enough on white paper


def test_emphasised_chinese_uses_a_kai_face(gfm):
    _, pdf, _ = gfm
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    assert "FandolKai" in fonts


@pytest.mark.slow
def test_same_text_cold_warm_and_in_a_batch_group(gfm, tmp_path):
    from texreport.batch import plan_batch, run_batch
    from texreport.workers import WorkerPool

    doc, cold, _ = gfm
    pool = WorkerPool(spares=0)
    try:
        warm = render_file(doc, tmp_path / "warm.pdf", compiler=pool)
    finally:
        pool.close()
    import json

    sources = []
    for index, variant in enumerate((doc, {**doc, "sessionId": "markdown-gfm-2"})):
        path = tmp_path / "in" / f"{index}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(variant, ensure_ascii=False), encoding="utf-8")
        sources.append(path)
    items = plan_batch(sources)
    summary = run_batch(items, tmp_path / "out", jobs=1, group=2)
    assert summary.done == 2 and summary.failed == ()
    grouped = tmp_path / "out" / items[0].output_name
    strip = lambda text: squash(re.sub(r"(生成时间|Generated):[^\n]*", "", text))  # noqa: E731
    expected = [strip(p) for p in pdf_pages(cold)]
    assert [strip(p) for p in pdf_pages(warm)] == expected
    assert [strip(p) for p in pdf_pages(grouped)] == expected
    assert sorted(link_targets(grouped)) == sorted(link_targets(cold))
    assert GENERATED_AT  # the cold and warm renders share the fixed generation time


IDENTIFIER = "ConcurrentHashMapComputeIfAbsent"
PARTS = "Abcdefgh" * 16  # longer than a line: must break, and only between its parts


def test_words_that_fit_are_never_split_and_long_ones_split_at_boundaries(document, tmp_path):
    # The identifier lands at every position of a line across the paragraphs; it must never be cut.
    paragraphs = ["述" * n + " 用 " + IDENTIFIER + " 方法，" + "字" * 30 for n in range(0, 44, 1)]
    doc = copy.deepcopy(document)
    doc["questionDetails"] = doc["questionDetails"][:1]
    doc["questionDetails"][0]["feedback"] = "\n\n".join(paragraphs) + "\n\n" + "开始 " + PARTS + " 结束"
    doc["questionDetails"][0]["userAnswer"] = "`" + IDENTIFIER + "` " * 30
    pdf = render_file(doc, tmp_path / "words.pdf")
    words = [word for _, _, word in word_boxes(pdf)]
    pieces = [w for w in words if "Concurrent" in w or "IfAbsent" in w or "MapCompute" in w or w.startswith("Compute")]
    assert pieces and all(IDENTIFIER in w for w in pieces), [w for w in pieces if IDENTIFIER not in w][:5]
    fragments = [w for w in words if "Abcdefgh" in w or (re.fullmatch(r"[a-h]*", w) and len(w) > 2)]
    assert "".join(fragments) == PARTS and len(fragments) >= 2
    assert all(re.fullmatch(r"(Abcdefgh)+", w) for w in fragments), fragments


def test_nesting_deeper_than_anything_compiles_and_keeps_every_word(document, tmp_path):
    from texreport.markdown import MAX_NESTING

    fields = {
        "feedback": ">" * 300 + " deepQuoteWord\n\nafterQuoteWord",
        "userAnswer": "\n".join("  " * level + f"- itemWord{level}" for level in range(40)),
        "question": "intro\n\n" + "> - " * (MAX_NESTING // 2 + 5) + "mixedDeepWord\n\nafterMixedWord",
    }
    doc = copy.deepcopy(document)
    doc["questionDetails"] = doc["questionDetails"][:1]
    doc["questionDetails"][0].update(fields)
    doc["overallFeedback"] = "\n".join(">" * level + f" lineWord{level}" for level in range(1, MAX_NESTING + 10))
    # Items nested past LaTeX's list levels on one line ("- - - … word"): each flat level is indented
    # from the list's margin, not from its parent's indent (found by the fuzz test: text off the page).
    doc["strengths"] = ["- " * 17 + " lazyDeepWord\n\nafterLazyWord"]
    pdf = render_file(doc, tmp_path / "deep.pdf")
    body = squash(body_text(pdf))
    for field in [*fields.values(), doc["overallFeedback"], doc["strengths"][0]]:
        position = 0
        for word in re.findall(r"[A-Za-z]+Word\d*", field):
            found = body.find(word, position)
            assert found >= 0, word
            position = found + len(word)
    assert [word for _, _, word in words_outside_margins(pdf) if word.isascii()] == []


def test_a_long_table_inside_panels_repeats_its_header_on_the_next_page(document, tmp_path):
    table = "| panelHdrA | panelHdrB | c |\n|---|--:|:-:|\n" + "".join(
        f"| prow{n:02d}a 这是一段较长的文字 | prow{n:02d}b | x |\n" for n in range(70))
    doc = copy.deepcopy(document)
    doc["questionDetails"] = doc["questionDetails"][:2]
    doc["questionDetails"][0]["feedback"] = "intro\n\n" + table + "\nafter"          # TRleftbar (framed)
    doc["questionDetails"][1]["userAnswer"] = table.replace("panelHdr", "answerHdr").replace("prow", "arow")  # TRpanel
    pdf = render_file(doc, tmp_path / "panels.pdf")
    boxes = word_boxes(pdf)
    body = squash(body_text(pdf))
    for header, row in (("panelHdrA", "prow"), ("answerHdrA", "arow")):
        row_pages = {page for page, _, word in boxes if word.startswith(row)}
        header_pages = {page for page, _, word in boxes if word == header}
        assert len(row_pages) >= 2 and row_pages == header_pages, (header, row_pages, header_pages)
        assert [n for n in range(70) if body.count(f"{row}{n:02d}a") != 1] == []


def test_english_reports_typeset_the_same_constructs(gfm, tmp_path):
    doc, _, _ = gfm
    pdf = render_file({**doc, "language": "en"}, tmp_path / "en.pdf")
    body = squash(body_text(pdf))
    position = 0
    for chunk in IN_ORDER:
        found = body.find(chunk, position)
        assert found >= 0, chunk
        position = found + len(chunk)
    assert sorted(link_targets(pdf)) == sorted(link_targets(gfm[1]))


def test_long_code_quotes_and_tall_tables_inside_panels_break_across_pages(document, tmp_path):
    # A frame inside a framed panel cannot be split: framed looped until the compile timed out.
    code = "```java\n" + "\n".join(f"int codeLine{n:03d} = {n};" for n in range(120)) + "\n```"
    quote = "> " + "\n> ".join(f"quoteLine{n:03d}" for n in range(80))
    tall = "| a | b |\n|---|---|\n| tallCell " + "很长的单元格内容" * 400 + " | x |"
    doc = copy.deepcopy(document)
    doc["questionDetails"] = doc["questionDetails"][:1]
    doc["questionDetails"][0]["userAnswer"] = code + "\n\n" + quote
    doc["questionDetails"][0]["feedback"] = tall
    pdf = render_file(doc, tmp_path / "long.pdf")
    boxes = word_boxes(pdf)
    for prefix, count in (("codeLine", 120), ("quoteLine", 80)):
        found = [(page, box) for page, box, word in boxes if word.startswith(prefix)]
        assert len(found) == count and len({page for page, _ in found}) >= 2, prefix
        assert max(box[3] for _, box in found) < 790  # nothing runs under the footer
    assert "tallCell" in squash(body_text(pdf))
