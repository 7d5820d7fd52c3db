"""Helpers for theme tests: read a PDF back for a theme's look, make small logo files.

(A module of its own, like pdfcheck: the CLI, batch and service tests all use it.)
"""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pypdf

from pdfcheck import pdf_pages, squash


def rgb(hex_colour: str) -> tuple[float, float, float]:
    """A theme colour as the rounded fill operator values a PDF holds."""
    return tuple(round(int(hex_colour[i:i + 2], 16) / 255, 2) for i in (0, 2, 4))  # type: ignore[return-value]


def fill_colours(pdf: Path, *, first_page_only: bool = False) -> set[tuple[float, float, float]]:
    """Every RGB fill colour on the pages and in their form XObjects (rounded: xcolor and pgf differ)."""
    reader = pypdf.PdfReader(pdf)
    chunks = []
    for page in reader.pages[:1] if first_page_only else reader.pages:
        contents = page.get_contents()
        if contents is not None:
            chunks.append(contents.get_data().decode("latin-1"))
        for xobject in (page.get("/Resources") or {}).get("/XObject", {}).values():
            if xobject.get_object().get("/Subtype") == "/Form":
                chunks.append(xobject.get_object().get_data().decode("latin-1"))
    operators = "\n".join(chunks)
    return {tuple(round(float(v), 2) for v in m.groups())  # type: ignore[misc]
            for m in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) rg", operators)}


def first_page_images(pdf: Path) -> list[str]:
    """Subtypes of the XObjects page 1 draws directly or through forms (``/Image``, ``/Form``)."""
    page = pypdf.PdfReader(pdf).pages[0]
    found: list[str] = []

    def walk(resources: object) -> None:
        for xobject in (resources or {}).get("/XObject", {}).values():  # type: ignore[attr-defined]
            obj = xobject.get_object()
            found.append(str(obj.get("/Subtype")))
            if obj.get("/Subtype") == "/Form":
                walk(obj.get("/Resources"))

    walk(page.get("/Resources"))
    return found


def font_names(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, timeout=60).stdout.decode()


def assert_themed(pdf: Path, *, organisation: str, footer: str, primary: str, font: str) -> None:
    """What a reader sees of a themed report: the organisation on the cover, the footer line on
    every page, the primary colour (title, headings), the logo image and the theme's fonts."""
    pages = [squash(page) for page in pdf_pages(pdf)]  # xeCJK's glue between CJK and Latin is no space
    assert squash(organisation) in pages[0]
    assert all(squash(footer) in page for page in pages), "the footer line is on every page"
    assert rgb(primary) in fill_colours(pdf)
    assert "/Image" in first_page_images(pdf)
    assert font in font_names(pdf)


def png_logo(colour: tuple[int, int, int] = (0x12, 0x34, 0x56), size: int = 8) -> bytes:
    """A small opaque PNG of one colour."""
    row = b"\x00" + bytes(colour) * size
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * size))
            + chunk(b"IEND", b""))


def pdf_logo(operator: str = "0.11 0.22 0.33 rg") -> bytes:
    """A one-page PDF (40 x 20 pt) that fills itself with one colour."""
    stream = f"{operator} 0 0 40 20 re f".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 40 20] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
