"""File import: CSV, JSON Lines (Segment spec) and Parquet into the event lake, bad rows into the quarantine."""
