"""The systemd units of ops/systemd/ (shown in docs/operations.md) are valid as written.

systemd has no end-of-line comments: `EnvironmentFile=/etc/thidua/thidua.env   # settings` names a file
called "/etc/thidua/thidua.env   # settings", and `systemd-analyze verify` does not notice (it neither reads
the file nor fails on unknown keys). So the units are parsed here strictly: known sections and keys only,
comments on their own lines, path values that are one absolute path, scripts that exist in the checkout.
Where `systemd-analyze` is installed, it verifies them too (with the checkout in place of /opt/thidua).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "ops" / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/thidua"
KEYS = {
    "Unit": {"Description", "After", "Wants", "Requires", "Documentation"},
    "Service": {"User", "Group", "WorkingDirectory", "Environment", "EnvironmentFile", "ExecStart", "Restart",
                "RestartSec", "Type"},
    "Install": {"WantedBy"},
}
ONE_PATH = re.compile(r"^-?/[^\s#;\"']+$")  # EnvironmentFile may start with '-' (optional file)


def parse_unit(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of every setting; raises ValueError naming the line of anything else."""
    section, settings = None, []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if line != stripped:
            raise ValueError(f"line {number}: leading or trailing blanks: {line!r}")
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            section = header.group(1)
            if section not in KEYS:
                raise ValueError(f"line {number}: unknown section [{section}]")
            continue
        key, sep, value = line.partition("=")
        if not sep or section is None or key not in KEYS[section]:
            raise ValueError(f"line {number}: not a known setting of [{section}]: {line!r}")
        if key in ("EnvironmentFile", "WorkingDirectory", "ExecStart") and not ONE_PATH.match(value):
            raise ValueError(f"line {number}: {key}= must be one absolute path, nothing after it: {value!r}")
        if key == "Environment" and not re.fullmatch(r"[A-Z_][A-Z0-9_]*=[^\s#;\"']+", value):
            raise ValueError(f"line {number}: Environment= must be one NAME=value, nothing after it: {value!r}")
        settings.append((section, key, value))
    return settings


def test_there_are_units_to_check():
    assert [u.name for u in UNITS] == ["thidua-prefect.service", "thidua-worker.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_a_unit_parses_strictly_and_starts_a_script_of_the_checkout(unit):
    settings = parse_unit(unit.read_text(encoding="utf-8"))
    values = {key: value for _section, key, value in settings}
    assert values["ExecStart"].startswith(INSTALL_DIR + "/")
    script = ROOT / values["ExecStart"][len(INSTALL_DIR) + 1:]
    assert script.is_file() and os.access(script, os.X_OK), script
    assert values["WorkingDirectory"] == INSTALL_DIR
    assert ("Install", "WantedBy", "multi-user.target") in settings


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_the_docs_show_each_unit_as_it_is(unit):
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert f"```ini\n{unit.read_text(encoding='utf-8')}```" in docs, f"docs/operations.md differs from {unit}"


def test_the_strict_parser_refuses_what_systemd_would_misread():
    # The guard must be able to fail: the comment that used to sit on the EnvironmentFile= line.
    with pytest.raises(ValueError, match="EnvironmentFile= must be one absolute path"):
        parse_unit("[Service]\nEnvironmentFile=/etc/thidua/thidua.env   # THIDUA_* settings\n")
    with pytest.raises(ValueError, match="not a known setting"):
        parse_unit("[Service]\nExecStrat=/opt/thidua/ops/worker.sh\n")


def test_systemd_analyze_verifies_the_units_where_installed(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the strict parser above still checks every unit
        return
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text(encoding="utf-8").replace(INSTALL_DIR, str(ROOT)), encoding="utf-8")
        copies.append(str(copy))
    done = subprocess.run([analyze, "verify", *copies], capture_output=True, text=True, timeout=60)
    # Unknown keys are only warnings to systemd-analyze: any word from it is a failure here.
    assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stdout + done.stderr
