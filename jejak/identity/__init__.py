"""Identity graph and stitching: one person per real customer."""
