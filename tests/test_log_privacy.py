"""Phones and ID numbers never reach a log line in clear."""

import logging

from bot.log_privacy import mask_personal_data_in_logs


def test_log_lines_are_masked(caplog):
    mask_personal_data_in_logs()
    logging.getLogger().handlers.append(caplog.handler)
    mask_personal_data_in_logs()  # again: the new handler gets the filter too
    try:
        logging.getLogger("actions.test").warning("经办人手机 %s，身份证 %s", "13812341234", "11010519491231002X")
    finally:
        logging.getLogger().handlers.remove(caplog.handler)
    text = caplog.text
    assert "13812341234" not in text and "11010519491231002X" not in text
    assert "138****1234" in text
