"""Full-text retrieval over the guide (jieba + BM25), used when NLU is unsure.

Documents: one per (item, topic) of each item's default section, one per field a department
overrides, one per general FAQ topic (faq.yml) and one per item FAQ entry. Each document carries
the words people use for its item, department and topic, so a paraphrase or a typo still lands
on the right section. Tokens are jieba words (with the project dictionary data/dict/userdict.txt)
plus Chinese character bigrams, which keeps typos and unusual segmentation retrievable.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import jieba
from rank_bm25 import BM25Okapi

from bot.guide.loader import Guide, load_guide

USERDICT = Path(__file__).resolve().parents[2] / "data" / "dict" / "userdict.txt"

# How people ask about each topic (`phrases`) and the stop words: guides/lexicon.yml.
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@functools.lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    tk = jieba.Tokenizer()
    if USERDICT.exists():
        tk.load_userdict(str(USERDICT))
    return tk


def tokens(text: str, guide: Guide | None = None) -> list[str]:
    """jieba search-mode words (without stop words and punctuation) + Chinese character bigrams."""
    stop = (guide or load_guide()).lexicon.search_stopwords
    text = (text or "").lower()
    words = [w for w in _tokenizer().cut_for_search(text) if w.strip() and not _PUNCT.fullmatch(w)]
    out = [w for w in words if w not in stop]
    for run in _HAN.findall(text):
        out += [bg for bg in (run[i:i + 2] for i in range(len(run) - 1)) if bg not in stop]
    return out


@dataclass(frozen=True)
class Hit:
    kind: str  # section | faq | item_faq
    item: str | None
    department: str | None
    topic: str | None  # topic code (section), faq id (faq) or "faq" (item_faq)
    score: float
    title: str
    faq_index: int | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.item, self.topic, self.faq_index)

    @property
    def source(self) -> str:
        if self.kind == "faq":
            return f"faq/{self.topic}"
        return f"{self.item}/{self.department or 'default'}"


@dataclass(frozen=True)
class _Doc:
    hit: Hit
    text: str


def _field_text(guide: Guide, sec: dict, topic: str) -> str:
    if topic in ("applicability", "effects", "objection"):
        return sec.get(topic, "")
    if topic in ("conditions", "process"):
        return " ".join(sec.get(topic, ()))
    if topic == "materials":
        return " ".join(guide.materials[m["id"]]["name"] for m in sec.get("materials", ()))
    if topic == "channels":
        return " ".join(guide.channels[c]["name"] for c in sec.get("channels", ()))
    if topic == "basis":
        return " ".join(guide.instruments[b["instrument"]]["title"] for b in sec.get("basis", ()))
    return ""


TOPIC_WEIGHT = 3  # how often a passage repeats its topic's words and phrases


def _topic_words(guide: Guide, topic: str) -> str:
    t = guide.lexicon.topics[topic]
    words = " ".join((t.label, *t.keywords, *t.phrases))
    return " ".join([words] * TOPIC_WEIGHT)


def _item_words(guide: Guide, item: str) -> str:
    data = guide.items[item]
    return " ".join((data["name"], data["short"], *data["aliases"]))


def build_documents(guide: Guide) -> list[_Doc]:
    docs: list[_Doc] = []
    TOPICS = guide.lexicon.topics
    topics = [t for t in TOPICS if t != "fee"]
    for item, data in guide.items.items():
        item_words = _item_words(guide, item)
        for topic in topics:
            title = f"{data['short']}·{TOPICS[topic].label}"
            text = " ".join((_field_text(guide, data["default"], topic), _topic_words(guide, topic), item_words))
            docs.append(_Doc(Hit("section", item, None, topic, 0.0, title), text))
        for dept, override in data["departments"].items():
            if override.get("not_applicable"):
                continue
            for topic in topics:
                field_text = _field_text(guide, override, topic)
                if not field_text:
                    continue
                title = f"{data['short']}·{guide.departments[dept]['short']}·{TOPICS[topic].label}"
                # No department words: the department comes from the question; this passage only
                # adds what that department's section says differently.
                text = " ".join((field_text, _topic_words(guide, topic), item_words))
                docs.append(_Doc(Hit("section", item, dept, topic, 0.0, title), text))
        for n, qa in enumerate(data["default"].get("faq", ())):
            text = " ".join((qa["q"], qa["q"], re.sub(r"\{\w+\}", " ", qa["a"]), " ".join(qa.get("keywords", ())),
                             item_words))
            docs.append(_Doc(Hit("item_faq", item, None, "faq", 0.0, qa["q"], n), text))
    for tid, t in guide.faq_topics.items():
        if t.get("search") is False:
            continue
        keywords = " ".join(t.get("keywords", ()))
        text = " ".join((t["title"], t["title"], re.sub(r"\{\w+\}", " ", t["answer"]), keywords, keywords, keywords))
        docs.append(_Doc(Hit("faq", None, None, tid, 0.0, t["title"]), text))
    return docs


class GuideSearch:
    def __init__(self, guide: Guide):
        self.guide = guide
        self.docs = build_documents(guide)
        corpus = [tokens(d.text, guide) for d in self.docs]
        self._bm25 = BM25Okapi(corpus)
        self._vocab = {t for doc in corpus for t in doc}
        self._aliases = sorted({
            *(w for d in guide.items.values() for w in (d["short"], *d["aliases"])),
            *(w for d in guide.departments.values() for w in (d["short"], *d["aliases"])),
        })

    def _expand(self, query: list[str]) -> list[str]:
        """Typo tolerance: a word the guide never uses that looks like an item or department
        alias (黑明单 -> 黑名单) adds that alias's tokens."""
        extra = []
        for word in query:
            if len(word) >= 3 and word not in self._vocab:
                close = difflib.get_close_matches(word, self._aliases, n=1, cutoff=0.66)
                if close:
                    extra += tokens(close[0], self.guide)
        return query + extra

    def search(self, text: str, k: int = 5, prefer_item: str | None = None,
               only_items: tuple[str, ...] = (), department: str | None = None) -> list[Hit]:
        """The best `k` distinct hits for `text`, best first. `prefer_item` (the item in the
        conversation context) is favoured; `only_items` keeps section hits of those items (and
        general FAQ topics) only. Department-specific passages compete only when `department`
        (named in the question) is given, and then only that department's."""
        query = self._expand(tokens(text, self.guide))
        if not query:
            return []
        scores = self._bm25.get_scores(query)
        ranked = []
        for doc, score in zip(self.docs, scores):
            if only_items and doc.hit.item not in (None, *only_items):
                continue
            if only_items and doc.hit.item is None:
                score *= 0.8  # the item is named: a general FAQ must clearly win to be chosen
            if doc.hit.department is not None and doc.hit.department != department:
                continue
            if prefer_item and doc.hit.item not in (None, prefer_item):
                score *= 0.8
            if score > 0:
                h = doc.hit
                ranked.append(Hit(h.kind, h.item, h.department, h.topic, float(score), h.title, h.faq_index))
        ranked.sort(key=lambda h: -h.score)
        out, seen = [], set()
        for hit in ranked:
            if hit.key in seen:
                continue
            seen.add(hit.key)
            out.append(hit)
            if len(out) == k:
                break
        return out


@functools.lru_cache(maxsize=4)
def _search_for(guide_id: int, guide: Guide) -> GuideSearch:
    return GuideSearch(guide)


def get_search(guide: Guide | None = None) -> GuideSearch:
    guide = guide or load_guide()
    return _search_for(id(guide), guide)


def search(text: str, k: int = 5, guide: Guide | None = None, prefer_item: str | None = None,
           only_items: tuple[str, ...] = (), department: str | None = None) -> list[Hit]:
    return get_search(guide).search(text, k=k, prefer_item=prefer_item, only_items=only_items,
                                    department=department)
