"""The grammar of a plan's target sentences (../shared/reference/targets.md): what is compared, and how.

``type_clause`` reads ONE target sentence (a clause: plans/parse.py splits an item into clauses) and
returns a ``Typed``: the comparison and bound(s) of the catalogue (warehouse/catalogue.py) and the kind of
figure (growth, rate, count, assessment), or a ``problem`` saying why the sentence is outside the grammar.
It never guesses: a sentence with two figures, a decrease, "tăng lên", "không quá", a monthly target, a
year other than the plan's, comes back with a problem and is written ``status: needs_review``.

The grammar (numbers in Vietnamese notation or words, plans/numbers.py):

    band            "tăng từ 8% - 10%", "tăng 12-15%/năm", "đạt từ 60% đến 70%"      bound_low, bound_high
    at_least        "tăng 4,5%", "đạt 60%", "đạt tối thiểu 60%", "60% trở lên"       bound_low
    strictly_above  "trên 90%", "đạt trên 90%", "hơn 90%", "vượt 90%"                bound_low
    strictly_below  "dưới 1%", "giảm xuống dưới 1%"                                    bound_high
    all             "100% các trường …", "đạt 100%", "hoàn thành 100% …" (not a growth)
    count           "100.000 lượt khách", "đón trên 5 nghìn lượt"  (at_least / strictly_above / _below)
    assessment      "giữ vững an ninh chính trị …" (no figure)                         qualitative
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plans.numbers import NUMBER, nfc, parse_number, words_to_digits

_P = rf"(?P<v>{NUMBER})\s*%"
_DASH = r"\s*(?:-|–|—|đến|tới|~)\s*"
BAND = re.compile(rf"(?:từ\s*)?(?P<low>{NUMBER})\s*%?{_DASH}(?P<high>{NUMBER})\s*%")
ABOVE = re.compile(r"(?:đạt\s+)?(?:trên|hơn|vượt|vượt trên|cao hơn|lớn hơn)\s*" + _P)
BELOW = re.compile(r"(?:giảm\s+(?:xuống\s+|còn\s+)?)?(?:dưới|thấp hơn|nhỏ hơn)\s*" + _P)
AT_LEAST = re.compile(r"(?:(?:đạt|là|tối thiểu|ít nhất|đạt tối thiểu|đạt ít nhất)\s+)?" + _P
                      + r"(?P<more>\s*trở lên)?")
ASSESSMENT = re.compile(r"(?:^|\s)(?:tiếp tục\s+)?(?:giữ vững|giữ ổn định|bảo đảm|đảm bảo)\b")
# what the grammar does not cover: it says so rather than guess
OUTSIDE = [
    (re.compile(r"\bkhông\s+(?:vượt\s+)?quá\b"), "'không quá' (at most) is not a comparison of the catalogue"),
    (re.compile(r"\bkhông\s+(?:thấp|cao|nhỏ|lớn|ít)\s+hơn\b|\bkhông\s+dưới\b|\bkhông\s+trên\b"),
     "a negated comparison ('không thấp hơn' …) is not in the grammar"),
    (re.compile(r"\btăng\s+(?:lên|thêm)\b"), "'tăng lên/thêm' does not say whether it is a growth or a level"),
    (re.compile(r"\bgiảm\b(?!\s+(?:xuống\s+|còn\s+)?dưới)"), "a decrease is not in the grammar"),
    (re.compile(r"(?:/|\bmỗi\s+|\bhằng\s+|\bhàng\s+)(?:tháng|quý)\b"), "a monthly or quarterly target"),
    (re.compile(r"\bbình quân\s+(?:mỗi\s+)?(?:giai đoạn|nhiệm kỳ)\b"), "an average over several years"),
]
_YEAR = re.compile(r"\b(?:năm|giai đoạn|nhiệm kỳ)\s+(?P<y1>(?:19|20)\d{2})(?:\s*[-–]\s*(?P<y2>(?:19|20)\d{2}))?|"
                   r"\(\s*(?P<y3>(?:19|20)\d{2})\s*[-–]\s*(?P<y4>(?:19|20)\d{2})\s*\)")
_PER_YEAR = re.compile(r"\s*/\s*năm\b|\s*(?:mỗi|hằng|hàng)\s+năm\b|\s*trong\s+năm\b")
_NUMBER_RE = re.compile(NUMBER)


@dataclass
class Typed:
    """What the grammar understood of one sentence.

    ``figure``: growth | rate | count | assessment (None when not understood); ``comparison``/``bound_*``
    as in the catalogue; ``unit`` the display unit (``%``, ``lượt`` …); ``problem`` why it is not typed.
    """

    text: str
    figure: str | None = None
    comparison: str | None = None
    bound_low: float | None = None
    bound_high: float | None = None
    unit: str = ""
    years: list[int] = field(default_factory=list)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


# "so với (cùng kỳ) năm 2025": the year a growth is measured against, not the year of the target
_BASELINE = re.compile(r"\bso với\s+(?:cùng kỳ\s+)?(?:năm\s+)?(?P<y>(?:19|20)\d{2})\b")


def _strip_years(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text without its year mentions, and those mentions as (first, last) year ranges."""
    years: list[tuple[int, int]] = []

    def repl(m: re.Match) -> str:
        found = [int(v) for v in m.groupdict().values() if v]
        years.append((min(found), max(found)))
        return " "

    text = _YEAR.sub(repl, text)
    return _PER_YEAR.sub(" ", text), years


