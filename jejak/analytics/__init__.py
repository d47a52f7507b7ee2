"""Journey reports: summaries, top-N with honest truncation (more reports come with the reports issue)."""
