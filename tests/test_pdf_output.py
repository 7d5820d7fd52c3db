"""What a reader of the sample PDF sees: pages, footer, metadata, outline, every field."""

from __future__ import annotations

import re
import subprocess

import pypdf

from pdfcheck import GENERATED_AT, body_text, pdf_pages, pdf_text, pdfinfo, render_file, squash


def visible(text: str) -> str:
    """The characters of a Markdown field that the PDF shows (markers consumed, see markdown_support)."""
    from markdown_support import visible_markdown

    return visible_markdown(text)


def test_every_page_is_a4(sample_pdf):
    reader = pypdf.PdfReader(sample_pdf)
    assert len(reader.pages) >= 5
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)


def test_footer_on_every_page_with_correct_total(sample_pdf, sample_report):
    pages = pdf_pages(sample_pdf)
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        flat = squash(text)
        assert f"第{number}页/共{total}页" in flat, f"page {number}: {text[-200:]!r}"
        assert squash(sample_report.session_id) in flat
        assert "2026" in flat  # generation timestamp


def test_metadata(sample_pdf, sample_report):
    info = pdfinfo(sample_pdf)
    assert sample_report.session_id in info["Title"]
    assert "模拟面试报告" in info["Title"]
    assert info["Author"] == sample_report.candidate.name
    assert info["Subject"]
    for category in sample_report.category_scores:
        assert category.category in info["Keywords"]
    assert info["Creator"].startswith("texreport")
    assert info["CreationDate"].startswith(GENERATED_AT.strftime("%Y-%m-%dT%H:%M"))


def test_outline_has_every_section_and_question(sample_pdf, sample_report):
    reader = pypdf.PdfReader(sample_pdf)

    def titles(items):
        for item in items:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    found = list(titles(reader.outline))
    top = [item.title for item in reader.outline if not isinstance(item, list)]
    assert len(top) == 5, top  # cover, summary, categories, questions, plan
    for detail in sample_report.question_details:
        assert any(detail.category in title for title in found)
    question_titles = [t for t in found if t.startswith("第") and "题" in t]
    assert len(question_titles) == len(sample_report.question_details)


def test_every_text_field_appears(sample_pdf, sample_report):
    from texreport.models import iter_text_fields

    # Content-stream order: pdftotext's default layout mode reads a table column by column.
    text = squash(body_text(sample_pdf, raw=True))
    missing = [field for field, value in iter_text_fields(sample_report)
               if value.strip() and visible(value) not in text]
    assert missing == []


def test_sections_in_order(sample_pdf):
    flat = squash(pdf_text(sample_pdf))
    from texreport.labels import labels_for

    labels = labels_for("zh")
    titles = [labels[key] for key in ("title", "summary", "category_analysis", "question_details", "improvement_plan")]
    positions = [flat.find(squash(title)) for title in titles]
    assert -1 not in positions and positions == sorted(positions), positions


def test_not_answered_is_labelled(sample_pdf, sample_report):
    assert any(d.user_answer is None for d in sample_report.question_details)
    assert "未作答" in pdf_text(sample_pdf)


def test_fonts_are_embedded_subsets(sample_pdf):
    out = subprocess.run(["pdffonts", str(sample_pdf)], check=True, capture_output=True).stdout.decode()
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        name = row.split()[0]
        assert re.match(r"[A-Z]{6}\+", name), row          # subset prefix
        assert " yes " in row, row                          # embedded


def test_english_report(tmp_path, document):
    pdf = render_file(document, tmp_path / "en.pdf", lang="en")
    pages = pdf_pages(pdf)
    flat = squash(pdf_text(pdf))
    assert "MockInterviewReport" in flat
    assert "Notanswered" in flat
    total = len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"Page{number}of{total}" in squash(text)
    info = pdfinfo(pdf)
    assert "Mock Interview Report" in info["Title"]


def test_a_report_with_nothing_in_it_says_so(tmp_path):
    pdf = render_file({"sessionId": "empty0001", "overallScore": 0}, tmp_path / "empty.pdf")
    flat = squash(pdf_text(pdf))
    assert "报告中没有分类得分。" in flat and "报告中没有题目。" in flat
    assert "第1页/共" in flat
