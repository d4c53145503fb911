"""A plan document as a list of paragraphs: ``.txt``, ``.docx`` (python-docx) or ``.pdf`` with a text
layer (poppler's ``pdftotext -layout``).

Word numbering is rebuilt: a paragraph numbered by Word (``List Number`` or a numbering definition) keeps
its number as text ("1. …", "a) …", "- …") as the reader of the printed page sees it. A table's rows become
paragraphs ("1. <cells>"; a row without a number is a part, "- <cells>"), so a plan that lists its targets
in a table reads like one that numbers them. Text files and PDF pages are joined back into paragraphs: a
line continues the paragraph above unless a blank line, a number, a bullet or a heading starts a new one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from plans.errors import PlanError
from plans.numbers import nfc

SUFFIXES = (".txt", ".docx", ".pdf")
# a line that starts a paragraph of its own (text and PDF)
BULLETS = "-–•+*\uf0b7\uf0a7\uf0d8\uf076\u25cf\u25aa\u25e6\u2022"   # Word's Symbol-font bullets print as U+F0B7 …
STARTS = re.compile(r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)](?:\s|(?=[^\W\d_]))|[IVX]{1,5}\.\s|[a-zđ]\)\s|"
                    r"[" + BULLETS + r"]\s|"
                    r"Trong\s+đó\s*:|Số\s*:|KẾ HOẠCH\s*$|Nơi nhận|CHỦ TỊCH)")
PDF_TIMEOUT_S = 60


def read_paragraphs(path: str | Path) -> list[str]:
    """The document's paragraphs in reading order (NFC, single spaces, no empty ones).

    Raises:
        PlanError: the file is missing, of an unknown kind, unreadable, or has no text (a scan without
            a text layer).
    """
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"plan {path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        paragraphs = _join_lines(_read_text(path).splitlines())
    elif suffix == ".docx":
        paragraphs = _docx_paragraphs(path)
    elif suffix == ".pdf":
        paragraphs = _join_lines(_pdf_text(path).replace("\f", "").splitlines())
    else:
        raise PlanError(f"plan {path}: a '{path.suffix}' file; expected one of {', '.join(SUFFIXES)} "
                        f"(save a .doc as .docx first)")
    paragraphs = [re.sub(r"\s+", " ", nfc(p)).strip() for p in paragraphs]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise PlanError(f"plan {path}: no text found (a scanned PDF needs a text layer: OCR it first)")
    return paragraphs


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return text
    raise PlanError(f"plan {path}: not UTF-8 text (save it as UTF-8)")


def _join_lines(lines: list[str]) -> list[str]:
    """Lines -> paragraphs: a blank line or a line that `STARTS` a paragraph begins a new one."""
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line.strip():
            if current:
                out.append(" ".join(current))
                current = []
            continue
        if STARTS.match(line) and current:
            out.append(" ".join(current))
            current = []
        current.append(line.strip())
    if current:
        out.append(" ".join(current))
    return out


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise PlanError(f"plan {path}: reading a PDF needs poppler's pdftotext (make system-deps installs it)")
    try:
        done = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              timeout=PDF_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise PlanError(f"plan {path}: pdftotext did not finish in {PDF_TIMEOUT_S} s") from None
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise PlanError(f"plan {path}: not a readable PDF ({first[0] if first else 'pdftotext failed'})")
    return done.stdout.decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------- Word


def _docx_paragraphs(path: Path) -> list[str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.oxml.ns import qn

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise PlanError(f"plan {path}: not a readable .docx ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - lxml/zip errors of a damaged file: a user's file, one sentence
        raise PlanError(f"plan {path}: not a readable .docx ({type(exc).__name__}: {exc})") from None
    numbering = _Numbering(document)
    out: list[str] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = _p_text(child)
            label = numbering.label(child, document)
            if text.strip() or label:
                out.append(f"{label} {text}".strip() if label else text)
        elif child.tag == qn("w:tbl"):
            out.extend(_table_rows(child))
    return out


def _p_text(p) -> str:
    from docx.oxml.ns import qn

    parts = []
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
        parts.append(node.text or "" if node.tag == qn("w:t") else " ")
    return "".join(parts)


def _table_rows(tbl) -> list[str]:
    """Each row as a paragraph: a first cell holding a number gives "N. rest"; an empty or dash first
    cell a part "- rest"; any other row its cells joined (a header row, "Trong đó:")."""
    from docx.oxml.ns import qn

    out = []
    for tr in tbl.iter(qn("w:tr")):
        cells = [" ".join(_p_text(p) for p in tc.iter(qn("w:p"))).strip() for tc in tr.iter(qn("w:tc"))]
        if not any(cells):
            continue
        first, rest = cells[0], " ".join(c for c in cells[1:] if c)
        if not first and re.match(r"trong\s+đó", rest, re.IGNORECASE):
            out.append(rest)
        elif re.fullmatch(r"\d{1,2}[.)]?", first):
            out.append(f"{first.rstrip('.)')}. {rest}")
        elif re.fullmatch(r"\d{1,2}\.\d{1,2}[.)]?|[a-zđ]\)?|[-–•+*]?", first):
            out.append(f"- {rest}" if rest else "")
        else:
            out.append(" ".join(c for c in cells if c))
    return out


class _Numbering:
    """Word's automatic numbering: the label ("1.", "a)", "-") each numbered paragraph shows."""

    def __init__(self, document):
        from docx.oxml.ns import qn

        self.qn = qn
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[tuple[str, int], int] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {}
        for an in root.iter(qn("w:abstractNum")):
            levels = {}
            for lvl in an.iter(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                text = lvl.find(qn("w:lvlText"))
                start = lvl.find(qn("w:start"))
                levels[int(lvl.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "%1.",
                    int(start.get(qn("w:val"))) if start is not None else 1)
            abstract[an.get(qn("w:abstractNumId"))] = levels
        for num in root.iter(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            if ref is not None:
                for ilvl, spec in abstract.get(ref.get(qn("w:val")), {}).items():
                    self.formats[(num.get(qn("w:numId")), ilvl)] = spec

    def _num_pr(self, p, document):
        qn = self.qn
        ppr = p.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:numPr")) is not None:
            return ppr.find(qn("w:numPr"))
        style_id = ppr.find(qn("w:pStyle")).get(qn("w:val")) if ppr is not None and ppr.find(
            qn("w:pStyle")) is not None else None
        seen = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            style = document.styles.element.get_by_id(style_id)
            if style is None:
                return None
            sppr = style.find(qn("w:pPr"))
            if sppr is not None and sppr.find(qn("w:numPr")) is not None:
                return sppr.find(qn("w:numPr"))
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return None

    def label(self, p, document) -> str:
        qn = self.qn
        num_pr = self._num_pr(p, document)
        if num_pr is None:
            return ""
        num_id = num_pr.find(qn("w:numId"))
        ilvl = num_pr.find(qn("w:ilvl"))
        num_id = num_id.get(qn("w:val")) if num_id is not None else None
        level = int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
        if num_id in (None, "0"):
            return ""
        fmt, text, start = self.formats.get((num_id, level), ("decimal", "%1.", 1))
        if fmt == "bullet":
            return "-"
        key = (num_id, level)
        self.counters[key] = self.counters.get(key, start - 1) + 1
        for deeper in [k for k in self.counters if k[0] == num_id and k[1] > level]:
            del self.counters[deeper]
        label = text
        for i in range(level + 1):
            value = self.counters.get((num_id, i), self.formats.get((num_id, i), ("", "", 1))[2])
            label = label.replace(f"%{i + 1}", _format(self.formats.get((num_id, i), ("decimal",))[0], value))
        return label


def _format(fmt: str, value: int) -> str:
    if fmt == "lowerLetter":
        return "abcdefghijklmnopqrstuvwxyz"[(value - 1) % 26]
    if fmt == "upperRoman":
        return _roman(value)
    if fmt == "lowerRoman":
        return _roman(value).lower()
    return str(value)


def _roman(value: int) -> str:
    out = ""
    for number, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out += letters
            value -= number
    return out
