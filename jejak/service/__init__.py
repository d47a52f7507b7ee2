"""Runs queries on the last build for the CLI and the dashboard: open the build, apply filters, execute, return rows."""
