"""Audit the locked dependencies (constraints.txt) for known vulnerabilities with pip-audit; CI's gate.

    .venv/bin/python ops/audit.py [--requirements constraints.txt] [--ignore-file ops/pip-audit-ignore.txt]

What the exit code means:

- 1: a known vulnerability in a locked package, not listed in the ignore file (CI fails);
- 0: none found, or only listed ones (each printed with its reason);
- 0 with a ``WARNING: AUDIT NOT DONE`` line: the vulnerability service could not be reached (offline CI,
  or an index that serves packages but not PyPI's JSON API, which then reports every package as "not
  found"). An unreachable service is not a vulnerability, so the build goes on, but the line says loudly
  that nothing was checked.
- 2: pip-audit itself failed for another reason (a bad constraints file, a missing pip-audit).

The locked set is audited as written (``--no-deps --disable-pip``): constraints.txt pins every package,
so nothing is resolved or installed. Only PyPI's vulnerability data is used (``--vulnerability-service
pypi``). The ignore file holds one ``ID  reason`` per line (``#`` comments); an ID matches a finding's
id or any of its aliases (PYSEC-…, GHSA-…, CVE-…).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNREACHABLE_HINTS = ("connection", "timed out", "timeout", "name resolution", "network", "max retries",
                     "serviceerror", "ssl", "temporary failure")
NOT_FOUND = "not found on pypi"


def read_ignore_file(path: Path) -> dict[str, str]:
    """``{vulnerability id: reason}`` from the ignore file (absent file: nothing ignored)."""
    ignored = {}
    if not path.exists():
        return ignored
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: '{vuln_id}' has no reason; write 'ID  why it does not apply'")
        ignored[vuln_id] = reason.strip()
    return ignored


def decide(report: dict, ignored: dict[str, str]) -> tuple[int, list[str]]:
    """The gate's verdict on a pip-audit JSON report: (exit code, lines to print)."""
    deps = report.get("dependencies") or []
    lines, failing = [], 0
    not_found = [d for d in deps if NOT_FOUND in (d.get("skip_reason") or "").lower()]
    other_skips = [d for d in deps if d.get("skip_reason") and d not in not_found]
    audited = [d for d in deps if not d.get("skip_reason")]
    for dep in audited:
        for vuln in dep.get("vulns") or []:
            ids = [vuln.get("id"), *(vuln.get("aliases") or [])]
            match = next((i for i in ids if i in ignored), None)
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no release yet"
            where = f"{dep['name']} {dep['version']}: {vuln.get('id')} (fixed in {fixed})"
            if match:
                lines.append(f"ignored  {where}: {ignored[match]}")
            else:
                failing += 1
                lines.append(f"VULNERABLE  {where}")
    for dep in other_skips:
        lines.append(f"not audited  {dep['name']} {dep.get('version', '')}: {dep['skip_reason']}")
    if deps and len(not_found) == len(deps):
        lines.append(f"WARNING: AUDIT NOT DONE: the vulnerability service answered for none of the {len(deps)} "
                     "locked packages (offline, or the index has no PyPI JSON API); nothing was checked")
        return 0, lines
    if not_found:
        lines.append(f"WARNING: {len(not_found)} of {len(deps)} packages not audited (not found on PyPI): "
                     + ", ".join(d["name"] for d in not_found))
    if failing:
        lines.append(f"pip-audit: {failing} known vulnerabilit{'y' if failing == 1 else 'ies'} in the locked set; "
                     "upgrade, or list the ID with a reason in ops/pip-audit-ignore.txt")
        return 1, lines
    lines.append(f"pip-audit: no known vulnerability in {len(audited)} audited packages")
    return 0, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requirements", default=str(ROOT / "constraints.txt"))
    parser.add_argument("--ignore-file", default=str(ROOT / "ops" / "pip-audit-ignore.txt"))
    args = parser.parse_args(argv)
    ignored = read_ignore_file(Path(args.ignore_file))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        run = subprocess.run([sys.executable, "-m", "pip_audit", "-r", args.requirements, "--no-deps",
                              "--disable-pip", "--vulnerability-service", "pypi", "--progress-spinner", "off",
                              "--format", "json", "--output", str(out)],
                             capture_output=True, text=True)
        report = json.loads(out.read_text(encoding="utf-8")) if out.exists() and out.stat().st_size else None
    if report is None:
        message = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
        if any(h in (run.stderr or "").lower() for h in UNREACHABLE_HINTS):
            print(f"WARNING: AUDIT NOT DONE: the vulnerability service is unreachable ({message[0]})")
            return 0
        print(f"pip-audit failed (exit {run.returncode}): {message[0]}", file=sys.stderr)
        return 2
    code, lines = decide(report, ignored)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
