"""Synthetic city (Hải Phòng, 114 wards) or nation (3,321 communes): every ward's monthly exports.

What is written under ``out_dir`` (docs/contracts.md, "Synthetic city"):

* ``inbox/<unit>/<source>/<YYYY-MM>/<file>``: the four workbooks per ward and month, in the layouts and
  with the file names of samples/generate.py (the same writers, fed per-ward parameters);
* ``public_service/dossiers.sqlite``: every one-stop dossier of every ward received in the periods (plus
  the previous month's dossiers that finish in the first period), served by ``standin.public_service``;
* ``catalogue/ke-hoach-2025-<unit>.yaml``: each ward's plan (the 20 targets of the 10549 template) and
  ``catalogue/units.yaml``: the city and its wards;
* ``manifest.json``: seed, units (population, dossiers per month, knobs), counts and, for the last
  period of 2025, the intended numerator / denominator / value of every target.

A ward's parameters are samples/params.yaml scaled by population with seeded jitter, plus "knobs"
(samples/city_params.yaml) that set it around the plan's bounds, so statuses mix. Everything is a
function of (seed, unit index). Unit 10549 is the real ward and keeps params.yaml as is; the other codes
are synthetic and can never be confused with GSO codes (which end below 33000): 90001.. in a city,
900001.. (6 digits) in a nation (more than 114 units). Synthetic names end in "(mô phỏng)".

CLI: ``python -m samples.city --units 114 --out data/city [--seed 2025] [--from 2024-01 --to 2025-12]
[--sources tax,health] [--workers N]``; ``--dossiers-only N`` writes one CSV export of N dossiers.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import json
import math
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import yaml

from samples import generate as gen

CITY_PARAMS_PATH = Path(__file__).with_name("city_params.yaml")
TEMPLATE_PLAN = Path(__file__).resolve().parents[1] / "catalogue" / "ke-hoach-2025-10549.yaml"
SOURCES = ("tax", "public_service", "health", "education", "indicators")
FIRST_PERIOD, LAST_PERIOD = "2024-01", "2025-12"
PLAN_YEAR = 2025
REAL_UNIT = "10549"
MILLION = 1_000_000.0

# The SQLite dossier store (read by standin.public_service): timestamps are ISO text
# "YYYY-MM-DD HH:MM:SS" (sortable; the stand-in serves them as dd/MM/yyyy HH:mm:ss); one fee line per
# dossier at most (le_phi_gia NULL = an empty DanhSachLePhi).
STORE_SCHEMA = """
CREATE TABLE units (unit_code TEXT PRIMARY KEY, name_vi TEXT NOT NULL, don_vi_xu_ly TEXT NOT NULL,
                    population INTEGER);
CREATE TABLE procedures (ma_tthc TEXT PRIMARY KEY, ten_tthc TEXT NOT NULL, ma_linh_vuc TEXT NOT NULL,
                         ten_linh_vuc TEXT NOT NULL, muc_do INTEGER NOT NULL, ten_phi_le_phi TEXT);
CREATE TABLE dossiers (unit_code TEXT NOT NULL, ma_ho_so TEXT NOT NULL, ma_tthc TEXT NOT NULL,
                       kenh_thuc_hien INTEGER NOT NULL, tiep_nhan TEXT NOT NULL, hen_tra TEXT, ket_thuc TEXT,
                       tra TEXT, tu_choi TEXT, trang_thai INTEGER, tt_truc_tuyen INTEGER NOT NULL,
                       le_phi_gia INTEGER, le_phi_hinh_thuc TEXT);
"""
STORE_INDEXES = """
CREATE INDEX ix_dossiers_received ON dossiers (unit_code, substr(tiep_nhan, 1, 10), ma_ho_so);
CREATE INDEX ix_dossiers_finished ON dossiers (unit_code, substr(ket_thuc, 1, 10), ma_ho_so);
"""


def load_city_params(path: Path = CITY_PARAMS_PATH) -> dict:
    """samples/city_params.yaml as a dict."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def month_range(start: str, end: str) -> list[str]:
    """Periods ``start`` .. ``end`` inclusive (YYYY-MM), within 2024-01 .. 2025-12 (params.yaml's years)."""
    for p in (start, end):
        try:
            dt.date(int(p[:4]), int(p[5:7]), 1)
            ok = len(p) == 7 and p[4] == "-"
        except ValueError:
            ok = False
        if not ok or not FIRST_PERIOD <= p <= LAST_PERIOD:
            raise ValueError(f"period '{p}': expected a month YYYY-MM from {FIRST_PERIOD} to {LAST_PERIOD}")
    if start > end:
        raise ValueError(f"period range {start} .. {end}: the start is after the end")
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y}-{m:02d}" <= end:
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _ym(period: str) -> tuple[int, int]:
    return int(period[:4]), int(period[5:7])


def _r(x: float, places: int = 0):
    """Half-up rounding (the generator's rule); an int when ``places`` is 0."""
    v = gen.round_half_up(x, places)
    return int(v) if places == 0 else v


# ------------------------------------------------------------------------------------- the units
def unit_code(index: int, n_units: int, city_units: int = 114) -> str:
    """Index 0 is the real 10549; the rest 90001.. (a city) or 900001.. (a nation: > city_units)."""
    if index == 0:
        return REAL_UNIT
    return str(900000 + index) if n_units > city_units else str(90000 + index)


