"""JSON schemas for the YAML files under guides/. A guide that does not match fails loading
with the file and the field named."""

from __future__ import annotations

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_DATE_OR_NULL = {"anyOf": [_DATE, {"type": "null"}]}
_TEXT = {"type": "string", "minLength": 1}
_TEXTS = {"type": "array", "items": _TEXT}
_CODE = {"type": "string", "pattern": r"^[a-z][a-z_0-9]*$"}

BASIS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["instrument"],
        "additionalProperties": False,
        "properties": {"instrument": _CODE, "article": _TEXT},
    },
}

INSTRUMENTS = {
    "type": "object",
    "required": ["instruments"],
    "properties": {
        "instruments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "number", "in_force_from", "in_force_until", "verified"],
                "additionalProperties": False,
                "properties": {
                    "id": _CODE,
                    "title": _TEXT,
                    "number": _TEXT,
                    "issued": _DATE,
                    "in_force_from": _DATE,
                    "in_force_until": _DATE_OR_NULL,
                    "verified": {"type": "boolean"},
                },
            },
        }
    },
}

DEPARTMENTS = {
    "type": "object",
    "required": ["departments"],
    "properties": {
        "departments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "short", "aliases"],
                "additionalProperties": False,
                "properties": {"code": _CODE, "name": _TEXT, "short": _TEXT, "aliases": _TEXTS},
            },
        }
    },
}

CHANNELS = {
    "type": "object",
    "required": ["channels"],
    "properties": {
        "channels": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "kind"],
                "additionalProperties": False,
                "properties": {
                    "id": _CODE,
                    "name": _TEXT,
                    "kind": {"enum": ["online", "offline"]},
                    "note": _TEXT,
                },
            },
        }
    },
}

SERVICE = {
    "type": "object",
    "required": ["service"],
    "properties": {
        "service": {
            "type": "object",
            "required": ["hotline", "window", "unverified_caveat", "fee", "paid_agent_warning"],
            "additionalProperties": {"type": "string"},
            "properties": {"agent_hours_verified": {"type": "boolean"},
                           "handoff_after_failed_answers": {"type": "integer", "minimum": 1}},
        }
    },
}

MATERIALS = {
    "type": "object",
    "required": ["materials"],
    "properties": {
        "materials": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "description"],
                "additionalProperties": False,
                "properties": {
                    "id": _CODE,
                    "name": _TEXT,
                    "description": _TEXT,
                    "generated": {"type": "boolean"},
                    "conditional": _TEXT,
                },
            },
        }
    },
}

RULES = {
    "type": "object",
    "required": ["rules"],
    "properties": {
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id", "topic", "item", "department", "date_basis",
                    "valid_from", "valid_until", "verified", "basis", "values",
                ],
                "additionalProperties": False,
                "properties": {
                    "id": _CODE,
                    "topic": _CODE,
                    "item": {"enum": ["penalty_info", "abnormal_list", "serious_list"]},
                    "department": _CODE,
                    "subject_types": {"type": "array", "items": _CODE},
                    "date_basis": {"enum": ["decision_date", "listed_date", "application_date"]},
                    "valid_from": _DATE,
                    "valid_until": _DATE_OR_NULL,
                    "verified": {"type": "boolean"},
                    "basis": BASIS,
                    "note": _TEXT,
                    "values": {"type": "object"},
                },
            },
        }
    },
}

_MATERIAL_REF = {
    "type": "object",
    "required": ["id", "required"],
    "additionalProperties": False,
    "properties": {
        "id": _CODE,
        "required": {"type": "boolean"},
        "fetched_by_department": {"type": "boolean"},
    },
}

_FAQ = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["q", "a"],
        "additionalProperties": False,
        "properties": {"q": _TEXT, "a": _TEXT, "keywords": _TEXTS},
    },
}

SECTION_FIELDS = {
    # the item's name where this department calls it otherwise (民政: 活动异常名录)
    "name": _TEXT,
    "short": _TEXT,
    "verified": {"type": "boolean"},
    "last_reviewed": _DATE,
    "applicability": _TEXT,
    "conditions": _TEXTS,
    "process": _TEXTS,
    "materials": {"type": "array", "items": _MATERIAL_REF},
    "channels": {"type": "array", "items": _CODE},
    "effects": _TEXT,
    "objection": _TEXT,
    "basis": BASIS,
    "faq": _FAQ,
    # The department never decides this item: say who does instead.
    "not_applicable": _TEXT,
    # The kinds of subject this department decides this item for (when it is not all of them).
    "subject_types": {
        "type": "array",
        "items": {"enum": ["enterprise", "individual_business", "farmer_coop", "social_org"]},
    },
}

