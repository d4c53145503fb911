"""A plan's paragraphs -> its header and its numbered targets, each split into sentences (clauses).

The targets section starts at a short heading naming it ("Các chỉ tiêu thi đua", "Chỉ tiêu cụ thể",
"Mục tiêu cụ thể" … : ``section_headings`` of plans/vocabulary.yaml) and holds items numbered 1, 2, 3 …;
it ends at the first paragraph that does not continue it: a number out of sequence ("4. Nhiệm vụ và giải
pháp" after item 13), a Roman-numbered heading, or plain text after the items. "Trong đó:" and bulleted
lines ("- …", "+ …", "2.1 …") are the parts of the item above.

An item's text holds one or more target sentences: they are split at ";" and at a "," that follows a
figure ("… đạt 60%, tỷ lệ … đạt 100%"), never at a comma inside a name ("phí, lệ phí").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from plans.errors import PlanError
from plans.numbers import nfc

ITEM = re.compile(r"^(?P<n>\d{1,2})[.)](?:\s+|(?=[^\W\d_]))(?P<text>.*)$")
SUBITEM = re.compile(r"^(?P<n>\d{1,2})\.(?P<m>\d{1,2})[.)]?\s+(?P<text>.*)$")
BULLET = re.compile(r"^[-–•+*\uf0b7\uf0a7\uf0d8\uf076\u25cf\u25aa\u25e6]\s*(?P<text>.+)$")
ROMAN = re.compile(r"^[IVX]{1,5}\.\s")
LETTER = re.compile(r"^[a-zđ]\)\s")
IN_WHICH = re.compile(r"^trong\s+đó\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)


@dataclass
class Item:
    """One numbered target of the plan: its number, sentence(s) as written and its parts."""

    number: int
    text: str
    parts: list[str] = field(default_factory=list)


@dataclass
class Header:
    """What the plan's first page says about itself."""

    number_vi: str | None = None          # "232/KH-UBND"; "/KH-UBND" when the number is left blank
    date: dt.date | None = None
    date_vi: str | None = None            # as written ("ngày tháng 9 năm 2025" when the day is blank)
    title_vi: str | None = None
    issued_by_vi: str | None = None
    implements_vi: str | None = None
    due_date: dt.date | None = None
    year: int | None = None


def split_clauses(text: str) -> list[str]:
    """The target sentences of one item, trailing punctuation removed, as written otherwise."""
    text = text.strip()
    pieces = [p for p in re.split(r"\s*;\s*", text) if p.strip(" .;,")]
    out = []
    for piece in pieces:
        start = 0
        for m in re.finditer(r"(?P<fig>%(?:\s*/\s*năm)?)\s*(?:,|\s+và)\s+", piece):
            out.append(piece[start:m.end("fig")])
            start = m.end()
        out.append(piece[start:])
    return [_clean(c) for c in out if _clean(c)]


def _clean(clause: str) -> str:
    clause = re.sub(r"\s+", " ", clause).strip().rstrip(" .;,:")
    clause = re.sub(r"\s*(?:,|và)$", "", clause).strip()
    return clause[:1].upper() + clause[1:] if clause else clause


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", nfc(text)).strip().lower()


def find_targets(paragraphs: list[str], headings: list[str], where: str) -> list[Item]:
    """The numbered targets of the targets section.

    Raises:
        PlanError: no heading of ``headings`` is followed by numbered items.
    """
    for start, para in enumerate(paragraphs):
        folded = _fold(re.sub(r"^(?:\d{1,2}[.)]|[IVX]{1,5}\.|[a-zđ]\))\s*", "", para))
        if len(folded) > 120 or not any(folded.rstrip(" :.").endswith(h) or folded.startswith(h)
                                        for h in headings):
            continue
        items = _items_after(paragraphs, start + 1)
        if items:
            return items
    raise PlanError(f"plan {where}: no targets section found: expected a heading such as "
                    f"'{headings[0].capitalize()}:' followed by targets numbered 1., 2., …")


