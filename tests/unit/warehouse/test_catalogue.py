"""read_catalogue: the 2025 plan reads as 20 targets; broken catalogues fail naming target and field."""

from __future__ import annotations

import copy

import pytest
import yaml

from warehouse.catalogue import read_catalogue
from warehouse.errors import CatalogueError, WarehouseError


def test_the_2025_catalogue(catalogue_path):
    cat = read_catalogue(catalogue_path)
    assert cat.plan["plan_code"] == "KH-TD-2025-10549"
    assert cat.plan["unit_code"] == "10549" and cat.plan["year"] == 2025
    assert cat.plan["settings"]["revenue_estimate_preference"] == ["REV_ESTIMATE_COUNCIL", "REV_ESTIMATE_STATE"]
    assert len(cat.targets) == 20
    assert cat.targets["target_code"].is_unique
    t = cat.targets.set_index("target_code")
    assert (t.loc["CT01a", "bound_low"], t.loc["CT01a", "bound_high"]) == (8.0, 10.0)
    assert bool(t.loc["CT01b", "accumulates"]) and bool(t.loc["CT09", "accumulates"])
    assert not bool(t.loc["CT04", "accumulates"])
    assert t.loc["CT02", "measure"]["denominator"]["year_offset"] == -1
    assert t.loc["CT01a", "measure"]["numerator"]["member"] == "TONG"
    assert t.loc["CT12", "measure"]["kept_text"] == "Giữ vững"
    assert set(cat.units["unit_code"]) == {"31", "10549"}
    assert set(cat.sources["source_code"]) == {"tax", "public_service", "health", "education", "indicators"}
    assert len(cat.sha256) == 64


@pytest.fixture()
def doc(catalogue_path):
    with open(catalogue_path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def write(tmp_path, doc):
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def find(doc, code):
    return next(t for t in doc["targets"] if t["code"] == code)


@pytest.mark.parametrize("change, words", [
    (lambda d: find(d, "CT04")["measure"].update(kind="median"), ["CT04", "measure.kind", "median"]),
    (lambda d: find(d, "CT04").update(comparison="roughly"), ["CT04", "comparison", "roughly"]),
    (lambda d: find(d, "CT02").pop("bound_high"), ["CT02", "bound_high", "band"]),
    (lambda d: find(d, "CT02a").pop("bound_low"), ["CT02a", "bound_low", "at_least"]),
    (lambda d: find(d, "CT04").pop("bound_high"), ["CT04", "bound_high", "strictly_below"]),
    (lambda d: find(d, "CT05b").update(bound_low=50), ["CT05b", "bound_low", "not used"]),
    (lambda d: find(d, "CT02").update(bound_low=20), ["CT02", "bound_low", "above"]),
    (lambda d: find(d, "CT02").update(bound_low="14%"), ["CT02", "bound_low", "number"]),
    (lambda d: d["targets"].append(copy.deepcopy(find(d, "CT09"))), ["CT09", "duplicate"]),
    (lambda d: find(d, "CT08a")["measure"].update(window="monthly"), ["CT08a", "window", "monthly"]),
    (lambda d: find(d, "CT03")["measure"]["denominator"].pop("indicator"), ["CT03", "indicator"]),
    (lambda d: find(d, "CT01b")["measure"].update(estimate_preference=[]), ["CT01b", "estimate_preference"]),
    (lambda d: find(d, "CT12")["measure"].pop("kept_text"), ["CT12", "kept_text"]),
    (lambda d: find(d, "CT09").update(source="tourism"), ["CT09", "source", "tourism"]),
    (lambda d: find(d, "CT09").update(accumulates="yes"), ["CT09", "accumulates"]),
    (lambda d: find(d, "CT12").update(comparison="all"), ["CT12", "comparison", "qualitative"]),
    (lambda d: d["plan"].pop("year"), ["plan", "year"]),
])
def test_invalid_catalogue_names_target_and_field(tmp_path, doc, change, words):
    change(doc)
    with pytest.raises(CatalogueError) as info:
        read_catalogue(write(tmp_path, doc))
    message = str(info.value)
    for word in words:
        assert word in message, message


def test_catalogue_error_is_a_warehouse_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("plan: [unclosed", encoding="utf-8")
    with pytest.raises(WarehouseError):
        read_catalogue(path)


def test_unmodified_copy_is_valid(tmp_path, doc):
    assert len(read_catalogue(write(tmp_path, doc)).targets) == 20