def make_units(n_units: int, seed: int, cp: dict, base: dict) -> list[dict]:
    """The units: code, name, kind, population, area and their knobs (drawn from (seed, index))."""
    units, seen = [], set()
    words = cp["name_words"]
    for i in range(n_units):
        code = unit_code(i, n_units, cp["city_units"])
        if i == 0:
            units.append({"index": 0, "unit_code": code, "name_vi": base["unit_name"], "place": None,
                          "population": base["population"], "area_km2": 40.86, "knobs": None})
            continue
        rng = np.random.default_rng([seed, i, 0])
        dist = cp["population"]["city" if i < cp["city_units"] else "nation"]
        mu = math.log(dist["mean"]) - dist["sigma"] ** 2 / 2
        lo, hi = cp["population"]["bounds"]
        pop = int(min(max(round(math.exp(mu + dist["sigma"] * rng.standard_normal())), lo), hi))
        dens = cp["population"]["density_per_km2"]
        area = round(pop / (dens["median"] * math.exp(dens["sigma"] * rng.standard_normal())), 2)
        kind = "Phường" if rng.random() < cp["ward_share"] else "Xã"
        w1, w2 = rng.choice(len(words), 2, replace=False)
        place = f"{words[w1]} {words[w2]}"
        k = 2
        while place in seen:   # a repeated name gets a number, as the same name recurs across provinces
            place, k = f"{words[w1]} {words[w2]} {k}", k + 1
        seen.add(place)
        knobs = {name: choices[int(rng.integers(len(choices)))] for name, choices in cp["knobs"].items()}
        units.append({"index": i, "unit_code": code, "name_vi": f"{kind} {place} (mô phỏng)", "place": place,
                      "population": pop, "area_km2": max(area, 0.5), "knobs": knobs})
    return units


