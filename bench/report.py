"""Render a `python -m bench` result file as Markdown for docs/benchmarks.md.

python -m bench.report bench/results/<stamp>-<articles>.json [--explain] [--against SMALL.json]

``--against``: a run on a smaller corpus; adds the p50 growth (this run / that run) per
endpoint for the API and the floor, and the two runs' EXPLAIN execution times side by side.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any


def _cell(v: Any, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def render(data: dict[str, Any], *, explain: bool = False) -> str:
    m = data["machine"]
    lines = [
        f"`{data['command']}` ({data['started_at'][:10]}; {m['cpus']} CPUs, {m['cpu']}, "
        f"{m['memory']} RAM; {data['database']})",
        "",
    ]
    if "load" in data:
        ld = data["load"]
        lines += [
            f"Corpus: {ld['articles']:,} articles, {ld['rows']:,} rows "
            f"({', '.join(f'{k} {v:,}' for k, v in ld['table_rows'].items())}); loaded in "
            f"{ld['total_seconds']:.0f} s: COPY {ld['copy_seconds']:.0f} s "
            f"(**{ld['rows_per_second_copy']:,} rows/s**), indexes {ld['index_seconds']:.0f} s, "
            f"vacuum/analyze {ld['vacuum_seconds']:.0f} s.",
            "",
        ]
    lines += [
        "| endpoint | req/s | p50 ms | p99 ms | floor req/s | floor p50 | floor p99 | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["results"]:
        a, f = r.get("api") or {}, r.get("floor") or {}
        lines.append(
            f"| {r['endpoint']}{' (' + r['note'] + ')' if r.get('note') else ''} "
            f"| {_cell(a.get('rps'), '.0f')} | {_cell(a.get('p50_ms'), '.1f')} "
            f"| {_cell(a.get('p99_ms'), '.1f')} | {_cell(f.get('rps'), '.0f')} "
            f"| {_cell(f.get('p50_ms'), '.1f')} | {_cell(f.get('p99_ms'), '.1f')} "
            f"| {_cell(r.get('ratio'), '.0%')} |"
        )
    if explain and "explain" in data:
        for name, plan in data["explain"].items():
            lines += [
                "",
                f"<details><summary>{name}</summary>",
                "",
                "```",
                plan,
                "```",
                "",
                "</details>",
            ]
    return "\n".join(lines)


def _exec_ms(plan: str) -> float | None:
    m = re.search(r"Execution Time: ([0-9.]+) ms", plan)
    return float(m.group(1)) if m else None


def growth(big: dict[str, Any], small: dict[str, Any]) -> str:
    """p50 growth from ``small`` to ``big`` and the EXPLAIN execution times of both."""
    n_small, n_big = small["settings"].get("articles"), big["settings"].get("articles")
    label_small = f"{n_small:,}" if n_small else "small"
    label_big = f"{n_big:,}" if n_big else "big"
    before = {r["endpoint"]: r for r in small["results"]}
    lines = [
        f"p50 growth, {label_small} → {label_big} articles (target < 2×):",
        "",
        "| endpoint | API | floor |",
        "|---|---:|---:|",
    ]
    for r in big["results"]:
        old = before.get(r["endpoint"])
        if old is None:
            continue
        cells = []
        for side in ("api", "floor"):
            a, b = (r.get(side) or {}).get("p50_ms"), (old.get(side) or {}).get("p50_ms")
            cells.append(f"{a / b:.2f}×" if a and b else "—")
        lines.append(f"| {r['endpoint']} | {cells[0]} | {cells[1]} |")
    if "explain" in big and "explain" in small:
        lines += [
            "",
            "`EXPLAIN (ANALYZE, BUFFERS)` execution time, warm cache, ms:",
            "",
            f"| query | {label_small} | {label_big} |",
            "|---|---:|---:|",
        ]
        for name, plan in big["explain"].items():
            a, b = _exec_ms(small["explain"].get(name, "")), _exec_ms(plan)
            lines.append(f"| {name} | {_cell(a, '.2f')} | {_cell(b, '.2f')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--against", type=Path, help="a run on a smaller corpus, for growth")
    args = ap.parse_args()
    data = json.loads(args.path.read_text())
    print(render(data, explain=False))
    if args.against:
        print()
        print(growth(data, json.loads(args.against.read_text())))
    if args.explain:
        for name, plan in data.get("explain", {}).items():
            print(f"\n<details><summary>{name}</summary>\n\n```\n{plan}\n```\n\n</details>")


if __name__ == "__main__":
    main()
