"""Names in messy applicant messages, as a table: the whole registered name is kept, or it is
refused with a Chinese reason — never a tail of it (「成都<b>科技有限公司」 is not 「科技有限公司」).
Role words are read from guides/lexicon.yml (`role_words`), not from literals in the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.facts import applicant
from bot.facts.applicant import mine_applicant
from bot.guide import load_guide

REPO = Path(__file__).resolve().parents[1]

# (message, subject name kept, a word of the refusal reason or None)
SUBJECT_NAMES = [
    ("成都<b>科技有限公司", None, "<>"),
    ("<b>成都锦程商贸有限公司</b>", None, "<>"),
    ("成都锦程商贸有限公司</b>", None, "<"),
    ("成都@科技有限公司", None, "@"),
    ("成都#锦程商贸有限公司", None, "#"),
    ("成都锦程{商贸}有限公司", None, "{}"),
    ("成都锦程_商贸有限公司", None, "_"),
    ("成都锦程商贸有限公司", "成都锦程商贸有限公司", None),
    ("名称是：成都锦程商贸有限公司", "成都锦程商贸有限公司", None),
    ("营业执照上就是成都锦程商贸有限公司噻", "成都锦程商贸有限公司", None),
    ("“成都锦程商贸有限公司”", "成都锦程商贸有限公司", None),
    ("成都锦程商贸有限公司！", "成都锦程商贸有限公司", None),
    ("成都锦程商贸（集团）有限公司", "成都锦程商贸（集团）有限公司", None),
    ("成都锦程商贸(集团)有限公司", "成都锦程商贸（集团）有限公司", None),
    ("成都锦程商贸有限公司，信用代码91510100MA6CQ7FW7R", "成都锦程商贸有限公司", None),
    ("金牛区张记小吃店", "金牛区张记小吃店", None),
    ("我们公司出问题了", None, None),
]


@pytest.mark.parametrize("text,name,reason", SUBJECT_NAMES)
def test_subject_name_is_whole_or_refused_with_a_reason(text, name, reason):
    facts = mine_applicant(text)
    assert facts.subject_name == name
    if name is None and reason is None:
        assert "subject_name" not in facts.invalid
    if reason:
        why = facts.invalid["subject_name"]
        assert reason in why and "营业执照" in why  # says what is wrong and what to type
    if facts.subject_name:
        assert facts.subject_name in text.replace("(", "（").replace(")", "）")  # never made up or cut


# (message, legal_rep, agent_name, agent is the legal rep, refused slot)
PEOPLE = [
    ("法人王建国，我是会计李梅来办", "王建国", "李梅", False, None),
    ("法定代表人是王建国 经办人李梅", "王建国", "李梅", False, None),
    ("负责人张德贵", "张德贵", None, False, None),
    ("经营者：张德贵", "张德贵", None, False, None),
    ("法人就是王建国", "王建国", None, False, None),
    ("我是法人，叫王建国", "王建国", "王建国", True, None),
    ("我就是法人 赵大海", "赵大海", "赵大海", True, None),
    ("张德贵 就是我", "张德贵", "张德贵", True, None),
    ("张德贵本人", "张德贵", "张德贵", True, None),
    ("我是他们公司员工张小明来办的", None, "张小明", False, None),
    ("我是他们公司员工小张来办的", None, None, False, "agent_name"),
    ("经办人老王", None, None, False, "agent_name"),
    ("法人就是我", None, None, True, None),
]


@pytest.mark.parametrize("text,rep,agent,self_rep,refused", PEOPLE)
def test_names_behind_role_words(text, rep, agent, self_rep, refused):
    facts = mine_applicant(text)
    assert (facts.legal_rep, facts.agent_name, facts.agent_is_legal_rep) == (rep, agent, self_rep)
    if refused:
        assert "全名" in facts.invalid[refused]


class _Lexicon:
    def __init__(self, raw):
        self.raw = raw

    def section(self, name):
        return self.raw[name]


class _Guide:
    def __init__(self, lexicon):
        self.lexicon = lexicon


def test_role_words_come_from_the_lexicon(monkeypatch):
    """A role word added in guides/lexicon.yml is understood without touching the code."""
    words = {k: list(v) for k, v in load_guide().lexicon.section("role_words").items()}
    assert mine_applicant("掌柜王建国").legal_rep is None
    words["legal_rep"].append("掌柜")
    fake = _Guide(_Lexicon({"role_words": words}))
    monkeypatch.setattr(applicant, "load_guide", lambda: fake)
    assert mine_applicant("掌柜王建国").legal_rep == "王建国"


def test_no_role_word_is_written_in_the_code():
    role_words = load_guide().lexicon.section("role_words")
    words = set(role_words["legal_rep"] + role_words["agent"] + role_words["agent_titles"] + role_words["is_me"])
    tree = ast.parse((REPO / "bot" / "facts" / "applicant.py").read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    literals = [n.value for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]
    found = {w for w in words for lit in literals if w in lit}
    assert not found, f"role words written in bot/facts/applicant.py: {found}"
