"""What a report groups touches by: the channel, the source / medium pair, or the campaign."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from jejak.core.errors import SettingError

DIMENSIONS = ("channel", "source_medium", "campaign")


def dimension_key(table: ir.Table, dimension: str) -> ir.StringValue:
    """A touch's value for `dimension`, with GA's labels for what is missing."""
    if dimension == "channel":
        channel: ir.StringValue = table.channel.fill_null("Unassigned")
        return channel
    if dimension == "source_medium":
        return table.source.fill_null("(direct)") + ibis.literal(" / ") + table.medium.fill_null("(none)")
    if dimension == "campaign":
        campaign: ir.StringValue = table.campaign.fill_null("(not set)")
        return campaign
    raise SettingError(f"Unknown dimension {dimension!r}. Expected one of: {', '.join(DIMENSIONS)}.")
