"""A realistic multi-session sample: five mock interviews of one candidate, two weeks apart.

``texreport sample --progress`` prints :func:`progress_sample_json` (a JSON list,
the body ``POST /api/reports/progress/pdf`` takes) or writes one file per
session. The sessions are made from the bundled sample report (the latest
session *is* that report, plus ``candidate.id``): earlier sessions ask a
partly different subset of its questions, so category sets differ (Redis and
SpringBoot are missing early on), some questions repeat, one session leaves a
question unanswered, scores climb by category at different rates (Java并发,
JVM and 项目经历 stay weak for several sessions), and Redis slips a little.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .sample import sample_json

__all__ = ["progress_sample_documents", "progress_sample_json", "write_progress_sample", "SAMPLE_CANDIDATE_ID"]

SAMPLE_CANDIDATE_ID = "zhang-wei"
_SESSION_IDS = ("5c1e8a9d03b7f214", "8d2f4b6a1e9c7035", "e4a7c2190b5d3f86", "1f9b3e7c5a2d8604")
_DATES = ("2026-10-04T14:30:00+08:00", "2026-10-18T14:30:00+08:00", "2026-11-01T15:00:00+08:00",
          "2026-11-15T14:30:00+08:00", "2026-11-29T14:30:00+08:00")
_LEFT_OUT = ({6, 8}, {1, 6}, {4, 8}, {0, 5})     # base question positions each earlier session did not ask
_GAP = (24, 17, 11, 5)                            # how far below the latest score each earlier session is
_REDIS_GAP = (0, 0, -6, -3)                       # Redis was better before
_UNANSWERED_IN = 1                                # the earlier session that leaves a question unanswered
_EARLIER_ANSWER = "volatile 不能保证原子性：它只保证可见性和有序性。i++ 是读-改-写三步，需要 AtomicInteger 或加锁。"


def _half_up(value: float) -> int:
    return int(value + 0.5)


def _base() -> dict[str, Any]:
    document = json.loads(sample_json())
    report: dict[str, Any] = document["data"] if "data" in document and "code" in document else document
    return report


def _earlier(base: dict[str, Any], k: int) -> dict[str, Any]:
    report = copy.deepcopy(base)
    kept = [q for i, q in enumerate(base["questionDetails"]) if i not in _LEFT_OUT[k]]
    questions = []
    for number, original in enumerate(kept):
        question = copy.deepcopy(original)
        position = base["questionDetails"].index(original)
        gap = _REDIS_GAP[k] if question["category"] == "Redis" else _GAP[k]
        jitter = (position * 7 + k * 3) % 7 - 3
        if original.get("userAnswer") is None:      # unanswered in the latest session: answered, weakly, before
            question["userAnswer"] = _EARLIER_ANSWER
            question["score"] = 38 + 4 * k
        else:
            question["score"] = max(0, min(100, original["score"] - gap + jitter))
        if k == _UNANSWERED_IN and number == len(kept) - 1:
            question["userAnswer"] = None
            question["score"] = 0
            question["feedback"] = "未作答。"
        question["questionIndex"] = number
        questions.append((original["questionIndex"], question))
    report["questionDetails"] = [q for _, q in questions]
    renumber = {old: q["questionIndex"] for old, q in questions}
    report["referenceAnswers"] = [
        {**ref, "questionIndex": renumber[ref["questionIndex"]]}
        for ref in base.get("referenceAnswers") or [] if ref["questionIndex"] in renumber
    ]
    report["categoryScores"] = _category_scores(report["questionDetails"])
    scores = [q["score"] for q in report["questionDetails"]]
    report["overallScore"] = _half_up(sum(scores) / len(scores))
    report["totalQuestions"] = len(scores)
    report["sessionId"] = _SESSION_IDS[k]
    report["interview"] = {**base.get("interview", {}), "dateTime": _DATES[k]}
    report["overallFeedback"] = (f"第 {k + 1} 场模拟面试。基础题回答较稳定；并发、JVM 与项目经历仍需加强，"
                                 "回答缺少原理层面的展开和具体数据。")
    return report


def _category_scores(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    for question in questions:
        groups.setdefault(question["category"], []).append(question["score"])
    return [{"category": name, "score": _half_up(sum(s) / len(s)), "questionCount": len(s)}
            for name, s in groups.items()]


def progress_sample_documents() -> list[dict[str, Any]]:
    """Five report documents in the platform's envelope, oldest first."""
    base = _base()
    base["candidate"] = {**(base.get("candidate") or {}), "id": SAMPLE_CANDIDATE_ID}
    latest = copy.deepcopy(base)
    latest["interview"] = {**base.get("interview", {}), "dateTime": _DATES[-1]}
    reports = [_earlier(base, k) for k in range(len(_GAP))] + [latest]
    return [{"code": 200, "message": "success", "data": report} for report in reports]


def progress_sample_json() -> str:
    """The five documents as one JSON list (UTF-8 text ending in a newline)."""
    return json.dumps(progress_sample_documents(), ensure_ascii=False, indent=1) + "\n"


def write_progress_sample(folder: Path | None) -> str:
    """The JSON list (``folder`` None), or write ``session-1.json`` … into ``folder`` and list their paths."""
    if folder is None:
        return progress_sample_json()
    from .atomic import write_atomic

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, document in enumerate(progress_sample_documents(), start=1):
        path = folder / f"session-{number}.json"
        write_atomic(path, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        paths.append(str(path))
    return "\n".join(paths) + "\n"
