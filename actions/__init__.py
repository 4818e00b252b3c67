"""Thin rasa-sdk actions; every rule and text they use comes from the `bot` package."""

from bot.log_privacy import mask_personal_data_in_logs

mask_personal_data_in_logs()
