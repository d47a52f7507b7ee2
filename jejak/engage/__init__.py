"""The engage room (later issues)."""
