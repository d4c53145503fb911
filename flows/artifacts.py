"""Prefect artifacts of the monthly close: what the Prefect UI shows for every run (issue 5)."""

from __future__ import annotations


def publish_close_artifacts(result: dict) -> None:
    """Publish the close's attainment table and summary as Prefect artifacts (filled in by issue 5)."""
    return None
