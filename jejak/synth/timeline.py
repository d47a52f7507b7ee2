"""When each touch happens: time slots per journey, then sorted touch times inside each slot.

Slots are allotted before touches are placed, so no journey is ever dropped or
cut for being long (which would bias the paths away from the planted chain):

* a person's window is split into equal parts, one per journey, and each journey
  gets a slot inside its part that ends at least one day before the next part;
* a slot is never longer than fits in the lookback window, so every converting
  journey lasts less than `lookback_days - 1` days from first touch to conversion;
* touches are uniform random times in the slot, at least two hours apart.

Time runs on an "awake clock" of 16 hours a day (06:00-22:00 in Jakarta), then
maps to wall time; the map only inserts nights, so gaps never shrink.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from jejak.synth.chain import SimulatedJourneys

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

JAKARTA_OFFSET_SECONDS = 7 * 3600
DAY_SECONDS = 24 * 3600
AWAKE_SECONDS_PER_DAY = 16 * 3600
WAKE_UP_SECONDS = 6 * 3600  # the awake clock starts at 06:00 local time
TOUCH_GAP_SECONDS = 2 * 3600  # minimum time between two touches of a person
JOURNEY_GAP_SECONDS = DAY_SECONDS  # minimum time between two journeys of a person
TOUCH_LENGTH_SECONDS = 25 * 60  # a touch's events span at most this long
SLOT_SHAPE = (1.1, 3.0)  # Beta shape of a slot's length between its minimum and maximum


def max_slot_awake_seconds(lookback_days: int) -> float:
    """Longest slot (awake seconds) whose wall-clock span plus the last touch stays under lookback_days - 1 days."""
    # Wall span of an awake span s is at most 1.5 s + one night (8 h); keep an hour of margin.
    night_seconds = DAY_SECONDS - AWAKE_SECONDS_PER_DAY
    wall_budget = (lookback_days - 1) * DAY_SECONDS - night_seconds - TOUCH_LENGTH_SECONDS - 3600
    return wall_budget * AWAKE_SECONDS_PER_DAY / DAY_SECONDS


def window_start_utc(start: dt.date) -> int:
    """Epoch seconds (UTC) of local midnight at the start date in Jakarta."""
    midnight = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    return int(midnight.timestamp()) - JAKARTA_OFFSET_SECONDS


def place_touches(
    rng: np.random.Generator,
    journeys: SimulatedJourneys,
    position_shape: FloatArray,
    *,
    start: dt.date,
    days: int,
    lookback_days: int,
) -> IntArray:
    """Epoch seconds (UTC) of every touch's start; `position_shape` is (journeys, 2) Beta shapes of slot placement."""
    journeys_per_person = np.bincount(journeys.person)[journeys.person].astype(np.float64)
    part_seconds = days * AWAKE_SECONDS_PER_DAY / journeys_per_person
    part_start = journeys.index * part_seconds
    slot_max = np.minimum(max_slot_awake_seconds(lookback_days), part_seconds - JOURNEY_GAP_SECONDS)
    needed = (journeys.touches - 1) * float(TOUCH_GAP_SECONDS)
    too_long = needed > slot_max
    if too_long.any():
        worst = int(journeys.touches[too_long].max())
        raise ValueError(
            f"A journey of {worst} touches does not fit: days={days} and lookback_days={lookback_days} leave too "
            "little time for touches two hours apart. Use more days (at least 30) or a longer lookback (at least 7)."
        )
    slot = needed + (slot_max - needed) * rng.beta(*SLOT_SHAPE, size=needed.size)
    slot_start = part_start + (part_seconds - JOURNEY_GAP_SECONDS - slot) * rng.beta(
        position_shape[:, 0], position_shape[:, 1]
    )
    # Sorted uniforms in [0, slot - needed], then the k-th touch moves k * 2 h later: gaps are at least 2 h.
    free = (slot - needed)[journeys.touch_journey]
    jitter = rng.random(free.size) * free
    order = np.lexsort((jitter, journeys.touch_journey))
    step = np.arange(free.size) - journeys.first_touch[journeys.touch_journey]
    awake = slot_start[journeys.touch_journey] + jitter[order] + step * TOUCH_GAP_SECONDS
    return to_wall_clock(np.floor(awake).astype(np.int64), start)


def to_wall_clock(awake_seconds: IntArray, start: dt.date) -> IntArray:
    """Map awake-clock seconds since the window start to epoch seconds (UTC)."""
    day = awake_seconds // AWAKE_SECONDS_PER_DAY
    within = awake_seconds - day * AWAKE_SECONDS_PER_DAY
    return window_start_utc(start) + day * DAY_SECONDS + WAKE_UP_SECONDS + within
