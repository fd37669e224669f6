"""Render a `python -m bench` result file as Markdown for docs/benchmarks.md.

python -m bench.report bench/results/<stamp>-<articles>.json [--explain]
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--explain", action="store_true")
    args = ap.parse_args()
    print(render(json.loads(args.path.read_text()), explain=args.explain))


if __name__ == "__main__":
    main()
