"""Markov attribution recovers the demo generator's planted chain: removal effects within 0.002 at 1M journeys."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from jejak.attribution.markov import markov
from jejak.attribution.pathset import PathSet, unique_paths
from jejak.synth.chain import planted_chain, simulate

JOURNEYS = 1_000_000


def test_markov_order_1_recovers_the_planted_removal_effects() -> None:
    chain = planted_chain()
    size = len(chain.channels)
    # One persona starting anywhere with equal chance; one journey per person.
    start = np.full(size, 1.0 / size)
    simulated = simulate(
        chain,
        np.random.default_rng(2026),
        np.zeros(JOURNEYS, dtype=np.int64),
        start[None, :],
        np.array([1]),
    )
    offsets = np.concatenate([simulated.first_touch, [len(simulated.touch_channel)]]).astype(np.int32)
    names = pa.array(np.array(chain.channels, dtype=object)[simulated.touch_channel], pa.string())
    journeys = pa.table(
        {
            "path": pa.ListArray.from_arrays(pa.array(offsets), names),
            "converted": pa.array(simulated.converted),
            "revenue": pa.array(np.zeros(JOURNEYS)),
        }
    )
    paths = PathSet.from_arrow(unique_paths(journeys), separator=">")
    assert paths.total_conversions == simulated.converted.sum()
    found = dict(zip(paths.channels, markov(paths, order=1).removal_effects.tolist(), strict=True))
    truth = dict(zip(chain.channels, chain.removal_effects(start).tolist(), strict=True))
    errors = {channel: abs(found[channel] - truth[channel]) for channel in truth}
    assert max(errors.values()) < 0.002, errors
