"""Composition root: settings, Prefect tasks and flows, and the `thidua` CLI.

Only this package imports prefect. Telemetry of Prefect and Great Expectations is off unless the
operator turns it on explicitly (these defaults are set before prefect is imported).
"""

import os

for _key, _value in {
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}.items():
    os.environ.setdefault(_key, _value)
