"""Expected attainment of the 20 targets, computed straight from samples/params.yaml and dossiers.json.

Independent of the product on purpose: no import of connectors, warehouse, flows or samples. It
re-implements the generator's documented rounding rules (params.yaml header) and the status rules of
docs/contracts.md, so integration tests can compare the warehouse's attainment with it.

    from tests.expected import expected_attainment
    exp = expected_attainment(samples_dir, "2025-12")
    exp["CT01a"] == {"value": 8.97..., "numerator": ..., "denominator": ..., "status": "met"}

Money numerators/denominators are in VND (files show million VND), like the warehouse stores them.
Only periods of 2025 (the plan's year) are supported.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PARAMS_PATH = REPO_ROOT / "samples" / "params.yaml"
CATALOGUE_PATH = REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"
MILLION = 1_000_000.0


def _r1(annual, pct) -> float:
    return float((Decimal(str(annual)) * Decimal(str(pct)) / 100).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _months(v) -> list:
    return list(v) if isinstance(v, list) else [v] * 12


@lru_cache(maxsize=4)
def _params(path: str = str(PARAMS_PATH)) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=2)
def _catalogue(path: str = str(CATALOGUE_PATH)) -> dict:
    with open(path, encoding="utf-8") as fh:
        return {t["code"]: t for t in yaml.safe_load(fh)["targets"]}


@lru_cache(maxsize=4)
def _dossiers(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return data["du_lieu"] if isinstance(data, dict) else data


def _ts(s: str | None) -> dt.datetime | None:
    return dt.datetime.strptime(s, "%d/%m/%Y %H:%M:%S") if s else None


# ------------------------------------------------------------------------------- per source
def _tax(p: dict, year: int, m: int):
    """(ytd TONG, prior ytd TONG, items: [(stt, ytd, estimate or None)]) in million VND."""
    profiles = p["tax"]["profiles"]
    tot = prior = 0.0
    items = []
    for it in p["tax"]["items"]:
        prof = profiles[it["profile"]][:m]
        ytd = sum(_r1(it["actual"][year], x) for x in prof)
        py = sum(_r1(it["actual"][year - 1], x) for x in prof)
        tot += ytd
        prior += py
        pl, hd = it["estimate"][year]
        items.append((it["stt"], ytd, hd if hd is not None else pl))
    return tot, prior, items


def _sector(p: dict, sector: str, year: int, m: int) -> float:
    t = p["indicators"]["tgtsp"]
    return sum(_r1(t["annual"][sector][year], x) for x in t["profiles"][sector][:m])


def _rate(p: dict, code: str, year: int, m: int, ytd: bool):
    r = p["indicators"]["rates"][code]
    ts, ms = _months(r["ts"][year]), _months(r["ms"][year])
    if ytd:
        return float(sum(ts[:m])), float(sum(ms[:m]))
    return float(ts[m - 1]), float(ms[m - 1])


def _schools(p: dict, end: dt.date) -> tuple[int, int]:
    valid = total = 0
    for sc in p["education"]["schools"]:
        if sc["loai"] != "Công lập":
            continue
        total += 1
        recs = [r for r in sc["rec"] if r[1] <= end]
        if not recs:
            continue
        _, date, level, expiry, _ = recs[-1]
        until = expiry or date.replace(year=date.year + 5)
        if level in ("Mức độ 1", "Mức độ 2") and until >= end:
            valid += 1
    return valid, total


@lru_cache(maxsize=4)
def _dossier_facts(path: str) -> tuple[tuple, ...]:
    """Per dossier: ((year, month) received, online, has fee, paid online, (year, month) resolved or
    None, on time), parsed once per file."""
    facts = []
    for d in _dossiers(path):
        rec = _ts(d["NgayTiepNhan"])
        end = _ts(d["NgayKetThucXuLy"])
        has_fee = any((f.get("Gia") or 0) > 0 for f in d["DanhSachLePhi"])
        # a withdrawn / returned dossier (NgayTuChoi set) counts as received, never as resolved
        resolved = (end.year, end.month) if end and d["NgayTuChoi"] is None else None
        on_time = bool(end) and end.date() <= _ts(d["NgayHenTra"]).date()
        facts.append(((rec.year, rec.month), d["KenhThucHien"] == 2, has_fee,
                      has_fee and bool(d["DuocThanhToanTrucTuyen"]), resolved, on_time))
    return tuple(facts)


def dossier_counts(dossiers_path: Path, year: int, months: range) -> dict[str, int]:
    """Year-to-date CT08 counts over ``months`` of ``year`` from the raw dossier file."""
    c = dict(received=0, online=0, fee=0, fee_online=0, finished=0, on_time=0)
    wanted = {(year, mm) for mm in months}
    for rec, online, has_fee, paid_online, resolved, on_time in _dossier_facts(str(dossiers_path)):
        if rec in wanted:
            c["received"] += 1
            c["online"] += online
            c["fee"] += has_fee
            c["fee_online"] += paid_online
        if resolved in wanted:
            c["finished"] += 1
            c["on_time"] += on_time
    return c


# ------------------------------------------------------------------------------------ status
def judge(target: dict, value, m: int, *, numerator=None, denominator=None, text=None,
          items_on_pace: bool | None = None) -> str:
    """Status so far at the end of month ``m`` (docs/contracts.md, last paragraph)."""
    comp = target["comparison"]
    if comp == "qualitative":
        if text is None:
            return "no_data"
        holds = text == target["measure"]["kept_text"]
        return "met" if holds else ("not_met" if m == 12 else "behind")
    if value is None:
        return "no_data"
    low, high = target.get("bound_low"), target.get("bound_high")
    if comp == "band":
        holds, bound = value >= low, low
    elif comp == "at_least":
        holds, bound = value >= low, low
    elif comp == "strictly_above":
        holds, bound = value > low, low
    elif comp == "strictly_below":
        holds, bound = value < high, high
    elif comp == "all":
        holds, bound = numerator == denominator, 100.0
    else:
        raise ValueError(comp)
    if holds:
        return "exceeded" if comp == "band" and value > high else "met"
    if m == 12:
        return "not_met"
    if target.get("accumulates"):
        # Items reaching an annual estimate are on track when every item is at its pro-rata share
        # (M/12 of its own estimate); a year-end count when it is at M/12 of the bound.
        is_items = target.get("measure", {}).get("kind") == "items_meeting"
        on_pace = items_on_pace if is_items else value >= bound * m / 12
        if on_pace:
            return "on_track"
    return "behind"


def _growth(num: float, den: float) -> float:
    return (num / den - 1.0) * 100.0


def expected_attainment(samples_dir: Path, period: str) -> dict[str, dict]:
    """Expected value, numerator, denominator and status of every target at the end of ``period``.

    Args:
        samples_dir: the generator's output directory (holds public_service/dossiers.json).
        period: ``"2025-MM"``.

    Returns:
        ``{target_code: {"value", "numerator", "denominator", "status"}}`` (+ ``"text"`` for CT12).
    """
    year, m = int(period[:4]), int(period[5:7])
    if year != 2025:
        raise ValueError("the 2025 plan is evaluated for periods of 2025 only")
    p = _params()
    cat = _catalogue()
    out: dict[str, dict] = {}

    def put(code, value, num=None, den=None, **kw):
        out[code] = {"value": value, "numerator": num, "denominator": den,
                     "status": judge(cat[code], value, m, numerator=num, denominator=den, text=kw.get("text"),
                                     items_on_pace=kw.get("items_on_pace"))}
        if "text" in kw:
            out[code]["text"] = kw["text"]

    # CT01a / CT01b: tax report
    tot, prior, items = _tax(p, year, m)
    put("CT01a", _growth(tot, prior), tot * MILLION, prior * MILLION)
    judged = [(stt, ytd, est) for stt, ytd, est in items if est is not None]
    met = sum(1 for _, ytd, est in judged if ytd >= est)
    on_pace = all(ytd >= est * m / 12 for _, ytd, est in judged)
    put("CT01b", met / len(judged) * 100.0, met, len(judged), items_on_pace=on_pace)

    # CT02*: gross product value, YTD sums of both years
    sectors = {"CT02a": "NLTS", "CT02b": "CNXD", "CT02c": "TMDV"}
    cur = {s: _sector(p, s, year, m) for s in sectors.values()}
    prev = {s: _sector(p, s, year - 1, m) for s in sectors.values()}
    # the workbook's TGTSP row is the month-wise sum of the rounded sector cells
    tg_cur = sum(round(sum(_r1(p["indicators"]["tgtsp"]["annual"][s][year],
                                p["indicators"]["tgtsp"]["profiles"][s][i]) for s in cur), 1) for i in range(m))
    tg_prev = sum(round(sum(_r1(p["indicators"]["tgtsp"]["annual"][s][year - 1],
                                 p["indicators"]["tgtsp"]["profiles"][s][i]) for s in cur), 1) for i in range(m))
    put("CT02", _growth(tg_cur, tg_prev), tg_cur * MILLION, tg_prev * MILLION)
    for code, s in sectors.items():
        put(code, _growth(cur[s], prev[s]), cur[s] * MILLION, prev[s] * MILLION)

    # CT03: latest income estimate vs the previous year's December estimate
    tn = p["indicators"]["tnbq"]["monthly"]
    put("CT03", _growth(tn[year][m - 1], tn[year - 1][11]), tn[year][m - 1] * MILLION, tn[year - 1][11] * MILLION)

    # CT04, CT05a, CT05b, CT10 (latest level), CT11 (YTD tonnes)
    for code, ind, ytd in [("CT04", "HO_NGHEO", False), ("CT05a", "GDVH", False), ("CT05b", "TDP_VH", False),
                           ("CT10", "NUOC_SACH", False), ("CT11", "CTR_SH", True)]:
        num, den = _rate(p, ind, year, m, ytd)
        put(code, num / den * 100.0, num, den)

    # CT06: public schools with a valid recognition on the period's last day
    end = (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))
    valid, total = _schools(p, end)
    put("CT06", valid / total * 100.0, valid, total)

    # CT07: stations whose every criterion is Đạt (điểm thẩm định >= half of điểm chuẩn)
    ok = all(td >= chuan * 0.5 for _, chuan, _, td in p["health"]["criteria"])
    put("CT07", 100.0 if ok else 0.0, int(ok), 1)

    # CT08a/b/c: raw dossiers, year to date
    c = dossier_counts(Path(samples_dir) / "public_service" / "dossiers.json", year, range(1, m + 1))
    put("CT08a", c["online"] / c["received"] * 100.0, c["online"], c["received"])
    put("CT08b", c["on_time"] / c["finished"] * 100.0, c["on_time"], c["finished"])
    put("CT08c", c["fee_online"] / c["fee"] * 100.0, c["fee_online"], c["fee"])

    # CT09: visits year to date
    visits = float(sum(p["indicators"]["luot_khach"]["monthly"][year][:m]))
    put("CT09", visits, None, None)

    # CT12: the month's assessment
    text = p["indicators"]["antt"]["text"]
    put("CT12", 1.0 if text == cat["CT12"]["measure"]["kept_text"] else 0.0, text=text)

    # CT13: pre-screened / planned, next year's intake
    nv = p["health"]["nvqs"][year]
    put("CT13", nv["screened"][m - 1] / nv["plan"] * 100.0, nv["screened"][m - 1], nv["plan"])
    return {code: out[code] for code in cat}
