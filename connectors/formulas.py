"""What a values-only reader cannot see in an xlsx sheet: hidden rows, and formulas saved without a result.

A workbook written by software (openpyxl, many exporters) keeps each formula without its cached value, so
python-calamine reads those cells as empty: a total would load as "no figure", silently. This module
reads the sheet's XML once (only when the part has formulas or hidden rows at all) and
- lists the rows hidden in the sheet (`hidden="1"`), which the reader skips and reports;
- evaluates each formula without a cached value when it is plain arithmetic over the sheet's cells
  (`=G11+G12`, `=SUM(G11:G19)`, `=ROUND(D5/D6*100,2)`, numbers, + - * / ^, parentheses, SUM, ROUND, ABS,
  MIN, MAX), and keeps any other formula's text so the reader can refuse that cell by name.

The XML is parsed with defusedxml (the container was checked by `excel.check_zip_container` first).
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import defusedxml.ElementTree

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


@dataclass
class SheetFacts:
    """Hidden rows and formulas without a cached value of one sheet (0-based row and column indexes)."""

    hidden_rows: set[int] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part's path in the zip (from workbook.xml and its relationships)."""
    try:
        book = defusedxml.ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = defusedxml.ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, defusedxml.ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(_PKG_REL + "Relationship")}
    parts = {}
    for sheet in book.iter(_MAIN + "sheet"):
        target = targets.get(sheet.get(_REL + "id"), "")
        if target:
            parts[sheet.get("name")] = (target.lstrip("/") if target.startswith("/")
                                        else posixpath.normpath(posixpath.join("xl", target)))
    return parts


def xlsx_sheet_facts(data: bytes) -> dict[str, SheetFacts]:
    """Sheet name -> `SheetFacts` for every sheet of an xlsx that has hidden rows or uncached formulas."""
    out: dict[str, SheetFacts] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return out
    with archive:
        for name, part in _sheet_parts(archive).items():
            try:
                raw = archive.read(part)
            except KeyError:
                continue
            if b"<f" not in raw and b"hidden=" not in raw:
                continue
            facts = SheetFacts()
            for _, elem in defusedxml.ElementTree.iterparse(io.BytesIO(raw), events=("end",)):
                if elem.tag == _MAIN + "c":
                    formula = elem.find(_MAIN + "f")
                    if formula is not None:
                        value = elem.find(_MAIN + "v")
                        if value is None or not (value.text or "").strip():
                            m = _CELL_REF.match(elem.get("r", ""))
                            if m:
                                text = formula.text or ""
                                if not text and formula.get("t") == "shared":
                                    text = "(shared formula)"
                                facts.formulas[(int(m.group(2)) - 1, _column_index(m.group(1)))] = text
                    elem.clear()
                elif elem.tag == _MAIN + "row":
                    if elem.get("hidden") in ("1", "true"):
                        facts.hidden_rows.add(int(elem.get("r")) - 1)
                    elem.clear()
            if facts.hidden_rows or facts.formulas:
                out[name] = facts
    return out


class FormulaError(ValueError):
    """A formula that is not plain arithmetic over the sheet's cells (or refers to text, or loops)."""


_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
                    r"|(?P<ref>\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)"
                    r"|(?P<fn>[A-Z]+)\s*\(|(?P<str>\"[^\"]*\")|(?P<cmp><=|>=|<>|[=<>])|(?P<op>[-+*/^(),]))")


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip().lstrip("=")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise FormulaError(f"cannot read the formula at '{text[pos:pos + 10]}'")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _ref_cells(ref: str) -> list[tuple[int, int]]:
    ref = ref.replace("$", "")
    coords = []
    for end in ref.split(":"):
        m = _CELL_REF.match(end)
        coords.append((int(m.group(2)) - 1, _column_index(m.group(1))))
    if len(coords) == 1:
        return coords
    (r0, c0), (r1, c1) = coords
    return [(r, c) for r in range(min(r0, r1), max(r0, r1) + 1) for c in range(min(c0, c1), max(c0, c1) + 1)]


def _round_half_up(value: float, digits: float) -> float:
    quantum = Decimal(1).scaleb(-int(digits))
    return float(Decimal(repr(value)).quantize(quantum, ROUND_HALF_UP))


class _Err(str):
    """An error value (#DIV/0!, #VALUE!): it flows through arithmetic like Excel's, and IF can pass it by."""


def _bad(*values) -> _Err | None:
    return next((v for v in values if isinstance(v, _Err)), None)


class _Range(list):
    """The cells of a range argument (SUM(G11:G19)), kept apart from single values."""


def _num(value) -> float:
    """A value in arithmetic: blank and "" count 0 (as in Excel), TRUE/FALSE 1/0, other text is an error."""
    if isinstance(value, _Err):
        raise FormulaError(str(value))
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    raise FormulaError(f"the text '{value}' in arithmetic")


def _flat(args) -> list:
    out = []
    for a in args:
        out.extend(a if isinstance(a, _Range) else [a])
    return out


def _numbers(args) -> list[float]:
    """The numbers among the arguments (SUM, COUNT, MIN, MAX skip blanks and text in ranges)."""
    return [a for a in _flat(args) if isinstance(a, float)]


def _if(args):
    if len(args) not in (2, 3):
        raise FormulaError("IF takes 2 or 3 arguments")
    if isinstance(args[0], _Err):
        return args[0]
    return args[1] if _truth(args[0]) else (args[2] if len(args) == 3 else False)


def _truth(value) -> bool:
    if isinstance(value, bool):
        return value
    return _num(value) != 0


