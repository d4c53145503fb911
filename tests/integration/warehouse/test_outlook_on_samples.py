"""The outlook over the real sample exports (2024 baseline + early 2025), loaded without Prefect.

Expected figures are worked out from samples/params.yaml by hand (visits) or with tests/expected.py's
independent re-implementation of the generator (revenue), never through the code under test.
"""

from __future__ import annotations

import pytest

import connectors
from tests.expected import MILLION, _params, _tax
from warehouse import attainment, catalogue, db, load

UNIT = "10549"
FILES = {"indicators": "chi-tieu-khac-{p}.xlsx", "tax": "bao-cao-thu-nsnn-{p}.xlsx"}


@pytest.fixture(scope="module")
def judged(samples_dir, tmp_path_factory, catalogue_path):
    """February 2025 judged from the indicator and tax workbooks of 2024-01..2025-02."""
    url = f"sqlite:///{tmp_path_factory.mktemp('outlook') / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        catalogue.load_catalogue(engine, catalogue.read_catalogue(catalogue_path))
        periods = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]
        for source, pattern in FILES.items():
            spec = connectors.SOURCES[source]
            for period in periods:
                path = samples_dir / "inbox" / UNIT / source / period / pattern.format(p=period)
                observations = spec.to_observations(spec.read(path), UNIT, period)
                load.load_delivery(engine, source_code=source, unit_code=UNIT, period=period,
                                   fingerprint=f"{source}-{period}", file_name=path.name, flow_run_id=None,
                                   rows_read=len(observations), observations=observations)
        targets = attainment.read_targets(engine, 2025, UNIT)
        observations = attainment.read_observations(engine, UNIT, [2024, 2025])
        frame = attainment.evaluate_targets(targets, observations, UNIT, "2025-02")
    finally:
        engine.dispose()
    return frame.set_index("target_code")


def test_visits_projected_with_last_years_festival_profile(judged):
    # params.yaml: 2025 Jan + Feb = 6,000 + 22,000 = 28,000; 2024 Jan + Feb = 5,500 + 20,500 = 26,000 of
    # 103,500 for the year -> 28,000 * 103,500 / 26,000 = 111,461.5 >= 100,000: on track
    row = judged.loc["CT09"]
    assert row["value"] == 28000
    assert row["outlook_method"] == "seasonal"
    assert row["outlook_value"] == pytest.approx(28000 * 103500 / 26000)
    assert row["outlook_status"] == "on_track"
    assert row["gap_value"] == 72000
    assert row["gap_text"] == "Cần thêm 72.000 lượt khách đến hết tháng 12"


def test_revenue_gap_to_eight_percent(judged):
    # the year's base is 2024's total (173,470.3 million VND, the December 2025 denominator of params.yaml);
    # +8 % needs 173,470.3 * 1.08 million by December, minus what was collected by February 2025
    collected, prior_ytd, _items = _tax(_params(), 2025, 2)
    row = judged.loc["CT01a"]
    assert row["outlook_method"] == "seasonal"
    assert row["outlook_value"] == pytest.approx((collected / prior_ytd - 1) * 100)
    assert row["gap_value"] == pytest.approx((173470.3 * 1.08 - collected) * MILLION, rel=1e-9)
    assert row["outlook_status"] == "on_track"


def test_gross_product_sectors_projected_seasonally(judged):
    # one shared monthly profile for 2024 and 2025: the projected growth is the year-to-date growth,
    # CT02b (+13.4 %) above its 12.5-13 band -> exceeded
    assert set(judged.loc[["CT02", "CT02a", "CT02b", "CT02c"], "outlook_method"]) == {"seasonal"}
    assert judged.loc["CT02b", "outlook_status"] == "exceeded"
    assert judged.loc["CT02a", "outlook_value"] == pytest.approx(4.9, abs=0.01)
