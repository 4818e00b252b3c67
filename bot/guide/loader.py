"""Load guides/*.yml into a validated, read-only `Guide`.

Every file is checked against its JSON schema and every cross-reference (instrument, material,
channel, department ids; overlapping rule versions) is checked; the first problem raises
`GuideError` naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import yaml

from bot.guide import schema
from bot.guide.lexicon import Lexicon
from bot.texts import t

DEFAULT_GUIDE_DIR = Path(__file__).resolve().parents[2] / "guides"
ITEM_CODES = ("penalty_info", "abnormal_list", "serious_list")


class GuideError(ValueError):
    """The guide data is broken; the message names the file and the field."""


@dataclass(frozen=True)
class Citation:
    instrument: str
    title: str
    number: str
    article: str
    verified: bool

    def text(self) -> str:
        article = f"{self.article}" if self.article else ""
        return f"《{self.title}》（{self.number}）{article}"


@dataclass(frozen=True)
class RuleVersion:
    id: str
    topic: str
    item: str
    department: str
    subject_types: tuple[str, ...]
    date_basis: str
    valid_from: dt.date
    valid_until: dt.date | None
    verified: bool
    basis: tuple[Citation, ...]
    values: dict[str, Any]
    note: str = ""

    def in_force(self, on: dt.date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class RuleChoice(NamedTuple):
    """What `Guide.rule_for` found: the rule version to apply and, when no version is in force
    on the date asked and a nearer one is used instead, the caveat to show (else None).
    Unpacks as `rule, caveat = guide.rule_for(...)`."""

    rule: RuleVersion | None
    caveat: str | None = None

    @property
    def exact(self) -> bool:
        """A version in force on the date asked was found."""
        return self.rule is not None and self.caveat is None


@dataclass(frozen=True)
class MaterialNeed:
    id: str
    name: str
    description: str
    required: bool
    fetched_by_department: bool
    generated: bool
    conditional: str = ""


@dataclass(frozen=True)
class Section:
    """The guide card for one service item and one department (default merged with override)."""

    item: str
    department: str
    source: str
    verified: bool
    last_reviewed: str
    applicability: str
    conditions: tuple[str, ...]
    process: tuple[str, ...]
    materials: tuple[MaterialNeed, ...]
    channels: tuple[dict, ...]
    effects: str
    objection: str
    basis: tuple[Citation, ...]
    faq: tuple[dict, ...] = field(default_factory=tuple)
    not_applicable: str = ""
    subject_types: tuple[str, ...] = ()


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            # Dates stay strings: the schemas check their shape, the loader converts them.
            return yaml.load(fh, Loader=_StringDateLoader)
    except FileNotFoundError as exc:
        raise GuideError(f"{path.name}: file missing") from exc
    except yaml.YAMLError as exc:
        raise GuideError(f"{path.name}: not valid YAML: {exc}") from exc


class _StringDateLoader(yaml.SafeLoader):
    pass


_StringDateLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _validate(data: Any, file_schema: dict, filename: str) -> None:
    validator = jsonschema.Draft7Validator(file_schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        raise GuideError(f"{filename}: field {where}: {err.message}")


class Guide:
    """The repair guide: the single source of truth for answers, rules, form and case store."""

    def __init__(self, root: Path):
        self.root = Path(root)
        raw = {}
        for name, file_schema in schema.FILE_SCHEMAS.items():
            data = _read_yaml(self.root / name)
            _validate(data, file_schema, name)
            raw[name] = data
        self.instruments = {i["id"]: i for i in raw["instruments.yml"]["instruments"]}
        self.departments = {d["code"]: d for d in raw["departments.yml"]["departments"]}
        self.channels = {c["id"]: c for c in raw["channels.yml"]["channels"]}
        self.service: dict[str, str] = raw["service.yml"]["service"]
        self.materials = {m["id"]: m for m in raw["materials.yml"]["materials"]}
        self.faq_topics = {t["id"]: t for t in raw["faq.yml"]["topics"]}
        self.items: dict[str, dict] = {}
        for code in ITEM_CODES:
            name = f"items/{code}.yml"
            data = _read_yaml(self.root / "items" / f"{code}.yml")
            _validate(data, schema.ITEM, name)
            if data["item"] != code:
                raise GuideError(f"{name}: field item: expected {code!r}, got {data['item']!r}")
            self.items[code] = data
        self.rules = [self._rule(r, i) for i, r in enumerate(raw["rules.yml"]["rules"])]
        self._lexicon_raw = raw["lexicon.yml"]
        self._check_references()
        self.lexicon = Lexicon(self, self._lexicon_raw)  # one per guide object

    # ----- construction helpers -------------------------------------------------------------
    def _citations(self, basis: Iterable[dict], where: str) -> tuple[Citation, ...]:
        out = []
        for n, ref in enumerate(basis):
            inst = self.instruments.get(ref["instrument"])
            if inst is None:
                raise GuideError(f"{where}.basis.{n}.instrument: unknown instrument {ref['instrument']!r}")
            out.append(
                Citation(
                    instrument=inst["id"],
                    title=inst["title"],
                    number=inst["number"],
                    article=ref.get("article", ""),
                    verified=inst["verified"],
                )
            )
        return tuple(out)

    def _rule(self, r: dict, index: int) -> RuleVersion:
        where = f"rules.yml: field rules.{index}"
        if r["department"] != "any" and r["department"] not in self.departments:
            raise GuideError(f"{where}.department: unknown department {r['department']!r}")
        start, end = _date(r["valid_from"]), _date(r["valid_until"])
        if end is not None and end < start:
            raise GuideError(f"{where}.valid_until: before valid_from")
        return RuleVersion(
            id=r["id"],
            topic=r["topic"],
            item=r["item"],
            department=r["department"],
            subject_types=tuple(r.get("subject_types", ())),
            date_basis=r["date_basis"],
            valid_from=start,
            valid_until=end,
            verified=r["verified"],
            basis=self._citations(r["basis"], where),
            values=r["values"],
            note=r.get("note", ""),
        )

    def _check_references(self) -> None:
        for code, data in self.items.items():
            name = f"items/{code}.yml"
            sections = {"default": data["default"], **data["departments"]}
            for key, sec in sections.items():
                where = f"{name}: field " + ("default" if key == "default" else f"departments.{key}")
                if key != "default" and key not in self.departments:
                    raise GuideError(f"{where}: unknown department {key!r}")
                for n, m in enumerate(sec.get("materials", ())):
                    if m["id"] not in self.materials:
                        raise GuideError(f"{where}.materials.{n}.id: unknown material {m['id']!r}")
                for n, c in enumerate(sec.get("channels", ())):
                    if c not in self.channels:
                        raise GuideError(f"{where}.channels.{n}: unknown channel {c!r}")
                self._citations(sec.get("basis", ()), where)
            missing = set(self.departments) - set(data["departments"])
            if missing:
                raise GuideError(f"{name}: field departments: missing {sorted(missing)}")
        for topic in self.faq_topics.values():
            self._citations(topic.get("basis", ()), f"faq.yml: field topics.{topic['id']}")
        seen: dict[tuple, list[RuleVersion]] = {}
        for rule in self.rules:
            key = (rule.topic, rule.item, rule.department, rule.subject_types)
            for other in seen.get(key, []):
                if _overlap(rule, other):
                    raise GuideError(
                        f"rules.yml: field rules.{rule.id}.valid_from: overlaps {other.id} for the same scope"
                    )
            seen.setdefault(key, []).append(rule)

    # ----- queries ----------------------------------------------------------------------------
    def department_name(self, code: str) -> str:
        return self.departments[code]["name"]

    def item_name(self, code: str, department: str | None = None) -> str:
        """The item's name; a department's own name for it where it has one (民政: 活动异常名录)."""
        own = self.items[code]["departments"].get(department or "", {})
        return own.get("name") or self.items[code]["name"]

    def own_item_short(self, code: str, department: str | None) -> str | None:
        """A department's own short name for the item (民政: 活动异常名录), or None."""
        return self.items[code]["departments"].get(department or "", {}).get("short")

    def item_short(self, code: str, department: str | None = None) -> str:
        return self.own_item_short(code, department) or self.items[code]["short"]

    def section(self, item: str, department: str | None = None) -> Section:
        data = self.items[item]
        merged = dict(data["default"])
        source = f"{item}/default"
        if department and department in data["departments"]:
            override = data["departments"][department]
            merged.update(override)
            source = f"{item}/{department}"
        dept = department or "any"
        return Section(
            item=item,
            department=dept,
            source=source,
            verified=merged["verified"],
            last_reviewed=merged["last_reviewed"],
            applicability=merged["applicability"],
            conditions=tuple(merged["conditions"]),
            process=tuple(merged["process"]),
            materials=tuple(self._material_need(m) for m in merged["materials"]),
            channels=tuple(self.channels[c] for c in merged["channels"]),
            effects=merged["effects"],
            objection=merged["objection"],
            basis=self._citations(merged["basis"], source),
            faq=tuple(merged.get("faq", ())),
            not_applicable=merged.get("not_applicable", ""),
            subject_types=tuple(merged.get("subject_types", ())),
        )

    def _material_need(self, ref: dict) -> MaterialNeed:
        m = self.materials[ref["id"]]
        return MaterialNeed(
            id=m["id"],
            name=m["name"],
            description=m["description"],
            required=ref["required"],
            fetched_by_department=ref.get("fetched_by_department", False),
            generated=m.get("generated", False),
            conditional=m.get("conditional", ""),
        )

    def deciding_department(self, item: str, subject_type: str | None) -> str | None:
        """The one department that decides `item` for this kind of subject, when the guide
        says so (e.g. abnormal lists: market regulation, or civil affairs for social
        organisations); None when it depends on the record."""
        found = [
            code for code in self.departments
            if subject_type in self.section(item, code).subject_types
            and not self.section(item, code).not_applicable
        ]
        return found[0] if len(found) == 1 else None

    def rule_for(
        self,
        topic: str,
        item: str,
        department: str | None,
        on: dt.date,
        subject_type: str | None = None,
        *,
        fallback: bool = True,
    ) -> RuleChoice:
        """THE rule lookup (answers, path engine, case-store deadlines all call this).

        The version of `topic` for (`item`, `department`, `subject_type`) in force on `on`, the most
        specific scope first: department + subject type, department, any + subject type, any.
        `department` None means "any". When no version is in force on `on` and `fallback` is true,
        the nearest version held is used — the earliest one for a date before all versions, else
        the latest one that ended — with a caveat naming the date and the rule applied instead.
        Returns RuleChoice(None, None) when the guide has no version for that scope at all."""
        department = department or "any"

        def specificity(r: RuleVersion) -> tuple[bool, bool]:
            return (r.department == department, bool(r.subject_types))

        scope = [
            r for r in self.rules
            if r.topic == topic and r.item == item and r.department in (department, "any")
            and (not r.subject_types or subject_type in r.subject_types)
        ]
        current = [r for r in scope if r.in_force(on)]
        if current:
            return RuleChoice(max(current, key=specificity))
        if not fallback or not scope:
            return RuleChoice(None)
        later = [r for r in scope if r.valid_from > on]
        if later:
            start = min(r.valid_from for r in later)
            chosen = max((r for r in later if r.valid_from == start), key=specificity)
            where = t("guide.rule_fallback.earliest", date=zh_date(chosen.valid_from))
        else:
            end = max(r.valid_until for r in scope)  # none is open-ended, or it would be in force
            chosen = max((r for r in scope if r.valid_until == end), key=specificity)
            where = t("guide.rule_fallback.latest", date=zh_date(chosen.valid_until))
        lex = self.lexicon
        caveat = t(
            "guide.rule_fallback.caveat",
            basis=lex.date_basis_labels.get(chosen.date_basis, t("guide.rule_fallback.some_date")),
            date=zh_date(on),
            topic=lex.rule_topic_labels.get(topic, topic),
            where=where,
            title=chosen.basis[0].title,
        )
        return RuleChoice(chosen, caveat)

    def rule(
        self,
        topic: str,
        item: str,
        department: str,
        on: dt.date,
        subject_type: str | None = None,
    ) -> RuleVersion | None:
        """The rule version in force on `on` (no fallback): `rule_for(..., fallback=False).rule`."""
        return self.rule_for(topic, item, department, on, subject_type, fallback=False).rule

    def rule_versions(self, topic: str, item: str | None = None) -> list[RuleVersion]:
        return sorted(
            (r for r in self.rules if r.topic == topic and (item is None or r.item == item)),
            key=lambda r: (r.department, r.valid_from),
        )

    @property
    def caveat(self) -> str:
        return self.service["unverified_caveat"]


def zh_date(d: dt.date) -> str:
    return t("guide.date", y=d.year, m=d.month, d=d.day)


def _overlap(a: RuleVersion, b: RuleVersion) -> bool:
    a_end = a.valid_until or dt.date.max
    b_end = b.valid_until or dt.date.max
    return a.valid_from <= b_end and b.valid_from <= a_end


@functools.lru_cache(maxsize=4)
def _load_cached(root: str) -> Guide:
    return Guide(Path(root))


def load_guide(root: str | os.PathLike | None = None) -> Guide:
    """The guide under `root` (default: $GUIDE_DIR or the project's guides/), loaded once."""
    path = root or os.environ.get("GUIDE_DIR") or DEFAULT_GUIDE_DIR
    return _load_cached(str(Path(path).resolve()))
