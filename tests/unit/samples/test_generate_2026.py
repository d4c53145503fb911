"""The sample generator extended past 2025-12 (`--to 2026-01`, for the 2026 plan's January): the default
range's files stay as they were, the new month follows params.yaml, and a range the parameters do not
cover is refused in one sentence. Expected figures come from params.yaml read here with yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from samples.generate import generate, main

PARAMS = yaml.safe_load((Path(__file__).resolve().parents[3] / "samples" / "params.yaml").read_text("utf-8"))
WORKBOOKS = {"tax": "bao-cao-thu-nsnn", "health": "y-te", "education": "truong-hoc",
             "indicators": "chi-tieu-khac"}


def _dossiers(root: Path) -> dict[str, dict]:
    data = json.loads((root / "public_service" / "dossiers.json").read_text(encoding="utf-8"))
    assert data["tong_so"] == len(data["du_lieu"])
    return {d["MaHoSo"]: d for d in data["du_lieu"]}


def test_extending_to_january_2026_keeps_the_default_range(samples_dir, tmp_path):
    manifest = generate(tmp_path, seed=2025, last="2026-01", months=["2025-12", "2026-01"])
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(
        [f"inbox/10549/{s}/{p}/{stem}-{p}.xlsx" for s, stem in WORKBOOKS.items() for p in ("2025-12", "2026-01")]
        + [f"public_service/exports/ho-so-{p}.{x}" for p in ("2025-12", "2026-01") for x in ("csv", "json")]
        + ["public_service/dossiers.json"])
    # December 2025's workbooks are the default range's, byte for byte
    for source, stem in WORKBOOKS.items():
        name = f"inbox/10549/{source}/2025-12/{stem}-2025-12.xlsx"
        assert (tmp_path / name).read_bytes() == (samples_dir / name).read_bytes(), name
    old, new = _dossiers(samples_dir), _dossiers(tmp_path)
    assert manifest["dossier_count"] == len(new)
    assert set(old) <= set(new)
    january = [d for d in new.values() if d["NgayTiepNhan"][3:10] == "01/2026"]
    assert len(new) - len(old) == len(january) == PARAMS["public_service"]["years"][2026]["received"][0]
    # what a later extraction sees, and only that: December 2025's carried dossiers finished in January,
    # some of December's handed over after 31/12/2025; every other dossier is the same record
    changed = {k for k in old if old[k] != new[k]}
    assert changed and all(old[k]["NgayTiepNhan"][3:10] == "12/2025" for k in changed)
    for k in changed:
        fields = {f for f in old[k] if old[k][f] != new[k][f]}
        assert fields <= {"NgayKetThucXuLy", "NgayTra", "TrangThaiHoSo"}, (k, fields)
        if "NgayKetThucXuLy" in fields:
            assert old[k]["NgayKetThucXuLy"] is None and new[k]["NgayKetThucXuLy"][3:10] == "01/2026"
    finished = sum("NgayKetThucXuLy" in {f for f in old[k] if old[k][f] != new[k][f]} for k in changed)
    dec = PARAMS["public_service"]["years"][2025]["received"][11]
    assert finished == round(dec * PARAMS["public_service"]["carry_pct"] / 100)   # 2255 * 14 % = 315.7


def test_a_range_the_parameters_do_not_cover_is_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="2027-01: the samples end in 2025-12 or a later month"):
        generate(tmp_path / "a", last="2027-01")
    with pytest.raises(ValueError, match="2023-12: not in the sample range 2024-01 .. 2026-01"):
        generate(tmp_path / "b", last="2026-01", months=["2026-01", "2023-12"])
    with pytest.raises(ValueError, match="'2026-1': expected a month YYYY-MM"):
        generate(tmp_path / "b", last="2026-1")
    with pytest.raises(SystemExit) as stop:
        main(["--out", str(tmp_path / "c"), "--to", "2025-06"])
    assert stop.value.code == 2
    assert "2025-06: the samples end in 2025-12" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()
