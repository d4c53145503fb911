"""`thidua` commands for validation dry runs and alerts (issue 4). Registered on `flows.cli.app` at import."""

from __future__ import annotations

from flows.cli import app, friendly  # noqa: F401  (commands below register themselves on app)
