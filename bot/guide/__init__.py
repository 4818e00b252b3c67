"""The repair guide as data: loading, validation and queries."""

from bot.guide.loader import (  # noqa: F401
    Citation,
    Guide,
    GuideError,
    MaterialNeed,
    RuleVersion,
    Section,
    load_guide,
)
