"""The synthetic people: each one's persona and the few fixed traits that shape their rows.

Example:
    >>> import numpy as np
    >>> population = make_population(np.random.default_rng(7), 1_000)
    >>> population.persona.size
    1000
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jejak.synth.personas import column

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Population:
    """Per person: persona and fixed traits; the index of a person is their `true_person` number."""

    persona: IntArray
    member: BoolArray  # holds a loyalty card: store rows carry a `member:` id
    marketplace: IntArray  # 0 Tokopedia, 1 Shopee
    home_store: IntArray  # 0 Kemang, 1 Braga
    alias_user: BoolArray  # extra devices send `alias` rather than `identify`

    @property
    def size(self) -> int:
        """Number of people."""
        return int(self.persona.size)


def make_population(rng: np.random.Generator, people: int) -> Population:
    """Draw personas by share, then each person's traits from their persona's odds."""
    shares = column("share").astype(np.float64)
    persona = rng.choice(shares.size, size=people, p=shares / shares.sum()).astype(np.int64)

    def chance(attribute: str) -> BoolArray:
        return np.asarray(rng.random(people) < column(attribute).astype(np.float64)[persona])

    member = chance("member_share")
    marketplace = np.where(chance("tokopedia_share"), 0, 1).astype(np.int64)
    home_store = np.where(chance("kemang_share"), 0, 1).astype(np.int64)
    alias_user = chance("alias_share")
    return Population(persona, member, marketplace, home_store, alias_user)