def ward_params(base: dict, cp: dict, unit: dict, seed: int) -> dict:
    """The params.yaml-shaped parameters of one ward (params.yaml itself for 10549)."""
    if unit["knobs"] is None:
        return base
    p = copy.deepcopy(base)
    kn = unit["knobs"]
    rng = np.random.default_rng([seed, unit["index"], 1])
    jit = cp["jitter"]

    def j(x: float) -> float:
        return 1.0 + float(rng.uniform(-x, x))

    f = unit["population"] / cp["reference_population"]
    fm = f * j(jit["money"])
    p.update(unit_code=unit["unit_code"], unit_name=unit["name_vi"], place_name=unit["place"],
             population=unit["population"])

    # tax: every line grows by the ward's revenue growth; `revenue_items_short` lines miss their estimate
    g = 1 + kn["revenue_growth_pct"] / 100
    items = p["tax"]["items"]
    short = set(rng.choice(len(items), kn["revenue_items_short"], replace=False).tolist())
    for k, it in enumerate(items):
        a24 = max(_r(it["actual"][2024] * fm * j(jit["item"])), 2)
        a25 = _r(a24 * g)
        it["actual"] = {2023: _r(a24 * it["actual"][2023] / it["actual"][2024]), 2024: a24, 2025: a25}
        pl_none = it["estimate"][2025][0] is None
        hi, lo = (1.08, 1.05) if k in short else (0.96, 0.93)
        it["estimate"] = {2024: [None if pl_none else _r(a24 * 0.94), _r(a24 * 0.97)],
                          2025: [None if pl_none else _r(a25 * lo), _r(a25 * hi)]}
    tr = p["tax"]["transfer"]
    tr["actual"] = {y: _r(v * fm) for y, v in tr["actual"].items()}
    tr["estimate"] = {y: [_r(v[0] * fm), _r(v[1] * fm)] for y, v in tr["estimate"].items()}

    # indicators: product value by sector, income, rates, visits
    ind = p["indicators"]
    t = ind["tgtsp"]
    for s, key in (("NLTS", "nlts"), ("CNXD", "cnxd"), ("TMDV", "tmdv")):
        ann = t["annual"][s]
        a24 = _r(ann[2024] * fm * j(0.3))   # sector mix differs from ward to ward
        a25 = _r(a24 * (1 + kn[f"{key}_growth_pct"] / 100))
        t["plan"][s] = {2024: _r(a24 * t["plan"][s][2024] / ann[2024]), 2025: _r(a25 * t["plan"][s][2025] / ann[2025])}
        t["annual"][s] = {2023: _r(a24 * ann[2023] / ann[2024]), 2024: a24, 2025: a25}
    tn = ind["tnbq"]
    dec24 = _r(tn["monthly"][2024][11] * j(jit["income"]), 1)
    dec25 = _r(dec24 * (1 + kn["income_growth_pct"] / 100), 1)
    b24, b25 = tn["monthly"][2024], tn["monthly"][2025]
    tn.update(prior_2023=_r(dec24 * tn["prior_2023"] / b24[11], 1),
              plan={2024: _r(dec24 * tn["plan"][2024] / b24[11], 1), 2025: dec25},
              monthly={2024: [_r(dec24 * x / b24[11], 1) for x in b24],
                       2025: [_r(dec25 * x / b25[11], 1) for x in b25]})
    rates = ind["rates"]
    fh = unit["population"] / 3.603 / 15612   # households: params.yaml's people per household
    for code, pct, early in (("HO_NGHEO", kn["poor_pct"], (1.35, 1.03, 1.03)),
                             ("GDVH", kn["cultural_pct"], (0.984, 0.992, 0.994))):
        r = rates[code]
        ms = {y: [max(_r(x * fh), 1) for x in gen.per_month(r["ms"][y])] for y in (2024, 2025)}
        rate = {2024: [pct * early[0]] * 11 + [pct * early[1]], 2025: [pct * early[2]] * 11 + [pct]}
        prior_ms = max(_r(r["prior"][1] * fh), 1)
        r.update(prior=[_r(prior_ms * r["prior"][0] / r["prior"][1]), prior_ms], ms=ms,
                 ts={y: [_r(a * b / 100) for a, b in zip(ms[y], rate[y], strict=True)] for y in ms})
    groups = max(_r(42 * f), 4)
    rates["TDP_VH"].update(prior=[groups - 1, groups], ms={2024: groups, 2025: groups},
                           ts={2024: groups - 1, 2025: groups - kn["tdp_short"]})
    pop = unit["population"]
    ms24 = _r(pop * 56140 / 56251)
    rates["NUOC_SACH"].update(prior=[_r(pop * 55600 / 56251), _r(pop * 56020 / 56251)],
                              ms={2024: ms24, 2025: pop},
                              ts={2024: _r(ms24 * (kn["water_pct"] - 0.4) / 100),
                                  2025: _r(pop * kn["water_pct"] / 100)})
    cw = rates["CTR_SH"]
    fw = f * j(jit["waste"])
    ms = {y: [_r(x * fw, 1) for x in cw["ms"][y]] for y in (2024, 2025)}
    collected = [x if kn["waste_pct"] >= 100 else _r(x * kn["waste_pct"] / 100, 1) for x in ms[2025]]
    cw.update(prior=[_r(cw["prior"][1] * fw, 1)] * 2, ms=ms, ts={2024: list(ms[2024]), 2025: collected})
    lk = ind["luot_khach"]
    fv = kn["visits_2025"] / sum(lk["monthly"][2025])
    lk.update(prior_2023=_r(lk["prior_2023"] * fv), note="Điểm du lịch của địa phương",
              monthly={y: [_r(x * fv) for x in lk["monthly"][y]] for y in (2024, 2025)})

    # health: the station (one criterion failing if the knob says so) and the NVQS pre-screening
    h = p["health"]
    h["station"] = {**h["station"], "code": f"TYT{unit['unit_code']}",
                    "name": f"Trạm Y tế {unit['name_vi'][0].lower()}{unit['name_vi'][1:]}"}
    if kn["station_failing"]:
        k = int(rng.integers(len(h["criteria"])))
        name, chuan, tu, _ = h["criteria"][k]
        h["criteria"][k] = [name, chuan, tu, round(chuan * 0.4, 1)]
    for y, nv in h["nvqs"].items():
        plan = max(_r(nv["plan"] * f), 5)
        cap = _r(plan * (kn["prescreen_pct"] if y == 2025 else 100.0) / 100)
        scr = [min(_r(plan * x / nv["plan"]), cap) for x in nv["screened"]]
        ex = [min(_r(x * plan / nv["plan"]), s) for x, s in zip(nv["exempt"], scr, strict=True)]
        ot = [min(_r(x * plan / nv["plan"]), s - e) for x, s, e in zip(nv["other"], scr, ex, strict=True)]
        h["nvqs"][y] = {"plan": plan, "screened": scr, "exempt": ex, "other": ot}

    # education: public schools in proportion to population (cycling params.yaml's), two private ones
    schools = p["education"]["schools"]
    public = [s for s in schools if s["loai"] == "Công lập"]
    prefix = {"Mầm non": ("MN", "Trường Mầm non"), "Tiểu học": ("TH", "Trường Tiểu học"),
              "THCS": ("THCS", "Trường THCS")}
    out, seq = [], {}
    for k in range(max(_r(len(public) * f), 3)):
        tpl = public[k % len(public)]
        short_code, label = prefix[tpl["cap"]]
        seq[short_code] = seq.get(short_code, 0) + 1
        out.append({**tpl, "code": f"{short_code}-{seq[short_code]:02d}",
                    "name": f"{label} {unit['place']} số {seq[short_code]}", "rec": [list(r) for r in tpl["rec"]]})
    if kn["schools_expired"]:
        no, _, level, _, issuer = out[0]["rec"][-1]
        out[0]["rec"] = [[no, dt.date(2020, 5, 20), level, dt.date(2025, 5, 20), issuer]]
    for k, tpl in enumerate(s for s in schools if s["loai"] != "Công lập"):
        out.append({**tpl, "code": f"TT-{k + 1:02d}", "name": f"Trường Mầm non tư thục {unit['place']} {k + 1}"})
    p["education"]["schools"] = out

    # public service: dossiers in proportion to population (x jitter), shares moved by the knobs
    fd = f * j(jit["dossiers"])
    for spec in p["public_service"]["years"].values():
        spec["received"] = [max(_r(x * fd), 1) for x in spec["received"]]
        spec["online_pct"] = [min(max(x + kn["online_pct_delta"], 0), 100) for x in spec["online_pct"]]
        spec["fee_online_pct"] = [min(max(x + kn["fee_online_pct_delta"], 0), 100) for x in spec["fee_online_pct"]]
        spec["rejected"] = [_r(x * fd) for x in spec["rejected"]]
        spec["late"] = [_r(x * fd * kn["late_factor"]) for x in spec["late"]]
    return p


