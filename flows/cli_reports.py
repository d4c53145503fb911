"""`thidua` commands for the council's Excel report and the dashboard (issue 5)."""

from __future__ import annotations

from flows.cli import app, friendly  # noqa: F401  (commands below register themselves on app)
