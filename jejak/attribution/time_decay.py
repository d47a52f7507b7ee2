"""Time-decay attribution: touches closer to the conversion weigh more, continuously.

A touch `Δ` days before its conversion weighs `0.5 ** (Δ / half_life_days)` (Google
Ads' rule, with a continuous Δ rather than whole weeks); the weights of a journey
are normalised to 1. It needs the real time of every touch, so it reads journeys
(`PathSet.from_journeys`), not unique paths: a ready-made paths table cannot feed it.
"""

from __future__ import annotations

import numpy as np

from jejak.attribution.credit import Credit, credit_from_weights
from jejak.attribution.pathset import PathSet
from jejak.core.errors import InputFileError, SettingError

SECONDS_PER_DAY = 86_400.0


def time_decay(paths: PathSet, *, half_life_days: float = 7.0) -> Credit:
    """Credit with continuous exponential decay towards each journey's conversion.

    Example (a touch 7 days before weighs half of one on the day):
        >>> import numpy as np
        >>> day = 86_400.0
        >>> base = PathSet.from_rows([(["Instagram", "WhatsApp"], 1, 0, 90.0)])
        >>> journeys = PathSet(base.channels, base.offsets, base.touches, base.conversions, base.non_conversions,
        ...     base.revenue, touch_seconds=np.array([0.0, 7 * day]), end_seconds=np.array([7 * day]))
        >>> time_decay(journeys).as_dict()
        {'Instagram': 0.3333333333333333, 'WhatsApp': 0.6666666666666666}
    """
    if half_life_days <= 0:
        raise SettingError(f"The time-decay half-life is {half_life_days} days. Expected more than 0, e.g. 7.")
    if paths.touch_seconds is None or paths.end_seconds is None:
        raise InputFileError(
            "Time decay needs the time of every touch, which unique paths do not carry. "
            "Run it on the journeys of a build, not on a paths table."
        )
    path = paths.path_of_touch
    days_before = np.maximum(paths.end_seconds[path] - paths.touch_seconds, 0.0) / SECONDS_PER_DAY
    raw = 0.5 ** (days_before / half_life_days)
    totals = np.bincount(path, weights=raw, minlength=paths.paths)
    return credit_from_weights("time_decay", paths, raw / totals[path])
