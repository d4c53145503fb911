"""Spreadsheet layouts as data: `connectors/layouts/<source>.yaml`, read into frozen dataclasses.

A layout says, per sheet of a source's workbook, how a person finds the table: which sheet (by name or
by a title it carries), which labels mark the header row, how deep the header may be, whether a ruler row
follows it, where the sheet's unit line is, where the data stop, and how each header label maps to a
canonical column (with its kind: text, number, money, percent, date, bool, cell). A new yearly workbook
should mean editing the YAML, not the code (style.md principle 5).

Headers are compared by meaning (`header_key`): accents, case, punctuation, underscores, CamelCase and
line breaks do not count, and the abbreviations of `layouts/vocabulary.yaml` read as their words; a
grouped header matches on its full path or a tail of it down to its leaf. Patterns are regular
expressions over the whole key (levels separated by a space). Columns may name a value vocabulary
(`values:`, stored as the canonical value), be `group_key`s (filled down over merged rows), and a sheet
lists the columns offices add that are not read (`known:`). A sheet's `versions:` list describes yearly
variants of the form (recognised by a header label only they carry; columns replaced, added or dropped),
so a new year's form is an edit of the YAML; the reader reports the variant it used
(`records.attrs["layout_version"]`). How to add a spelling: `layouts/README.md`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

from connectors.vn import fold_accents, normalize_label, text_key

LAYOUT_DIR = Path(__file__).resolve().parent / "layouts"

KINDS = frozenset({"text", "number", "integer", "money", "percent", "date", "bool", "cell"})



def _as_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@cache
def vocabulary() -> dict:
    """`layouts/vocabulary.yaml`: abbreviations, Roman numerals and value vocabularies every layout shares."""
    with (LAYOUT_DIR / "vocabulary.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    data["abbreviations"] = {text_key(k): text_key(v) for k, v in (data.get("abbreviations") or {}).items()}
    data["roman_numerals"] = {str(k).casefold(): int(v) for k, v in (data.get("roman_numerals") or {}).items()}
    return data


def header_key(text: object) -> str:
    """A header (or row label) as it is compared: `vn.text_key` with the shared abbreviations."""
    return text_key(text, vocabulary()["abbreviations"])


def value_key(text: object) -> str:
    """A cell value as it is looked up in a value vocabulary: abbreviations and Roman numerals read."""
    voc = vocabulary()
    return text_key(text, voc["abbreviations"], voc["roman_numerals"])


def _pattern_key(pattern: str) -> re.Pattern:
    """A whole-label regular expression in key form: accents folded, ` / ` between levels a space,
    abbreviations expanded (the pattern is matched against a header's key, which has no punctuation)."""
    text = fold_accents(pattern)
    text = re.sub(r"\s*/\s*", " ", text)
    for short, words in vocabulary()["abbreviations"].items():
        text = re.sub(rf"(?<![\w\\]){re.escape(short)}(?!\w)", words, text)
    return re.compile(text)


def _levels(label: str, levels: Sequence[str] | None) -> list[str]:
    return [x for x in (levels if levels is not None else [label]) if x]


@cache
def _strength(matcher: LabelMatcher, levels: tuple[str, ...]) -> int:
    parts = [x for x in (header_key(level) for level in levels) if x]
    best = 0
    for k in range(len(parts)):
        flat = " ".join(parts[k:])
        if flat in matcher._keys:
            return 4 if k == 0 else max(best, 2)
        if any(p.fullmatch(flat) for p in matcher._re):
            best = max(best, 3 if k == 0 else 1)
        if best == 3:
            return best
    return best


@dataclass(frozen=True)
class LabelMatcher:
    """Header spellings of one meaning: exact labels and whole-label regex patterns, compared by key.

    A header of several levels (`Dự toán năm / Pháp lệnh`) matches on its full path or on a shorter
    tail of it down to its leaf (`Pháp lệnh`); the full path and exact labels win over tails and patterns.
    """

    labels: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "_keys", frozenset(header_key(x) for x in self.labels))
        object.__setattr__(self, "_re", tuple(_pattern_key(p) for p in self.patterns))

    def match_strength(self, label: str, levels: Sequence[str] | None = None) -> int:
        """4 exact on the full path, 3 pattern on the full path, 2 exact on a tail, 1 pattern on a tail, 0.

        Evidence about the whole header beats evidence about its leaf: `So sánh (%) / Lũy kế/Cùng kỳ` is
        the comparison (a pattern on the path) before it is `Cùng kỳ` (an exact spelling of the leaf).
        """
        return _strength(self, tuple(_levels(label, levels)))

    def describe(self) -> str:
        """The first label (or pattern) a person should look for."""
        if self.labels:
            return self.labels[0]
        return self.patterns[0] if self.patterns else "?"

    def keys(self) -> list[str]:
        """The keys of its labels (for 'the closest header found')."""
        return sorted(self._keys)


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: how its header reads, what kind of value it holds, whether it must exist.

    `values` maps a canonical value to its spellings (from a vocabulary of `vocabulary.yaml` or inline):
    the cell is stored as the canonical value. `group_key`: a cell merged down a group of data rows (a
    station code over its criteria) is filled down over the merged rows.
    """

    name: str
    matcher: LabelMatcher
    kind: str = "text"
    required: bool = True
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    group_key: bool = False
    informative: bool = False  # shown, never computed with (a % comparison, a note): a second one is ignored

    def __post_init__(self):
        lookup = {}
        for canonical, spellings in self.values:
            for spelling in (canonical, *spellings):
                lookup.setdefault(value_key(spelling), canonical)
        object.__setattr__(self, "_lookup", lookup)

    def canonical_value(self, text: object) -> str | None:
        """The canonical value a cell's text spells, or None when the vocabulary does not know it."""
        return self._lookup.get(value_key(text))

    @property
    def canonical_values(self) -> list[str]:
        return [c for c, _ in self.values]


