"""texreport batch: inputs, names, shards, failures, summary, and a clean stop on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hostile_support import default_sigint, xelatex_processes_in
from pdfcheck import pdf_text
from texreport.batch import expand_inputs, parse_shard, plan_batch
from texreport.cli import cli
from texreport.errors import InputError
from waiting import wait_until


def small(document, session_id: str, questions: int = 1):
    data = json.loads(json.dumps(document))
    data["sessionId"] = session_id
    details = data["questionDetails"][:questions]
    data["questionDetails"] = details
    keep = {d["questionIndex"] for d in details}
    data["referenceAnswers"] = [r for r in data["referenceAnswers"] if r["questionIndex"] in keep]
    return data


def write(folder: Path, name: str, data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_inputs_files_folders_globs_sorted_unique(tmp_path):
    a = write(tmp_path / "x", "a.json", {})
    b = write(tmp_path / "x", "b.json", {})
    c = write(tmp_path / "y", "c.json", {})
    write(tmp_path / "y", "notes.txt", "no")
    found = expand_inputs([str(tmp_path / "x"), str(a), str(tmp_path / "y" / "*.json")])
    assert found == [a, b, c]
    with pytest.raises(InputError):
        expand_inputs([str(tmp_path / "missing-*.json")])


def test_names_follow_the_export_endpoint_and_never_collide(tmp_path):
    paths = [
        write(tmp_path, "1.json", {"sessionId": "abc123"}),
        write(tmp_path, "2.json", {"code": 200, "data": {"sessionId": "env456"}}),
        write(tmp_path, "3.json", {"sessionId": "../../etc/passwd"}),   # unsafe: stem
        write(tmp_path, "4.json", {"sessionId": "dup"}),                # shared: both stems
        write(tmp_path, "5.json", {"sessionId": "dup"}),
        write(tmp_path, "6.json", "{broken"),                           # unreadable: stem
        write(tmp_path / "sub", "3.json", {"sessionId": "../x"}),       # stem "3" twice
    ]
    names = {item.source: item.output_name for item in plan_batch(paths)}
    assert names[paths[0]] == "模拟面试报告_abc123.pdf"
    assert names[paths[1]] == "模拟面试报告_env456.pdf"
    assert names[paths[2]] == "3.pdf"
    assert (names[paths[3]], names[paths[4]]) == ("4.pdf", "5.pdf")
    assert names[paths[5]] == "6.pdf"
    assert names[paths[6]] == "3-2.pdf"
    assert len(set(names.values())) == len(paths)


def test_shards_are_disjoint_complete_and_deterministic(tmp_path):
    paths = [write(tmp_path, f"{i:02}.json", {"sessionId": f"s{i}"}) for i in range(11)]
    shards = [plan_batch(paths, shard=(i, 3)) for i in (1, 2, 3)]
    everything = [item for shard in shards for item in shard]
    assert sorted(everything, key=lambda it: str(it.source)) == plan_batch(paths)
    assert len({item.source for item in everything}) == 11
    assert plan_batch(list(reversed(paths)), shard=(2, 3)) == shards[1]
    # Names are decided over all inputs, so a shard names its items as the full run would.
    full = {item.source: item.output_name for item in plan_batch(paths)}
    assert all(full[item.source] == item.output_name for item in shards[1])


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_refused(text):
    with pytest.raises(ValueError):
        parse_shard(text)
    result = CliRunner().invoke(cli, ["batch", "x.json", "-o", "out", "--shard", text])
    assert result.exit_code == 2


def test_batch_renders_all_good_reports_and_reports_failures(tmp_path, document):
    inputs = tmp_path / "in"
    write(inputs, "a.json", small(document, "batchA"))
    write(inputs, "b.json", small(document, "batchB", questions=2))
    write(inputs, "bad.json", {"sessionId": "nope"})
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["batch", str(inputs), "-o", str(out), "-j", "2", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == ["模拟面试报告_batchA.pdf", "模拟面试报告_batchB.pdf"]
    assert "Page 1" in pdf_text(out / "模拟面试报告_batchA.pdf")   # --lang en applied
    assert "failed: " in result.output and "bad.json" in result.output
    assert "done: 2, failed: 1" in result.output


def test_batch_exit_0_when_all_succeed(tmp_path, document):
    source = write(tmp_path / "in", "a.json", small(document, "allgood"))
    result = CliRunner().invoke(cli, ["batch", str(source), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "done: 1, failed: 0" in result.output


def test_ctrl_c_stops_cleanly(tmp_path, document):
    inputs = tmp_path / "in"
    for i in range(12):
        write(inputs, f"r{i:02}.json", small(document, f"int{i:02}", questions=3))
    out = tmp_path / "out"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from texreport.cli import main; main()", "batch", str(inputs), "-o", str(out), "-j", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_sigint,
    )
    try:
        # interrupt while a compile runs: the case that must clean up
        wait_until(lambda: xelatex_processes_in(private_tmp), "a batch worker's xelatex to start")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr.decode()
    assert b"interrupted" in stderr
    wait_until(lambda: not xelatex_processes_in(private_tmp), "xelatex to be gone after the batch exited", 5)
    assert list(private_tmp.iterdir()) == []          # worker folders removed
    written = list(out.iterdir()) if out.exists() else []
    assert len(written) < 12
    for path in written:                              # only complete PDFs under final names
        assert path.suffix == ".pdf" and not path.name.startswith(".")
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


# ---------------------------------------------------------------- several reports in one xelatex run


def _grouped_inputs(tmp_path: Path, document) -> list[Path]:
    rare = small(document, "groupzh01", questions=2)
    rare["questionDetails"][0]["userAnswer"] += " 𠮷野家 𪚥"  # HanaMin: the only report of its group with fallback on
    variants = [
        rare,
        dict(small(document, "groupen02", questions=3), language="en"),
        small(document, "groupzh03", questions=6),   # code blocks, several pages
        small(document, "groupzh04", questions=1),
        small(document, "groupzh05", questions=4),
    ]
    return [write(tmp_path / "in", f"{index}.json", data) for index, data in enumerate(variants)]


def test_grouped_batch_gives_each_report_the_pdf_a_single_render_gives(tmp_path, document):
    import pypdf

    from pdfcheck import GENERATED_AT, pdf_pages, pdfinfo, render_file, squash
    from texreport.batch import run_batch

    sources = _grouped_inputs(tmp_path, document)
    items = plan_batch(sources)
    summary = run_batch(items, tmp_path / "out", jobs=2, group=3)   # groups of 3 and 2
    assert summary.done == len(sources) and summary.failed == ()
    for item in items:
        grouped = tmp_path / "out" / item.output_name
        alone = render_file(json.loads(item.source.read_text(encoding="utf-8")), tmp_path / "alone.pdf",
                            generated_at=GENERATED_AT)
        pages, alone_pages = pdf_pages(grouped), pdf_pages(alone)
        assert len(pages) == len(alone_pages)
        # The cover and footer carry the generation time, which differs between the two runs.
        strip = lambda text: squash(re.sub(r"(生成时间|Generated):[^\n]*", "", text))  # noqa: E731
        assert [strip(p) for p in pages] == [strip(p) for p in alone_pages]
        total = len(pages)
        for number, text in enumerate(pages, start=1):
            flat = squash(text)
            assert f"第{number}页/共{total}页" in flat or f"Page{number}of{total}" in flat
        assert pdfinfo(grouped)["Title"] == pdfinfo(alone)["Title"]
        outline = pypdf.PdfReader(grouped).outline
        assert len(outline) == len(pypdf.PdfReader(alone).outline)
        # Same places too (a report later in a group starts at the top of its page like a single one).
        assert _placed_words(grouped) == _placed_words(alone)


def _placed_words(pdf: Path) -> list[tuple[int, tuple[float, ...], str]]:
    """Word boxes, without the lines that show the generation time (it differs between runs)."""
    from pdfcheck import word_boxes

    boxes = word_boxes(pdf)
    timed = {(page, round(box[1])) for page, box, word in boxes
             if word.startswith(("生成时间", "Generated")) or re.fullmatch(r"\d\d:\d\d", word)}
    return [(page, box, word) for page, box, word in boxes
            if not any(page == p and abs(round(box[1]) - y) <= 2 for p, y in timed)]


def test_a_failing_group_falls_back_to_one_compile_per_report(tmp_path, document, monkeypatch):
    import texreport.batch as batch
    from texreport.errors import CompileError
    from texreport.workers import WorkerPool

    sources = _grouped_inputs(tmp_path, document)[:3]
    sources.append(write(tmp_path / "in", "9-broken.json", "{not json"))
    items = plan_batch(sources)

    def group_fails(*args, **kwargs):
        raise CompileError("Undefined control sequence.", tex_line=7)

    real_compile = WorkerPool.compile

    def second_report_fails(self, job, **kwargs):
        if "groupen02" in job.document["body.tex"]:
            raise CompileError("TeX capacity exceeded", tex_line=3)
        return real_compile(self, job, **kwargs)

    monkeypatch.setattr(batch.GroupCompiler, "compile_group", group_fails)
    monkeypatch.setattr(WorkerPool, "compile", second_report_fails)
    summary = batch.run_batch(items, tmp_path / "out", jobs=2, group=4)
    failed = {r.item.source.name: r.error for r in summary.failed}
    assert set(failed) == {"1.json", "9-broken.json"}
    assert "TeX capacity exceeded" in failed["1.json"] and "line 1" in failed["9-broken.json"]
    assert summary.done == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        i.output_name for i in items if i.source.name in ("0.json", "2.json"))


def test_a_report_that_stops_its_group_fails_alone_and_the_others_stay_grouped(tmp_path, document, monkeypatch):
    """The group's run stops on the bad report: only that one compiles on its own (and fails with the error a
    single render gives); the others get a second shared run, not one compile each."""
    import texreport.batch as batch
    import texreport.transports as transports
    from pdfcheck import GENERATED_AT, pdf_pages, render_file
    from texreport.compiler import CompileLimits
    from texreport.errors import CompileError
    from texreport.models import load_json
    from texreport.transports import ColdCompiler, compile_job
    from texreport.workers import WorkerPool

    sources = _grouped_inputs(tmp_path, document)
    items = plan_batch(sources)
    real_prepare, real_compile_xdv, real_compile = batch.prepare, transports.compile_xdv, WorkerPool.compile

    def prepare_one_broken(*args, **kwargs):
        job = real_prepare(*args, **kwargs)
        if "groupen02" in job.document["body.tex"]:
            job.document["body.tex"] += "\n\\TRnosuchmacro\n"
        return job

    shared_runs, alone = [], []
    monkeypatch.setattr(batch, "prepare", prepare_one_broken)
    monkeypatch.setattr(transports, "compile_xdv", lambda *a, **k: shared_runs.append(a[1]) or real_compile_xdv(*a, **k))
    monkeypatch.setattr(WorkerPool, "compile", lambda self, job, **k: alone.append(job) or real_compile(self, job, **k))
    summary = batch.run_batch(items, tmp_path / "out", jobs=1, group=5)   # one group, the bad report in its middle

    assert [r.item.source.name for r in summary.failed] == ["1.json"]
    with pytest.raises(CompileError) as single:   # the same broken report, rendered on its own
        compile_job(ColdCompiler(), prepare_one_broken(load_json(sources[1].read_bytes())), limits=CompileLimits())
    assert "Undefined control sequence" in str(single.value)
    assert summary.failed[0].error == str(single.value)
    # One run for the group; the reports it finished before the bad one keep their pages from it, those after it
    # get a second run; only the bad one compiles alone.
    assert shared_runs == ["batch.tex", "batch-2.tex"] and len(alone) == 1
    assert summary.done == 4
    for item in items:
        if item.source.name != "1.json":
            grouped = tmp_path / "out" / item.output_name
            single_pdf = render_file(json.loads(item.source.read_text(encoding="utf-8")), tmp_path / "alone.pdf",
                                     generated_at=GENERATED_AT)
            assert [_untimed(page) for page in pdf_pages(grouped)] == [_untimed(page) for page in pdf_pages(single_pdf)]


def _untimed(text: str) -> str:
    from pdfcheck import squash

    return squash(re.sub(r"(生成时间|Generated):[^\n]*", "", text))
