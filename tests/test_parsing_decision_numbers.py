
import pytest

from bot.parsing.decision_numbers import DECISION_NUMBER_EXAMPLE, normalise_decision_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("马市监处罚〔2026〕193号", "马市监处罚〔2026〕193号"),
        ("（杭临）市监处罚〔2024〕131号", "（杭临）市监处罚〔2024〕131号"),
        ("(杭临)市监处罚[2024]131号", "（杭临）市监处罚〔2024〕131号"),
        ("台税稽罚（2026）18号", "台税稽罚〔2026〕18号"),
        ("台税稽罚(2026)18号", "台税稽罚〔2026〕18号"),
        ("台税稽罚[2026]018号", "台税稽罚〔2026〕18号"),
        ("成市监罚字〔2025〕第12号", "成市监罚字〔2025〕12号"),
        ("川应急罚【2025】7号", "川应急罚〔2025〕7号"),
        ("蓉税罚〔2025〕 0012 号", "蓉税罚〔2025〕12号"),
        ("蓉税罚（２０２５）１２号", "蓉税罚〔2025〕12号"),
        ("蓉税罚﹝2025﹞12號", "蓉税罚〔2025〕12号"),
        ("我的文号是马市监处罚〔2026〕193号，谢谢", "马市监处罚〔2026〕193号"),
        ("行政处罚决定书文号：蓉税罚〔2025〕12号", "蓉税罚〔2025〕12号"),
        ("文号(杭临)市监处罚[2024]131号", "（杭临）市监处罚〔2024〕131号"),
    ],
)
def test_normalise(text, expected):
    assert normalise_decision_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好",
        "〔2024〕193号",  # no issuing authority
        "马市监处罚〔2026〕号",
        "马市监处罚〔26〕193号",
        "马市监处罚〔2026〕0号",
        "2024年3月罚了2万",
        "91350100M000100Y43",
        "😀",
    ],
)
def test_not_a_decision_number(text):
    assert normalise_decision_number(text) is None


def test_example_is_canonical():
    assert normalise_decision_number(DECISION_NUMBER_EXAMPLE) == DECISION_NUMBER_EXAMPLE


@pytest.mark.parametrize("text", ["处" * 5000, "〔2024〕" * 700, "罚(" * 2500])
def test_long_input_is_handled(text):
    assert normalise_decision_number(text) is None