def normalise(text: str) -> str:
    """Lower-case NFC text with number words as digits and single spaces (what the grammar reads)."""
    return re.sub(r"\s+", " ", words_to_digits(nfc(text))).strip().lower()


def type_clause(text: str, *, plan_year: int | None = None, count_units: dict[str, str] | None = None) -> Typed:
    """Type one target sentence.

    Args:
        text: the sentence as written (a clause of a numbered target, or a part after "Trong đó:").
        plan_year: the plan's year; a sentence naming another year (other than the next one: a call-up
            "giao quân năm 2026" of a 2025 plan) is not typed.
        count_units: spelling -> display unit of the count units (plans/vocabulary.yaml ``count_units``).

    Returns:
        The Typed sentence; ``problem`` is set when the sentence is outside the grammar.
    """
    out = Typed(text=text)
    low_text = normalise(text).rstrip(" .;,:")
    for pattern, why in OUTSIDE:
        if pattern.search(low_text):
            out.problem = why
            return out
    baselines = [int(m["y"]) for m in _BASELINE.finditer(low_text)]
    body, ranges = _strip_years(_BASELINE.sub(" ", low_text))
    out.years = sorted({y for first, last in ranges for y in (first, last)} | set(baselines))
    body = re.sub(r"\s+", " ", body).strip()
    if plan_year is not None:
        # a year of the plan or the next (a call-up "giao quân năm 2026" of a 2025 plan), a period holding
        # the plan's year ("giai đoạn 2026-2030"), an earlier year compared against
        other = [first for first, last in ranges
                 if not (first <= plan_year <= last or (first == last and first == plan_year + 1))]
        other += [y for y in baselines if y > plan_year]
        if other:
            out.problem = f"the sentence names year {other[0]}, the plan is for {plan_year}"
            return out
    numbers = list(_NUMBER_RE.finditer(body))
    if not numbers:
        if ASSESSMENT.search(body):
            out.figure, out.comparison = "assessment", "qualitative"
        else:
            out.problem = "no figure and no 'giữ vững …': not a target the grammar knows"
        return out
    if "%" in body:
        return _type_percent(out, body, numbers)
    return _type_count(out, body, numbers, count_units or {})


def _covers(match: re.Match, numbers: list[re.Match]) -> bool:
    """True when the expression holds every figure of the sentence (a second figure: not typed)."""
    return all(match.start() <= n.start() and n.end() <= match.end() for n in numbers)


def _type_percent(out: Typed, body: str, numbers: list[re.Match]) -> Typed:
    out.unit = "%"
    for kind, pattern in (("band", BAND), ("strictly_below", BELOW), ("strictly_above", ABOVE),
                          ("at_least", AT_LEAST)):
        match = pattern.search(body)
        if match is None:
            continue
        if not _covers(match, numbers):
            out.problem = "more than one figure in the sentence"
            return out
        growth = bool(re.search(r"\btăng\b", body[:match.start()] + " ")) or "tăng trưởng" in body
        out.figure = "growth" if growth else "rate"
        if kind == "band":
            low, high = parse_number(match["low"]), parse_number(match["high"])
            if not low < high:
                out.problem = f"a band whose lower bound {low:g} is not below its upper bound {high:g}"
                return out
            out.comparison, out.bound_low, out.bound_high = "band", low, high
        else:
            value = parse_number(match["v"])
            if kind == "strictly_below":
                out.comparison, out.bound_high = kind, value
            elif kind == "at_least" and value == 100 and not growth and not match["more"]:
                out.comparison = "all"
            else:
                out.comparison, out.bound_low = kind, value
        bounds = [v for v in (out.bound_low, out.bound_high) if v is not None]
        if out.figure == "rate" and bounds and max(bounds) > 100:
            out.problem = "a rate above 100%"
            out.comparison = out.bound_low = out.bound_high = None
        return out
    out.problem = "a percentage the grammar cannot read"
    return out


def _type_count(out: Typed, body: str, numbers: list[re.Match], count_units: dict[str, str]) -> Typed:
    if not count_units:
        out.problem = "a figure without % and no count unit known"
        return out
    units = "|".join(re.escape(u) for u in sorted(count_units, key=len, reverse=True))
    pattern = re.compile(rf"(?:(?P<op>trên|hơn|dưới|ít nhất|tối thiểu|đạt|thu hút|đón)\s+)?"
                         rf"(?P<v>{NUMBER})\s+(?P<unit>{units})\b")
    match = pattern.search(body)
    if match is None:
        out.problem = "a figure without % and without a known count unit (lượt, người, hộ …)"
        return out
    if not _covers(match, numbers):
        out.problem = "more than one figure in the sentence"
        return out
    value = parse_number(match["v"])
    out.figure, out.unit = "count", count_units[match["unit"]]
    if match["op"] in ("trên", "hơn"):
        out.comparison, out.bound_low = "strictly_above", value
    elif match["op"] == "dưới":
        out.comparison, out.bound_high = "strictly_below", value
    else:
        out.comparison, out.bound_low = "at_least", value
    if re.search(r"\btăng\b", body[:match.start()] + " "):
        out.problem = "a growth written as a count"
        out.comparison = out.bound_low = out.bound_high = None
    return out
