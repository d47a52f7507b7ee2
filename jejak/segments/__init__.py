"""The segments room (later issues)."""