_SECTION = {
    "type": "object",
    "required": ["verified", "last_reviewed"],
    "additionalProperties": False,
    "properties": SECTION_FIELDS,
}

_DEFAULT_SECTION = dict(
    _SECTION,
    required=[
        "verified", "last_reviewed", "applicability", "conditions", "process",
        "materials", "channels", "effects", "objection", "basis", "faq",
    ],
)

ITEM = {
    "type": "object",
    "required": ["item", "name", "short", "aliases", "summary", "default", "departments"],
    "additionalProperties": False,
    "properties": {
        "item": {"enum": ["penalty_info", "abnormal_list", "serious_list"]},
        "name": _TEXT,
        "short": _TEXT,
        "aliases": _TEXTS,
        "summary": _TEXT,
        "default": _DEFAULT_SECTION,
        "departments": {"type": "object", "additionalProperties": _SECTION},
    },
}

FAQ = {
    "type": "object",
    "required": ["topics"],
    "properties": {
        "topics": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "title", "answer", "verified", "last_reviewed"],
                "additionalProperties": False,
                "properties": {
                    "id": _CODE,
                    "title": _TEXT,
                    "answer": _TEXT,
                    "keywords": _TEXTS,
                    "basis": BASIS,
                    "verified": {"type": "boolean"},
                    "last_reviewed": _DATE,
                    "out_of_scope": {"type": "boolean"},
                    "short": _TEXT,      # phone-sized answer (chat channels)
                    "plain": _TEXT,      # at most three plain sentences, no citations
                    "patterns": _TEXTS,  # regexes that name this topic whatever the NLU says
                    "include": _CODE,    # a service.yml text appended to the answer
                    "search": {"type": "boolean"},  # false: found by its patterns only, not by search
                },
            },
        }
    },
}

_WORD_GROUPS = {"type": "object", "additionalProperties": _TEXTS}
_LABELS = {"type": "object", "additionalProperties": _TEXT}

LEXICON = {
    "type": "object",
    "required": ["topics", "department_hints", "item_hints", "neutral_words", "weak_out_of_scope",
                 "grade_words", "subject_words", "record_cues", "domain_words", "dialect_words",
                 "search_stopwords", "rule_topic_labels", "date_basis_labels", "plain_requests",
                 "detail_requests", "abuse_words", "office_words", "hours_words", "question_markers"],
    "additionalProperties": {"type": ["object", "array"]},  # new sections for other readers
    "properties": {
        "topics": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "label", "intent", "keywords"],
                "additionalProperties": False,
                "properties": {"code": _CODE, "label": _TEXT, "intent": _CODE, "keywords": _TEXTS,
                               "phrases": _TEXTS},
            },
        },
        "department_hints": _WORD_GROUPS,
        "item_hints": _WORD_GROUPS,
        "neutral_words": _TEXTS,
        "weak_out_of_scope": _TEXTS,
        "grade_words": _TEXTS,
        "subject_words": _WORD_GROUPS,
        "record_cues": _WORD_GROUPS,
        "domain_words": _TEXTS,
        "dialect_words": _TEXTS,
        "search_stopwords": _TEXTS,
        "rule_topic_labels": _LABELS,
        "date_basis_labels": _LABELS,
        "plain_requests": _TEXTS,
        "detail_requests": _TEXTS,
        "abuse_words": _TEXTS,
        "office_words": _TEXTS,
        "hours_words": _TEXTS,
        "question_markers": _TEXTS,
        "when_words": _TEXTS,
        "apply_words": _TEXTS,
        "processing_words": _TEXTS,
        "how_words": _TEXTS,
        "done_words": _TEXTS,
        "greeting_words": _TEXTS,
        "materials_words": _TEXTS,
        "progress_words": _TEXTS,
        "angry_words": _TEXTS,
        "consent": {"type": "object", "additionalProperties": False,
                    "required": ["agreeing_negations", "question", "unsure", "refuse", "agree", "filler",
                                 "bare_hum", "bare_done", "but", "materials_done", "materials_not_done", "defers"],
                    "properties": {k: _TEXTS for k in ("agreeing_negations", "question", "unsure", "refuse", "agree",
                                                       "filler", "bare_hum", "bare_done", "but", "materials_done",
                                                       "materials_not_done", "defers")}},
        "form_question": _TEXTS,
        "rating_skip": _TEXTS,
        "add_record_words": _TEXTS,
    },
}

FILE_SCHEMAS = {
    "instruments.yml": INSTRUMENTS,
    "departments.yml": DEPARTMENTS,
    "channels.yml": CHANNELS,
    "service.yml": SERVICE,
    "materials.yml": MATERIALS,
    "rules.yml": RULES,
    "faq.yml": FAQ,
    "lexicon.yml": LEXICON,
}
