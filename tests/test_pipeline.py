"""render(): job folders, atomic output, colours by score, the Markdown subset as typeset."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pypdf
import pytest

from pdfcheck import GENERATED_AT, pdf_text, render_file, squash, word_boxes
from texreport.errors import CompileError, InputError
from texreport.pipeline import RenderOptions, render


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Point tempfile at a folder of our own, so leftovers can be counted exactly."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def small_document(document, scores):
    details = document["questionDetails"][: len(scores)]
    for detail, score in zip(details, scores, strict=True):
        detail["score"] = score
    document["questionDetails"] = details
    document["referenceAnswers"] = [r for r in document["referenceAnswers"]
                                    if r["questionIndex"] in {d["questionIndex"] for d in details}]
    return document


def test_job_folder_removed_after_success(private_tmp, document):
    data = render(small_document(document, [90]), options=RenderOptions(generated_at=GENERATED_AT))
    assert data.startswith(b"%PDF-")
    assert list(private_tmp.iterdir()) == []


def test_job_folder_removed_after_compile_failure(private_tmp, document, monkeypatch):
    import texreport.transports as transports

    real = transports.compile_tex

    def failing(folder, tex_name, *args, **kwargs):  # the cold driver, job.tex
        (folder / tex_name).write_text("\\undefined\\begin{document}\\end{document}")
        return real(folder, tex_name, *args, **kwargs)

    monkeypatch.setattr(transports, "compile_tex", failing)
    with pytest.raises(CompileError):
        render(small_document(document, [90]))
    assert list(private_tmp.iterdir()) == []


def test_invalid_input_never_creates_a_folder(private_tmp, document):
    document["overallScore"] = -1
    with pytest.raises(InputError):
        render(document)
    assert list(private_tmp.iterdir()) == []


def page_operators(pdf: Path) -> str:
    reader = pypdf.PdfReader(pdf)
    chunks = []
    for page in reader.pages:
        contents = page.get_contents()
        if contents is not None:
            chunks.append(contents.get_data().decode("latin-1"))
        for xobject in (page.get("/Resources") or {}).get("/XObject", {}).values():
            chunks.append(xobject.get_object().get_data().decode("latin-1"))
    return "\n".join(chunks)


# Fill colours of the bands (texreport.sty: 2E7D32, E0A800, C62828), as RGB operators.
GREEN, YELLOW, RED = (0.18, 0.49, 0.20), (0.88, 0.66, 0.0), (0.78, 0.16, 0.16)


def fill_colours(operators: str) -> set[tuple[float, float, float]]:
    """Every fill colour used (xcolor and pgf write different precisions: round them)."""
    return {tuple(round(float(v), 2) for v in m.groups())
            for m in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) rg", operators)}


@pytest.mark.parametrize("scores, present, absent", [
    ([95, 88, 80], [GREEN], [YELLOW, RED]),
    ([79, 60, 59], [YELLOW, RED], []),
])
def test_colours_follow_the_score_bands(tmp_path, document, scores, present, absent):
    document = small_document(document, scores)
    document["overallScore"] = min(scores)
    for category in document["categoryScores"]:
        category["score"] = min(scores)
    document["categoryScores"] = document["categoryScores"][:1]
    document.pop("improvementPlan", None)
    pdf = render_file(document, tmp_path / "c.pdf")
    colours = fill_colours(page_operators(pdf))
    for colour in present:
        assert colour in colours
    for colour in absent:
        assert colour not in colours


MARKDOWN = """第一段，含 **加粗文字** 与 `inline_code()`。
第二行紧接着。

- 要点一
- 要点二
  1. 子项

3. 从三开始
4. 第四

```java
public class A {
        int deeplyIndented = 1;
}
```
"""


def test_markdown_subset_is_typeset(tmp_path, document):
    document = small_document(document, [70])
    document["questionDetails"][0]["userAnswer"] = MARKDOWN
    pdf = render_file(document, tmp_path / "md.pdf")
    text = pdf_text(pdf)
    flat = squash(text)
    assert "加粗文字" in flat and "**" not in flat and "`" not in flat and "```" not in flat
    assert "3.从三开始" in flat and "4.第四" in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    assert "Bold" in fonts and "Mono" in fonts
    # Code keeps its spacing: the indented line starts further right than its neighbours.
    boxes = word_boxes(pdf)

    def x_of(word):
        found = [box[0] for _, box, text in boxes if text == word]
        assert found, word
        return found[0]
    assert x_of("int") > x_of("public") + 20


def test_xecjk_fallback_is_on_only_for_reports_that_need_it(document, tmp_path):
    from texreport.coverage import default_chain
    from texreport.pipeline import prepare

    chain = default_chain()
    assert not chain.needs_fallback("中文 English Ελληνικά 😀 ① ※ 한국어")
    assert not chain.needs_fallback("𠮷野家")  # Extension B, but Noto Sans CJK has it
    assert chain.needs_fallback("野家 𪚥")
    plain = prepare(document).document["body.tex"]
    assert plain.startswith("\\xeCJKsetup{AutoFallBack=false}\n")
    document["questionDetails"][0]["userAnswer"] += " 𪚥"
    assert prepare(document).document["body.tex"].startswith("\\xeCJKsetup{AutoFallBack=true}\n")
    document["questionDetails"][0]["userAnswer"] = "```\n𪚥 = 1\n```"  # in a code block: typeset in body.tex too
    assert prepare(document).document["body.tex"].startswith("\\xeCJKsetup{AutoFallBack=true}\n")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render(document))
    assert "𪚥" in pdf_text(pdf)
