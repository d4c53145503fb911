"""``python -m bench.report``: the results table of bench/README.md, generated from bench/results/*.json.

The table sits between the ``<!-- results:start -->`` and ``<!-- results:end -->`` markers; everything
else in the README is written by hand. A full-size result is preferred; a measurement that only has a
quick-size result is shown with "(quick)".
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.common import RESULTS, ROOT

README = ROOT / "bench" / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
PLAN_START, PLAN_END = "<!-- plan:start -->", "<!-- plan:end -->"
ORDER = ["ward_warm", "city_backfill", "memory_flat", "dossier_ingest", "nation_month"]


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:,.2f} s" if seconds < 100 else f"{seconds:,.0f} s"


def _n(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _met(flag) -> str:
    return "—" if flag is None else ("met" if flag else "**missed**")


def load_results(folder: Path = RESULTS) -> dict[str, dict]:
    """{measurement: result}: the full-size file when there is one, else the medium one, else the quick one."""
    out = {}
    for name in ORDER:
        for suffix in ("", "-medium", "-quick"):
            path = folder / f"{name}{suffix}.json"
            if path.exists():
                out[name] = json.loads(path.read_text(encoding="utf-8"))
                break
    return out


def _rows(name: str, res: dict) -> list[str]:
    tag = f" ({res['size']})" if res.get("size") in ("quick", "medium") else ""
    title = res["title"] + tag
    target = res.get("target") or {}
    rows = []
    if name == "memory_flat":
        for run in res["runs"]:
            rows.append(f"| {title}: {run['months']} month(s) | {run['engine']} | {_s(run['wall_s'])} | — | — | "
                        f"≤ {target['max_peak_mib'] / 1024:.1f} GiB, flat | {_met(res.get('met'))} | — | "
                        f"{_n(run['peak_mib'])} / — |")
        rows.append(f"| {title}: slope | postgresql | — | — | — | flat | {_met(res.get('met'))} | — | "
                    f"{res['slope_mib_per_month']:+,.1f} MiB per month |")
        return rows
    if name == "nation_month":
        for run in res["runs"]:
            rows.append(f"| {title}: {run['workers']} worker(s) | postgresql | {_s(run['wall_s'])} | — | "
                        f"speed-up {run['speedup']:.2f}× | ≥ {target['min_speedup_1_to_2']}× (1→2) | "
                        f"{_met(res.get('met')) if run['workers'] == 2 else '—'} | "
                        f"{run['units_per_s']:,.1f} units/s | {_n(run['parent_peak_mib'])} (parent) |")
        return rows
    for run in res["runs"]:
        p, b = run["pipeline"], run["baseline"]
        goal = f"≤ {target['max_ratio']}×" if target.get("max_ratio") else "none"
        rows.append(f"| {title} | {run['engine']} | {_s(p['wall_s'])} | {_s(b['wall_s'])} | {run['ratio']:.2f}× | "
                    f"{goal} | {_met(run.get('met'))} | {_n(p.get('rows_per_s'))} / {_n(b.get('rows_per_s'))} | "
                    f"{_n(p.get('peak_mib'))} / {_n(b.get('peak_mib'))} |")
    return rows


def table(results: dict[str, dict]) -> str:
    """The markdown table, with the machine and the time of each measurement underneath."""
    lines = ["| Measurement | Engine | Pipeline | Baseline | Ratio | Target | Result | Rows/s (pipeline / baseline) "
             "| Peak MiB (pipeline / baseline) |", "|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for name in ORDER:
        if name in results:
            res = results[name]
            lines += _rows(name, res)
            m = res["machine"]
            quiet = "quiet machine" if res.get("quiet_machine") else "other test runs were active (timings distorted)"
            notes.append(f"- {res['title']}: {res['started_at'][:16].replace('T', ' ')} UTC, {quiet}"
                         f"; {m['cores']} cores, {m['ram_gib']} GiB, {m['cpu']}, Python {m['python']}, "
                         f"PostgreSQL {m['postgresql']}, commit {m['commit']}; Prefect: {res.get('prefect')}.")
        else:
            lines.append(f"| {name} | — | not measured yet | | | | | | |")
    return "\n".join(lines) + "\n\nMeasured on:\n\n" + "\n".join(notes) + "\n"


def cluster_plan(nation: dict | None, units: int = 3321, cores_per_node: int = 2) -> str:
    """The nation-month plan from the measured per-unit cost (1 worker) and the 1→2 worker efficiency."""
    if not nation:
        return "No nation measurement yet: run `python -m bench.run --only nation_month`.\n"
    runs = {r["workers"]: r for r in nation["runs"]}
    one = runs[min(runs)]
    per_unit = one["chunk_run_s_sum"] / nation["units"]          # s of one chunk run per unit, one worker
    overhead = one["wall_s"] - one["chunk_run_s_sum"]           # prepare, fan-out, worker pick-up latency
    eff = {w: r["speedup"] / w for w, r in runs.items()}
    e2 = eff.get(2, 1.0)
    lines = [f"Measured ({nation['units']:,} units, {nation['chunk_units']} per chunk, "
             f"{nation.get('size', 'full')} size): one worker spends "
             f"**{per_unit:.2f} s per unit** inside the chunk runs (all five sources, validation, bulk load, "
             f"judging); the rest of the wall time ({overhead:,.0f} s) is the parent's catalogue load, the "
             f"fan-out and the workers' pick-up. Parallel efficiency: "
             + ", ".join(f"{w} workers {e:.0%}" for w, e in sorted(eff.items())) + ".", "",
             "| Nodes (2 cores, 1 worker per core) | Workers | Estimated nation month |", "|---|---|---|"]
    for nodes in (1, 2, 4, 8):
        workers = nodes * cores_per_node
        seconds = units * per_unit / (workers * e2) + overhead
        lines.append(f"| {nodes} | {workers} | {seconds / 60:,.0f} min |")
    lines += ["", "The estimate takes the efficiency measured from 1 to 2 workers on this machine (where the "
              "Prefect server, PostgreSQL and the stand-in share the same two cores) for every node; on a "
              "cluster the server and the warehouse get their own machine, so it is conservative until the "
              "warehouse's write rate becomes the limit (one bulk load per chunk and source; see the "
              "dossier-ingest row for that rate)."]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path = README) -> None:
    """Rewrite the generated parts of bench/README.md (results table, cluster plan)."""
    text = readme.read_text(encoding="utf-8")
    results = load_results()
    for start, end, body in ((START, END, table(results)),
                             (PLAN_START, PLAN_END, cluster_plan(results.get("nation_month")))):
        generated = f"{start}\n{body}{end}"
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m, g=generated: g, text, flags=re.S)
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update_readme()
    sys.exit(0)
