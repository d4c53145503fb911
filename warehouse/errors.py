"""Typed errors of the warehouse package (one root: WarehouseError)."""

from __future__ import annotations


class WarehouseError(Exception):
    """Root of every error the warehouse raises on purpose."""


class CatalogueError(WarehouseError):
    """The target catalogue file is invalid (names the target code and the field)."""


class LoadError(WarehouseError):
    """A delivery could not be loaded; the transaction was rolled back and earlier data stays."""