# ------------------------------------------------------------------------------ intended values
def _finished(ps: dict, y: int, m: int) -> tuple[int, int]:
    """(finished, finished on time) in month m of y: received - rejected - carry + last month's carry."""
    c = gen.month_counts(ps, y)[m - 1]
    if m > 1:
        prev = gen.month_counts(ps, y)[m - 2]["carry"]
    else:
        prev = gen.month_counts(ps, y - 1)[11]["carry"] if y - 1 in ps["years"] else 0
    fin = c["received"] - c["rejected"] - c["carry"] + prev
    return fin, fin - c["late"]


def intended_values(p: dict, period: str) -> dict[str, dict]:
    """Numerator, denominator and value of each target of the 2025 plan at the end of ``period``.

    Computed from the parameters with the rounding the workbooks show; money in VND (as stored).
    """
    y, m = _ym(period)
    out: dict[str, dict] = {}

    def put(code, num, den, value=None):
        if value is None:
            value = num / den * 100.0 if den else None
        out[code] = {"numerator": num, "denominator": den, "value": value}

    def growth(code, num, den):
        put(code, num * MILLION, den * MILLION, (num / den - 1) * 100.0)

    tax = p["tax"]
    cur, prev, judged = [], [], []
    for it in tax["items"]:
        prof = tax["profiles"][it["profile"]][:m]
        cur.append(round(sum(gen.share(it["actual"][y], x) for x in prof), 1))
        prev.append(round(sum(gen.share(it["actual"][y - 1], x) for x in prof), 1))
        pl, hd = it["estimate"][y]
        if (hd if hd is not None else pl) is not None:
            judged.append(cur[-1] >= (hd if hd is not None else pl))
    growth("CT01a", round(sum(cur), 1), round(sum(prev), 1))
    put("CT01b", sum(judged), len(judged))

    sectors = {s: [gen.sector_series(p, s, yy) for yy in (y, y - 1)] for s in ("NLTS", "CNXD", "TMDV")}
    tot = [sum(round(sum(sectors[s][k][i] for s in sectors), 1) for i in range(m)) for k in (0, 1)]
    growth("CT02", tot[0], tot[1])
    for code, s in (("CT02a", "NLTS"), ("CT02b", "CNXD"), ("CT02c", "TMDV")):
        growth(code, sum(sectors[s][0][:m]), sum(sectors[s][1][:m]))
    tn = p["indicators"]["tnbq"]["monthly"]
    growth("CT03", tn[y][m - 1], tn[y - 1][11])
    rates = p["indicators"]["rates"]
    for code, ind in (("CT04", "HO_NGHEO"), ("CT05a", "GDVH"), ("CT05b", "TDP_VH"), ("CT10", "NUOC_SACH")):
        put(code, float(gen.per_month(rates[ind]["ts"][y])[m - 1]), float(gen.per_month(rates[ind]["ms"][y])[m - 1]))
    ctr = rates["CTR_SH"]
    put("CT11", float(sum(gen.per_month(ctr["ts"][y])[:m])), float(sum(gen.per_month(ctr["ms"][y])[:m])))

    end = gen.month_end(y, m)
    states = [gen.school_state(s, end)["valid"] for s in p["education"]["schools"] if s["loai"] == "Công lập"]
    put("CT06", sum(states), len(states))
    ok = all(td >= chuan * 0.5 for _, chuan, _, td in p["health"]["criteria"])
    put("CT07", int(ok), 1)

    ps = p["public_service"]
    counts = gen.month_counts(ps, y)[:m]
    fin = [_finished(ps, y, k) for k in range(1, m + 1)]
    put("CT08a", sum(c["online"] for c in counts), sum(c["received"] for c in counts))
    put("CT08b", sum(x[1] for x in fin), sum(x[0] for x in fin))
    put("CT08c", sum(c["fee_online"] for c in counts), sum(c["fee"] for c in counts))
    put("CT09", float(sum(p["indicators"]["luot_khach"]["monthly"][y][:m])), None,
        float(sum(p["indicators"]["luot_khach"]["monthly"][y][:m])))
    put("CT12", None, None, 1.0 if p["indicators"]["antt"]["text"] == "Giữ vững" else 0.0)
    nv = p["health"]["nvqs"][y]
    put("CT13", nv["screened"][m - 1], nv["plan"])
    return out


# ------------------------------------------------------------------------------------- dossiers
class Calendar:
    """Working days (Mon-Fri minus params.yaml's holidays) 2024-01 .. 2026-03 as an indexable array."""

    def __init__(self, holidays: list[dt.date]):
        days = np.arange(np.datetime64("2023-12-01"), np.datetime64("2026-04-01"))
        hol = np.array(sorted(holidays), dtype="datetime64[D]")
        self.days = days[np.is_busday(days, holidays=hol)]

    def month(self, y: int, m: int) -> tuple[int, int]:
        """[lo, hi) indices of the month's working days."""
        first = np.datetime64(f"{y}-{m:02d}-01")
        nxt = np.datetime64(f"{y + (m == 12)}-{m % 12 + 1:02d}-01")
        return int(np.searchsorted(self.days, first)), int(np.searchsorted(self.days, nxt))


