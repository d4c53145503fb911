"""Expected figures computed straight from samples/params.yaml, with this file's own arithmetic.

Nothing here imports `connectors` or `samples`: the rounding rules are the ones params.yaml documents
(Decimal, ROUND_HALF_UP; money to one decimal in million VND; counts to integers).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

PARAMS_PATH = Path(__file__).resolve().parents[3] / "samples" / "params.yaml"


def params() -> dict:
    with PARAMS_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def half_up(x: Decimal, places: int = 0) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def month_share(annual, pct) -> Decimal:
    """One month's money figure (million VND, one decimal)."""
    return half_up(Decimal(str(annual)) * Decimal(str(pct)) / 100, 1)


def tax_item(item: dict, profiles: dict, year: int, month: int) -> dict[str, Decimal]:
    """Month, year to date and same period last year (million VND) of one revenue line."""
    profile = profiles[item["profile"]]
    cur = [month_share(item["actual"][year], p) for p in profile]
    prev = [month_share(item["actual"][year - 1], p) for p in profile]
    return {"month": cur[month - 1], "ytd": sum(cur[:month], Decimal(0)), "prior": sum(prev[:month], Decimal(0))}


def count(x: Decimal) -> int:
    return int(half_up(x))


def dossier_month(year: int, month: int) -> dict[str, int]:
    """The public-service month counts the generator was asked for (params.yaml public_service block)."""
    ps = params()["public_service"]
    spec = ps["years"][year]
    i = month - 1

    def carry(y, k):
        if k < 0:
            if y - 1 not in ps["years"]:
                return 0
            y, k = y - 1, 11
        return count(Decimal(ps["years"][y]["received"][k]) * Decimal(str(ps["carry_pct"])) / 100)

    received = spec["received"][i]
    fee = count(Decimal(received) * Decimal(str(spec["fee_pct"][i])) / 100)
    finished = received - spec["rejected"][i] - carry(year, i) + carry(year, i - 1)
    return {
        "received": received,
        "online": count(Decimal(received) * Decimal(str(spec["online_pct"][i])) / 100),
        "fee": fee,
        "fee_online": count(Decimal(fee) * Decimal(str(spec["fee_online_pct"][i])) / 100),
        "finished": finished,
        "on_time": finished - spec["late"][i],
    }
