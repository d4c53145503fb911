"""The STT outline of a report: which row is whose parent, so parents and children are never added together.

Vietnamese report forms nest rows by their STT marker (source-formats.md §1 "Row outline"): section
letters `A, B, C, D, Đ …` › Roman `I, II, III …` › numbers `1, 2` › dotted `1.1, 1.2` › letters `a, b` ›
dashes `-`, `+`. A total row carries no marker and a label such as `TỔNG THU …`, `Tổng số`, `Tổng cộng`,
`Cộng` (first row in budget forms, last row in statistics tables). A bare `I` may be the section letter
after `H` or the Roman one: it is the letter only right after `H` (and not followed by `II`), else Roman;
likewise `C`, `D`, `V`, `X`, `L`, `M` are letters right after their alphabet predecessor and Roman right
after their Roman predecessor.

`outline_rows(markers, labels)` gives each row a path code (`I`, `I.1`, `I.1.a`, `I.1.a.-1`, `A.I.1`; the
total `TONG`), its depth (`level`, total 0) and its parent's code. Callers keep the codes as
`member_code`s and sum only siblings, never a row together with its ancestors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from connectors.vn import fold_accents, normalize_text

VIETNAMESE_ALPHABET = ["A", "B", "C", "D", "Đ", "E", "G", "H", "I", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
                       "T", "U", "V", "X", "Y"]
_ROMAN = re.compile(r"^(?=[IVXLCDM])M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)*$")
_LOWER = re.compile(r"^[a-zđ]$")
_DASHES = ("-", "+", "*", "–", "—", "•")
DEFAULT_TOTAL_LABELS = (r"^tong\b", r"^cong\b", r"^tong cong\b", r"^tong so\b")


@dataclass(frozen=True)
class OutlineRow:
    """One row's place in the outline; `kind` is total, letter, roman, number, lower, dash or unmarked."""

    code: str | None
    level: int
    parent: str | None
    kind: str
    marker: str


def _roman_value(text: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for a, b in zip(text, text[1:] + " ", strict=True):
        v = values[a]
        total += -v if b != " " and values[b] > v else v
    return total


def clean_marker(value: object) -> str:
    """An STT cell as a marker: NFC text without a trailing `.` or `)` (`1.` -> `1`, `a)` -> `a`)."""
    text = normalize_text(value)
    if len(text) > 1:
        text = text.rstrip(".)").strip()
    return text


def classify(markers: list[str]) -> list[str]:
    """The kind of every marker (see `OutlineRow.kind`), resolving letter/Roman by its neighbours."""
    kinds: list[str] = []
    last_letter: str | None = None
    last_roman = 0
    for i, m in enumerate(markers):
        if not m:
            kinds.append("unmarked")
        elif _NUMBER.match(m):
            kinds.append("number")
        elif _LOWER.match(m):
            kinds.append("lower")
        elif m in _DASHES:
            kinds.append("dash")
        elif m in VIETNAMESE_ALPHABET and len(m) == 1 and not _ROMAN.match(m):
            kinds.append("letter")
        elif _ROMAN.match(m) and len(m) > 1:
            kinds.append("roman")
        elif _ROMAN.match(m):  # I V X L C D M: letter or Roman?
            pos = VIETNAMESE_ALPHABET.index(m)
            after_letter = last_letter is not None and pos > 0 and VIETNAMESE_ALPHABET[pos - 1] == last_letter
            after_roman = last_roman and _roman_value(m) == last_roman + 1
            followed_by_next_roman = m == "I" and any(x == "II" for x in markers[i + 1:])
            if after_roman or (m == "I" and (not after_letter or followed_by_next_roman)):
                kinds.append("roman")
            elif after_letter or m != "I":
                kinds.append("letter")
            else:
                kinds.append("roman")
        else:
            kinds.append("other")
        if kinds[-1] == "letter":
            last_letter, last_roman = m, 0
        elif kinds[-1] == "roman":
            last_roman = _roman_value(m)
    return kinds


def _rank(kind: str, marker: str) -> tuple[int, int]:
    if kind == "letter":
        return (1, 0)
    if kind == "roman":
        return (2, 0)
    if kind == "number":
        return (3, marker.count("."))
    if kind == "lower":
        return (4, 0)
    return (5, 0)  # dash


def is_total_label(label: object, total_labels: tuple[str, ...] = DEFAULT_TOTAL_LABELS) -> bool:
    """True when a label (accent-folded) is a total row's (`TỔNG THU NSNN …`, `Tổng số`, `Cộng`)."""
    folded = fold_accents(label or "") if isinstance(label, str) or label is None else ""
    return bool(folded) and any(re.search(p, folded) for p in total_labels)


def outline_rows(markers: list[object], labels: list[object],
                 total_labels: tuple[str, ...] = DEFAULT_TOTAL_LABELS) -> list[OutlineRow]:
    """Each row's code, level and parent from its STT marker (and, for unmarked rows, its label).

    An unmarked row whose label matches `total_labels` (regular expressions over the accent-folded label)
    is the total (`TONG`, level 0, no parent); other unmarked rows get kind `unmarked` and no code (the
    caller decides whether that is an error). Markers that fit no pattern get kind `other`.
    """
    cleaned = [clean_marker(m) for m in markers]
    kinds = classify(cleaned)
    patterns = [re.compile(p) for p in total_labels]
    rows: list[OutlineRow] = []
    stack: list[tuple[tuple[int, int], str, int]] = []  # (rank, code, level)
    dash_count: dict[str | None, int] = {}
    for marker, kind, label in zip(cleaned, kinds, labels, strict=True):
        if kind == "unmarked":
            folded = fold_accents(label or "")
            if folded and any(p.search(folded) for p in patterns):
                rows.append(OutlineRow("TONG", 0, None, "total", marker))
            else:
                rows.append(OutlineRow(None, 0, None, "unmarked", marker))
            continue
        if kind == "other":
            rows.append(OutlineRow(None, 0, None, "other", marker))
            continue
        rank = _rank(kind, marker)
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent_code, parent_level = (stack[-1][1], stack[-1][2]) if stack else (None, 0)
        if kind == "number" and "." in marker:
            # 1.1 hangs under 1 when 1 is on the stack; its code keeps the full marker (I.1.1, not I.1.1.1)
            head = marker.rsplit(".", 1)[0]
            owner = next((s for s in reversed(stack)
                          if s[0][0] == 3 and (s[1] == head or s[1].endswith("." + head))), None)
            if owner is not None:
                base = owner[1][: len(owner[1]) - len(head)].rstrip(".")
                code = f"{base}.{marker}" if base else marker
                rows.append(OutlineRow(code, owner[2] + 1, owner[1], kind, marker))
                stack.append((rank, code, owner[2] + 1))
                continue
        if kind == "dash":
            dash_count[parent_code] = dash_count.get(parent_code, 0) + 1
            piece = f"-{dash_count[parent_code]}"
        else:
            piece = marker
        code = f"{parent_code}.{piece}" if parent_code else piece
        rows.append(OutlineRow(code, parent_level + 1, parent_code, kind, marker))
        stack.append((rank, code, parent_level + 1))
    return rows


__all__ = ["DEFAULT_TOTAL_LABELS", "OutlineRow", "classify", "clean_marker", "is_total_label", "outline_rows"]
