"""Errors of the composition root that the CLI sorts by exit code (light: no prefect import)."""

from __future__ import annotations


class DeliveryFilingError(RuntimeError):
    """A delivery's file could not be filed into ``processed/`` or ``quarantine/`` (a failed move, a disk, a
    permission): nothing was recorded and the file stays where it was, so a rerun files it. Retriable: an
    operator's or the machine's problem, never the delivering office's."""


class PathOutsideRootError(ValueError):
    """A path that would leave its root (inbox, quarantine, processed, reports) or go through a link."""
