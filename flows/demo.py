"""`make demo`: the whole job once, end to end, on the embedded warehouse with sample data.

1. generate deterministic sample exports for 2024-01 .. 2025-12 into ``$THIDUA_DATA_DIR/samples``
   (2024 is the baseline year that growth targets compare against);
2. start the stand-in public-service API on loopback (a free port, a random token for this run);
3. run the monthly-close flow for every month of 2024 (baseline: load only) and 2025 (load and judge);
4. print December 2025's attainment table for all 20 targets.

Running it again gives the same table and adds nothing: every delivery's fingerprint is already loaded.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

DEMO_UNIT = "10549"
DEMO_PERIODS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]


def run_demo(seed: int = 2025, echo: Callable[[str], None] = print) -> bool:
    """Run the demo; returns True when every month closed with every source loaded."""
    from flows.cli import print_close_summary
    from flows.monthly_close import close_month
    from flows.presentation import attainment_table
    from flows.settings import get_settings
    from samples.generate import generate
    from standin.public_service import serve

    settings = get_settings()
    samples_dir = settings.data_dir / "samples"
    started = time.monotonic()
    echo(f"Generating sample exports 2024-01..2025-12 into {samples_dir} (seed {seed}) …")
    generate(samples_dir, seed=seed)

    token = secrets.token_urlsafe(24)
    server, _thread = serve(samples_dir / "public_service" / "dossiers.json", host="127.0.0.1", port=0,
                            token=token)
    host, port = server.server_address[:2]
    echo(f"Stand-in public-service API listening on http://{host}:{port}")
    os.environ.update({
        "THIDUA_INBOX": str(samples_dir / "inbox"),
        "THIDUA_PUBLIC_SERVICE_URL": f"http://{host}:{port}",
        "THIDUA_PUBLIC_SERVICE_TOKEN": token,
    })
    echo(f"Warehouse: {get_settings().warehouse_url}")
    ok = True
    try:
        for period in DEMO_PERIODS:
            result = close_month(period=period, unit_code=DEMO_UNIT)
            ok &= print_close_summary(result)
            if period == DEMO_PERIODS[-1]:
                december = result["attainment"]
    finally:
        server.shutdown()
        server.server_close()
    echo("")
    echo(f"Kết quả thực hiện chỉ tiêu thi đua đến hết tháng 12/2025 — phường Chu Văn An ({DEMO_UNIT})")
    echo(attainment_table(december))
    echo(f"\nDone in {time.monotonic() - started:.0f} s. Query it: {query_hint(settings.data_dir)}")
    return ok


def query_hint(data_dir: Path, cwd: Path | None = None) -> str:
    """The command that reads the demo's warehouse back, as it can be typed in this folder: the `thidua` of
    this environment (``.venv/bin/thidua`` after ``make demo``: it is not on PATH), and THIDUA_DATA_DIR when the
    demo did not use the default ``./data``."""
    cwd = (cwd or Path.cwd()).resolve()
    program = Path(sys.executable).parent / "thidua"
    if not program.exists():
        program = Path(shutil.which("thidua") or "thidua")
    try:
        shown = "./" + program.relative_to(cwd).as_posix() if program.is_absolute() else str(program)
        shown = shown.removeprefix("./") if "/" in shown.removeprefix("./") else shown
    except ValueError:
        shown = str(program)
    default = Path(data_dir).resolve() == (cwd / "data").resolve()
    env = "" if default else f"THIDUA_DATA_DIR={shlex.quote(str(data_dir))} "
    return f"{env}{shlex.quote(shown)} attainment --period 2025-12 --format json"
