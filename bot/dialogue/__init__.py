"""Conversation logic shared by the rasa-sdk actions: which question to ask next, how slots
map to engine records and application fields. No rasa-sdk imports here."""