def _procedures(ps: dict) -> dict:
    procs = ps["procedures"]
    return {"code": [x[0] for x in procs], "name": [x[1] for x in procs], "field": [x[2] for x in procs],
            "field_name": [x[3] for x in procs], "level": np.array([x[4] for x in procs]),
            "days": np.array([x[5] for x in procs]), "fee": np.array([x[6] for x in procs]),
            "fee_name": [x[7] for x in procs], "weight": np.array([x[8] for x in procs], dtype=float),
            "zero_entry": np.array([len(x) > 9 and x[9] == "zero_fee_entry" for x in procs])}


def month_dossiers(p: dict, y: int, m: int, rng: np.random.Generator, cal: Calendar, procs: dict,
                   as_of: np.datetime64, counts: dict | None = None) -> dict[str, np.ndarray]:
    """The dossiers received in month m of y, vectorised, with the exact counts of params.yaml's rules.

    Same meaning as samples/generate.py's ``generate_dossiers`` (online, fee, fee paid online, rejected,
    carried into next month, late are exact counts; the rest drawn from ``rng``). Returns columns.
    """
    c = counts or gen.month_counts(p["public_service"], y)[m - 1]
    n = c["received"]
    online = np.zeros(n, bool)
    online[rng.permutation(n)[: c["online"]]] = True
    fee_idx = rng.permutation(n)[: c["fee"]]
    fee = np.zeros(n, bool)
    fee[fee_idx] = True
    # paying online goes with filing online first, as in the one-ward generator
    order = np.lexsort((rng.random(len(fee_idx)), ~online[fee_idx]))
    paid = np.zeros(n, bool)
    paid[fee_idx[order[: c["fee_online"]]]] = True
    perm = rng.permutation(n)
    kind = np.zeros(n, np.int8)   # 0 same-month, 1 rejected, 2 carried over, 3 late
    r, k = c["rejected"], c["carry"]
    kind[perm[:r]] = 1
    kind[perm[r:r + k]] = 2
    kind[perm[r + k:r + k + c["late"]]] = 3

    proc = np.zeros(n, np.int64)
    for has_fee in (False, True):
        pool_all = np.flatnonzero((procs["fee"] > 0) == has_fee)
        for cls, pool in ((2, pool_all[procs["days"][pool_all] >= 5]), (3, pool_all[procs["days"][pool_all] <= 5]),
                          (None, pool_all)):
            sel = np.flatnonzero((fee == has_fee) & ((kind == cls) if cls else (kind <= 1)))
            if len(sel):
                w = procs["weight"][pool]
                proc[sel] = rng.choice(pool, size=len(sel), p=w / w.sum())

    lo, hi = cal.month(y, m)
    wd = cal.days
    day_i = rng.integers(lo, hi, n)
    day_i = np.where(kind == 2, rng.integers(hi - 4, hi, n), day_i)
    day_i = np.where(kind == 3, rng.integers(lo, lo + 8, n), day_i)
    sec = np.timedelta64(1, "s")

    def at(idx, lo_min=450, hi_min=1020):
        return (wd[idx].astype("datetime64[s]") + rng.integers(lo_min * 60, hi_min * 60 + 60, len(idx)) * sec)

    received = at(day_i, 450, 990)
    due_i = day_i + procs["days"][proc]
    due = wd[due_i].astype("datetime64[s]") + np.timedelta64(17, "h")
    nat = np.datetime64("NaT", "s")
    end = np.full(n, nat)
    end_i = np.full(n, -1)
    # same month: a working day from receipt to the due date (at the latest the month's last)
    last = np.minimum(due_i, hi - 1)
    e_i = (day_i + np.floor(rng.random(n) * (last - day_i + 1))).astype(np.int64)
    same_day = received + rng.integers(20, 181, n) * 60 * sec
    e_ts = np.where(e_i == day_i, same_day, at(e_i))
    norm = kind == 0
    end[norm], end_i[norm] = e_ts[norm], e_i[norm]
    late = kind == 3
    l_i = due_i + rng.integers(1, 3, n)
    end[late], end_i[late] = at(l_i)[late], l_i[late]
    carry = kind == 2
    nlo, nhi = cal.month(y + (m == 12), m % 12 + 1)
    if wd[nlo] <= as_of.astype("datetime64[D]"):
        c_hi = np.where(due_i >= nlo, np.minimum(due_i, nhi - 1), nlo)
        c_i = (nlo + np.floor(rng.random(n) * (c_hi - nlo + 1))).astype(np.int64)
        end[carry], end_i[carry] = at(c_i)[carry], c_i[carry]
    rej = kind == 1
    t_i = day_i + rng.integers(0, 3, n)
    tu = np.maximum(at(t_i), received + 15 * 60 * sec)
    tu = np.where(tu > as_of, received + 30 * 60 * sec, tu)
    tu_choi = np.where(rej, tu, nat)
    ended = rej & (rng.random(n) < 0.5)   # returned after review: processing ended with the refusal
    end[ended] = tu[ended]
    status = np.where(rej, np.where(ended, 6, 7), 4)
    h_i = end_i + rng.integers(0, 4, n)
    handed = np.maximum(at(np.maximum(h_i, 0)), end + 5 * 60 * sec)
    done = ~rej & (end_i >= 0)
    handed_ok = done & (handed <= as_of)
    status = np.where(done, np.where(handed_ok, 10, 9), status)
    tra = np.where(handed_ok, handed, nat)

    mult = np.where(np.array(procs["code"])[proc] == "2.000815", rng.integers(1, 5, n), 1)
    gia = np.where(fee, procs["fee"][proc] * mult, np.where(procs["zero_entry"][proc], 0, -1))
    cash = np.array(["tien-mat", "tien-mat", "chuyen-khoan"])[rng.integers(0, 3, n)]
    method = np.where(paid, "truc-tuyen", np.where(fee, cash, ""))
    channel = np.where(online, 2, np.where(rng.random(n) < 0.08, 3, 1))

    order = np.argsort(received, kind="stable")
    cols = {"proc": proc, "channel": channel, "received": received, "due": due, "end": end, "tra": tra,
            "tu_choi": tu_choi, "status": status, "paid": paid, "gia": gia, "method": method}
    return {k: v[order] for k, v in cols.items()}


