"""Dated credit-repair rules: calendar arithmetic and the path-determination engine."""
