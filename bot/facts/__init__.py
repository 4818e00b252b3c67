"""Facts of a credit record from free Chinese text, and short answers to one question."""
from .answers import ANSWER_FIELDS, DateValue, extract_answer
from .extract import RecordFacts, extract_record_facts

__all__ = ["ANSWER_FIELDS", "DateValue", "RecordFacts", "extract_answer", "extract_record_facts"]
