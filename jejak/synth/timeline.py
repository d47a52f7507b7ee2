"""When each touch happens: time slots per journey, then sorted touch times inside each slot.

Slots are allotted before touches are placed, so no journey is ever dropped or
cut for being long (which would bias the paths away from the planted chain):

* each journey gets a slot no longer than an equal share of the window (one per
  journey of the person, less a day), and never longer than fits in the lookback
  window, so every converting journey lasts less than `lookback_days - 1` days
  from first touch to conversion;
* a person's journeys follow each other in their order, a day apart at least, the
  time to the next purchase journey drawn around REPURCHASE_DAYS (shrunk when it
  does not fit); where the first starts in the free time is the persona's
  `journey_position`, and a last journey without a purchase sits anywhere between
  the last purchase and the window's end. So purchases spread over the whole
  window, as a shop with customers at every point of their lives sees them;
  splitting each person's window into equal parts put every person's purchases
  before their last journey's part, and the demo's conversion rate fell from 20 %
  to 3 % over its last six weeks;
* the window's last day is left free, so a journey's last events end inside it;
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
REPURCHASE_DAYS = 14  # mean awake days from a purchase journey's end to the next journey (beyond the day's gap)
ROOM_FOR_REPURCHASES = 0.8  # at most this share of a person's free time goes to the time between purchase journeys


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
    """Epoch seconds (UTC) of every touch's start; `position_shape` is (journeys, 2) Beta shapes of where a person's
    first journey starts in their free time (each journey carries its person's)."""
    window_seconds = float(days * AWAKE_SECONDS_PER_DAY)
    journeys_per_person = np.bincount(journeys.person)[journeys.person].astype(np.float64)
    part_seconds = window_seconds / journeys_per_person
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
    slot_start = _slot_starts(rng, journeys, slot, position_shape, window_seconds)
    # Sorted uniforms in [0, slot - needed], then the k-th touch moves k * 2 h later: gaps are at least 2 h.
    free = (slot - needed)[journeys.touch_journey]
    jitter = rng.random(free.size) * free
    order = np.lexsort((jitter, journeys.touch_journey))
    step = np.arange(free.size) - journeys.first_touch[journeys.touch_journey]
    awake = slot_start[journeys.touch_journey] + jitter[order] + step * TOUCH_GAP_SECONDS
    return to_wall_clock(np.floor(awake).astype(np.int64), start)


def _slot_starts(
    rng: np.random.Generator,
    journeys: SimulatedJourneys,
    slot: FloatArray,
    position_shape: FloatArray,
    window_seconds: float,
) -> FloatArray:
    """Awake seconds from the window's start to each journey's slot (see the module docstring).

    Slots are at most an equal share of the window less a day each, so a person's slots, the day after each and the
    window's last day always fit; what is left is the person's free time.
    """
    people = int(journeys.person.max()) + 1 if journeys.person.size else 0
    count = np.bincount(journeys.person, minlength=people)
    last = journeys.index == count[journeys.person] - 1
    # The time from each journey to the next beyond the day's gap: none after a person's last journey, and the one
    # before a last journey without a purchase is drawn from what is left below.
    to_last_failed = np.zeros(slot.size, dtype=bool)
    to_last_failed[:-1] = last[1:] & ~journeys.converted[1:] & (journeys.index[1:] > 0)
    between = rng.exponential(REPURCHASE_DAYS * AWAKE_SECONDS_PER_DAY, size=slot.size)
    between[last | to_last_failed] = 0.0
    taken = np.bincount(journeys.person, weights=slot + JOURNEY_GAP_SECONDS, minlength=people)
    free = np.maximum(window_seconds - JOURNEY_GAP_SECONDS - taken, 0.0)
    wanted = np.bincount(journeys.person, weights=between, minlength=people)
    shrink = np.minimum(1.0, ROOM_FOR_REPURCHASES * free / np.maximum(wanted, 1.0))
    between *= shrink[journeys.person]
    left = free - np.minimum(wanted * shrink, free)
    first = journeys.index == 0
    shape = np.ones((people, 2))
    shape[journeys.person[first]] = position_shape[first]
    lead = left * rng.beta(shape[:, 0], shape[:, 1])
    # A last journey without a purchase: anywhere in the time that is left after the person's last purchase.
    between[to_last_failed] = ((left - lead) * rng.random(people))[journeys.person[to_last_failed]]
    advance = slot + JOURNEY_GAP_SECONDS + between
    before = np.cumsum(advance) - advance  # every earlier journey's advance, the person's first included
    person_base = np.zeros(people)
    person_base[journeys.person[first]] = before[first]
    starts: FloatArray = lead[journeys.person] + before - person_base[journeys.person]
    return starts


def to_wall_clock(awake_seconds: IntArray, start: dt.date) -> IntArray:
    """Map awake-clock seconds since the window start to epoch seconds (UTC)."""
    day = awake_seconds // AWAKE_SECONDS_PER_DAY
    within = awake_seconds - day * AWAKE_SECONDS_PER_DAY
    return window_start_utc(start) + day * DAY_SECONDS + WAKE_UP_SECONDS + within
