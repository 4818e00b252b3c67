"""Pure-Python parsers for user text: dates, amounts, decision numbers, IDs, masking."""
from .amounts import parse_amount_yuan
from .dates import ParsedDate, parse_all_dates, parse_date
from .decision_numbers import DECISION_NUMBER_EXAMPLE, normalise_decision_number
from .identifiers import IdCheck, check_mobile, check_resident_id, check_uscc, uscc_subject_hint
from .masking import PersonalDataFilter, mask_id, mask_phone, mask_text
from .text import has_chinese, is_emoji_only, normalise_user_text

__all__ = [
    "DECISION_NUMBER_EXAMPLE",
    "IdCheck",
    "ParsedDate",
    "PersonalDataFilter",
    "check_mobile",
    "check_resident_id",
    "check_uscc",
    "has_chinese",
    "is_emoji_only",
    "mask_id",
    "mask_phone",
    "mask_text",
    "normalise_decision_number",
    "normalise_user_text",
    "parse_all_dates",
    "parse_amount_yuan",
    "parse_date",
    "uscc_subject_hint",
]
