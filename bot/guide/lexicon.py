"""The one lexicon: guides/lexicon.yml plus the item and department names of the guide.

Every word list the assistant matches user text against lives in guides/ — item and department
names and aliases in items/*.yml and departments.yml, everything else (topics, hints, neutral
words, subject words, record cues, dictionary words, stop words, rule labels) in lexicon.yml.
`Guide.lexicon` builds one `Lexicon` per loaded guide and caches it on the guide object.

Readers:
  * bot/guide/resolve.py, agent_query.py — `scan()` mentions, `codes()`, `fuzzy_code()`
  * bot/guide/answer.py — `topics` (labels, intents)
  * bot/guide/search.py — `topics` (keywords, phrases), `search_stopwords`
  * bot/guide/nlu_data.py — `names()`, `domain_words`, `dialect_words`
  * bot/facts/vocab.py (issue 9) may read `subject_words`, `record_cues`, `names("item")`,
    `names("department")` instead of its own constants.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from bot.guide.loader import Guide


@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    intent: str
    keywords: tuple[str, ...]
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    kind: str  # item | department | topic | oos | neutral | item_hint | department_hint
    code: str
    text: str
    start: int


def _dedup(words: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for w in words:
        w = (w or "").strip()
        if w and w not in seen:
            seen.add(w)
            out.append(w)
    return out


def _invert(groups: dict[str, list[str]]) -> dict[str, str]:
    return {w: code for code, words in groups.items() for w in words}


class Lexicon:
    """All word lists of one guide, and the longest-match scanner over them."""

    def __init__(self, guide: Guide, raw: dict[str, Any]):
        self.raw = raw
        self.topics: dict[str, Topic] = {
            t["code"]: Topic(t["code"], t["label"], t["intent"], tuple(t["keywords"]), tuple(t.get("phrases", ())))
            for t in raw["topics"]
        }
        self.intent_topics = {t.intent: t.code for t in self.topics.values()}
        self.department_hints = _invert(raw.get("department_hints", {}))
        self.item_hints = _invert(raw.get("item_hints", {}))
        self.neutral_words = tuple(raw.get("neutral_words", ()))
        self.weak_out_of_scope = frozenset(raw.get("weak_out_of_scope", ()))
        self.grade_words = frozenset(raw.get("grade_words", ()))
        self.subject_words = {k: tuple(v) for k, v in raw.get("subject_words", {}).items()}
        self.record_cues = {k: tuple(v) for k, v in raw.get("record_cues", {}).items()}
        self.domain_words = tuple(raw.get("domain_words", ()))
        self.dialect_words = tuple(raw.get("dialect_words", ()))
        self.search_stopwords = frozenset(raw.get("search_stopwords", ()))
        self.rule_topic_labels: dict[str, str] = dict(raw.get("rule_topic_labels", {}))
        self.date_basis_labels: dict[str, str] = dict(raw.get("date_basis_labels", {}))
        self._names = {
            "item": {c: _dedup([d["name"], d["short"], *d["aliases"]]) for c, d in guide.items.items()},
            "department": {c: _dedup([d["name"], d["short"], *d["aliases"]]) for c, d in guide.departments.items()},
            "topic": {c: _dedup([t.label, *t.keywords]) for c, t in self.topics.items()},
        }
        self._codes = {"item": set(guide.items), "department": set(guide.departments), "topic": set(self.topics)}

        table: dict[str, tuple[str, str]] = {}

        def add(words: Iterable[str], kind: str, code: str) -> None:
            for w in words:
                table.setdefault(w.lower(), (kind, code))

        for code, words in self._names["item"].items():
            add(words, "item", code)
        for code, words in self._names["department"].items():
            add(words, "department", code)
        for tid, t in guide.faq_topics.items():
            if t.get("out_of_scope"):
                add(t.get("keywords", ()), "oos", tid)
        add(self.neutral_words, "neutral", "")
        for code, words in self._names["topic"].items():
            add(words, "topic", code)
        for w, code in self.department_hints.items():
            add([w], "department_hint", code)
        for w, code in self.item_hints.items():
            add([w], "item_hint", code)
        self.table = table
        self.max_len = max(len(w) for w in table)
        # kind -> first character -> (alias, code) for the typo matching of fuzzy_mentions
        self._by_first: dict[str, dict[str, list[tuple[str, str]]]] = {}
        for alias, (kind, code) in table.items():
            if len(alias) >= 3:
                self._by_first.setdefault(kind, {}).setdefault(alias[0], []).append((alias, code))

    # ----- word lists --------------------------------------------------------------------------
    def section(self, name: str) -> Any:
        """A raw section of lexicon.yml (KeyError when it does not exist)."""
        return self.raw[name]

    def mentions(self, text: str, name: str) -> bool:
        """Whether `text` contains one of the words of the section `name` (a flat list)."""
        return any(w in (text or "") for w in self.raw[name])

    def names(self, kind: str) -> dict[str, list[str]]:
        """code -> every word naming it (name, short, aliases; label and keywords for topics)."""
        return self._names[kind]

    def codes_of(self, kind: str) -> set[str]:
        return self._codes[kind]

    # ----- scanning ----------------------------------------------------------------------------
    def scan(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest word first at each position."""
        low = (text or "").lower()
        out, i = [], 0
        while i < len(low):
            for n in range(min(self.max_len, len(low) - i), 0, -1):
                hit = self.table.get(low[i:i + n])
                if hit:
                    out.append(Mention(hit[0], hit[1], text[i:i + n], i))
                    i += n
                    break
            else:
                i += 1
        return out

    def fuzzy_code(self, word: str, kind: str, cutoff: float = 0.6) -> str | None:
        """The item/department whose alias is closest to a mistyped `word` (黑明单 -> serious_list)."""
        if len(word) < 2:
            return None
        names = [w for w, (k, _) in self.table.items() if k == kind and abs(len(w) - len(word)) <= 2]
        close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=cutoff)
        return self.table[close[0]][1] if close else None

    def fuzzy_items(self, text: str) -> list[str]:
        """Items named with a typo (处法记录, 黑明单, 经营异长): one character off an alias."""
        return codes(self.fuzzy_mentions(text, "item"), "item")

    def fuzzy_mentions(self, text: str, kind: str) -> list[Mention]:
        """Names of `kind` typed one character off an alias of three or more characters, the
        first character right (黑明单, 经营已常, 税物局), in order of position; one per code."""
        low = (text or "").lower()
        by_first = self._by_first.get(kind, {})
        found: dict[str, Mention] = {}
        for i, first in enumerate(low):
            for alias, code in by_first.get(first, ()):
                n = len(alias)
                if code in found or i + n > len(low):
                    continue
                if sum(a == b for a, b in zip(low[i:i + n], alias)) == n - 1:
                    found[code] = Mention(kind, code, text[i:i + n], i)
        return list(found.values())

    def normalise(self, value: Any, kind: str) -> str | None:
        """An entity value (a code, a synonym-mapped code, or raw text with a typo) to a code."""
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        if value in self._codes.get(kind, ()):
            return value
        ms = self.scan(value)
        found = codes(ms, kind) or codes(ms, f"{kind}_hint")
        if found:
            return found[0]
        return self.fuzzy_code(value, kind) if kind in ("item", "department") else None

    def entity_codes(self, entities: Iterable[dict] | None, kind: str) -> list[str]:
        out: list[str] = []
        for e in entities or ():
            if e.get("entity") == kind:
                code = self.normalise(e.get("value"), kind)
                if code and code not in out:
                    out.append(code)
        return out


def codes(ms: Iterable[Mention], kind: str) -> list[str]:
    """The distinct codes of the mentions of `kind`, in order."""
    out: list[str] = []
    for m in ms:
        if m.kind == kind and m.code not in out:
            out.append(m.code)
    return out
