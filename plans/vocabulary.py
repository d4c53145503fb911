"""The vocabulary (plans/vocabulary.yaml): which indicator a target sentence is about."""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from plans.errors import PlanError
from plans.numbers import nfc

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class Match:
    """The indicator a sentence maps to (``entry``), or why none (``problem``)."""

    entry: dict | None
    problem: str | None = None


@functools.cache
def load_vocabulary(path: str | Path = VOCABULARY_PATH) -> dict:
    """The vocabulary document, checked: every indicator entry has key, match, figure, comparisons, target."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError(f"vocabulary {path}: cannot read: {exc}") from exc
    for i, entry in enumerate(doc.get("indicators") or []):
        for key in ("key", "match", "figure", "comparisons", "target"):
            if not entry.get(key):
                raise PlanError(f"vocabulary {path}: indicators[{i}]: field '{key}' missing")
    return doc


def _phrase_re(phrase: str) -> re.Pattern:
    return re.compile(r"(?<!\w)" + re.escape(nfc(phrase).lower()) + r"(?!\w)")


def _score(text: str, alternatives: list[str]) -> int:
    """How much of `text` the best alternative covers (characters of its phrases; 0 when none holds)."""
    best = 0
    for alternative in alternatives:
        phrases = [p.strip() for p in alternative.split("&") if p.strip()]
        if all(_phrase_re(p).search(text) for p in phrases):
            best = max(best, sum(len(p) for p in phrases))
    return best


def match_indicator(sentence: str, vocabulary: dict) -> Match:
    """The vocabulary entry whose phrases the sentence holds (longest match wins).

    Returns:
        ``Match(entry)``; ``Match(None, problem)`` when no entry matches, two entries match equally, or a
        look-alike no source measures (``unmeasured``) matches better.
    """
    text = re.sub(r"\s+", " ", nfc(sentence)).lower()
    scores = [(best, entry) for entry in vocabulary["indicators"] if (best := _score(text, entry["match"]))]
    look_alike = max(((_score(text, e["match"]), e) for e in vocabulary.get("unmeasured") or ()),
                     key=lambda s: s[0], default=(0, None))
    if look_alike[0] and look_alike[0] > max((s for s, _ in scores), default=0):
        return Match(None, f"no source provides this target: {look_alike[1]['why']}")
    if not scores:
        return Match(None, "no source provides this target: no vocabulary entry matches it")
    scores.sort(key=lambda s: -s[0])
    if len(scores) > 1 and scores[0][0] == scores[1][0]:
        return Match(None, f"ambiguous: it reads as '{scores[0][1]['key']}' and as '{scores[1][1]['key']}'")
    return Match(copy.deepcopy(scores[0][1]))
