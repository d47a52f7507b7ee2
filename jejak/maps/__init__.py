"""The maps room (later issues)."""
