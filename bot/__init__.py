"""信用修复"一件事" assistant: rules engine, guide search, case store, channels."""
