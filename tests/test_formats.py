"""The precompiled format: built once into the cache, reused, rebuilt when TeX Live changes,
never required (renders go on without it), and invisible in the PDF (same words, same
places, same fonts as a run that loads the whole preamble)."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import tempfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdfcheck import GENERATED_AT, load_fixture, pdf_text, render_file, word_boxes
from texreport import formats
from texreport.cli import cli
from texreport.compiler import check_log
from texreport.errors import RenderError
from texreport.formats import ensure_format, fixed_files, preamble_input
from texreport.pipeline import RenderOptions, prepare, render
from texreport.workers import Worker, WorkerPool


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture()
def private_cache(cache, monkeypatch) -> Path:
    monkeypatch.setenv("TEXREPORT_CACHE_DIR", str(cache))
    monkeypatch.delenv("TEXREPORT_FORMAT", raising=False)
    return cache


def _format_files(cache: Path) -> list[Path]:
    return sorted((cache / "formats").glob("*.fmt"))


def _leftover_build_folders() -> list[Path]:
    return [p for p in Path(tempfile.gettempdir()).glob(f"texreport-format-{os.getpid()}-*")]


def test_built_once_into_the_cache_then_reused(private_cache, monkeypatch):
    fmt = ensure_format(fixed_files())
    assert fmt is not None and fmt.parent == private_cache / "formats" and fmt.stat().st_size > 1_000_000
    sidecar = json.loads(fmt.with_suffix(".json").read_text(encoding="utf-8"))
    recorded = [path for path, _, _ in sidecar["inputs"]]
    assert any(path.endswith("ctexart.cls") for path in recorded)
    assert any(path.endswith("pgfcore.sty") for path in recorded)
    assert any(path.endswith(".fmt") for path in recorded)  # xelatex.fmt itself: a kernel update counts
    stamp = fmt.stat().st_mtime_ns

    def no_build(*args, **kwargs):
        raise AssertionError("a valid cached format must not be rebuilt")

    monkeypatch.setattr(formats, "_build", no_build)
    assert ensure_format(fixed_files()) == fmt
    assert fmt.stat().st_mtime_ns == stamp
    assert _leftover_build_folders() == []


def test_a_changed_tex_live_file_rebuilds_the_format(private_cache):
    fmt = ensure_format(fixed_files())
    assert fmt is not None
    sidecar = fmt.with_suffix(".json")
    stored = json.loads(sidecar.read_text(encoding="utf-8"))
    stored["inputs"][0][1] += 1  # as if a TeX Live update had changed that file
    sidecar.write_text(json.dumps(stored), encoding="utf-8")
    rebuilt = ensure_format(fixed_files())
    assert rebuilt == fmt
    assert json.loads(sidecar.read_text(encoding="utf-8"))["inputs"][0][1] == stored["inputs"][0][1] - 1


def test_a_changed_style_gets_its_own_format(private_cache):
    fixed = fixed_files()
    first = ensure_format(fixed)
    fixed["texreport.sty"] += "\n% edited\n"
    second = ensure_format(fixed)
    assert first is not None and second is not None and first != second


@pytest.mark.parametrize("fixture", [None, "full_extensions_en.json", "unanswered_and_missing_refs.json"])
def test_same_words_same_places_same_fonts_with_and_without_the_format(private_cache, monkeypatch, tmp_path,
                                                                       sample_document, fixture):
    document = sample_document if fixture is None else load_fixture(fixture)
    assert ensure_format(fixed_files()) is not None
    with_format = render_file(document, tmp_path / "format.pdf")
    monkeypatch.setenv("TEXREPORT_FORMAT", "off")
    assert ensure_format(fixed_files()) is None
    without = render_file(document, tmp_path / "plain.pdf")
    assert word_boxes(with_format) == word_boxes(without)
    assert _fonts(with_format) == _fonts(without)
    assert not any("cmr" in name.lower() or "lmroman" in name.lower() for name in _fonts(with_format))


def _fonts(pdf: Path) -> list[str]:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return sorted(line.split()[0].split("+", 1)[-1] for line in lines)


def test_an_unwritable_cache_renders_without_a_format(monkeypatch, tmp_path, sample_document, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("TEXREPORT_CACHE_DIR", str(blocker))
    monkeypatch.setattr(formats, "_failed", {})
    with caplog.at_level(logging.WARNING, logger="texreport.formats"):
        assert ensure_format(fixed_files()) is None
        pdf = render(sample_document, options=RenderOptions(generated_at=GENERATED_AT))
    assert pdf.startswith(b"%PDF-")
    assert "without a precompiled format" in caplog.text
    assert _leftover_build_folders() == []


def test_a_failing_build_is_reported_once_and_retried_only_later(private_cache, monkeypatch, caplog):
    monkeypatch.setattr(formats, "_failed", {})
    fixed = fixed_files()
    fixed["preload.tex"] = "\\documentclass{article}\n\\NoSuchMacro\n"
    calls = []
    real = formats._build
    monkeypatch.setattr(formats, "_build", lambda *a, **k: (calls.append(1), real(*a, **k)))
    with caplog.at_level(logging.WARNING, logger="texreport.formats"):
        assert ensure_format(fixed) is None
        assert ensure_format(fixed) is None
    assert len(calls) == 1
    assert caplog.text.count("without a precompiled format") == 1
    monkeypatch.setattr(formats, "RETRY_AFTER", 0.0)  # time has passed: the next render tries again
    assert ensure_format(fixed) is None
    assert len(calls) == 2
    assert _leftover_build_folders() == []


def test_only_texreports_own_preamble_gets_a_format(private_cache):
    assert ensure_format({"preamble.tex": "\\documentclass{article}\n"}) is None
    assert preamble_input(None) == "\\input{preamble}"
    assert preamble_input(Path("x.fmt")) == "\\input{fonts}"


def test_warm_workers_start_from_the_format(private_cache, sample_document):
    job = prepare(sample_document, options=RenderOptions(generated_at=GENERATED_AT))
    worker = Worker(job.fixed, fmt=ensure_format(job.fixed))
    try:
        assert (worker.folder / "report.tex").read_text(encoding="utf-8").startswith("\\input{fonts}\n")
        assert any(arg.startswith("-fmt=") for arg in worker.process.args)
        assert worker.run(job.document, timeout=60).startswith(b"%PDF-")
    finally:
        worker.discard()
    with WorkerPool(spares=1) as pool:  # the pool hands its spares the format
        pool.warm_up(job.fixed)
        (spare,) = pool._idle  # its argument list (its /proc cmdline is empty while prlimit execs xelatex)
        assert f"-fmt={ensure_format(job.fixed)}" in spare.process.args


def test_standalone_sources_still_compile_with_plain_xelatex(tmp_path, sample_document):
    job = prepare(sample_document, options=RenderOptions(generated_at=GENERATED_AT))
    for name, content in job.files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = subprocess.run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"], cwd=tmp_path,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "report.pdf").stat().st_size > 10_000


def test_a_build_removes_formats_whose_tex_live_files_changed(private_cache):
    folder = private_cache / "formats"
    folder.mkdir(exist_ok=True)
    stale, young = folder / "texreport-stale.fmt", folder / "texreport-young.fmt"
    for fmt in (stale, young):
        fmt.write_bytes(b"old format")
        fmt.with_suffix(".json").write_text(json.dumps({"inputs": [["/nonexistent/file.sty", 1, 1]]}))
    two_hours_ago = stale.stat().st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    fixed = fixed_files()
    fixed["texreport.sty"] += "\n% another edit, another format\n"
    assert ensure_format(fixed) is not None
    assert not stale.exists() and not stale.with_suffix(".json").exists()
    assert young.exists()  # another process may be installing it right now


def test_a_truncated_format_is_rebuilt_not_used(private_cache):
    fmt = ensure_format(fixed_files())
    assert fmt is not None
    whole = fmt.read_bytes()
    fmt.write_bytes(whole[: len(whole) // 2])  # as a crash or a full disk might leave it
    assert ensure_format(fixed_files()) == fmt
    rebuilt = fmt.stat().st_size
    assert rebuilt > len(whole) // 2 and rebuilt == json.loads(fmt.with_suffix(".json").read_text())["size"]


def _other_tex_live_format() -> bytes:
    """A real format of this TeX Live that is not ours (as a format of another installation would be)."""
    path = subprocess.run(["kpsewhich", "-engine=xetex", "xelatex.fmt"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return Path(path).read_bytes()


def _flip_many(data: bytes) -> bytes:
    damaged = bytearray(data)
    for index in range(1000, len(damaged) // 2, 997):
        damaged[index] ^= 0x55
    return bytes(damaged)


def _flip_one(offset: float):
    def damage(data: bytes) -> bytes:
        damaged = bytearray(data)
        damaged[min(int(len(data) * offset), len(data) - 1)] ^= 0x01  # one bit
        return bytes(damaged)
    return damage


def _zero_page(offset: float):
    def damage(data: bytes) -> bytes:
        start = int(len(data) * offset) // 4096 * 4096
        return data[:start] + bytes(4096) + data[start + 4096:]
    return damage


def _garbage(data: bytes) -> bytes:
    return random.Random(7).randbytes(len(data))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 3]


def _other_installation(data: bytes) -> bytes:
    other = _other_tex_live_format()
    return (other + bytes(len(data)))[: len(data)]  # even at our size, not our bytes


#: Damage of every kind, at many places: the bytes of a format differ per machine, and so
#: does the way a damaged one breaks, so nothing may depend on either.
DAMAGE = {
    "bytes flipped at many offsets": _flip_many,
    **{f"one bit flipped at {offset:.0%}": _flip_one(offset) for offset in (0.0, 0.001, 0.25, 0.5, 0.75, 0.999)},
    **{f"page zeroed at {offset:.0%}": _zero_page(offset) for offset in (0.0, 0.4, 0.9)},
    "garbage": _garbage,
    "truncated": _truncated,
    "another installation's format": _other_installation,
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_format_is_never_used_and_is_rebuilt(private_cache, kind):
    fmt = ensure_format(fixed_files())
    assert fmt is not None
    whole = fmt.read_bytes()
    damaged = DAMAGE[kind](whole)
    assert damaged != whole
    fmt.write_bytes(damaged)  # in place, as a disk error or a stray write would leave it
    assert ensure_format(fixed_files()) == fmt
    rebuilt = fmt.read_bytes()
    assert rebuilt != damaged
    assert json.loads(fmt.with_suffix(".json").read_text())["crc32"] == zlib.crc32(rebuilt)


def _forge_sidecar(fmt: Path, damaged: bytes) -> None:
    """Damage the format where its digest cannot see it (the sidecar says the damage is right),
    e.g. on disk after a long-running service checked it: only xelatex finds out."""
    sidecar = fmt.with_suffix(".json")
    stored = json.loads(sidecar.read_text(encoding="utf-8"))
    stored.update(size=len(damaged), crc32=zlib.crc32(damaged))
    fmt.write_bytes(damaged)
    sidecar.write_text(json.dumps(stored), encoding="utf-8")


@pytest.mark.parametrize("kind", ["bytes flipped at many offsets", "garbage", "page zeroed at 0%", "truncated"])
@pytest.mark.parametrize("path", ["cold", "warm", "batch"])
def test_a_format_xelatex_cannot_load_is_dropped_and_the_render_still_succeeds(private_cache, sample_document,
                                                                             caplog, path, kind, tmp_path):
    fmt = ensure_format(fixed_files())
    assert fmt is not None
    damaged = DAMAGE[kind](fmt.read_bytes())
    _forge_sidecar(fmt, damaged)
    assert ensure_format(fixed_files()) == fmt  # the check passes: xelatex itself must be the judge
    options = RenderOptions(generated_at=GENERATED_AT)
    with caplog.at_level(logging.WARNING, logger="texreport.formats"):
        pdf = _render_along(path, sample_document, options, tmp_path)
    assert pdf.startswith(b"%PDF-")
    out = tmp_path / "r.pdf"
    out.write_bytes(pdf)
    assert "模拟面试报告" in pdf_text(out)
    assert "refused the format" in caplog.text
    assert ensure_format(fixed_files()) == fmt and fmt.read_bytes() != damaged  # built again, whole


def _render_along(path: str, document, options: RenderOptions, tmp_path: Path) -> bytes:
    if path == "cold":
        return render(document, options=options)
    if path == "warm":
        with WorkerPool(spares=1) as pool:
            return render(document, options=replace(options, compiler=pool))
    source = tmp_path / "in" / "report.json"
    source.parent.mkdir()
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    (pdf,) = out.glob("*.pdf")
    return pdf.read_bytes()


@pytest.mark.parametrize(("returncode", "log", "blamed"), [
    (1, "", True),                                   # died while loading the format, whatever it printed
    (-signal.SIGSEGV, "", True),                     # crashed on it
    (-signal.SIGKILL, "", False),                    # killed from outside before it got anywhere
    (-signal.SIGTERM, "", False),
    (1, "**report.tex\n(./report.tex\n! Undefined control sequence.\nl.3 \\x\n", False),  # the document's fault
])
def test_only_a_run_that_died_loading_its_format_blames_the_format(tmp_path, returncode, log, blamed):
    (tmp_path / "report.log").write_text(log, encoding="utf-8")
    with pytest.raises(RenderError) as caught:
        check_log(tmp_path, "report.tex", returncode, b"")
    assert formats.format_refused(caught.value) is blamed
