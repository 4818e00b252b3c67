"""Is a message a question (「年报在哪里补报嘛」「要交钱不」) rather than an answer?"""

from __future__ import annotations

import re

_QUESTION = re.compile(
    r"[?？]|吗|[呢嘛哇][\s。!！]*$|咋|怎么|怎样|哪|什么|啥|多久|多长|多少|几天|几个|"
    r"为什么|为啥|能不能|可不可以|是不是|要不要|有没有|如何|请问|想问|问一下|不[?？]?$|"
    r"要好久|好久才|好久能|好久可以|啥时候|什么时候|多长时间"
)


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search((text or "").strip()))
