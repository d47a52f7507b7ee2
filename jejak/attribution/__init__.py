"""The attribution room (later issues)."""
