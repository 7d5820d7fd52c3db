"""Helpers shared by the hostile-input, fuzz, limits, leftovers and service-fault tests.

Alphabets the fuzzer draws from (the font test proves the chain covers them),
PDF read-back (body text without the footer band, word boxes, link annotations),
and process / file-descriptor inspection through /proc.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pdfcheck
from pdfcheck import squash, word_boxes  # noqa: F401  (re-exported for the hostile suites)

# ------------------------------------------------------------------ alphabets

#: Test alphabets per script. Every character here must be drawable by the
#: configured font chain (tests/test_font_coverage.py proves it).
ALPHABETS: dict[str, str] = {
    "chinese": "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
               "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使"
               "点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明"
               "看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料"
               "多态线程锁并发集合哈希索引事务缓存",
    "rare_cjk": "𠮷𪚥𠀀𡈽𤭢𨳝𩸽𠂇𠔻𡗗",  # Extension B and later (HanaMinA/B)
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éèêëàâäçñøåæœßÉÀÇŁłŽžŠšřůĐđőű",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯіїєґІЇЄҐў",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώϊϋ",
    "japanese": "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
                "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンー日本語々",
    "korean": "가나다라마바사아자차카타파하한국어글입니다습니다",
    "tex": "\\{}$&#%_~^`'\"-<>|[]",
    "math": "∑∫√∞≤≥≠∀∃∈∉⊂⊆∧∨¬→⇒⇔±×÷∂∇∏∝∠∩∪≈≡⊕⊗ℝℕℤ𝑥𝑦⌈⌉⌊⌋",
    "emoji": "😀😂🚀✅❌❤⭐🔥👍🎉💡📌🧠⚠⌘⏰➜🤖🐍☕",
    "cjk_punct": "，。！？；：（）【】《》“”‘’…—·、「」『』～＠＃",
}

#: Invisible characters: dropped by the renderer, so they must never show and never break anything.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\ufe0f"

#: Characters no configured font draws (checked in test_font_coverage): the renderer must name them.
UNCOVERED = "\U0001F96D\U0001F90C\u01C4\U0001F6DD\u222E"


def visible_characters(text: str) -> str:
    """The characters of ``text`` that must show in the PDF: cleaned as the renderer does, no whitespace."""
    from texreport.escape import clean_text

    return re.sub(r"\s+", "", clean_text(text))


# ------------------------------------------------------------------ PDF read-back

A4_WIDTH, A4_HEIGHT = 595.28, 841.89
# latex/texreport.sty: 20 mm left/right margins (56.7 pt); the header band starts
# ~8 mm from the top, the two-line footer ends ~10 mm above the bottom.
SIDE_MARGIN = 56.69
SLACK = 3.0  # pt: glyph side bearings, italic overhang


def pdf_page_count(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, timeout=60).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def body_text(path: Path) -> str:
    """Body text in content-stream order (``-raw``), cropped just below the text area.

    ``-raw`` because pdftotext's default mode de-hyphenates: a "pytest-" at a line end
    followed by "of-root" reads back as "pytestof-root".
    """
    return pdfcheck.body_text(path, raw=True, bottom=774)


def full_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, timeout=60).stdout.decode("utf-8")


def words_outside_margins(path: Path) -> list[tuple[int, tuple[float, ...], str]]:
    """Words that cross the left/right margins or leave the page vertically."""
    return [(page, box, word[:40]) for page, box, word in word_boxes(path)
            if box[0] < SIDE_MARGIN - SLACK or box[2] > A4_WIDTH - SIDE_MARGIN + SLACK
            or box[1] < 0 or box[3] > A4_HEIGHT]


def link_targets(path: Path) -> list[str]:
    """Every action or URI a PDF viewer could follow or run: /URI targets, /JavaScript and /Launch actions."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    def resolve(value):
        return value.get_object() if isinstance(value, IndirectObject) else value

    found: list[str] = []
    reader = PdfReader(str(path))
    for page in reader.pages:
        for annotation in resolve(page.get("/Annots")) or []:
            annotation = resolve(annotation)
            action = resolve(annotation.get("/A")) or {}
            kind = str(action.get("/S", ""))
            if kind == "/URI":
                found.append(str(action.get("/URI")))
            elif kind in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                found.append(kind)
    catalog = reader.trailer["/Root"]
    if "/OpenAction" in catalog or "/AA" in catalog:
        found.append("/OpenAction")
    names = resolve(catalog.get("/Names")) or {}
    if "/JavaScript" in names:
        found.append("/Names/JavaScript")
    return found


# ------------------------------------------------------------------ processes and descriptors


def processes_mentioning(marker: str) -> list[tuple[int, str]]:
    """(pid, command line or cwd) of live processes whose command line or working folder contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue  # reaped soon by its parent; holds nothing
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            cwd = ""
        if marker in cmdline or marker in cwd:
            found.append((int(entry), f"{cmdline.strip()} (cwd {cwd})"))
    return found


def xelatex_processes_in(folder: Path) -> list[tuple[int, str]]:
    return [(pid, what) for pid, what in processes_mentioning(str(folder))
            if "xelatex" in what or "xdvipdfmx" in what or "xetex" in what]


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/*/stat)."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().split(")")[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(entry))
    return kids


def default_sigint() -> None:
    """``preexec_fn`` for a child that must answer Ctrl-C even when the test run ignores SIGINT
    (a suite started in the background by a non-interactive shell inherits SIG_IGN)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
