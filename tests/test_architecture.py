"""Meta-tests that guard the project's conventions (style.md principles 2, 11, 14)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORE = ["connectors", "expectations", "warehouse", "alerts", "reports", "plans"]
TOOLS = ["samples", "standin"]
FIRST_PARTY = {"flows", *CORE, *TOOLS, "tests"}


def imported_roots(path: Path) -> set[str]:
    """Top-level module names imported anywhere in a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", CORE + TOOLS)
def test_core_and_tools_do_not_import_prefect_flows_or_siblings(package):
    forbidden = {"prefect", "flows", *CORE, *TOOLS} - {package}
    offenders = {}
    for path in package_files(package):
        bad = imported_roots(path) & forbidden
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"forbidden imports (only flows/ may import prefect or other packages): {offenders}"


def test_only_flows_imports_prefect():
    users = {str(p.relative_to(ROOT)) for pkg in CORE + TOOLS for p in package_files(pkg)
             if "prefect" in imported_roots(p)}
    assert users == set()
    assert any("prefect" in imported_roots(p) for p in package_files("flows"))


def test_architecture_checker_catches_a_violation(tmp_path):
    # The guard itself must be able to fail.
    bad = tmp_path / "bad.py"
    bad.write_text("import prefect\nfrom warehouse.db import make_engine\n", encoding="utf-8")
    assert imported_roots(bad) == {"prefect", "warehouse"}


def flow_functions() -> set[str]:
    """`flows/<module>.py:<fn>` for every function decorated with @flow."""
    found = set()
    for path in package_files("flows"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Name) and target.id == "flow":
                        found.add(f"{path.relative_to(ROOT).as_posix()}:{node.name}")
    return found


def test_every_flow_is_deployed_and_every_deployment_points_to_a_flow():
    manifest = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    entrypoints = {d["entrypoint"] for d in manifest["deployments"]}
    flows = flow_functions()
    assert flows, "no @flow found in flows/"
    assert flows - entrypoints == set(), f"flows missing from prefect.yaml: {flows - entrypoints}"
    assert entrypoints - flows == set(), f"deployments pointing nowhere: {entrypoints - flows}"


def test_every_schedule_has_an_explicit_timezone():
    manifest = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in manifest["deployments"]:
        for schedule in deployment.get("schedules") or []:
            assert schedule.get("timezone") == "Asia/Ho_Chi_Minh", deployment["name"]


@pytest.mark.parametrize("package", ["flows", *CORE, *TOOLS])
def test_modules_and_public_functions_have_docstrings(package):
    missing = []
    for path in package_files(package):
        if "migrations/versions" in path.as_posix():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not ast.get_docstring(tree) and path.stat().st_size > 0:
            missing.append(f"{path.relative_to(ROOT)} (module)")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert not missing, f"missing docstrings: {missing}"