def _binary(op: str, left, right):
    """`left op right` in arithmetic, or an error value (a text operand: #VALUE!; 0 divisor: #DIV/0!)."""
    try:
        a, b = _num(left), _num(right)
    except FormulaError as exc:
        return _Err(str(exc))
    if op == "/" and b == 0:
        return _Err("a division by zero")
    return {"+": a + b, "-": a - b, "*": a * b}.get(op) if op in "+-*" else (a / b if op == "/" else a ** b)


class Evaluator:
    """Evaluates a formula over a sheet's values; `cell(r, c)` gives a referenced cell's value (a float,
    None for blank), computing it first when it is itself a formula. The result is a float, or None when
    the formula yields "" (a blank, as the fill-in template's guards do)."""

    FUNCTIONS = {
        "SUM": lambda a: math.fsum(_numbers(a)),
        "MIN": lambda a: min(_numbers(a), default=0.0),
        "MAX": lambda a: max(_numbers(a), default=0.0),
        "COUNT": lambda a: float(len(_numbers(a))),
        "ABS": lambda a: abs(_num(a[0])),
        "ROUND": lambda a: _round_half_up(_num(a[0]), _num(a[1])),
        "IF": _if,
        "AND": lambda a: all(_truth(x) for x in _flat(a)),
        "OR": lambda a: any(_truth(x) for x in _flat(a)),
        "NOT": lambda a: not _truth(a[0]),
        "ISNUMBER": lambda a: isinstance(a[0], float) and not isinstance(a[0], _Err),
        "ISBLANK": lambda a: a[0] is None,
        "N": lambda a: a[0] if isinstance(a[0], float) else (1.0 if a[0] is True else 0.0),
    }

    def __init__(self, cell):
        self.cell = cell

    def evaluate(self, text: str) -> float | None:
        self.tokens = _tokens(text)
        self.pos = 0
        value = self._compare()
        if self.pos != len(self.tokens):
            raise FormulaError("unexpected text after the formula")
        if isinstance(value, _Err):
            raise FormulaError(str(value))
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, float):
            raise FormulaError("the formula gives text or TRUE/FALSE, not a figure")
        return value

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise FormulaError("the formula ends too early")
        self.pos += 1
        return token

    def _compare(self):
        left = self._sum()
        t = self._peek()
        if t and t[0] == "cmp":
            self._take()
            right = self._sum()
            if _bad(left, right):
                return _bad(left, right)
            a, b = (left, right) if isinstance(left, str) and isinstance(right, str) else (
                ("" if left is None else left, "" if right is None else right))
            if isinstance(a, str) != isinstance(b, str):
                a, b = _num(a) if not isinstance(a, str) else a, _num(b) if not isinstance(b, str) else b
                if isinstance(a, str) or isinstance(b, str):
                    return t[1] == "<>"
            return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[t[1]]
        return left

    def _sum(self):
        value = self._product()
        while (t := self._peek()) and t[0] == "op" and t[1] in "+-":
            self._take()
            right = self._product()
            if _bad(value, right):
                value = _bad(value, right)
                continue
            value = _binary(t[1], value, right)
        return value

    def _product(self):
        value = self._power()
        while (t := self._peek()) and t[0] == "op" and t[1] in "*/":
            self._take()
            right = self._power()
            if _bad(value, right):
                value = _bad(value, right)
                continue
            value = _binary(t[1], value, right)
        return value

    def _power(self):
        value = self._unary()
        if self._peek() == ("op", "^"):
            self._take()
            right = self._unary()
            value = _bad(value, right) or _binary("^", value, right)
        return value

    def _unary(self):
        t = self._peek()
        if t and t[0] == "op" and t[1] in "+-":
            self._take()
            value = self._unary()
            if isinstance(value, _Err):
                return value
            value = _binary("+", 0.0, value)
            return value if isinstance(value, _Err) or t[1] == "+" else -value
        return self._atom()

    def _args(self) -> list:
        args: list = []
        if self._peek() == ("op", ")"):
            self._take()
            return args
        while True:
            t = self._peek()
            nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
            if t and t[0] == "ref" and ":" in t[1] and nxt in (("op", ","), ("op", ")")):
                self._take()
                args.append(_Range(self.cell(r, c) for r, c in _ref_cells(t[1])))
            else:
                args.append(self._compare())
            t = self._take()
            if t == ("op", ")"):
                return args
            if t != ("op", ","):
                raise FormulaError("expected ',' or ')'")

    def _atom(self):
        kind, text = self._take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1]
        if kind == "ref":
            if ":" in text:
                raise FormulaError("a range outside a function")
            (r, c), = _ref_cells(text)
            return self.cell(r, c)
        if kind == "fn":
            fn = self.FUNCTIONS.get(text)
            if fn is None:
                raise FormulaError(f"the function {text} is not plain arithmetic")
            args = self._args()
            if not args and text not in ("SUM", "COUNT"):
                raise FormulaError(f"{text} without arguments")
            if text not in ("IF", "ISNUMBER", "ISBLANK") and _bad(*_flat(args)):
                return _bad(*_flat(args))
            try:
                result = fn(args)
            except IndexError:
                raise FormulaError(f"{text} with too few arguments") from None
            except FormulaError as exc:
                return _Err(str(exc))
            return float(result) if isinstance(result, int) and not isinstance(result, bool) else result
        if (kind, text) == ("op", "("):
            value = self._compare()
            if self._take() != ("op", ")"):
                raise FormulaError("a parenthesis is not closed")
            return value
        raise FormulaError(f"unexpected '{text}'")