@dataclass(frozen=True)
class ColumnFamily:
    """A repeated group of columns (`Tháng 1` … `Tháng 12`): the pattern's groups fill the name template."""

    pattern: str
    name: str  # e.g. "thang_{1}"
    kind: str = "cell"

    def match(self, label: str, levels: Sequence[str] | None = None) -> str | None:
        """The canonical name for a header of this family (full path or a tail of it), or None."""
        pattern = _pattern_key(self.pattern)
        parts = [header_key(x) for x in _levels(label, levels)]
        parts = [x for x in parts if x]
        for k in range(len(parts)):
            m = pattern.fullmatch(" ".join(parts[k:]))
            if m:
                groups = [m.group(0)] + [str(int(g)) if g and g.isdigit() else (g or "") for g in m.groups()]
                return self.name.format(*groups)
        return None


@dataclass(frozen=True)
class SheetSelect:
    """Which sheet: an exact name (normalised), else a sheet whose top rows carry a title pattern."""

    names: tuple[str, ...] = ()
    title_patterns: tuple[str, ...] = ()
    only_sheet: bool = False  # a workbook with a single sheet is that sheet


@dataclass(frozen=True)
class SheetVersion:
    """A yearly variant of a sheet: recognised by header labels only it has; changes some columns.

    `columns` replace (same name) or add column specs; `drop` removes columns the variant lacks.
    """

    name: str
    header_has: tuple[LabelMatcher, ...]
    columns: tuple[ColumnSpec, ...] = ()
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetLayout:
    """How to read one table out of one sheet."""

    key: str
    select: SheetSelect
    header_labels: tuple[LabelMatcher, ...]
    columns: tuple[ColumnSpec, ...]
    families: tuple[ColumnFamily, ...] = ()
    required: bool = True
    max_header_rows: int = 3
    search_rows: int = 40
    ruler: bool = True
    unit_line: str = "optional"  # required | optional | none
    stop_on_empty_row: bool = True
    footer: tuple[str, ...] = ()
    footer_patterns: tuple[str, ...] = ()
    title: str = ""  # a human name of the table, for messages
    number_convention: str | None = "vi"  # how number text reads: vi (1.234,5), en (1,234.5), None (refuse 1.250)
    versions: tuple[SheetVersion, ...] = ()  # yearly variants, tried in order before the base layout
    known: tuple[LabelMatcher, ...] = ()  # columns offices add that the product does not read (Ghi chú, %…)

    def version_for(self, labels: list[str]) -> tuple[str, SheetLayout]:
        """(version name, layout) for a header: the first variant whose labels are all present, else base."""
        for version in self.versions:
            if all(any(m.match_strength(x) for x in labels if x) for m in version.header_has):
                replaced = {c.name: c for c in version.columns}
                columns = [replaced.pop(c.name, c) for c in self.columns if c.name not in version.drop]
                columns += list(replaced.values())
                return version.name, replace(self, columns=tuple(columns), versions=())
        return "base", self

    @property
    def money_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.kind == "money"] + [
            f.name for f in self.families if f.kind == "money"
        ]


@dataclass(frozen=True)
class FileLayout:
    """All sheet layouts of one source's workbook."""

    source: str
    version: int
    sheets: dict[str, SheetLayout] = field(default_factory=dict)
    description: str = ""
    extra: dict = field(default_factory=dict)  # other top-level keys, read by the source's module


def _matcher(spec) -> LabelMatcher:
    if isinstance(spec, str | list):
        return LabelMatcher(labels=_as_list(spec))
    return LabelMatcher(labels=_as_list(spec.get("labels")), patterns=_as_list(spec.get("patterns")))


