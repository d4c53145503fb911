"""The hold of a dossier delivery that would empty or shrink its month (flows/holds.py), decided by hand.

`judge_drop` is pure: the load in force (its size) and the new delivery in, a hold or None out. The sizes
here are written by hand; the deliveries are plain `Delivery` objects with a few records.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows.holds import RULE_ID, InForce, MonthSize, held_validation, judge_drop
from flows.settings import Settings
from flows.tasks import Delivery


def delivery(n_dossiers: int | None, received: int, *, path: Path | None = Path("ho-so-2025-06.json")) -> Delivery:
    """A public_service delivery of June 2025: `n_dossiers` records (None: a Biểu 06 report, no dossier list)
    and `received` dossiers received in the month (the DOSSIER_ONLINE denominator)."""
    records = (pd.DataFrame({"stt": ["1"], "linh_vuc": ["Hộ tịch"]}) if n_dossiers is None
               else pd.DataFrame({"ma_ho_so": [f"HS-{i}" for i in range(n_dossiers)]}))
    observations = pd.DataFrame({"indicator_code": ["DOSSIER_ONLINE", "DOSSIER_ON_TIME"],
                                 "denominator": [float(received), 0.0]})
    return Delivery("public_service", "10549", "2025-06", path.name if path else "api:2025-06", "f" * 64,
                    len(records), observations, path=path, records=records)


def in_force(dossiers: int | None, received: int | None) -> InForce:
    return InForce(41, "ho-so-2025-06.json", MonthSize(dossiers, received))


def test_nothing_in_force_never_holds_even_an_empty_month():
    assert judge_drop(None, delivery(0, 0), 0.5) is None


def test_an_empty_delivery_over_a_good_month_is_held():
    hold = judge_drop(in_force(2161, 1100), delivery(0, 0), 0.5)
    assert (hold.before, hold.after, hold.basis, hold.load_id) == (2161, 0, "dossiers", 41)


@pytest.mark.parametrize(("after", "share", "held"), [
    (1080, 0.5, True),    # down 1081 of 2161: more than half
    (1081, 0.5, False),   # down 1080: not more than half (1080.5)
    (2000, 0.05, True),   # down 161: more than 5 % (108.05)
    (1, 1.0, False),      # share 1: only a drop to none is held
    (0, 1.0, True),
])
def test_a_drop_is_held_when_it_is_more_than_the_share(after, share, held):
    assert (judge_drop(in_force(2161, 1100), delivery(after, 10), share) is not None) is held


def test_a_growing_or_equal_month_is_never_held():
    assert judge_drop(in_force(2161, 1100), delivery(2161, 1100), 0.5) is None
    assert judge_drop(in_force(2161, 1100), delivery(3000, 1500), 0.5) is None


def test_an_empty_month_in_force_is_not_a_reason_to_hold():
    assert judge_drop(in_force(None, 0), delivery(0, 0), 0.5) is None


def test_a_bieu06_on_either_side_compares_dossiers_received():
    # Biểu 06 in force: 900 received; a dossier export now with 2,000 dossiers but 300 received
    hold = judge_drop(in_force(None, 900), delivery(2000, 300), 0.5)
    assert (hold.basis, hold.before, hold.after) == ("received", 900, 300)
    # dossiers in force, a Biểu 06 now: its 1,000 received against the 1,100 received in force
    assert judge_drop(in_force(2161, 1100), delivery(None, 1000), 0.5) is None
    assert judge_drop(in_force(2161, 1100), delivery(None, 0), 0.5).basis == "received"


def test_the_hold_says_what_where_and_how_to_confirm_in_both_languages():
    hold = judge_drop(in_force(2161, 1100), delivery(0, 0), 0.5)
    message = hold.message()
    assert "\n" not in message
    assert message.startswith("public_service file ho-so-2025-06.json: held as suspicious, nothing loaded: it "
                              "holds 0 dossiers of 06/2025 where load 41 in force holds 2161 (down to none)")
    assert message.endswith("thidua ingest --source public_service --period 2025-06 --unit 10549 "
                            "--file <ho-so-2025-06.json, kept in quarantine> --confirm-drop")
    assert "bị giữ lại vì nghi ngờ" in hold.summary_vi() and "có 2161 (giảm về 0)" in hold.summary_vi()
    assert hold.summary_en().startswith("File ho-so-2025-06.json held as suspicious, not loaded")
    half = judge_drop(in_force(2161, 1100), delivery(1000, 500), 0.5)
    assert "(down 54%, more than the 50% THIDUA_DOSSIER_DROP_SHARE allows)" in half.message()


def test_an_api_pull_is_confirmed_with_thidua_run():
    hold = judge_drop(in_force(2161, 1100), delivery(0, 0, path=None), 0.5)
    assert "the API's answer api:2025-06" in hold.message()
    assert hold.confirm_command() == "thidua run --period 2025-06 --unit 10549 --confirm-drop"


def test_the_held_validation_result_adds_one_blocking_rule():
    hold = judge_drop(in_force(2161, 1100), delivery(0, 0), 0.5)
    passed = {"success": True, "failed_count": 1, "error_count": 0, "warning_count": 1,
              "failed": [{"rule_id": "read.warnings", "severity": "warning"}]}
    held = held_validation(passed, hold)
    assert (held["success"], held["failed_count"], held["error_count"]) == (False, 2, 1)
    assert [f["rule_id"] for f in held["failed"]] == [RULE_ID, "read.warnings"]
    assert passed["success"] is True  # the original is left as it was


# ------------------------------------------------------------------------------------------ the settings
def test_the_drop_share_and_the_answer_cap_default():
    settings = Settings.from_env({})
    assert (settings.dossier_drop_share, settings.http_max_answer_mb) == (0.5, 64.0)


@pytest.mark.parametrize(("text", "share"), [("0.3", 0.3), ("30%", 0.3), ("1", 1.0), (" 0.05 ", 0.05)])
def test_a_drop_share_is_taken(text, share):
    assert Settings.from_env({"THIDUA_DOSSIER_DROP_SHARE": text}).dossier_drop_share == pytest.approx(share)


@pytest.mark.parametrize("text", ["0", "-0.2", "1.5", "150%", "một nửa"])
def test_a_bad_drop_share_is_refused_in_one_sentence(text):
    with pytest.raises(ValueError) as info:
        Settings.from_env({"THIDUA_DOSSIER_DROP_SHARE": text})
    assert str(info.value).startswith(f"THIDUA_DOSSIER_DROP_SHARE={text!r} is not a valid share")


def test_the_answer_cap_is_taken_and_a_bad_one_refused():
    assert Settings.from_env({"THIDUA_HTTP_MAX_ANSWER_MB": "16"}).http_max_answer_mb == 16.0
    with pytest.raises(ValueError, match="THIDUA_HTTP_MAX_ANSWER_MB='0' is not a size in MB"):
        Settings.from_env({"THIDUA_HTTP_MAX_ANSWER_MB": "0"})
