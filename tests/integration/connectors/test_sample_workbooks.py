"""The connectors on the generated sample deliveries; expected values from samples/params.yaml."""

from __future__ import annotations

from decimal import Decimal

import pytest

import connectors
from connectors.observations import OBSERVATION_COLUMNS

from . import expected as exp

UNIT = "10549"
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
FILES = {"tax": "bao-cao-thu-nsnn", "health": "y-te", "education": "truong-hoc", "indicators": "chi-tieu-khac"}


def delivery(samples_dir, source, period):
    return samples_dir / "inbox" / UNIT / source / period / f"{FILES[source]}-{period}.xlsx"


def observe(samples_dir, source, period):
    spec = connectors.SOURCES[source]
    return spec.to_observations(spec.read(delivery(samples_dir, source, period)), UNIT, period)


@pytest.mark.parametrize("source", sorted(FILES))
def test_every_monthly_workbook_reads_into_contract_observations(samples_dir, source):
    for period in MONTHS:
        obs = observe(samples_dir, source, period)
        assert list(obs.columns) == OBSERVATION_COLUMNS, period
        assert len(obs) > 0, period
        assert not obs.duplicated(["indicator_code", "member_code"]).any(), period
        assert set(obs["period"]) == {period} and set(obs["unit_code"]) == {UNIT}
        assert obs["source_file"].eq(f"{FILES[source]}-{period}.xlsx").all()
        assert obs["row_number"].notna().all() and obs["column_name"].notna().all()


def _vnd(million: Decimal) -> float:
    return float(million * 1_000_000)


@pytest.mark.parametrize("period", ["2024-03", "2025-01", "2025-02", "2025-06", "2025-12"])
def test_tax_figures_match_the_parameters(samples_dir, period):
    year, month = int(period[:4]), int(period[5:])
    tax = exp.params()["tax"]
    items = {f"I.{it['stt']}": exp.tax_item(it, tax["profiles"], year, month) for it in tax["items"]}
    obs = observe(samples_dir, "tax", period).set_index(["indicator_code", "member_code"])["value"]

    total_ytd = sum((f["ytd"] for f in items.values()), Decimal(0))
    total_prior = sum((f["prior"] for f in items.values()), Decimal(0))
    assert obs[("REV_YTD", "TONG")] == pytest.approx(_vnd(total_ytd), abs=0.5)
    assert obs[("REV_PRIOR_YTD", "TONG")] == pytest.approx(_vnd(total_prior), abs=0.5)
    assert obs[("REV_YTD", "I")] == obs[("REV_YTD", "TONG")]
    # the total equals the sum of the nine items as read, and excludes section II
    read_items = sum(obs[("REV_YTD", code)] for code in items)
    assert obs[("REV_YTD", "TONG")] == pytest.approx(read_items, abs=0.5)
    for code, f in items.items():
        assert obs[("REV_YTD", code)] == pytest.approx(_vnd(f["ytd"]), abs=0.5), code
        if f["month"]:
            assert obs[("REV_MONTH", code)] == pytest.approx(_vnd(f["month"]), abs=0.5), code
        else:
            assert ("REV_MONTH", code) not in obs.index, code  # `-`: no figure
    transfer = exp.tax_item(tax["transfer"], tax["profiles"], year, month)
    assert obs[("REV_YTD", "II")] == pytest.approx(_vnd(transfer["ytd"]), abs=0.5)
    for it in tax["items"]:
        state, council = it["estimate"][year]
        code = f"I.{it['stt']}"
        if state is None:
            assert ("REV_ESTIMATE_STATE", code) not in obs.index
        else:
            assert obs[("REV_ESTIMATE_STATE", code)] == _vnd(Decimal(str(state)))
        assert obs[("REV_ESTIMATE_COUNCIL", code)] == _vnd(Decimal(str(council)))


def test_tax_december_2025_matches_the_documented_totals(samples_dir):
    obs = observe(samples_dir, "tax", "2025-12").set_index(["indicator_code", "member_code"])["value"]
    # params.yaml header: CT01a 189,038.9 / 173,470.3 million VND
    assert obs[("REV_YTD", "TONG")] == pytest.approx(189_038_900_000.0, abs=0.5)
    assert obs[("REV_PRIOR_YTD", "TONG")] == pytest.approx(173_470_300_000.0, abs=0.5)


@pytest.mark.parametrize("period", ["2024-12", "2025-01", "2025-08", "2025-12"])
def test_indicator_figures_match_the_parameters(samples_dir, period):
    year, month = int(period[:4]), int(period[5:])
    ind = exp.params()["indicators"]
    obs = observe(samples_dir, "indicators", period).set_index("indicator_code")
    sectors = {}
    for sector in ("NLTS", "CNXD", "TMDV"):
        sectors[sector] = exp.month_share(ind["tgtsp"]["annual"][sector][year],
                                          ind["tgtsp"]["profiles"][sector][month - 1])
        assert obs.loc[f"TGTSP_{sector}", "value"] == pytest.approx(_vnd(sectors[sector]), abs=0.5)
    assert obs.loc["TGTSP", "value"] == pytest.approx(_vnd(sum(sectors.values(), Decimal(0))), abs=0.5)
    assert obs.loc["TNBQ", "value"] == pytest.approx(_vnd(Decimal(str(ind["tnbq"]["monthly"][year][month - 1]))))
    assert obs.loc["LUOT_KHACH", "value"] == ind["luot_khach"]["monthly"][year][month - 1]
    for code, rate in ind["rates"].items():
        ts, ms = rate["ts"][year], rate["ms"][year]
        ts = ts[month - 1] if isinstance(ts, list) else ts
        ms = ms[month - 1] if isinstance(ms, list) else ms
        assert obs.loc[code, "numerator"] == pytest.approx(ts), code
        assert obs.loc[code, "denominator"] == pytest.approx(ms), code
        assert obs.loc[code, "value"] == pytest.approx(float(exp.half_up(Decimal(str(ts)) / Decimal(str(ms)) * 100, 2)))
    assert obs.loc["ANTT", "text_value"] == ind["antt"]["text"] and obs.loc["ANTT", "value"] == 1.0


@pytest.mark.parametrize("period", ["2024-09", "2025-01", "2025-09", "2025-12"])
def test_health_figures_match_the_parameters(samples_dir, period):
    year, month = int(period[:4]), int(period[5:])
    health = exp.params()["health"]
    obs = observe(samples_dir, "health", period).set_index(["indicator_code", "member_code"])
    station = obs.loc[("HEALTH_STATION_STANDARD", health["station"]["code"])]
    assert (station["numerator"], station["denominator"]) == (1.0, 1.0)
    nvqs = obs.loc[("NVQS_PRESCREEN", "")]
    assert nvqs["numerator"] == health["nvqs"][year]["screened"][month - 1]
    assert nvqs["denominator"] == health["nvqs"][year]["plan"]


@pytest.mark.parametrize(("period", "valid", "public"), [("2025-09", 13, 13), ("2025-10", 12, 13),
                                                         ("2025-11", 12, 13), ("2025-12", 13, 13)])
def test_education_counts_match_the_documented_ones(samples_dir, period, valid, public):
    # params.yaml: TH Thái Học expires 14/10/2025, renewed 05/12/2025 -> Oct and Nov are 12/13
    obs = observe(samples_dir, "education", period)
    assert obs["denominator"].sum() == public
    assert obs["numerator"].sum() == valid
    if valid < public:
        assert obs.loc[obs["numerator"] == 0, "member_code"].tolist() == ["TH-TH"]
    assert "MN-HS" not in set(obs["member_code"])  # private schools are outside CT06
