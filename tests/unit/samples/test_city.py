"""The synthetic city generator: units, determinism, proportions, and workbooks that read back as intended.

Expected figures come from samples/params.yaml, samples/city_params.yaml (read here with yaml) and each
ward's parameters (the generator's input), recomputed with tests/expected.py's own rounding helpers,
never from the workbook writers; the workbooks are read through the real connectors.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from connectors import SOURCES
from connectors.public_service import observations_from_public_service, read_dossier_export
from samples.city import generate_city, load_city_params, main, make_units, ward_params, write_dossier_export
from samples.generate import load_params
from tests.expected import _r1, _rate, _schools, _tax, judge
from warehouse.catalogue import read_catalogue

ROOT = Path(__file__).resolve().parents[3]
PARAMS = yaml.safe_load((ROOT / "samples" / "params.yaml").read_text("utf-8"))
CITY = yaml.safe_load((ROOT / "samples" / "city_params.yaml").read_text("utf-8"))
CATALOGUE = {t["code"]: t for t in yaml.safe_load((ROOT / "catalogue" / "ke-hoach-2025-10549.yaml")
                                                   .read_text("utf-8"))["targets"]}
PERIODS = ["2025-01", "2025-02"]
FILES = {"tax": "bao-cao-thu-nsnn", "health": "y-te", "education": "truong-hoc", "indicators": "chi-tieu-khac"}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    manifest = generate_city(out, n_units=4, seed=2025, periods=PERIODS)
    return out, manifest


def received_per_month(store: Path, unit: str, period: str) -> int:
    with sqlite3.connect(store) as con:
        return con.execute("SELECT count(*) FROM dossiers WHERE unit_code = ? AND tiep_nhan LIKE ?",
                           (unit, f"{period}-%")).fetchone()[0]


def store_rows(store: Path, period: str) -> list[tuple]:
    with sqlite3.connect(store) as con:
        return con.execute("SELECT * FROM dossiers WHERE tiep_nhan LIKE ? ORDER BY unit_code, ma_ho_so",
                           (f"{period}-%",)).fetchall()


# ------------------------------------------------------------------------------------------ units
def test_the_tree_the_codes_the_plans_and_units_yaml(city):
    out, manifest = city
    codes = [u["unit_code"] for u in manifest["units"]]
    assert codes == ["10549", "90001", "90002", "90003"]
    for code in codes:
        for source, stem in FILES.items():
            for period in PERIODS:
                assert (out / "inbox" / code / source / period / f"{stem}-{period}.xlsx").is_file()
        plan = read_catalogue(out / "catalogue" / f"ke-hoach-2025-{code}.yaml")
        assert plan.plan["unit_code"] == code
        assert len(plan.targets) == len(CATALOGUE)
    assert (out / "catalogue" / "ke-hoach-2025-10549.yaml").read_bytes() == \
        (ROOT / "catalogue" / "ke-hoach-2025-10549.yaml").read_bytes()
    units = yaml.safe_load((out / "catalogue" / "units.yaml").read_text("utf-8"))["units"]
    assert [u["unit_code"] for u in units] == ["31", *codes]
    assert units[0]["level"] == "city" and {u["parent_code"] for u in units[1:]} == {"31"}
    assert all(u["name_vi"].endswith("(mô phỏng)") for u in units[2:])
    assert units[1]["population"] == PARAMS["population"]
    assert manifest["files"] == 4 * 4 * 2 + 4 + 1 + 1   # workbooks, plans, units.yaml, dossier store
    assert json.loads((out / "manifest.json").read_text("utf-8")) == json.loads(json.dumps(manifest))


def test_populations_of_the_city_and_the_nation():
    cp, base = load_city_params(), load_params()
    city = make_units(114, 2025, cp, base)
    total = sum(u["population"] for u in city)
    assert 4_000_000 <= total <= 5_200_000            # Hải Phòng: ~4.6 million over 114 units
    assert city[0]["unit_code"] == "10549" and city[0]["population"] == 56251
    assert [u["unit_code"] for u in city[1:]] == [str(90000 + i) for i in range(1, 114)]
    assert len({u["name_vi"] for u in city}) == 114
    pops = sorted(u["population"] for u in city)
    assert pops[10] < 0.7 * pops[57] and pops[103] > 1.4 * pops[57]   # a spread, not one size
    nation = make_units(3321, 2025, cp, base)
    assert 90_000_000 <= sum(u["population"] for u in nation) <= 112_000_000   # ~101 million
    assert [u["unit_code"] for u in nation[1:3]] == ["900001", "900002"]
    assert all(len(u["unit_code"]) == 6 for u in nation[1:])
    # a ward depends on (seed, index) only: the nation's first 114 are the city's
    assert [u["population"] for u in nation[:114]] == [u["population"] for u in city]


# ------------------------------------------------------------------------------------ determinism
def test_same_seed_same_bytes_and_rows_another_seed_differs(city, tmp_path):
    out, _ = city
    again = generate_city(tmp_path / "again", n_units=3, seed=2025, periods=["2025-02"],
                          sources=("tax", "public_service"))
    for u in again["units"]:
        name = f"inbox/{u['unit_code']}/tax/2025-02/bao-cao-thu-nsnn-2025-02.xlsx"
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    first = [r for r in store_rows(out / "public_service" / "dossiers.sqlite", "2025-02") if r[0] != "90003"]
    assert store_rows(tmp_path / "again" / "public_service" / "dossiers.sqlite", "2025-02") == first

    other = generate_city(tmp_path / "other", n_units=2, seed=7, periods=["2025-02"], sources=("tax", "public_service"))
    name = "inbox/90001/tax/2025-02/bao-cao-thu-nsnn-2025-02.xlsx"
    assert (tmp_path / "other" / name).read_bytes() != (out / name).read_bytes()
    assert other["units"][1]["population"] != again["units"][1]["population"]
    rows = store_rows(tmp_path / "other" / "public_service" / "dossiers.sqlite", "2025-02")
    assert [r for r in rows if r[0] == "10549"] != [r for r in first if r[0] == "10549"]


# ---------------------------------------------------------------------------------- proportions
def test_dossiers_per_month_scale_with_population(city):
    out, manifest = city
    store = out / "public_service" / "dossiers.sqlite"
    jitter = CITY["jitter"]["dossiers"]
    for u in manifest["units"]:
        for period, n in zip(PERIODS, u["dossiers_per_month"], strict=True):
            y, m = int(period[:4]), int(period[5:])
            rate = PARAMS["public_service"]["years"][y]["received"][m - 1] / PARAMS["population"]
            if u["unit_code"] == "10549":
                assert n == PARAMS["public_service"]["years"][y]["received"][m - 1]
            else:
                assert u["population"] * rate * (1 - jitter) - 1 <= n <= u["population"] * rate * (1 + jitter) + 1
            assert received_per_month(store, u["unit_code"], period) == n
    assert manifest["dossiers"] >= sum(sum(u["dossiers_per_month"]) for u in manifest["units"])


# ------------------------------------------------------------------------- workbooks, read back
def observations(out: Path, unit: str, source: str, period: str):
    path = out / "inbox" / unit / source / period / f"{FILES[source]}-{period}.xlsx"
    spec = SOURCES[source]
    obs = spec.to_observations(spec.read(path), unit, period)
    return obs.set_index(["indicator_code", "member_code"])


def test_every_workbook_reads_through_the_connectors_with_the_intended_figures(city):
    out, manifest = city
    cp, base = load_city_params(), load_params()
    units = make_units(4, 2025, cp, base)
    y, m = 2025, 2
    for unit in units:
        code = unit["unit_code"]
        p = ward_params(base, cp, unit, 2025)
        intended = manifest["intended"][code]
        # tax: the year to date of the last month, both years, in VND
        tot, prior, _ = _tax(p, y, m)
        tax = observations(out, code, "tax", "2025-02")
        assert tax.loc[("REV_YTD", "TONG"), "value"] == pytest.approx(tot * 1e6)
        assert tax.loc[("REV_PRIOR_YTD", "TONG"), "value"] == pytest.approx(prior * 1e6)
        assert intended["CT01a"]["numerator"] == pytest.approx(tot * 1e6)
        assert intended["CT01a"]["denominator"] == pytest.approx(prior * 1e6)
        # indicators: sector values summed over the generated months = the year to date
        months = [observations(out, code, "indicators", period) for period in PERIODS]
        for target, sector in (("CT02a", "NLTS"), ("CT02b", "CNXD"), ("CT02c", "TMDV")):
            t = p["indicators"]["tgtsp"]
            want = sum(_r1(t["annual"][sector][y], x) for x in t["profiles"][sector][:m]) * 1e6
            got = sum(o.loc[(f"TGTSP_{sector}", ""), "value"] for o in months)
            assert got == pytest.approx(want) and intended[target]["numerator"] == pytest.approx(want)
        for target, ind in (("CT04", "HO_NGHEO"), ("CT05a", "GDVH"), ("CT05b", "TDP_VH"), ("CT10", "NUOC_SACH")):
            num, den = _rate(p, ind, y, m, False)
            row = months[-1].loc[(ind, "")]
            assert (row["numerator"], row["denominator"]) == (num, den)
            assert (intended[target]["numerator"], intended[target]["denominator"]) == (num, den)
        num, den = _rate(p, "CTR_SH", y, m, True)
        assert sum(o.loc[("CTR_SH", ""), "numerator"] for o in months) == pytest.approx(num)
        assert intended["CT11"]["denominator"] == pytest.approx(den)
        visits = sum(p["indicators"]["luot_khach"]["monthly"][y][:m])
        assert sum(o.loc[("LUOT_KHACH", ""), "value"] for o in months) == visits == intended["CT09"]["value"]
        # education: public schools with a valid recognition at the month's end
        valid, total = _schools(p, dt.date(2025, 2, 28))
        edu = observations(out, code, "education", "2025-02").loc["SCHOOL_STANDARD"]
        assert (edu["numerator"].sum(), len(edu)) == (valid, total)
        assert (intended["CT06"]["numerator"], intended["CT06"]["denominator"]) == (valid, total)
        # health: the station's criteria and the pre-screening of next year's intake
        ok = all(td >= chuan * 0.5 for _, chuan, _, td in p["health"]["criteria"])
        health = observations(out, code, "health", "2025-02")
        assert health.loc["HEALTH_STATION_STANDARD", "value"].iloc[0] == (100.0 if ok else 0.0)
        nv = p["health"]["nvqs"][y]
        assert tuple(health.loc["NVQS_PRESCREEN", ["numerator", "denominator"]].iloc[0]) == \
            (nv["screened"][m - 1], nv["plan"])


def test_ward_figures_follow_population_and_the_real_ward_keeps_its_params(city):
    cp, base = load_city_params(), load_params()
    units = make_units(4, 2025, cp, base)
    assert ward_params(base, cp, units[0], 2025) == PARAMS
    for unit in units[1:]:
        p = ward_params(base, cp, unit, 2025)
        f = unit["population"] / PARAMS["population"]
        ratio = (sum(i["actual"][2024] for i in p["tax"]["items"])
                 / sum(i["actual"][2024] for i in PARAMS["tax"]["items"]))
        assert f * 0.85 <= ratio <= f * 1.16   # money jitter (10 %) times line jitter (5 %)
        assert p["indicators"]["rates"]["NUOC_SACH"]["ms"][2025] == unit["population"]
        growth = sum(i["actual"][2025] for i in p["tax"]["items"]) / sum(i["actual"][2024] for i in p["tax"]["items"])
        assert (growth - 1) * 100 == pytest.approx(unit["knobs"]["revenue_growth_pct"], abs=0.05)


def test_a_city_lands_on_a_mix_of_statuses():
    from samples.city import intended_values

    cp, base = load_city_params(), load_params()
    statuses: dict[str, set] = {}
    per_ward = []
    for unit in make_units(114, 2025, cp, base):
        got = intended_values(ward_params(base, cp, unit, 2025), "2025-12")
        ward = set()
        for code, t in CATALOGUE.items():
            v = got[code]
            status = judge(t, v["value"], 12, numerator=v["numerator"], denominator=v["denominator"],
                           text="Giữ vững" if code == "CT12" else None)
            statuses.setdefault(code, set()).add(status)
            ward.add(status)
        per_ward.append(ward)
    assert all(len(w) >= 2 for w in per_ward)             # no ward meets everything
    assert {"met", "exceeded", "not_met"} <= set().union(*per_ward)
    varied = [code for code, s in statuses.items() if len(s) > 1]
    assert len(varied) >= 15, statuses


# ---------------------------------------------------------------------------- dossier-only export
def test_dossiers_only_writes_one_csv_export_the_connector_reads(tmp_path):
    path = write_dossier_export(tmp_path, 3000, seed=2025, period="2025-03")
    assert path == tmp_path / "inbox/10549/public_service/2025-03/ho-so-2025-03.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    records = read_dossier_export(path)
    assert len(records) == 3000 and records["ma_ho_so"].is_unique
    obs = observations_from_public_service(records, "10549", "2025-03").set_index("indicator_code")
    spec = PARAMS["public_service"]["years"][2025]
    received = spec["received"][2]
    online = int(received * spec["online_pct"][2] / 100 + 0.5)   # 2050 * 68 % = 1394
    assert obs.loc["DOSSIER_ONLINE", "denominator"] == 3000
    assert obs.loc["DOSSIER_ONLINE", "numerator"] == int(online * 3000 / received + 0.5)


def test_cli_refuses_a_period_outside_the_parameters(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path), "--units", "2", "--from", "2023-12", "--to", "2024-01"])
    assert exc.value.code == 2
    assert "2023-12" in capsys.readouterr().err