def _iso(a: np.ndarray) -> list[str | None]:
    s = np.datetime_as_string(a, unit="s")
    return [None if x == "NaT" else x.replace("T", " ") for x in s.tolist()]


def dossier_rows(unit: str, cols: dict[str, np.ndarray], procs: dict) -> list[tuple]:
    """Store rows (the ``dossiers`` table's columns) of one unit-month; MaHoSo numbered per day."""
    rec = _iso(cols["received"])
    days = [s[:10] for s in rec]
    seq, count = [], {}
    for d in days:
        count[d] = count.get(d, 0) + 1
        seq.append(f"000.00.{unit}-{d[2:4]}{d[5:7]}{d[8:10]}-{count[d]:04d}")
    code = np.array(procs["code"])[cols["proc"]].tolist()
    gia = [None if g < 0 else g for g in cols["gia"].tolist()]
    method = [m or None for m in cols["method"].tolist()]
    return list(zip([unit] * len(rec), seq, code, cols["channel"].tolist(), rec, _iso(cols["due"]),
                    _iso(cols["end"]), _iso(cols["tra"]), _iso(cols["tu_choi"]), cols["status"].tolist(),
                    [int(x) for x in cols["paid"].tolist()], gia, method, strict=True))


def _iso_text(ts: str | None) -> str | None:
    """dd/MM/yyyy HH:mm:ss -> YYYY-MM-DD HH:MM:SS."""
    return f"{ts[6:10]}-{ts[3:5]}-{ts[0:2]} {ts[11:19]}" if ts else None


def rows_from_records(unit: str, records: list[dict]) -> list[tuple]:
    """Store rows of dossiers in the API's shape (samples/generate.py's ``generate_dossiers``)."""
    out = []
    for d in records:
        fees = d["DanhSachLePhi"]
        if len(fees) > 1:
            raise ValueError(f"dossier {d['MaHoSo']}: {len(fees)} fee lines, the store keeps at most one")
        out.append((unit, d["MaHoSo"], d["MaTTHC"], d["KenhThucHien"], _iso_text(d["NgayTiepNhan"]),
                    _iso_text(d["NgayHenTra"]), _iso_text(d["NgayKetThucXuLy"]), _iso_text(d["NgayTra"]),
                    _iso_text(d["NgayTuChoi"]), d["TrangThaiHoSo"], int(bool(d["DuocThanhToanTrucTuyen"])),
                    fees[0]["Gia"] if fees else None, fees[0]["HinhThucThu"] if fees else None))
    return out


def _previous(period: str) -> str:
    y, m = _ym(period)
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def unit_dossier_rows(p: dict, unit: dict, periods: list[str], seed: int, cal: Calendar, procs: dict,
                      as_of: np.datetime64) -> list[tuple]:
    """A unit's store rows: received in ``periods``, plus the month before's that finish in the first."""
    wanted, before = set(periods), _previous(periods[0])
    if unit["knobs"] is None:   # the real ward: exactly samples/generate.py's dossiers (same seed)
        recs = gen.generate_dossiers(p, seed)
        rows = rows_from_records(unit["unit_code"], recs)
        keep = []
        for r in rows:
            got = r[4][:7]
            if got in wanted or (got == before and r[6] is not None and r[6][:7] == periods[0]):
                keep.append(r)
        return keep
    rows = []
    for period in ([before] if before >= FIRST_PERIOD else []) + periods:
        y, m = _ym(period)
        cols = month_dossiers(p, y, m, np.random.default_rng([seed, unit["index"], y, m]), cal, procs, as_of)
        if period == before:
            fin = np.datetime_as_string(cols["end"], unit="M")
            cols = {k: v[fin == periods[0]] for k, v in cols.items()}
        rows += dossier_rows(unit["unit_code"], cols, procs)
    return rows


def _open_store(path: Path, base: dict, units: list[dict]) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + STORE_SCHEMA)
    procs = base["public_service"]["procedures"]
    con.executemany("INSERT INTO procedures VALUES (?, ?, ?, ?, ?, ?)", [tuple(x[:5]) + (x[7],) for x in procs])
    con.executemany("INSERT INTO units VALUES (?, ?, ?, ?)",
                    [(u["unit_code"], u["name_vi"], gen.unit_names({"unit_name": u["name_vi"]})[2], u["population"])
                     for u in units])
    return con


