"""Hostile input and faults on the core paths (issue 9): numbers, lone surrogates, headings with line
breaks, pathological files in a batch, symlink loops, bounded reads, the umask, SIGTERM, a full disk,
rlimits without preexec_fn, Kubernetes shards. Each class is checked where a user meets it."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from hostile_support import default_sigint, xelatex_processes_in
from pdfcheck import body_text, render_file, squash
from texreport import compiler
from texreport.batch import expand_inputs
from texreport.compiler import CompileLimits, start_sandboxed
from texreport.errors import DiskFullError, InputError, printable
from texreport.fields import TEXT_FIELDS, walk
from texreport.limits import MAX_COUNT, MAX_DOCUMENT_BYTES, MAX_INT_DIGITS
from texreport.models import DocumentInvalid, load_document, load_json
from texreport.reading import read_document
from waiting import wait_until

TEXREPORT = Path(sys.executable).parent / "texreport"


def run_cli(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(TEXREPORT), *args], input=stdin, capture_output=True, env=env, cwd=cwd, timeout=120)


def error_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return result.stderr.decode("utf-8").strip().splitlines()


def write_json(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- numbers


def _with_literal(document: dict, placeholder_path: list[str | int], literal: str) -> str:
    """The document's JSON with a raw number literal at ``placeholder_path`` (too long for json.dumps)."""
    target = document
    for part in placeholder_path[:-1]:
        target = target[part]
    target[placeholder_path[-1]] = "@@NUMBER@@"
    return json.dumps(document, ensure_ascii=False).replace('"@@NUMBER@@"', literal)


NUMBER_PLACES = [
    (["ignoredField"], "ignoredField"),
    (["overallScore"], "overallScore"),
    (["questionDetails", 0, "score"], "questionDetails.0.score"),
    (["questionDetails", 1, "questionIndex"], "questionDetails.1.questionIndex"),
    (["categoryScores", 0, "questionCount"], "categoryScores.0.questionCount"),
    (["totalQuestions"], "totalQuestions"),
]


@pytest.mark.parametrize("place, field", NUMBER_PLACES, ids=[f for _, f in NUMBER_PLACES])
@pytest.mark.parametrize("digits", [MAX_INT_DIGITS + 1, 5000, 100_000])
def test_huge_integers_are_refused_naming_the_field(document, place, field, digits):
    text = _with_literal(document, place, "9" * digits)
    with pytest.raises(DocumentInvalid) as caught:
        load_json(text)
    assert caught.value.field == field and caught.value.exit_code == 2


def test_huge_integer_in_an_envelope_and_as_python_int(document):
    text = _with_literal({"code": 200, "message": "ok", "data": document}, ["data", "overallScore"], "1" * 5000)
    with pytest.raises(DocumentInvalid) as caught:
        load_json(text)
    assert caught.value.field == "overallScore"
    document["overallScore"] = 10**400   # the library's dict path: float() of it would overflow
    with pytest.raises(DocumentInvalid) as caught:
        load_document(document)
    assert caught.value.field == "overallScore"


@pytest.mark.parametrize("key", ["questionIndex", "questionCount", "totalQuestions"])
def test_counts_and_indexes_are_bounded_for_the_database(document, key):
    def put(value):
        if key == "questionIndex":
            document["questionDetails"][0]["questionIndex"] = value
            document["referenceAnswers"] = []
        elif key == "questionCount":
            document["categoryScores"][0]["questionCount"] = value
        else:
            document["totalQuestions"] = value

    put(MAX_COUNT)
    load_document(document)
    for value in (MAX_COUNT + 1, 2**63, 2**64 + 1, float(2**63)):
        put(value)
        with pytest.raises(DocumentInvalid) as caught:
            load_document(document)
        assert caught.value.field.endswith(key) and str(MAX_COUNT) in str(caught.value)


def test_cli_huge_number_exit_2_one_line(tmp_path, document):
    source = write_json(tmp_path / "r.json", _with_literal(document, ["questionDetails", 0, "score"], "7" * 5000))
    for command in (["validate", str(source)], ["render", str(source), "-o", str(tmp_path / "r.pdf")],
                    ["tex", str(source), "-o", str(tmp_path / "tex")]):
        result = run_cli(*command)
        assert result.returncode == 2, result.stderr
        assert error_lines(result) == [
            f"texreport: error: questionDetails.0.score: a number with 5000 digits; numbers have at most "
            f"{MAX_INT_DIGITS}"]
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "tex").exists()


