"""Typed errors of the plans package (one root: PlanError)."""

from __future__ import annotations


class PlanError(Exception):
    """A plan document that cannot be read or has no targets section: the message names the file and
    what was expected. A user's mistake (exit 2), never retried."""