# -------------------------------------------------------------------------------- workbooks, plans
def _write_workbooks(job: tuple) -> int:
    """One ward's workbooks for the periods (run in a worker process when ``workers`` > 1)."""
    params, out_dir, periods, sources = job
    n = 0
    for source in sources:
        if source not in gen.WORKBOOKS:
            continue
        stem, writer = gen.WORKBOOKS[source]
        for period in periods:
            y, m = _ym(period)
            writer(params, y, m, out_dir / "inbox" / params["unit_code"] / source / period / f"{stem}-{period}.xlsx")
            n += 1
    return n


def _plan_text(template: str, unit: dict) -> str:
    """The 10549 plan with the ward's code, name and units line."""
    if unit["knobs"] is None:
        return template
    code, name = unit["unit_code"], unit["name_vi"]
    lower = f"{name[0].lower()}{name[1:]}"
    text = template.replace("KH-TD-2025-10549", f"KH-TD-2025-{code}")
    text = text.replace('unit_code: "10549"', f'unit_code: "{code}"')
    text = text.replace("phường Chu Văn An", lower).replace("Phường Chu Văn An", name)
    old = next(line for line in text.splitlines() if line.lstrip().startswith(f'- {{unit_code: "{code}"'))
    new = (f'  - {{unit_code: "{code}", name_vi: "{name}", level: ward, parent_code: "{unit["parent_code"]}", '
           f'valid_from: 2025-07-01, population: {unit["population"]}, area_km2: {unit["area_km2"]}}}')
    return text.replace(old, new)


def _write_catalogue(out_dir: Path, units: list[dict], city_code: str, city_name: str) -> int:
    cat = out_dir / "catalogue"
    cat.mkdir(parents=True, exist_ok=True)
    template = TEMPLATE_PLAN.read_text(encoding="utf-8")
    if city_code != "31":
        template = template.replace('{unit_code: "31", name_vi: "Thành phố Hải Phòng"',
                                    f'{{unit_code: "{city_code}", name_vi: "{city_name}"')
        template = template.replace('parent_code: "31"', f'parent_code: "{city_code}"')
    for u in units:
        (cat / f"ke-hoach-{PLAN_YEAR}-{u['unit_code']}.yaml").write_text(_plan_text(template, u), encoding="utf-8")
    doc = {"units": [{"unit_code": city_code, "name_vi": city_name, "level": "city", "parent_code": None,
                      "valid_from": dt.date(2025, 7, 1), "population": sum(u["population"] for u in units),
                      "area_km2": round(sum(u["area_km2"] for u in units), 2)}]
           + [{"unit_code": u["unit_code"], "name_vi": u["name_vi"], "level": "ward", "parent_code": city_code,
               "valid_from": dt.date(2025, 7, 1), "population": u["population"], "area_km2": u["area_km2"]}
              for u in units]}
    header = ("# Units of the synthetic city written by samples/city.py. 10549 is real (GSO); every other\n"
              "# code is synthetic (90001.. / 900001..) and every such name ends in (mô phỏng).\n")
    (cat / "units.yaml").write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                    encoding="utf-8")
    return len(units) + 1


