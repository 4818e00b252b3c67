"""Thin rasa-sdk actions; every rule and text they use comes from the `bot` package."""
