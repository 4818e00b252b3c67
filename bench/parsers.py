"""`make bench-parsers`: how long the text readers take on long and pathological input (a message
pasted 600 times, 5,000 identical characters). The tests check that such input gives the right
answer; this benchmark says how fast, so regex back-tracking shows up as a number, not a flaky test.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from bot.facts import extract_record_facts
from bot.guide.loader import load_guide
from bot.parsing import parse_amount_yuan
from bot.parsing.dates import parse_all_dates, parse_date
from bot.parsing.decision_numbers import normalise_decision_number
from bot.parsing.text import normalise_user_text

TODAY = date(2026, 11, 25)


def cases(guide):
    long_text = "我们公司去年3月被市场监管局罚了2万，已经交了。" + "啊😀罚款交了没交，" * 600
    return [
        ("facts: long message with emoji", lambda: extract_record_facts(long_text, TODAY, guide)),
        ("facts: 罚×5000", lambda: extract_record_facts("罚" * 5000, TODAY, guide)),
        ("facts: dates×600", lambda: extract_record_facts("2024年3月5日" * 600, TODAY, guide)),
        ("amount: 一…十×500", lambda: parse_amount_yuan("一二三四五六七八九十" * 500)),
        ("amount: 9×5000", lambda: parse_amount_yuan("9" * 5000)),
        ("date: 5,000 chars then a date", lambda: parse_date("这是一段很长的文字，" * 500 + "2024年3月5日", TODAY)),
        ("dates: 年月日号×1250", lambda: parse_all_dates("年月日号" * 1250, TODAY)),
        ("dates: 2024-×1000", lambda: parse_all_dates("2024-" * 1000, TODAY)),
        ("decision no.: 〔2024〕×700", lambda: normalise_decision_number("〔2024〕" * 700)),
        ("decision no.: 罚(×2500", lambda: normalise_decision_number("罚(" * 2500)),
        ("normalise: 5,002 chars", lambda: normalise_user_text("开头" + "字" * 5000)),
    ]


def main(repeat: int = 5) -> None:
    guide = load_guide()
    print(f"{'case':36s} {'median ms':>10s} {'max ms':>8s}")
    for name, run in cases(guide):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            run()
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:36s} {statistics.median(times):10.1f} {max(times):8.1f}")


if __name__ == "__main__":
    main()