# ------------------------------------------------------------------------------------------ main
def generate_city(out_dir: Path, n_units: int = 114, seed: int = 2025, periods: list[str] | None = None,
                  city_code: str = "31", sources: tuple[str, ...] = SOURCES, workers: int = 1) -> dict:
    """Write the synthetic city (or nation, ``n_units`` > 114) under ``out_dir``; return the manifest.

    Args:
        out_dir: output directory (inbox/, public_service/dossiers.sqlite, catalogue/, manifest.json).
        n_units: number of units, 10549 first.
        seed: drives every ward's parameters and dossier detail.
        periods: months to write (YYYY-MM, within 2024-01 .. 2025-12); default all 24.
        city_code: the parent unit's code.
        sources: which sources to write (``public_service`` = the SQLite dossier store).
        workers: processes writing workbooks (the dossier store is written meanwhile by this process).
    """
    out_dir = Path(out_dir)
    if n_units < 1:
        raise ValueError(f"n_units {n_units}: expected at least 1 (10549 is the first unit)")
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise ValueError(f"sources: unknown {', '.join(unknown)}; expected some of {', '.join(SOURCES)}")
    periods = sorted(periods or month_range(FIRST_PERIOD, LAST_PERIOD))
    for p in periods:
        month_range(p, p)
    base, cp = gen.load_params(), load_city_params()
    units = make_units(n_units, seed, cp, base)
    nation = n_units > cp["city_units"]
    city_name = "Thành phố Hải Phòng" if city_code == "31" and not nation else f"Đơn vị cấp trên {city_code} (mô phỏng)"
    for u in units:
        u["parent_code"] = city_code
    params = [ward_params(base, cp, u, seed) for u in units]
    files = _write_catalogue(out_dir, units, city_code, city_name)

    jobs = [(p, out_dir, periods, tuple(sources)) for p in params]
    pool = ProcessPoolExecutor(workers) if workers > 1 and set(sources) & set(gen.WORKBOOKS) else None
    pending = pool.map(_write_workbooks, jobs, chunksize=max(1, len(jobs) // (workers * 8))) if pool else None
    n_dossiers = 0
    try:
        if "public_service" in sources:
            ps = base["public_service"]
            cal = Calendar(ps.get("holidays", []))
            procs = _procedures(ps)
            as_of = np.datetime64(dt.datetime.strptime(ps["as_of"], gen.TS_FORMAT), "s")
            store = out_dir / "public_service" / "dossiers.sqlite"
            tmp = store.with_suffix(".sqlite.part")
            con = _open_store(tmp, base, units)
            with con:
                for p, u in zip(params, units, strict=True):
                    rows = unit_dossier_rows(p, u, periods, seed, cal, procs, as_of)
                    con.executemany("INSERT INTO dossiers VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                    n_dossiers += len(rows)
            con.executescript(STORE_INDEXES + "ANALYZE;")
            con.close()
            os.replace(tmp, store)
            files += 1
        files += sum(pending) if pool else sum(_write_workbooks(job) for job in jobs)
    finally:
        if pool:
            pool.shutdown()

    last = periods[-1]
    manifest = {
        "seed": seed, "n_units": n_units, "city_code": city_code, "periods": periods, "sources": list(sources),
        "population": sum(u["population"] for u in units),
        "units": [{"unit_code": u["unit_code"], "name_vi": u["name_vi"], "population": u["population"],
                   "area_km2": u["area_km2"],
                   "dossiers_per_month": [gen.month_counts(p["public_service"], _ym(x)[0])[_ym(x)[1] - 1]["received"]
                                          for x in periods],
                   "knobs": u["knobs"]} for u, p in zip(units, params, strict=True)],
        "files": files, "dossiers": n_dossiers,
        "intended_period": last if last.startswith(str(PLAN_YEAR)) else None,
        "intended": ({u["unit_code"]: intended_values(p, last) for u, p in zip(units, params, strict=True)}
                     if last.startswith(str(PLAN_YEAR)) else {}),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def write_dossier_export(out_dir: Path, n: int, seed: int = 2025, period: str = LAST_PERIOD,
                         unit: str = REAL_UNIT) -> Path:
    """One CSV export (UTF-8 BOM, samples/generate.py's columns) of ``n`` dossiers received in ``period``.

    For ingest benchmarks: ``inbox/<unit>/public_service/<period>/ho-so-<period>.csv``, the counts of
    params.yaml's month scaled to ``n`` dossiers.
    """
    base = gen.load_params()
    ps = base["public_service"]
    y, m = _ym(month_range(period, period)[0])
    c = gen.month_counts(ps, y)[m - 1]
    scale = n / c["received"]
    counts = {k: (n if k == "received" else _r(v * scale)) for k, v in c.items()}
    cal, procs = Calendar(ps.get("holidays", [])), _procedures(ps)
    as_of = np.datetime64(dt.datetime.strptime(ps["as_of"], gen.TS_FORMAT), "s")
    cols = month_dossiers(base, y, m, np.random.default_rng([seed, 0, y, m]), cal, procs, as_of, counts)
    rows = dossier_rows(unit, cols, procs)
    path = Path(out_dir) / "inbox" / unit / "public_service" / period / f"ho-so-{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)

    def ts(s: str | None) -> str:
        return f"{s[8:10]}/{s[5:7]}/{s[0:4]} {s[11:19]}" if s else ""

    names = dict(zip(procs["code"], zip(procs["name"], procs["field"], procs["field_name"], procs["level"].tolist(),
                                        strict=True), strict=True))
    don_vi = gen.unit_names(base)[2]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(gen.CSV_FIELDS)
        for _u, code, tthc, kenh, rec, due, end, tra, tu, status, paid, gia, _m in rows:
            name, field, field_name, level = names[tthc]
            w.writerow([code, tthc, name, field, field_name, level, kenh, ts(rec), ts(due), ts(end), ts(tra), ts(tu),
                        status, don_vi, "true" if paid else "false", gia or 0])
    return path


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m samples.city", description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--units", type=int, default=114, help="number of units, 10549 first (default 114)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--from", dest="start", default=FIRST_PERIOD, help="first month YYYY-MM (default 2024-01)")
    ap.add_argument("--to", dest="end", default=LAST_PERIOD, help="last month YYYY-MM (default 2025-12)")
    ap.add_argument("--city", default="31", help="the parent unit's code (default 31, Hải Phòng)")
    ap.add_argument("--sources", default=",".join(SOURCES), help="comma-separated sources to write")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workbook-writing processes")
    ap.add_argument("--dossiers-only", type=int, metavar="N",
                    help="only write one CSV export of N dossiers received in --to (ingest benchmark)")
    args = ap.parse_args(argv)
    try:
        if args.dossiers_only is not None:
            if args.dossiers_only < 1:
                raise ValueError(f"--dossiers-only {args.dossiers_only}: expected a positive count")
            path = write_dossier_export(args.out, args.dossiers_only, args.seed, args.end)
            print(f"wrote {args.dossiers_only} dossiers to {path}")
            return 0
        sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
        m = generate_city(args.out, args.units, args.seed, month_range(args.start, args.end), args.city, sources,
                          args.workers)
    except ValueError as exc:
        ap.exit(2, f"python -m samples.city: {exc}\n")
    print(f"wrote {m['n_units']} units ({m['population']:,} people), {m['files']} files and "
          f"{m['dossiers']:,} dossiers under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