# ---------------------------------------------------------------- lone surrogates


def _surrogate_json(document: dict, key: str) -> str:
    document[key] = "@@S@@" + str(document.get(key, ""))
    return json.dumps(document, ensure_ascii=True).replace("@@S@@", "\\ud800")


def test_a_lone_surrogate_in_the_session_id_is_refused_naming_it(tmp_path, document):
    source = write_json(tmp_path / "r.json", _surrogate_json(document, "sessionId"))
    with pytest.raises(DocumentInvalid) as caught:
        load_json(source.read_bytes())
    assert caught.value.field == "sessionId"
    result = run_cli("validate", str(source))
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert error_lines(result)[0].startswith("texreport: error: sessionId: must not contain a lone surrogate")


def test_lone_surrogates_elsewhere_are_dropped_everywhere(document):
    text = json.dumps(document, ensure_ascii=True)
    for name in ("category", "userAnswer", "feedback"):
        text = text.replace(f'"{name}": "', f'"{name}": "\\udfff', 1)
    text = text.replace('"overallFeedback": "', '"overallFeedback": "\\ud83d', 1)
    text = text.replace('{"area"', '{"area"', 1)
    report = load_json(text)
    for path, _, value in walk(report):
        assert not isinstance(value, str) or not any("\ud800" <= ch <= "\udfff" for ch in value), path
    # what the service stores is the model's dump: clean too
    json.dumps(report.model_dump(by_alias=True, mode="json"), ensure_ascii=False).encode("utf-8")


def test_messages_with_lone_surrogates_print(tmp_path):
    assert printable("a\ud800b") == "a\\ud800b"
    error = InputError("bad \udcff value", field="x\ud800")
    str(error).encode("utf-8")   # never a UnicodeEncodeError when printed or logged
    # a file name that is not UTF-8 (Python sees surrogate escapes) in the CLI's error line
    name = os.fsdecode(b"r\xff.json")
    result = run_cli("validate", str(tmp_path / name))
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert error_lines(result)[0].startswith("texreport: error: no such file")


def test_validate_ok_line_with_surrogates_in_text(tmp_path, document):
    source = write_json(tmp_path / "r.json", _surrogate_json(document, "overallFeedback"))
    result = run_cli("validate", str(source))
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith("ok: session")


# ---------------------------------------------------------------- headings with line breaks


BREAKS = ["\n\n", "\u2029", "\u2028", "\r\n", "\r", "\x85", "\v", "\f", "\n \n"]


@pytest.mark.parametrize("separator", BREAKS, ids=[f"U+{ord(s[0]):04X}x{len(s)}" for s in BREAKS])
def test_headings_are_one_line_in_the_model(document, separator):
    document["questionDetails"][0]["category"] = f"Java{separator}并发"
    document["categoryScores"][0]["category"] = f"Java{separator}并发"
    document["improvementPlan"] = {"items": [{"area": f"Plan{separator}area"}]}
    report = load_document(document)
    assert report.question_details[0].category.split() == ["Java", "并发"]
    assert report.category_scores[0].category == report.question_details[0].category
    assert report.improvement_plan is not None
    assert report.improvement_plan.items[0].area.split() == ["Plan", "area"]


def test_headings_with_blank_lines_and_u2029_render(tmp_path, document):
    """Failed before with "Paragraph ended before \\@sect was complete" while validate said OK."""
    document["questionDetails"][0]["category"] = "Heading\n\nBlankLine"
    document["questionDetails"][1]["category"] = "Heading\u2029ParagraphSep"
    document["improvementPlan"] = {"items": [{"area": "Area\n\nBlankLine", "actions": ["练习"]},
                                             {"area": "Area\u2029ParagraphSep\u2028LineSep"}]}
    result = run_cli("validate", str(write_json(tmp_path / "r.json", json.dumps(document))))
    assert result.returncode == 0
    pdf = render_file(document, tmp_path / "headings.pdf")
    text = squash(body_text(pdf))
    for words in ("HeadingBlankLine", "HeadingParagraphSep", "AreaBlankLine", "AreaParagraphSepLineSep"):
        assert words in text


# ---------------------------------------------------------------- the table of fields


