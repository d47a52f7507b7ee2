"""The Parquet event lake, derived tables, SQLite application state and the project layout."""
