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
import shutil
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
# A size that fits one working session on this 2-core machine (~30 min): the whole city for a quarter, the full
# 1 M dossiers, a 600-unit slice of the nation. The full size is the issue's; medium results say so in the table.
MEDIUM = {"ward_periods": ("2025-01", "2025-10"), "city_units": 114, "city_periods": ("2025-01", "2025-03"),
          "flat_months": (1, 2, 3), "dossiers": 1_000_000, "nation_units": 600, "nation_period": "2025-10",
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


def profiled(job: str, params: dict, env: dict, label: str, engine: str) -> dict:
    """Run a pipeline job again under cProfile (a separate run: the profiler slows Python code down, so
    the timed run never carries it); returns the top-20 cumulative listing and the .pstats path."""
    path = BENCH_DATA / "profiles" / f"{label}.pstats"
    with scratch(engine, "profile") as url:
        out = run_job(job, {**params, "url": url, "profile": str(path)}, env=env)
    return {"pstats": str(path.relative_to(BENCH_DATA.parents[1])), "wall_s_under_profiler": out["wall_s"],
            "top20_cumulative": out["profile_top20"]}


def side_by_side(label: str, engine: str, *, folder: Path, units: list[str], plans: list[Path],
                 catalogue: Path, warm_periods: list[str], periods: list[str], pipeline_job: str,
                 prefect_env: dict, max_ratio: float | None = None, profile: bool = True) -> dict:
    """Baseline then pipeline on the same inputs and engine; equality checked before anything is reported.

    When the ratio misses `max_ratio`, the pipeline runs once more under cProfile for the README's analysis.
    """
    work = BENCH_DATA / "work" / f"{label}-{engine}"
    with Standin(data.dossier_store(folder)) as api:
        common = {"units": units, "warm_periods": warm_periods, "periods": periods, "api_url": api.url,
                  "token": api.token}

        def pipeline_params(url: str) -> dict:
            inbox = link_copy(folder / "inbox", work / "inbox")
            for moved in ("processed", "quarantine", "reports"):
                shutil.rmtree(work / moved, ignore_errors=True)
            return {**common, "url": url, "inbox": str(inbox), "data_dir": str(work), "catalogue": str(catalogue)}

        with scratch(engine, f"{label}_b") as b_url, scratch(engine, f"{label}_p") as p_url:
            baseline = run_job("baseline", {**common, "url": b_url, "inbox": str(folder / "inbox"),
                                            "plans": [str(p) for p in plans]})
            pipeline = run_job(pipeline_job, pipeline_params(p_url), env=prefect_env)
            counts = check_equal(p_url, b_url)
        if pipeline["rows"] is None:  # a city backfill: every observation compared was written in the timed run
            pipeline["rows"] = counts["observations"]
        ratio = pipeline["wall_s"] / baseline["wall_s"]
        run = {"engine": engine, "pipeline": rate(pipeline), "baseline": rate(baseline), "ratio": ratio,
               "compared": counts}
        if max_ratio is not None:
            run["met"] = ratio <= max_ratio
            if not run["met"] and profile:
                run["profile"] = profiled(pipeline_job, pipeline_params(""), prefect_env, f"{label}-{engine}",
                                          engine)
    return run


def bench_ward_warm(size: dict, prefect_env: dict, engines=ENGINES, profile: bool = True) -> dict:
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


def bench_city_backfill(size: dict, prefect_env: dict, engines=ENGINES, profile: bool = True) -> dict:
    """A city-year backfill: every ward, every month, files and the stand-in API, on each engine."""
    periods = months(*size["city_periods"])
    folder = data.city(size["city_units"], periods)
    units = data.city_units(folder)
    runs = []
    for engine in engines:
        runs.append(side_by_side("city", engine, folder=folder, units=units, plans=data.city_plans(folder),
                                 catalogue=folder / "catalogue", warm_periods=[], periods=periods,
                                 pipeline_job="pipeline_city", prefect_env=prefect_env,
                                 max_ratio=TARGETS["city_backfill"], profile=profile))
        if engine == "postgresql":
            _CITY_PIPELINE_PG[(size["city_units"], tuple(periods))] = runs[-1]["pipeline"]
    return {"title": f"City backfill ({len(units)} units × {len(periods)} months)",
            "params": {"units": len(units), "periods": [periods[0], periods[-1]]},
            "target": {"max_ratio": TARGETS["city_backfill"]}, "runs": runs}


def _count_rows(url: str, table: str) -> int | None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return None
            return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
    finally:
        engine.dispose()


def bench_dossier_ingest(size: dict, prefect_env: dict, engines=ENGINES, profile: bool = True) -> dict:
    """N dossiers of one month in one CSV export: the product's ingest against the engine's native load."""
    from bench.dossiers import write_export

    n, period, unit = size["dossiers"], "2025-10", "10549"
    folder = data.cached(f"dossiers-n{n}-s2025", {"generator": "bench.dossiers", "n": n, "seed": 2025},
                         lambda out: write_export(out / f"ho-so-{period}.csv", n, unit, period))
    csv_path = folder / f"ho-so-{period}.csv"
    runs = []
    for engine in engines:
        work = BENCH_DATA / "work" / f"dossiers-{engine}"
        (work / "inbox").mkdir(parents=True, exist_ok=True)
        with scratch(engine, "dossier_native") as n_url, scratch(engine, "dossier_pipeline") as p_url:
            native = run_job("dossier_native", {"url": n_url, "csv": str(csv_path)})
            # A city-size export is larger than the default upload limit (THIDUA_MAX_FILE_MB, 50 MB): an
            # operator expecting such files raises it, so does the benchmark.
            params = {"csv": str(csv_path), "unit": unit, "period": period, "records": n,
                      "inbox": str(work / "inbox"), "data_dir": str(work), "catalogue": str(data.WARD_CATALOGUE)}
            env = {**prefect_env, "THIDUA_MAX_FILE_MB": "4096"}
            pipeline = run_job("dossier_pipeline", {**params, "url": p_url}, env=env)
            facts = _count_rows(p_url, "dossiers")
            observations = _count_rows(p_url, "observations")
        if native["rows"] != n:
            raise RuntimeError(f"native load wrote {native['rows']} rows, expected {n}")
        ratio = pipeline["wall_s"] / native["wall_s"]
        run = {"engine": engine, "pipeline": rate(pipeline), "baseline": rate(native), "ratio": ratio,
               "met": ratio <= TARGETS["dossier_ingest"],
               "compared": {"dossier_facts_in_warehouse": facts, "observations": observations}}
        if not run["met"] and profile:
            shutil.rmtree(work / "processed", ignore_errors=True)
            run["profile"] = profiled("dossier_pipeline", params, env, f"dossier_ingest-{engine}",
                                      engine)
        runs.append(run)
    return {"title": f"Dossier ingest ({n:,} records, one CSV export)",
            "params": {"records": n, "unit": unit, "period": period},
            "target": {"max_ratio": TARGETS["dossier_ingest"]}, "runs": runs}


# The PostgreSQL pipeline run of city_backfill in this invocation: its per-month high-water marks serve
# memory_flat, so the same backfill is not run twice.
_CITY_PIPELINE_PG: dict = {}


def bench_memory_flat(size: dict, prefect_env: dict, engines=ENGINES, profile: bool = True) -> dict:
    """Peak memory of the pipeline's city backfill as months are added (PostgreSQL): flat, not growing.

    One backfill over all the city months; the flow reports the process's high-water mark (ru_maxrss) as
    each month finishes, which is the peak a backfill of that many months would have had. The
    city_backfill measurement's PostgreSQL run is used when it ran in the same invocation.
    """
    periods = months(*size["city_periods"])
    folder = data.city(size["city_units"], periods)
    units = data.city_units(folder)
    source = "the city_backfill PostgreSQL pipeline run"
    out = _CITY_PIPELINE_PG.get((size["city_units"], tuple(periods)))
    if out is None:
        source = "its own pipeline run"
        work = BENCH_DATA / "work" / "memory"
        with Standin(data.dossier_store(folder)) as api, scratch("postgresql", "memory") as url:
            inbox = link_copy(folder / "inbox", work / "inbox")
            out = run_job("pipeline_city", {"units": units, "periods": periods, "api_url": api.url,
                                            "token": api.token, "url": url, "inbox": str(inbox),
                                            "data_dir": str(work), "catalogue": str(folder / "catalogue")},
                          env=prefect_env)
    curve = out["peak_by_month"]
    runs = [{"engine": "postgresql", "months": n, "peak_mib": curve[n - 1]["peak_mib"], "wall_s": None}
            for n in size["flat_months"] if n <= len(curve)]
    first, last = runs[0], runs[-1]
    slope = (last["peak_mib"] - first["peak_mib"]) / max(1, last["months"] - first["months"])
    limit = TARGETS["memory_gib"] * 1024
    return {"title": f"Peak memory of the city backfill ({len(units)} units) by months",
            "params": {"units": len(units), "months": list(size["flat_months"]), "from": source},
            "target": {"max_peak_mib": limit, "flat": "slope under 2 % of the peak per month"},
            "runs": runs, "curve": curve, "wall_s_all_months": out["wall_s"], "slope_mib_per_month": slope,
            "met": max(r["peak_mib"] for r in curve) <= limit and slope <= 0.02 * last["peak_mib"]}


def bench_nation_month(size: dict, prefect_env: dict, engines=ENGINES, profile: bool = True) -> dict:
    """A nation month on PostgreSQL with 1, 2, 4 process workers of a real Prefect server."""
    from bench import nation

    if not prefect_env:
        raise SystemExit("nation_month needs the shared Prefect server: run without --ephemeral")
    result = nation.measure(size, prefect_env)
    speedups = {r["workers"]: r["speedup"] for r in result["runs"]}
    result.update(title=f"Nation month ({result['units']:,} units, PostgreSQL) by workers",
                  target={"min_speedup_1_to_2": TARGETS["nation_speedup"]},
                  met=speedups.get(2, 0) >= TARGETS["nation_speedup"])
    return result


BENCHES = {"ward_warm": bench_ward_warm, "city_backfill": bench_city_backfill, "memory_flat": bench_memory_flat,
           "dossier_ingest": bench_dossier_ingest, "nation_month": bench_nation_month}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or the parts named by --only) and write bench/results/*.json."""
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (5-unit city, 2 months, 50k dossiers)")
    ap.add_argument("--size", choices=("quick", "medium", "full"), default=None,
                    help="quick (= --quick), medium (114-unit city for a quarter, 1 M dossiers, 600-unit nation) "
                         "or full (the issue's sizes; the default)")
    ap.add_argument("--only", nargs="*", choices=sorted(BENCHES), help="run only these measurements")
    ap.add_argument("--ephemeral", action="store_true",
                    help="let each pipeline process start Prefect's temporary server (no shared server)")
    ap.add_argument("--engines", nargs="*", choices=ENGINES, default=list(ENGINES))
    ap.add_argument("--workers", nargs="*", type=int, default=None,
                    help="nation_month: the worker counts to measure (default 1 2 4; 1 and 2 give the target)")
    ap.add_argument("--no-profile", action="store_true",
                    help="skip the profiled re-run of a pipeline that misses its target (saves one run each)")
    args = ap.parse_args(argv)
    size_name = "quick" if args.quick else (args.size or "full")
    size = {"quick": QUICK, "medium": MEDIUM, "full": FULL}[size_name]
    if args.workers:
        size = {**size, "workers": tuple(args.workers)}
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
            print(f"[bench] {name} ({size_name}) …", flush=True)
            result = BENCHES[name](size, prefect_env, engines=args.engines, profile=not args.no_profile)
            result.update(name=name, size=size_name, started_at=started.isoformat(),
                          finished_at=dt.datetime.now(dt.UTC).isoformat(), machine=info,
                          quiet_machine=quiet_before and not others_testing(),
                          prefect="ephemeral" if args.ephemeral else "server on PostgreSQL (loopback)")
            suffix = "" if size_name == "full" else f"-{size_name}"
            path = write_result(name + suffix, result)
            for run in result.get("runs", []):
                print(f"[bench]   {run.get('engine', '')}: ratio {run.get('ratio', float('nan')):.2f} "
                      f"(pipeline {run['pipeline']['wall_s']:.2f} s, baseline {run['baseline']['wall_s']:.2f} s)"
                      if "pipeline" in run else f"[bench]   {run}", flush=True)
            print(f"[bench]   -> {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
