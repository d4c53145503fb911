"""Run a function on a module of a library right after the library imports it, without importing it first.

The CLI adjusts two Prefect modules (its logging set-up, its temporary server) only if a command needs them:
importing them up front would make `thidua --help` pay for Prefect.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType


def when_imported(module_name: str, fn: Callable[[ModuleType], None]) -> None:
    """Call ``fn(module)`` now if `module_name` is imported, else right after its first import (idempotent per
    (module, fn))."""
    module = sys.modules.get(module_name)
    if module is not None:
        fn(module)
        return
    if not any(isinstance(f, _AfterImport) and (f.name, f.fn) == (module_name, fn) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(module_name, fn))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Lets the module load as usual, calls `fn` on it once executed, then steps out of the import path."""

    def __init__(self, name: str, fn: Callable[[ModuleType], None]):
        self.name, self.fn = name, fn

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            self.fn(module)

        spec.loader.exec_module = exec_module
        return spec
