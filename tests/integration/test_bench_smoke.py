"""The benchmark cannot rot silently: at a tiny size, the analyst's baseline (bench/baseline.py) and the
pipeline (the `monthly-close` flow) are run the way `make bench` runs them (fresh subprocesses, the
stand-in API in its own process) and must write the same observations and attainment. No timing is
asserted. Also: the equality check really catches a difference, and the baseline stays a plain script.
"""

from __future__ import annotations

import ast
import shutil
import sqlite3
from pathlib import Path

import pytest

from bench.baseline import ATTAINMENT, OBSERVATIONS
from bench.common import ROOT, Standin, run_job
from bench.compare import OutputsDiffer, check_equal

pytestmark = [pytest.mark.slow]

CATALOGUE = ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"


def test_the_baseline_is_a_plain_script():
    tree = ast.parse((ROOT / "bench" / "baseline.py").read_text(encoding="utf-8"))
    roots = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert roots.isdisjoint({"prefect", "flows", "expectations", "great_expectations", "alerts", "reports"})


def test_baseline_and_pipeline_agree_on_a_ward_month(samples_dir, tmp_path):
    period = "2025-10"
    baseline_url = f"sqlite:///{tmp_path / 'baseline.sqlite'}"
    pipeline_url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    inbox = tmp_path / "inbox"
    # Only the month measured: the pipeline moves what it loads, the cached samples stay untouched.
    for source in ("tax", "health", "education", "indicators"):
        shutil.copytree(samples_dir / "inbox" / "10549" / source / period, inbox / "10549" / source / period)
    with Standin(samples_dir / "public_service" / "dossiers.json") as api:
        common = {"units": ["10549"], "warm_periods": [], "periods": [period], "api_url": api.url,
                  "token": api.token, "inbox": str(inbox)}
        baseline = run_job("baseline", {**common, "url": baseline_url, "plans": [str(CATALOGUE)]}, timeout=300)
        pipeline = run_job("pipeline_ward", {**common, "url": pipeline_url, "data_dir": str(tmp_path / "data"),
                                             "catalogue": str(CATALOGUE)}, timeout=300)
    counts = check_equal(pipeline_url, baseline_url)
    # 10549's month as loaded by both: every source, and the plan's 20 evaluated codes.
    assert counts["attainment"] == 20
    assert counts["observations"] == baseline["rows"] == pipeline["rows"] > 0
    assert not list(inbox.rglob("*.xlsx")), "the pipeline filed its deliveries away"

    # The check is not vacuous: one changed figure in the baseline's table is reported.
    db = sqlite3.connect(Path(baseline_url.removeprefix("sqlite:///")))
    with db:
        db.execute(f"UPDATE {OBSERVATIONS} SET value = value + 1 WHERE rowid = (SELECT min(rowid) FROM "
                   f"{OBSERVATIONS} WHERE value IS NOT NULL)")
    with pytest.raises(OutputsDiffer, match="observations: 1 of"):
        check_equal(pipeline_url, baseline_url)
    with db:
        db.execute(f"UPDATE {OBSERVATIONS} SET value = value - 1 WHERE rowid = (SELECT min(rowid) FROM "
                   f"{OBSERVATIONS} WHERE value IS NOT NULL)")
        db.execute(f"UPDATE {ATTAINMENT} SET status = 'met' WHERE status = 'no_data'")
    db.close()
    with pytest.raises(OutputsDiffer, match="attainment"):
        check_equal(pipeline_url, baseline_url)
