"""The guide is validated at load time: a broken copy fails with the file and field named."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.guide.loader import DEFAULT_GUIDE_DIR, Guide, GuideError, load_guide

ITEMS = ("penalty_info", "abnormal_list", "serious_list")


@pytest.fixture
def guide_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "guides"
    shutil.copytree(DEFAULT_GUIDE_DIR, dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_project_guide_loads():
    guide = load_guide()
    assert set(guide.items) == set(ITEMS)


def test_wrong_type_in_an_item_file_names_file_and_field(guide_copy):
    _edit(guide_copy / "items" / "serious_list.yml",
          "  tax:\n    verified: false", "  tax:\n    verified: perhaps")
    with pytest.raises(GuideError, match=r"items/serious_list\.yml: field departments\.tax\.verified"):
        Guide(guide_copy)


def test_missing_required_section_field_names_file_and_field(guide_copy):
    path = guide_copy / "items" / "penalty_info.yml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\n  effects: [^\n]+", "", text, count=1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GuideError) as err:
        Guide(guide_copy)
    assert "items/penalty_info.yml" in str(err.value) and "default" in str(err.value)
    assert "effects" in str(err.value)


def test_unknown_material_reference_names_file_and_field(guide_copy):
    _edit(guide_copy / "items" / "abnormal_list.yml", "{id: address_proof,", "{id: adress_proof,")
    with pytest.raises(GuideError, match=r"items/abnormal_list\.yml: field default\.materials\.\d+\.id"):
        Guide(guide_copy)


def test_broken_faq_names_file_and_field(guide_copy):
    _edit(guide_copy / "faq.yml", "  - id: two_notices\n    title: 什么是“双书同达”\n",
          "  - id: two_notices\n")
    with pytest.raises(GuideError, match=r"faq\.yml: field topics\.1"):
        Guide(guide_copy)


def test_invalid_yaml_names_the_file(guide_copy):
    (guide_copy / "items" / "penalty_info.yml").write_text("item: [unclosed\n", encoding="utf-8")
    with pytest.raises(GuideError, match=r"penalty_info\.yml: not valid YAML"):
        Guide(guide_copy)


def test_every_item_covers_every_department_with_review_data():
    guide = load_guide()
    for item in ITEMS:
        for dept in guide.departments:
            section = guide.section(item, dept)
            assert section.source == f"{item}/{dept}"
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", section.last_reviewed)
            assert isinstance(section.verified, bool)


def test_section_texts_carry_no_periods_or_time_limits():
    """Periods and time limits come from dated rules (rules.yml) only, never from section text."""
    guide = load_guide()
    pattern = re.compile(r"\d+\s*(个月|年|个?工作日|天)")
    for item, data in guide.items.items():
        sections = {"default": data["default"], **data["departments"]}
        for key, sec in sections.items():
            texts = [sec.get("applicability", ""), sec.get("effects", ""), sec.get("objection", ""),
                     sec.get("not_applicable", ""), *sec.get("conditions", ()), *sec.get("process", ()),
                     *(qa["q"] + qa["a"] for qa in sec.get("faq", ()))]
            for text in texts:
                assert not pattern.search(text), f"{item}/{key}: {text}"
    for topic in guide.faq_topics.values():
        assert not pattern.search(topic["answer"]), topic["id"]


def test_no_guide_file_defines_a_key_twice():
    """A key written twice in one mapping silently replaces the first (a second `progress_words`
    in the lexicon once switched the guide's progress questions off)."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            assert key not in seen, f"{node.start_mark.name}:{key_node.start_mark.line + 1}: {key!r} twice"
            seen.add(key)
        return loader.construct_mapping(node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    root = Path(__file__).resolve().parents[1] / "guides"
    files = sorted(root.rglob("*.yml"))
    assert len(files) >= 10
    for path in files:
        with path.open(encoding="utf-8") as f:
            yaml.load(f, Loader=Strict)  # noqa: S506 - a SafeLoader subclass


def test_a_social_organisations_listing_names_its_own_authority_and_materials():
    """Fourth hand try: a 协会 listed by 民政 was told 「作出列入决定的市场监管部门核实」 and given the
    enterprise system's 「已公示企业即时信息」 (the abnormal list's default section)."""
    from bot.guide.loader import load_guide

    section = load_guide().section("abnormal_list", "civil_affairs")
    steps = "".join(section.process)
    assert "民政" in steps and "市场监管" not in steps and "国家企业信用信息公示系统" not in steps
    ids = [m["id"] if isinstance(m, dict) else m.id for m in section.materials]
    assert "instant_info_published" not in ids and "annual_report_published" not in ids
    assert {"repair_application", "credit_commitment"} <= set(ids)
