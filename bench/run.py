"""The harness: ``python -m bench.run [--quick] [--only NAME ...] [--ephemeral]``.

For each measurement it prepares the (cached) inputs, starts the stand-in API in its own process, runs the
baseline and the pipeline each in a fresh subprocess, checks that both wrote the same observations and
attainment (it aborts with the diff otherwise), and writes ``bench/results/<name>.json``. Tests never assert
timings; this reports them, with the targets of issue 7 and whether each was met.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path

from bench import data
from bench.common import (
    BENCH_DATA,
    PgDatabase,
    Standin,
    link_copy,
    machine,
    others_testing,
    run_job,
    sqlite_url,
    write_result,
)
from bench.compare import check_equal

ENGINES = ("sqlite", "postgresql")
FULL = {"ward_periods": ("2025-01", "2025-10"), "city_units": 114, "city_periods": ("2025-01", "2025-12"),
        "flat_months": (3, 6, 12), "dossiers": 1_000_000, "nation_units": 3321, "nation_period": "2025-10",
        "workers": (1, 2, 4)}
QUICK = {"ward_periods": ("2025-08", "2025-10"), "city_units": 5, "city_periods": ("2025-01", "2025-02"),
         "flat_months": (1, 2), "dossiers": 50_000, "nation_units": 200, "nation_period": "2025-10",
         "workers": (1, 2)}
TARGETS = {"city_backfill": 1.3, "dossier_ingest": 2.0, "memory_gib": 1.5, "nation_speedup": 1.6}


def months(start: str, end: str) -> list[str]:
    """Every ``YYYY-MM`` from start to end inclusive."""
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


@contextlib.contextmanager
def scratch(engine: str, label: str):
    """A fresh warehouse URL on `engine` (SQLite file under data/bench/work, or a PostgreSQL database)."""
    if engine == "postgresql":
        with PgDatabase(label) as url:
            yield url
    else:
        yield sqlite_url(BENCH_DATA / "work" / f"{label}.sqlite")


def rate(run: dict) -> dict:
    """Add rows/s to a job result."""
    run["rows_per_s"] = run["rows"] / run["wall_s"] if run.get("wall_s") else None
    return run


def side_by_side(label: str, engine: str, *, folder: Path, units: list[str], plans: list[Path],
                 catalogue: Path, warm_periods: list[str], periods: list[str], pipeline_job: str,
                 prefect_env: dict, profile: bool = False) -> dict:
    """Baseline then pipeline on the same inputs and engine; equality checked before anything is reported."""
    work = BENCH_DATA / "work" / f"{label}-{engine}"
    with Standin(data.dossier_store(folder)) as api, scratch(engine, f"{label}_b") as b_url, \
            scratch(engine, f"{label}_p") as p_url:
        common = {"units": units, "warm_periods": warm_periods, "periods": periods, "api_url": api.url,
                  "token": api.token}
        baseline = run_job("baseline", {**common, "url": b_url, "inbox": str(folder / "inbox"),
                                        "plans": [str(p) for p in plans]})
        inbox = link_copy(folder / "inbox", work / "inbox")
        params = {**common, "url": p_url, "inbox": str(inbox), "data_dir": str(work), "catalogue": str(catalogue)}
        if profile:
            params["profile"] = str(BENCH_DATA / "profiles" / f"{label}-{engine}.pstats")
        pipeline = run_job(pipeline_job, params, env=prefect_env)
        counts = check_equal(p_url, b_url)
    ratio = pipeline["wall_s"] / baseline["wall_s"]
    return {"engine": engine, "pipeline": rate(pipeline), "baseline": rate(baseline), "ratio": ratio,
            "compared": counts}


def bench_ward_warm(size: dict, prefect_env: dict, engines=ENGINES) -> dict:
    """One ward-month close, warm: the months before are closed first in the same process (untimed)."""
    folder = data.ward_samples()
    start, end = size["ward_periods"]
    periods = months(start, end)
    runs = [side_by_side("ward_warm", engine, folder=folder, units=["10549"], plans=[data.WARD_CATALOGUE],
                         catalogue=data.WARD_CATALOGUE, warm_periods=periods[:-1], periods=periods[-1:],
                         pipeline_job="pipeline_ward", prefect_env=prefect_env) for engine in engines]
    return {"title": "One ward-month close, warm", "params": {"unit": "10549", "period": periods[-1],
                                                             "warm_periods": periods[:-1]},
            "target": None, "runs": runs}


def bench_city_backfill(size: dict, prefect_env: dict, engines=ENGINES) -> dict:
    """A city-year backfill: every ward, every month, files and the stand-in API, on each engine."""
    periods = months(*size["city_periods"])
    folder = data.city(size["city_units"], periods)
    units = data.city_units(folder)
    runs = []
    for engine in engines:
        run = side_by_side("city", engine, folder=folder, units=units, plans=data.city_plans(folder),
                           catalogue=folder / "catalogue", warm_periods=[], periods=periods,
                           pipeline_job="pipeline_city", prefect_env=prefect_env)
        run["met"] = run["ratio"] <= TARGETS["city_backfill"]
        runs.append(run)
    return {"title": f"City backfill ({len(units)} units × {len(periods)} months)",
            "params": {"units": len(units), "periods": [periods[0], periods[-1]]},
            "target": {"max_ratio": TARGETS["city_backfill"]}, "runs": runs}


BENCHES = {"ward_warm": bench_ward_warm, "city_backfill": bench_city_backfill}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or the parts named by --only) and write bench/results/*.json."""
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (5-unit city, 2 months, 50k dossiers)")
    ap.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these measurements")
    ap.add_argument("--ephemeral", action="store_true",
                    help="let each pipeline process start Prefect's temporary server (no shared server)")
    ap.add_argument("--engines", nargs="*", choices=ENGINES, default=list(ENGINES))
    args = ap.parse_args(argv)
    size = QUICK if args.quick else FULL
    names = args.only or list(BENCHES)
    info = machine()
    quiet_before = not others_testing()
    with contextlib.ExitStack() as stack:
        prefect_env: dict = {}
        if not args.ephemeral:
            from bench.prefect_server import PrefectServer

            server = stack.enter_context(PrefectServer())
            prefect_env = server.env
        for name in names:
            started = dt.datetime.now(dt.UTC)
            print(f"[bench] {name} ({'quick' if args.quick else 'full'}) …", flush=True)
            result = BENCHES[name](size, prefect_env, engines=args.engines)
            result.update(name=name, size="quick" if args.quick else "full", started_at=started.isoformat(),
                          finished_at=dt.datetime.now(dt.UTC).isoformat(), machine=info,
                          quiet_machine=quiet_before and not others_testing(),
                          prefect="ephemeral" if args.ephemeral else "server on PostgreSQL (loopback)")
            suffix = "-quick" if args.quick else ""
            path = write_result(name + suffix, result)
            for run in result.get("runs", []):
                print(f"[bench]   {run.get('engine', '')}: ratio {run.get('ratio', float('nan')):.2f} "
                      f"(pipeline {run['pipeline']['wall_s']:.2f} s, baseline {run['baseline']['wall_s']:.2f} s)"
                      if "pipeline" in run else f"[bench]   {run}", flush=True)
            print(f"[bench]   -> {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