def test_every_string_field_of_the_model_is_in_the_table():
    """Adding a text field to the models without adding it to fields.TEXT_FIELDS fails here."""
    from texreport.models import Report

    full = json.loads((Path(__file__).parent / "fixtures" / "full_extensions_en.json").read_text(encoding="utf-8"))
    report = load_document(full)
    listed = {path for path, _, value in walk(report) if isinstance(value, str)}
    dumped = json.loads(report.model_dump_json(by_alias=True))
    not_text = {"language", "interview.dateTime", "interview.date"}

    def strings(value: object, path: str = ""):
        if isinstance(value, str):
            yield path
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from strings(item, f"{path}.{index}")

    assert {p for p in strings(dumped) if p not in not_text} == listed
    assert Report  # the model the table describes
    assert len({field.path for field in TEXT_FIELDS}) == len(TEXT_FIELDS)


# ---------------------------------------------------------------- batch: one bad file never stops the others


def test_pathological_files_never_stop_a_batch(tmp_path, document):
    from click.testing import CliRunner

    from texreport.cli import cli

    folder = tmp_path / "in"
    folder.mkdir()
    good = dict(document, sessionId="goodone")
    write_json(folder / "a-good.json", json.dumps(good, ensure_ascii=False))
    write_json(folder / "b-nested.json", "[" * 100_000 + "]" * 100_000)
    write_json(folder / "c-nested-field.json", json.dumps(document)[:-1] + ', "x": ' + "[" * 50_000 + "]" * 50_000 + "}")
    write_json(folder / "d-bigint.json", _with_literal(dict(document, sessionId="bigint"), ["overallScore"], "9" * 6000))
    write_json(folder / "e-surrogate.json", _surrogate_json(dict(document), "sessionId"))
    result = CliRunner().invoke(cli, ["batch", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["模拟面试报告_goodone.pdf"]
    assert "done: 1, failed: 4" in result.output
    for name in ("b-nested", "c-nested-field", "d-bigint", "e-surrogate"):
        assert f"{name}.json" in result.output


def test_a_glob_through_a_symlink_loop_finds_each_file_once(tmp_path, document):
    folder = tmp_path / "in"
    folder.mkdir()
    write_json(folder / "a.json", json.dumps(document))
    (folder / "loop").symlink_to(".")
    (tmp_path / "alias").symlink_to(folder)
    found = expand_inputs([f"{folder}/**/*.json", str(folder / "a.json"), str(tmp_path / "alias")])
    assert len(found) == 1 and found[0].resolve() == (folder / "a.json").resolve()
    assert expand_inputs([f"{folder}/**/*.json"]) == [folder / "a.json"]   # (glob alone: 40 names)


@pytest.mark.parametrize("shards", [2, 3])
def test_kubernetes_indexed_job_shards_cover_the_inputs_once(tmp_path, document, shards):
    from texreport.batch import plan_batch, shard_from_environment

    assert shard_from_environment({}) is None
    assert shard_from_environment({"JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "2"}) == (1, 2)
    for bad in ({"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "2"}, {"JOB_COMPLETION_INDEX": "x",
                                                                       "JOB_COMPLETIONS": "2"}):
        with pytest.raises(ValueError):
            shard_from_environment(bad)
    sources = [write_json(tmp_path / f"{i}.json", json.dumps(dict(document, sessionId=f"k{i}"))) for i in range(7)]
    everything = {item.output_name for item in plan_batch(sources)}
    parts = [{item.output_name for item in plan_batch(sources, shard=shard_from_environment(
        {"JOB_COMPLETION_INDEX": str(index), "JOB_COMPLETIONS": str(shards)}) or (1, 1))} for index in range(shards)]
    assert set().union(*parts) == everything and sum(len(p) for p in parts) == len(everything)


def test_two_kubernetes_pods_render_the_whole_batch(tmp_path, document):
    inputs = tmp_path / "in"
    inputs.mkdir()
    small = dict(document, questionDetails=document["questionDetails"][:1], referenceAnswers=[])
    for i in range(3):
        write_json(inputs / f"{i}.json", json.dumps(dict(small, sessionId=f"pod{i}"), ensure_ascii=False))
    outputs = []
    for index in range(2):
        env = dict(os.environ, JOB_COMPLETION_INDEX=str(index), JOB_COMPLETIONS="2")
        out = tmp_path / f"out{index}"
        result = run_cli("batch", str(inputs), "-o", str(out), env=env)
        assert result.returncode == 0, result.stderr
        outputs.append({p.name for p in out.iterdir()})
    assert outputs[0].isdisjoint(outputs[1])
    assert outputs[0] | outputs[1] == {f"模拟面试报告_pod{i}.pdf" for i in range(3)}
    explicit = run_cli("batch", str(inputs), "-o", str(tmp_path / "all"), "--shard", "1/1",
                       env=dict(os.environ, JOB_COMPLETION_INDEX="0", JOB_COMPLETIONS="2"))
    assert explicit.returncode == 0 and len(list((tmp_path / "all").iterdir())) == 3   # --shard wins


# ---------------------------------------------------------------- bounded reads


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_an_endless_input_is_refused_after_the_size_limit(how):
    """/dev/zero never ends: reading it whole would never return (or fill the memory)."""
    if how == "file":
        result = run_cli("validate", "/dev/zero")
    else:
        with open("/dev/zero", "rb") as zeros:
            result = subprocess.run([str(TEXREPORT), "validate", "-"], stdin=zeros, capture_output=True, timeout=120)
    assert result.returncode == 2
    assert error_lines(result) == [f"texreport: error: the document has {MAX_DOCUMENT_BYTES + 1} bytes, more than "
                                   f"the limit of {MAX_DOCUMENT_BYTES} bytes"]


def test_read_document_reads_no_more_than_the_limit(tmp_path):
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(10 * MAX_DOCUMENT_BYTES)   # sparse: costs no disk
    assert len(read_document(big)) == MAX_DOCUMENT_BYTES + 1
    with pytest.raises(InputError, match="is a folder"):
        read_document(tmp_path)


# ---------------------------------------------------------------- the umask


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_cli_pdfs_respect_the_umask(tmp_path, sample_file_small, umask, mode):
    out = tmp_path / "r.pdf"
    result = subprocess.run(["sh", "-c", f'umask {umask:03o} && exec "$0" "$@"', str(TEXREPORT), "render",
                             str(sample_file_small), "-o", str(out)], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == mode


@pytest.fixture
def sample_file_small(tmp_path, document) -> Path:
    small = dict(document, questionDetails=document["questionDetails"][:1], referenceAnswers=[])
    return write_json(tmp_path / "small.json", json.dumps(small, ensure_ascii=False))


# ---------------------------------------------------------------- SIGTERM


def _wait_for_xelatex(folder: Path, process: subprocess.Popen[bytes]) -> None:
    def started() -> bool:
        assert process.poll() is None, process.communicate()
        return bool(xelatex_processes_in(folder))

    wait_until(started, "xelatex to start")


@pytest.mark.parametrize("command, cache", [("render", "built"), ("render", "empty"), ("batch", "built")])
def test_sigterm_cleans_up_like_ctrl_c(tmp_path, document, command, cache):
    """SIGTERM while xelatex runs: the render's worker, a batch's compiles, or (empty cache) the format build."""
    private = tmp_path / "tmp"
    private.mkdir()
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(6):
        write_json(inputs / f"{i}.json", json.dumps(dict(document, sessionId=f"term{i}"), ensure_ascii=False))
    output = tmp_path / "out"
    args = (["render", str(inputs / "0.json"), "-o", str(output / "r.pdf")] if command == "render"
            else ["batch", str(inputs), "-o", str(output), "-j", "2"])
    env = dict(os.environ, TMPDIR=str(private))
    if cache == "empty":
        env["TEXREPORT_CACHE_DIR"] = str(tmp_path / "cache")
    process = subprocess.Popen([str(TEXREPORT), *args], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=default_sigint)
    try:
        _wait_for_xelatex(private, process)
        process.send_signal(signal.SIGTERM)   # what kill, timeout and docker stop send
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert b"Traceback" not in stderr and b"terminated" in stderr
    assert xelatex_processes_in(private) == []
    assert list(private.iterdir()) == []            # job and worker folders removed
    for pdf in output.glob("*") if output.exists() else []:
        assert not pdf.name.startswith(".") and pdf.read_bytes().startswith(b"%PDF-")
    if cache == "empty":   # no format, whole or partial, was installed
        assert list((tmp_path / "cache").rglob("*.fmt*")) == []


# ---------------------------------------------------------------- a full temporary folder


def _fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` until at most ``leave`` bytes are free."""
    filler = folder / "filler"
    with filler.open("wb") as handle:
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        try:
            handle.write(b"\0" * max(0, free - leave))
            handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


@pytest.fixture
def tiny_tmp(tmp_path, monkeypatch):
    """A 24 MB tmpfs as the temporary folder (root only); skipped where mounting is not allowed."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the fault-injection test covers the same path)")
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("leave", [0, 96 * 1024], ids=["python-write-fails", "xelatex-write-fails"])
def test_a_full_temporary_folder_is_disk_full_and_leaks_nothing(tiny_tmp, document, leave):
    from texreport.formats import fixed_files
    from texreport.pipeline import RenderOptions, prepare, render
    from texreport.workers import WorkerPool

    job = prepare(document)
    with WorkerPool(spares=1) as pool:
        pool.warm_up(fixed_files())
        filler = _fill(tiny_tmp, leave)
        for _ in range(3):   # each failed job used to lose the spare it took
            with pytest.raises(DiskFullError) as caught:
                pool.compile(job)
            assert str(tiny_tmp) in str(caught.value) and "disk full" in str(caught.value)
        with pytest.raises(DiskFullError):
            render(document, options=RenderOptions())   # the cold path says the same
        filler.unlink()
        assert len(pool.worker_pids()) <= 1
    assert xelatex_processes_in(tiny_tmp) == []
    assert list(tiny_tmp.iterdir()) == []


def test_no_space_while_starting_a_spare_loses_no_worker(tmp_path, document, monkeypatch):
    """Fault injection at the write layer (works unprivileged): ENOSPC for every worker file after warm-up."""
    import texreport.workers as workers
    from texreport.formats import fixed_files
    from texreport.pipeline import prepare

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    job = prepare(document)
    pool = workers.WorkerPool(spares=1)
    pool.warm_up(fixed_files())
    started = pool.worker_pids()
    real_write = Path.write_text

    def full(self, *args, **kwargs):
        if "texreport-worker-" in str(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(DiskFullError):
        pool.compile(job)
    assert pool.worker_pids() == []          # the spare taken for the job is not lost anywhere
    for pid in started:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
    pool.close()
    assert xelatex_processes_in(private) == []
    assert list(private.iterdir()) == []


# ---------------------------------------------------------------- rlimits without preexec_fn


@pytest.mark.parametrize("limiter", ["prlimit", "python"])
def test_rlimits_hold_without_preexec_fn(tmp_path, monkeypatch, limiter):
    if limiter == "python":
        real_which = compiler.shutil.which
        monkeypatch.setattr(compiler.shutil, "which", lambda name: None if name == "prlimit" else real_which(name))
    elif compiler.shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) is not installed")
    seen = {}
    real_popen = compiler.subprocess.Popen

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real_popen(*args, **kwargs)

    monkeypatch.setattr(compiler.subprocess, "Popen", spy)
    limits = CompileLimits(max_file_bytes=12_345_678, max_memory_bytes=2 * 1024**3, max_cpu_seconds=77)
    probe = ("import os,resource as r;print([[list(r.getrlimit(k)) for k in (r.RLIMIT_FSIZE,r.RLIMIT_AS,"
             "r.RLIMIT_CPU,r.RLIMIT_CORE)],os.getpid(),os.getpgid(0)])")
    process = start_sandboxed([sys.executable, "-c", probe], tmp_path, limits=limits, stdin=subprocess.DEVNULL)
    output, _ = process.communicate(timeout=60)
    assert seen.get("preexec_fn") is None and seen["process_group"] == 0
    rlimits, pid, group = json.loads(output)
    assert rlimits == [[12_345_678, 12_345_678], [2 * 1024**3, 2 * 1024**3], [77, 77], [0, 0]]
    assert pid == process.pid == group   # the limiter exec'd the program: same process, its own group
    assert resource.getrlimit(resource.RLIMIT_CPU)[0] != 77   # the parent is untouched


# ---------------------------------------------------------------- the document-info line


def test_pdf_keywords_stay_short_with_whole_names(document):
    """Metadata is one TeX source line: 100 long category names must not make it "too long"."""
    from texreport.limits import MAX_HEADING_CHARS, MAX_KEYWORDS_CHARS
    from texreport.view import build_view

    document["categoryScores"] = [{"category": f"{i:03d}" + "𠮷" * (MAX_HEADING_CHARS - 3), "score": 50}
                                  for i in range(100)]
    keywords = build_view(load_document(document)).metadata.keywords
    assert 0 < len(keywords) <= MAX_KEYWORDS_CHARS
    names = keywords.split(", ")
    assert names == [c["category"] for c in document["categoryScores"][:len(names)]]
