"""A loader process for the fault suite: loads one synthetic delivery with `warehouse.load.load_delivery`.

Run as ``python -m tests.integration.reliability.fault_loader URL --rows N [--pause] [--fsize-limit B]``.
The delivery is `rows` observations of indicator ``FAULT_ROWS`` (member ``m00000``…, value = index) for
(``tax``, ``10549``, ``--period``); its fingerprint is ``--fingerprint``.

``--pause`` stops the load inside its open transaction, after every observation was inserted and just
before the load row is marked finished (the last statement before COMMIT): the process prints
``PAUSED <postgres backend pid or 0>`` and waits for one line on stdin, so the test can kill it, terminate
its database connection, or start a rival load. The hook is a SQLAlchemy event in this script, not in the
product. ``--announce-insert`` prints ``INSERTING`` just before the load row is inserted.

``--fsize-limit`` caps the size of any file this process writes (RLIMIT_FSIZE, SIGXFSZ ignored, so a write
past it fails with EFBIG like a full disk).

The outcome is one JSON line on stdout: ``{"status", "load_id", "rows"}`` or ``{"error", "load_error", "message"}``
(``load_error``: the error is a ``warehouse.errors.LoadError``).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys

import pandas as pd
import sqlalchemy as sa

from warehouse import db as wh_db
from warehouse import load as wh_load
from warehouse.errors import LoadError

INDICATOR = "FAULT_ROWS"
UNIT, SOURCE = "10549", "tax"


def observations(rows: int, period: str) -> pd.DataFrame:
    """`rows` unit observations with lineage, one per member."""
    return pd.DataFrame({
        "indicator_code": INDICATOR, "unit_code": UNIT, "period": period,
        "member_code": [f"m{i:05d}" for i in range(rows)], "value": [float(i) for i in range(rows)],
        "numerator": float("nan"), "denominator": float("nan"), "text_value": None,
        "source_file": "fault.xlsx", "sheet": "Thu NSNN", "row_number": range(1, rows + 1),
        "column_name": "Thực hiện tháng", "raw_text": [str(i) for i in range(rows)]})


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--period", default="2025-10")
    ap.add_argument("--fingerprint", required=True)
    ap.add_argument("--pause", action="store_true")
    ap.add_argument("--announce-insert", action="store_true")
    ap.add_argument("--fsize-limit", type=int)
    args = ap.parse_args(argv)

    engine = wh_db.make_engine(args.url)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def hook(conn, cursor, statement, parameters, context, executemany):
        if args.announce_insert and statement.startswith("INSERT INTO loads"):
            _say("INSERTING")
        if args.pause and statement.startswith("UPDATE loads SET") and "finished_at" in statement:
            pid = cursor.connection.info.backend_pid if conn.dialect.name == "postgresql" else 0
            _say(f"PAUSED {pid}")
            sys.stdin.readline()

    if args.fsize_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, args.fsize_limit))
    outcome = load(engine, args.rows, args.fingerprint, args.period)
    _say(json.dumps(outcome, ensure_ascii=False))
    return 1 if "error" in outcome else 0


def load(engine: sa.Engine, rows: int, fingerprint: str, period: str = "2025-10") -> dict:
    """Load the synthetic delivery; the outcome as a dict (an error is described, not raised)."""
    try:
        result = wh_load.load_delivery(
            engine, source_code=SOURCE, unit_code=UNIT, period=period, fingerprint=fingerprint,
            file_name="fault.xlsx", flow_run_id=None, rows_read=rows, observations=observations(rows, period))
    except Exception as exc:  # the test reads what kind of error the product raised
        return {"error": type(exc).__name__, "load_error": isinstance(exc, LoadError), "message": str(exc)}
    finally:
        engine.dispose()
    return {"status": result.status, "load_id": result.load_id, "rows": result.rows_loaded}


if __name__ == "__main__":
    raise SystemExit(main())
