"""A plan document -> a target catalogue (the YAML warehouse/catalogue.py reads) and its review.

Every sentence of the targets section becomes a target: typed by the grammar (plans/grammar.py), mapped
to an indicator by the vocabulary (plans/vocabulary.yaml). A sentence the grammar cannot type, that no
entry maps, or whose figure does not fit its indicator (revenue as an amount, a count for a rate …) is
written ``status: needs_review`` with the reason and what was understood, never as a typed target.

Codes: ``CT<item>`` for an item with one target; ``CT<item>a``, ``b`` … for its sentences and parts when
it has several (item 2 with parts: CT02 for the sentence, CT02a … for the parts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from plans.document import read_paragraphs
from plans.errors import PlanError
from plans.grammar import Typed, type_clause
from plans.parse import Header, find_targets, read_header, split_clauses
from plans.vocabulary import load_vocabulary, match_indicator

NEEDS_REVIEW = "needs_review"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Target:
    """One target as imported: the sentence as written, what was understood, and its catalogue entry."""

    code: str
    plan_item: int
    sentence: str
    typed: Typed
    indicator: str | None = None          # the vocabulary entry's key
    label_vi: str | None = None           # what the indicator measures, in words
    entry: dict = field(default_factory=dict)   # the catalogue target (YAML mapping)
    reason: str | None = None             # why it needs review (None: typed and mapped)

    @property
    def needs_review(self) -> bool:
        return self.reason is not None


@dataclass
class ImportedPlan:
    """The result of an import: the plan block, its targets, and the catalogue document."""

    source_path: Path
    unit_code: str
    year: int
    header: Header
    targets: list[Target]
    vocabulary: dict

    @property
    def plan_code(self) -> str:
        return f"KH-TD-{self.year}-{self.unit_code}"

    def plan_block(self) -> dict:
        h = self.header
        block = {"plan_code": self.plan_code,
                 "title_vi": h.title_vi or f"Kế hoạch thi đua năm {self.year}",
                 "unit_code": self.unit_code, "year": self.year,
                 "issued_by_vi": h.issued_by_vi, "implements_vi": h.implements_vi, "due_date": h.due_date,
                 "document_number_vi": h.number_vi, "document_date": h.date, "document_date_vi": h.date_vi}
        block.update(self.vocabulary.get("plan_settings") or {})
        return {k: v for k, v in block.items() if v is not None}

    def document(self) -> dict:
        """The catalogue as a YAML-ready mapping (warehouse/catalogue.py's format)."""
        return {"version": 1, "plan": self.plan_block(),
                "sources": [dict(s) for s in self.vocabulary.get("sources") or []],
                "targets": [t.entry for t in self.targets]}

    def to_yaml(self) -> str:
        review = sum(t.needs_review for t in self.targets)
        head = (f"# Target catalogue imported from {self.source_path.name} by `thidua plan import`"
                f" ({len(self.targets)} targets, {review} to review).\n"
                "# Check it with `thidua plan check <this file>`; a target marked `status: needs_review` is shown\n"
                "# as untracked until someone gives it a source and a measure (docs: README, 'A new plan').\n"
                "# Units are not part of a plan: load them with `thidua city units` or keep the earlier plan's.\n")
        body = yaml.safe_dump(self.document(), allow_unicode=True, sort_keys=False, width=120,
                              default_flow_style=None)
        return head + body

    @property
    def review_count(self) -> int:
        return sum(t.needs_review for t in self.targets)


def _codes(number: int, count: int, parts: int) -> list[str]:
    base = f"CT{number:02d}"
    if count + parts == 1:
        return [base]
    if count == 1 and parts:
        return [base] + [base + LETTERS[i] for i in range(parts)]
    return [base + LETTERS[i] for i in range(count + parts)]


def _subject(sentence: str) -> str:
    """The words before the figure, for a reason ("tỷ lệ lao động qua đào tạo")."""
    cut = re.split(r"\s+(?:đạt|tăng|giảm|dưới|trên|từ|hơn|là)\b|\s*\d", sentence, maxsplit=1)[0]
    return (cut or sentence).strip().rstrip(",;:").lower()


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _target(code: str, item: int, sentence: str, plan_year: int, vocabulary: dict) -> Target:
    typed = type_clause(sentence, plan_year=plan_year, count_units=vocabulary.get("count_units") or {})
    target = Target(code=code, plan_item=item, sentence=sentence, typed=typed)
    found = match_indicator(sentence, vocabulary)
    if found.entry is not None:
        target.indicator, target.label_vi = found.entry["key"], found.entry.get("label_vi")
    if not typed.ok:
        target.reason = f"outside the grammar: {typed.problem}"
    elif found.entry is None:
        why = found.problem.removeprefix("no source provides this target: ")
        target.reason = (found.problem if why == found.problem
                         else f"no source provides '{_subject(sentence)}'"
                         + ("" if why.startswith("no vocabulary entry") else f": {why}"))
    elif typed.figure != found.entry["figure"]:
        target.reason = (f"'{found.entry['key']}' is measured as {_a(found.entry['figure'])}, "
                         f"the sentence states {_a(typed.figure)}")
    elif typed.comparison not in found.entry["comparisons"]:
        target.reason = (f"comparison '{typed.comparison}' does not fit '{found.entry['key']}' "
                         f"(expected {', '.join(found.entry['comparisons'])})")
    entry: dict = {"code": code, "plan_item": item, "name_vi": sentence}
    if target.reason is None:
        spec = found.entry["target"]
        entry["measure_vi"] = spec.get("measure_vi")
        entry["source"] = spec["source"]
        entry["display_unit"] = spec.get("display_unit", typed.unit)
        entry["comparison"] = typed.comparison
        if typed.bound_low is not None:
            entry["bound_low"] = _plain(typed.bound_low)
        if typed.bound_high is not None:
            entry["bound_high"] = _plain(typed.bound_high)
        if spec.get("accumulates"):
            entry["accumulates"] = True
        entry["measure"] = spec["measure"]
    else:
        entry["status"] = NEEDS_REVIEW
        entry["review_reason"] = target.reason
        understood = {}
        if typed.comparison:
            understood["comparison"] = typed.comparison
        for key in ("bound_low", "bound_high"):
            if getattr(typed, key) is not None:
                understood[key] = _plain(getattr(typed, key))
        if typed.unit:
            understood["display_unit"] = typed.unit
        if target.indicator:
            understood["indicator"] = target.indicator
        if understood:
            entry["understood"] = understood
    target.entry = {k: v for k, v in entry.items() if v is not None}
    return target


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def import_plan(path: str | Path, unit_code: str, year: int | None = None, *,
                vocabulary: dict | None = None) -> ImportedPlan:
    """Read a plan document and type every target of its targets section.

    Args:
        path: the plan (.txt, .docx, or a .pdf with a text layer).
        unit_code: the unit's GSO code (a plan does not state it).
        year: the plan's year; default the year its title names.

    Raises:
        PlanError: unreadable file, no targets section, or no year given nor found.
    """
    path = Path(path)
    vocabulary = vocabulary or load_vocabulary()
    paragraphs = read_paragraphs(path)
    header = read_header(paragraphs)
    if not re.fullmatch(r"\d{1,9}", str(unit_code)):
        raise PlanError(f"unit code {unit_code!r}: expected the GSO code, digits only (e.g. 10549)")
    items = find_targets(paragraphs, [h.lower() for h in vocabulary.get("section_headings") or []], str(path))
    title_year = re.search(r"năm\s+(\d{4})", header.title_vi or "")
    if year is not None and title_year and int(year) != int(title_year.group(1)):
        raise PlanError(f"plan {path}: its title is for {title_year.group(1)}, --year says {year}; give the year "
                        "the plan is for (or leave --year out)")
    year = year or header.year
    if year is None:
        raise PlanError(f"plan {path}: its title names no year: give --year YYYY")
    targets: list[Target] = []
    for item in items:
        main = split_clauses(item.text)
        parts = [c for part in item.parts for c in split_clauses(part)]
        codes = _codes(item.number, len(main), len(parts))
        for code, sentence in zip(codes, main + parts, strict=True):
            targets.append(_target(code, item.number, sentence, year, vocabulary))
    return ImportedPlan(source_path=path, unit_code=str(unit_code), year=int(year), header=header,
                        targets=targets, vocabulary=vocabulary)


def needs_review(catalogue_doc: dict) -> list[dict]:
    """The targets of a catalogue document (as read from YAML) that still need review."""
    return [t for t in catalogue_doc.get("targets") or [] if isinstance(t, dict) and t.get("status") == NEEDS_REVIEW]