def _values(spec, where: str, name: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A column's value vocabulary: the name of one in vocabulary.yaml, or an inline mapping."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        table = (vocabulary().get("values") or {}).get(spec)
        if table is None:
            raise ValueError(f"{where}: column {name!r} names an unknown value vocabulary {spec!r}")
    elif isinstance(spec, dict):
        table = spec
    else:
        raise ValueError(f"{where}: column {name!r}: values must name a vocabulary or map values to spellings")
    return tuple((str(canonical), _as_list(spellings)) for canonical, spellings in table.items())


def _columns(raw: dict | None, where: str) -> list[ColumnSpec]:
    columns = []
    for name, spec in (raw or {}).items():
        spec = spec or {}
        kind = spec.get("kind", "text")
        if kind not in KINDS:
            raise ValueError(f"{where}: column {name!r} has unknown kind {kind!r}")
        columns.append(ColumnSpec(name=name, matcher=_matcher(spec), kind=kind,
                                  required=bool(spec.get("required", True)),
                                  values=_values(spec.get("values"), where, name),
                                  group_key=bool(spec.get("group_key", False)),
                                  informative=bool(spec.get("informative", False))))
    return columns


def _sheet(key: str, raw: dict, source: str) -> SheetLayout:
    where = f"layout {source}.yaml, sheet {key!r}"
    select_raw = raw.get("select") or {}
    header = raw.get("header") or {}
    stop = raw.get("stop") or {}
    columns = _columns(raw.get("columns"), where)
    versions = []
    for spec in raw.get("versions") or []:
        if not spec.get("name") or not spec.get("header_has"):
            raise ValueError(f"{where}: every version needs a name and header_has labels")
        versions.append(SheetVersion(name=str(spec["name"]),
                                     header_has=tuple(_matcher(x) for x in spec["header_has"]),
                                     columns=tuple(_columns(spec.get("columns"), f"{where}, version {spec['name']}")),
                                     drop=_as_list(spec.get("drop"))))
    families = []
    for spec in raw.get("families") or []:
        kind = spec.get("kind", "cell")
        if kind not in KINDS:
            raise ValueError(f"{where}: family {spec.get('name')!r} has unknown kind {kind!r}")
        families.append(ColumnFamily(pattern=spec["pattern"], name=spec["name"], kind=kind))
    # a detect entry naming a declared column uses that column's spellings
    by_name = {c.name: c.matcher for c in columns}
    detect = [by_name[x] if isinstance(x, str) and x in by_name else _matcher(x)
              for x in header.get("detect") or []]
    if not detect:
        raise ValueError(f"{where}: header.detect must list the labels of the header row")
    unit_line = str(raw.get("unit_line", "optional"))
    if unit_line not in ("required", "optional", "none"):
        raise ValueError(f"{where}: unit_line must be required, optional or none")
    numbers = raw.get("numbers", "vi")
    numbers = None if numbers in (None, "none") else str(numbers)
    if numbers not in ("vi", "en", None):
        raise ValueError(f"{where}: numbers must be vi, en or none")
    return SheetLayout(
        key=key,
        number_convention=numbers,
        versions=tuple(versions),
        select=SheetSelect(
            names=_as_list(select_raw.get("names")),
            title_patterns=_as_list(select_raw.get("title_patterns")),
            only_sheet=bool(select_raw.get("only_sheet", False)),
        ),
        header_labels=tuple(detect),
        columns=tuple(columns),
        families=tuple(families),
        required=bool(raw.get("required", True)),
        max_header_rows=int(header.get("max_rows", 3)),
        search_rows=int(header.get("search_rows", 40)),
        ruler=bool(header.get("ruler", True)),
        unit_line=unit_line,
        stop_on_empty_row=bool(stop.get("empty_row", True)),
        footer=tuple(normalize_label(x) for x in _as_list(stop.get("footer"))),
        footer_patterns=_as_list(stop.get("footer_patterns")),
        title=str(raw.get("title", key)),
        known=tuple(_matcher(x) for x in raw.get("known") or []),
    )


def parse_layout(data: dict, source: str | None = None) -> FileLayout:
    """A `FileLayout` from the YAML's mapping (exposed for tests that build layouts inline)."""
    source = source or data.get("source") or "?"
    sheets = {key: _sheet(key, raw or {}, source) for key, raw in (data.get("sheets") or {}).items()}
    if not sheets:
        raise ValueError(f"layout {source}: no sheets declared")
    extra = {k: v for k, v in data.items() if k not in ("source", "version", "sheets", "description")}
    return FileLayout(source=source, version=int(data.get("version", 1)), sheets=sheets,
                      description=str(data.get("description", "")), extra=extra)


@cache
def load_layout(source: str) -> FileLayout:
    """The layout of `source` from `connectors/layouts/<source>.yaml` (cached)."""
    path = LAYOUT_DIR / f"{source}.yaml"
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return parse_layout(data, source)
