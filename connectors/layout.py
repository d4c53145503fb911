"""Spreadsheet layouts as data: `connectors/layouts/<source>.yaml`, read into frozen dataclasses.

A layout says, per sheet of a source's workbook, how a person finds the table: which sheet (by name or
by a title it carries), which labels mark the header row, how deep the header may be, whether a ruler row
follows it, where the sheet's unit line is, where the data stop, and how each header label maps to a
canonical column (with its kind: text, number, money, percent, date, bool, cell). A new yearly workbook
should mean editing the YAML, not the code (style.md principle 5).

Labels are compared after `vn.normalize_label` (NFC, whitespace collapsed, case-folded, ` / ` between
header levels) and, failing that, without accents (`vn.fold_accents`). Patterns are regular expressions
matched against the whole normalised label. A sheet's `versions:` list describes yearly variants of the
form (recognised by a header label only they carry; columns replaced, added or dropped), so a new year's
form is an edit of the YAML; the reader reports the variant it used (`records.attrs["layout_version"]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import yaml

from connectors.vn import fold_accents, normalize_label

LAYOUT_DIR = Path(__file__).resolve().parent / "layouts"

KINDS = frozenset({"text", "number", "integer", "money", "percent", "date", "bool", "cell"})


def _as_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class LabelMatcher:
    """Exact labels and whole-label regex patterns, matched on normalised, then accent-folded text."""

    labels: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "_norm", tuple(normalize_label(x) for x in self.labels))
        object.__setattr__(self, "_fold", tuple(fold_accents(x) for x in self.labels))
        object.__setattr__(self, "_re", tuple(re.compile(normalize_label(p)) for p in self.patterns))
        object.__setattr__(self, "_re_fold", tuple(re.compile(fold_accents(p)) for p in self.patterns))

    def match_strength(self, label: str) -> int:
        """3 exact label, 2 pattern, 1 accent-folded label or pattern, 0 no match."""
        norm = normalize_label(label)
        if not norm:
            return 0
        if norm in self._norm:
            return 3
        if any(p.fullmatch(norm) for p in self._re):
            return 2
        folded = fold_accents(label)
        if folded in self._fold or any(p.fullmatch(folded) for p in self._re_fold):
            return 1
        return 0

    def describe(self) -> str:
        """The first label (or pattern) a person should look for."""
        if self.labels:
            return self.labels[0]
        return self.patterns[0] if self.patterns else "?"


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: how its header reads, what kind of value it holds, whether it must exist."""

    name: str
    matcher: LabelMatcher
    kind: str = "text"
    required: bool = True


@dataclass(frozen=True)
class ColumnFamily:
    """A repeated group of columns (`Tháng 1` … `Tháng 12`): the pattern's groups fill the name template."""

    pattern: str
    name: str  # e.g. "thang_{1}"
    kind: str = "cell"

    def match(self, label: str) -> str | None:
        """The canonical name for a header label of this family, or None."""
        for text, pattern in ((normalize_label(label), normalize_label(self.pattern)),
                              (fold_accents(label), fold_accents(self.pattern))):
            m = re.fullmatch(pattern, text) if text else None
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


def _columns(raw: dict | None, where: str) -> list[ColumnSpec]:
    columns = []
    for name, spec in (raw or {}).items():
        spec = spec or {}
        kind = spec.get("kind", "text")
        if kind not in KINDS:
            raise ValueError(f"{where}: column {name!r} has unknown kind {kind!r}")
        columns.append(ColumnSpec(name=name, matcher=_matcher(spec), kind=kind,
                                  required=bool(spec.get("required", True))))
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
    detect = [_matcher(x) for x in header.get("detect") or []]
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
