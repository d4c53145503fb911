"""Personal data out of every message: what leaves the reading and validation code is masked here, once.

Two kinds of personal data can reach a message (a refusal, a failed rule, an alert, the stored
validation result, the HTML report, the analyst views that show them):

- a CCCD or CMND number (12 or 9 digits, standing alone) anywhere in a text: it becomes ``[đã che]``;
- any cell of a register of people (the NVQS pre-screening sheet of the health workbook; the layouts name
  such sheets in ``personal_sheets``) that does not read as a count: the value as typed (``raw_text``,
  ``found``, the row's ``key``) becomes ``[đã che]``, and so does its quoted form wherever a message line
  repeats it. The cell's address (file, sheet, row, column and letter) stays, so the clerk still knows which
  cell to fix; a count typed there (the form's figures) is shown as typed.

Packages never import each other, so this lives in flows (the composition root) and is applied at each
boundary: a refusal read from a file (`tasks._reject`), a validation report (`tasks.validate_delivery`), and
again where messages are stored, rendered or sent (quarantine, load, report, alert), which costs little:
messages are capped at 50 rows per rule.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

MASK = "[đã che]"
# 9 (CMND) or 12 (CCCD) digits standing alone: not part of a longer digit run, a decimal (123456789.5) or a
# lowercase hex digest (the fingerprints in report names)
_ID_NUMBER = re.compile(r"(?<![\da-f])(?<!\d[.,])(\d{12}|\d{9})(?![\da-f])(?![.,]\d)")
# values that are identities or links, never people's data, and that masking must not break
_KEEP = frozenset({"fingerprint", "alert_key", "report_path", "report_url", "suite_name", "checked_at",
                   "rule_id", "expectation", "frame", "column", "severity"})
_CELL_VALUES = ("raw_text", "found", "key")


# A count typed in a register's cell (the sheet's figures: "-5", "1.234", "12,5") is no one's personal data and
# the clerk needs it in the message to find the mistake: shown. Anything else typed there (a name, a date of
# birth, an ID number, an address) is masked. Nine digits or more are never a count here (the ID-number rule).
_COUNT = re.compile(r"[-+\u2212]?[\d.,\s\u00a0]*\d[\d.,\s\u00a0]*")


def _is_count(value) -> bool:
    """A plain number of at most 8 digits (sign, thousands separators and decimals allowed)."""
    if isinstance(value, bool):
        return False
    text = str(value).strip()
    if not _COUNT.fullmatch(text):
        return False
    return len(re.sub(r"\D", "", text)) <= 8


def mask_text(text):
    """`text` with every standalone 9- or 12-digit number replaced by ``[đã che]`` (other values unchanged)."""
    if not isinstance(text, str) or not text:
        return text
    return _ID_NUMBER.sub(MASK, text)


@cache
def _personal_sheets(source_code: str) -> frozenset[str]:
    """Normalised names of the sheets a source's layout declares personal (``personal_sheets``)."""
    try:
        from connectors.layout import header_key, load_layout

        layout = load_layout(source_code)
    except (OSError, ValueError, KeyError):
        return frozenset()
    names = set()
    for key in layout.extra.get("personal_sheets") or ():
        sheet = layout.sheets.get(key)
        if sheet is not None:
            names |= {header_key(n) for n in sheet.select.names}
    return frozenset(names)


def _is_personal_sheet(sheet, source_code: str | None) -> bool:
    if not sheet or not source_code:
        return False
    from connectors.layout import header_key

    return header_key(sheet) in _personal_sheets(source_code)


def _collect(obj, source_code: str | None, found: set[str]) -> None:
    """The values typed in personal sheets' cells, anywhere in `obj` (dicts carrying ``sheet``)."""
    if isinstance(obj, dict):
        source = obj.get("source") if isinstance(obj.get("source"), str) else source_code
        if _is_personal_sheet(obj.get("sheet"), source):
            for k in _CELL_VALUES:
                value = obj.get(k)
                if value not in (None, "") and not isinstance(value, bool) and not _is_count(value):
                    found.add(str(value))
        for value in obj.values():
            _collect(value, source_code, found)
    elif isinstance(obj, list | tuple):
        for value in obj:
            _collect(value, source_code, found)


def _apply(obj, cells: tuple[str, ...], source_code: str | None, key: str | None = None):
    if isinstance(obj, dict):
        source = obj.get("source") if isinstance(obj.get("source"), str) else source_code
        here = _is_personal_sheet(obj.get("sheet"), source)
        return {k: (MASK if here and k in _CELL_VALUES and v not in (None, "") and not _is_count(v)
                    else _apply(v, cells, source_code, k))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_apply(v, cells, source_code, key) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_apply(v, cells, source_code, key) for v in obj)
    if isinstance(obj, str) and key not in _KEEP:
        return mask_string(obj, cells)
    return obj


def mask_string(text: str, cells: tuple[str, ...] = ()) -> str:
    """One text masked: the quoted personal cell values (``'…'``) and the ID numbers."""
    for value in cells:
        if value:
            text = text.replace(f"'{value}'", f"'{MASK}'")
    return mask_text(text)


def personal_cells(obj, source_code: str | None = None) -> tuple[str, ...]:
    """The values typed in personal sheets' cells found in `obj`, longest first (for `mask_string`)."""
    found: set[str] = set()
    _collect(obj, source_code, found)
    return tuple(sorted(found, key=len, reverse=True))


def mask(obj, source_code: str | None = None, cells: tuple[str, ...] = ()):
    """A copy of `obj` (plain dicts, lists, tuples and strings) with personal data masked.

    Cells of a personal sheet (dicts with ``sheet`` and ``raw_text``/``found``/``key``) lose their values;
    each text loses its ID numbers and the quoted values of those cells. `cells` adds values to hide
    found elsewhere (a refusal's one-line message repeats its problems' values)."""
    hidden = tuple(sorted({*cells, *personal_cells(obj, source_code)}, key=len, reverse=True))
    return _apply(obj, hidden, source_code)


def mask_report(report, source_code: str | None = None):
    """An `expectations.ValidationReport` masked in place (its failed rules' samples and texts); returned."""
    source = source_code or getattr(report, "source_code", None)
    failed = [dataclasses.asdict(f) for f in report.failed]
    cells = personal_cells(failed, source)
    for check, plain in zip(report.failed, failed, strict=True):
        masked = mask(plain, source, cells)
        for name in ("samples", "found", "expected", "found_vi", "expected_vi", "description_vi", "description_en"):
            if name in masked:
                setattr(check, name, masked[name])
    return report