def _items_after(paragraphs: list[str], start: int) -> list[Item]:
    items: list[Item] = []
    for para in paragraphs[start:]:
        sub = SUBITEM.match(para)
        if sub and items and int(sub["n"]) == items[-1].number:
            items[-1].parts.append(sub["text"].strip())
            continue
        item = ITEM.match(para)
        if item and not SUBITEM.match(para):
            n = int(item["n"])
            if n == (items[-1].number + 1 if items else 1):
                items.append(Item(n, item["text"].strip()))
                continue
            break
        if not items:
            if ROMAN.match(para) or LETTER.match(para):
                break
            continue   # a table's header row, an introduction line
        in_which = IN_WHICH.match(para)
        if in_which:
            if in_which["rest"].strip():
                items[-1].parts.append(in_which["rest"].strip())
            continue
        bullet = BULLET.match(para)
        if bullet:
            items[-1].parts.append(bullet["text"].strip())
            continue
        break
    return items


# ------------------------------------------------------------------------------------------ header

_DATE_WORDS = re.compile(r"ngày\s+(?P<d>\d{1,2})?\s*tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})", re.IGNORECASE)
_DATE_NUM = re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})")
_UBND = re.compile(r"Ủy ban nhân dân|Uỷ ban nhân dân", re.IGNORECASE)


def _date(match: re.Match | None) -> dt.date | None:
    if match is None or not match["d"]:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def _short_issuer(text: str) -> str:
    return _UBND.sub("UBND", text.strip().rstrip(" ,.;"))


def read_header(paragraphs: list[str]) -> Header:
    """Number, date, title, issuer, the plan it implements, the due date and the year."""
    h = Header()
    head = paragraphs[:40]
    for i, para in enumerate(head):
        if h.number_vi is None and (m := re.match(r"^Số\s*:\s*(?P<no>\S*/\S+)", para)):
            h.number_vi = m["no"].strip()
        if h.date_vi is None and (m := re.search(r",\s*(ngày\s+(?:\d{1,2}\s+)?tháng\s+\d{1,2}\s+năm\s+\d{4})",
                                                  para)):
            h.date_vi = m.group(1)
            h.date = _date(_DATE_WORDS.search(m.group(1)))
        # "KẾ HOẠCH" on its own line, the title on the next; a text file's lines may have joined them
        if h.title_vi is None and (m := re.fullmatch(r"KẾ HOẠCH(?:\s+(?P<rest>\S.*))?", para.strip())) and (
                m["rest"] or i + 1 < len(head)):
            title = m["rest"] or head[i + 1]
            h.title_vi = "Kế hoạch " + title[:1].lower() + title[1:]
        if h.implements_vi is None and (m := re.search(
                r"(?:^|[;.]\s*)(?:Thực hiện|Căn cứ)\s+(?P<kind>Kế hoạch|Quyết định|Chỉ thị|Nghị quyết|Công văn)\s+số\s+"
                r"(?P<no>\S+)\s+(?P<date>ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|ngày\s+\d{1,2}/\d{1,2}/\d{4})"
                r"\s+của\s+(?P<by>.+?)(?:\s+về\s+|,|\.|$)", para)):
            when = _date(_DATE_WORDS.search(m["date"]) or _DATE_NUM.search(m["date"]))
            date_text = when.strftime("%d/%m/%Y") if when else m["date"].removeprefix("ngày ").strip()
            h.implements_vi = f"{m['kind']} số {m['no']} ngày {date_text} của {_short_issuer(m['by'])}"
        if h.issued_by_vi is None and (m := re.match(r"^(?P<by>(?:Ủy|Uỷ) ban nhân dân\s+.+?)\s+ban hành\b", para)):
            h.issued_by_vi = _short_issuer(m["by"])
    if h.issued_by_vi is None:
        for para in head[:10]:
            if m := re.match(r"^(?P<place>(?:Phường|Xã|Thị trấn|Đặc khu)\s+[^,]+),\s*ngày", para):
                h.issued_by_vi = "UBND " + m["place"][:1].lower() + m["place"][1:]
                break
    for para in paragraphs:
        if re.search(r"báo cáo|gửi", para, re.IGNORECASE) and (m := re.search(
                r"trước\s+ngày\s+(?P<d>\d{1,2})[/-](?P<m>\d{1,2})[/-](?P<y>\d{4})|"
                r"trước\s+ngày\s+(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4})", para)):
            d, mo, y = (m["d"], m["m"], m["y"]) if m["d"] else (m["d2"], m["m2"], m["y2"])
            try:
                h.due_date = dt.date(int(y), int(mo), int(d))
            except ValueError:
                continue
            break
    if h.title_vi and (m := re.search(r"năm\s+(\d{4})", h.title_vi)):
        h.year = int(m.group(1))
    elif h.date_vi and (m := re.search(r"năm\s+(\d{4})", h.date_vi)):
        h.year = int(m.group(1))
    return h
