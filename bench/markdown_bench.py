"""Markdown and highlighting cost: the sample and a table-and-code-heavy report, warm and cold.

Run from the repository root:  .venv/bin/python bench/markdown_bench.py [--runs 7]

"Warm" is a render through a warm xelatex worker (what the HTTP export does);
"cold" is ``render()`` without workers (the CLI path minus interpreter start);
"layout" is the Python part alone (``prepare``: validation, Markdown, highlighting,
the template); "markdown" the fastest pass of the Markdown renderer alone over every
Markdown field, the number that stays meaningful on a loaded machine. Medians otherwise.
Run it with another checkout's interpreter (its ``src`` installed) for a before/after.
Nothing here is a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

GENERATED_AT = datetime(2026, 11, 29, 14, 30, tzinfo=UTC)

JAVA = """```java
public class OrderService {
    private final OrderRepository repository;   // 订单仓储
    private final Map<Long, Order> cache = new ConcurrentHashMap<>();

    @Transactional
    public Order create(CreateOrderRequest request) {
        if (request.getAmount() <= 0) {
            throw new IllegalArgumentException("amount must be positive: " + request.getAmount());
        }
        Order order = Order.builder().userId(request.getUserId()).amount(request.getAmount()).build();
        repository.save(order);
        cache.put(order.getId(), order);
        return order;
    }
}
```"""

SQL = """```sql
SELECT o.id, o.order_no, o.amount, u.nickname
FROM t_order o JOIN t_user u ON u.id = o.user_id
WHERE o.create_time >= '2024-01-01' AND o.status IN (1, 2, 3)
ORDER BY o.create_time DESC LIMIT 20; -- 延迟关联优化深分页
```"""

TABLE = "| 特性 | HashMap | Hashtable | ConcurrentHashMap | 说明 | 备注 |\n|:--|:-:|:-:|:-:|--|--:|\n" + "".join(
    f"| 行{n} 线程安全 | 否 | 是 | 是（CAS + synchronized） | 第 {n} 行的较长说明文字，需要在单元格内换行 | `v{n}` |\n"
    for n in range(10))


def heavy(base: dict[str, Any]) -> dict[str, Any]:
    """The sample with every answer, feedback and reference answer full of tables and code."""
    doc = json.loads(json.dumps(base))
    data = doc["data"]
    data["sessionId"] = "markdown-heavy"
    for question in data["questionDetails"]:
        question["userAnswer"] = "回答：\n\n" + JAVA + "\n\n" + TABLE
        question["feedback"] = "### 评价\n\n- 要点一\n  - 细节 **加粗**\n- [x] 已覆盖\n\n" + TABLE + "\n\n" + SQL
    for reference in data["referenceAnswers"]:
        reference["referenceAnswer"] = "> 参考\n\n" + JAVA + "\n\n" + SQL + "\n\n" + TABLE
    return doc


def markdown_fields(doc: dict[str, Any]) -> list[str]:
    data = doc["data"]
    fields = [data["overallFeedback"]]
    for question in data["questionDetails"]:
        fields += [question["question"], question.get("userAnswer") or "", question["feedback"]]
    fields += [reference["referenceAnswer"] for reference in data["referenceAnswers"]]
    return fields


def markdown_seconds(doc: dict[str, Any], runs: int) -> float:
    """The fastest of ``runs`` passes of the Markdown renderer over every Markdown field (load-proof)."""
    try:
        from texreport.markdown import markdown_to_latex

        def one(text: str) -> object:
            return markdown_to_latex(text)
    except ImportError:  # before the renderer had its own module
        from texreport.escape import CodeFiles
        from texreport.escape import markdown_to_latex as old

        def one(text: str) -> object:
            return old(text, code_files=CodeFiles())
    fields = markdown_fields(doc)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for text in fields:
            one(text)
        best = min(best, time.perf_counter() - started)
    return best


def median_of(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from texreport.pipeline import RenderOptions, prepare, render
    from texreport.sample import sample_json
    from texreport.workers import WorkerPool

    base = json.loads(sample_json())
    reports = {"sample": base, "table+code heavy": heavy(base)}
    pool = WorkerPool(spares=1)
    warm = RenderOptions(generated_at=GENERATED_AT, compiler=pool)
    cold = RenderOptions(generated_at=GENERATED_AT)
    try:
        for doc in reports.values():  # prime: format, fonts, lexers, template
            render(doc, options=warm)
            render(doc, options=cold)
        rows = []
        for name, doc in reports.items():
            layout = median_of(lambda doc=doc: prepare(doc, options=cold), args.runs)
            warm_s = median_of(lambda doc=doc: render(doc, options=warm), args.runs)
            cold_s = median_of(lambda doc=doc: render(doc, options=cold), args.runs)
            rows.append((name, markdown_seconds(doc, 4 * args.runs), layout, warm_s, cold_s))
    finally:
        pool.close()
    print(f"python {sys.version.split()[0]}, {args.runs} runs, medians")
    print(f"{'report':<18} {'markdown s (min)':>16} {'layout s':>9} {'warm s':>8} {'cold s':>8}")
    for name, markdown_s, layout, warm_s, cold_s in rows:
        print(f"{name:<18} {markdown_s:>16.4f} {layout:>9.3f} {warm_s:>8.3f} {cold_s:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
