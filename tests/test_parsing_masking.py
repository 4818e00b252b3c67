import logging

import pytest

from bot.parsing.masking import PersonalDataFilter, mask_id, mask_phone, mask_text


def test_mask_phone():
    assert mask_phone("13812341234") == "138****1234"


@pytest.mark.parametrize(
    "value, masked",
    [
        ("510104199001011230", "510***********1230"),
        ("11010519491231002X", "110***********002X"),
    ],
)
def test_mask_id(value, masked):
    assert mask_id(value) == masked
    assert len(mask_id(value)) == len(value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("电话13812341234", "电话138****1234"),
        ("电话 138-1234-1234 ", "电话 138-****-1234 "),
        ("+8613812341234", "+86138****1234"),
        ("身份证11010519491231002X。", "身份证110***********002X。"),
        ("a 13812341234 b 11010519491231002x", "a 138****1234 b 110***********002x"),
        # not personal data: USCC, decision numbers, longer digit runs, dates
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("马市监处罚〔2026〕193号", "马市监处罚〔2026〕193号"),
        ("1234567890123456789012", "1234567890123456789012"),
        ("2024-03-05", "2024-03-05"),
        ("", ""),
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


def test_filter_masks_message_and_args(caplog):
    logger = logging.getLogger("test_parsing_masking")
    personal_filter = PersonalDataFilter()
    logger.addFilter(personal_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test_parsing_masking"):
            logger.info("user %s id %s", "13812341234", "11010519491231002X")
            logger.info("phone 13912345678 in msg")
            logger.info("number %d", 13812341234)
    finally:
        logger.removeFilter(personal_filter)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "user 138****1234 id 110***********002X",
        "phone 139****5678 in msg",
        "number 138****1234",
    ]


def test_filter_survives_bad_args():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d %d", ("13812341234",), None)
    assert PersonalDataFilter().filter(record) is True
    assert "13812341234" not in record.getMessage()
