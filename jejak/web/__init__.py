"""The web room (later issues)."""
