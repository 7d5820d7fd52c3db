#!/usr/bin/env python3
"""Check that two versions of texreport print the same text: pdftotext of every fixture, both languages.

    .venv/bin/python scripts/compare_text.py main            # main's tree against this checkout
    .venv/bin/python scripts/compare_text.py main --theme default

Each version runs in its own process from its own source tree (the base is ``git archive``d
into a temporary folder), with the same Python environment and a fixed generation time.
Every report in ``tests/fixtures/*.json`` (files that are not reports are skipped) and the
bundled sample are rendered in zh and en. Prints one line per document and exits 1 if any
text differs (the diff is printed), 0 if all are identical.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside each version: prints {name: pdftotext output} as JSON on stdout.
_RENDER = r"""
import json, subprocess, sys, tempfile
from datetime import datetime, timezone
from pathlib import Path
import texreport
from texreport import RenderOptions, load_json, render
from texreport.sample import sample_json
extra = json.loads(sys.argv[2])
sources = {"sample": sample_json().encode()}
for path in sorted(Path(sys.argv[1]).glob("*.json")):
    sources[path.name] = path.read_bytes()
out = {}
when = datetime(2026, 11, 29, 14, 30, tzinfo=timezone.utc)
for name, raw in sources.items():
    try:
        report = load_json(raw)
    except Exception:
        continue
    for lang in ("zh", "en"):
        pdf = render(report, options=RenderOptions(lang=lang, generated_at=when, **extra))
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            text = subprocess.run(["pdftotext", "-layout", handle.name, "-"], capture_output=True,
                                  check=True).stdout.decode()
        out[f"{name} [{lang}]"] = text
print(json.dumps(out))
"""


def _texts(src: Path, options: dict[str, object]) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", _RENDER, str(ROOT / "tests" / "fixtures"), json.dumps(options)],
        env={"PYTHONPATH": str(src), "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        sys.exit(f"compare_text: rendering with {src} failed:\n{result.stderr[-3000:]}")
    texts: dict[str, str] = json.loads(result.stdout)
    return texts


def _export(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="tar")
    return into / "src"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="git ref of the version to compare against (e.g. main)")
    parser.add_argument("--theme", default=None, help="render this checkout with this theme (base: no option)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="texreport-compare-") as folder:
        before = _texts(_export(args.base, Path(folder)), {})
    after = _texts(ROOT / "src", {"theme": args.theme} if args.theme else {})
    different = 0
    for name in sorted(set(before) | set(after)):
        same = before.get(name) == after.get(name)
        print(f"{'same' if same else 'DIFFERENT'}  {name}")
        if not same:
            different += 1
            diff = difflib.unified_diff((before.get(name) or "").splitlines(), (after.get(name) or "").splitlines(),
                                        f"{args.base}:{name}", f"this:{name}", lineterm="", n=1)
            print("\n".join(list(diff)[:80]))
    print(f"{len(before)} documents, {different} different")
    return 1 if different or not before else 0


if __name__ == "__main__":
    sys.exit(main())
