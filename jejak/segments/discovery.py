"""Persona discovery: k-means on people's behavioural features, each cluster described in plain words.

The model is one scikit-learn pipeline over `features.NUMERIC_FEATURES`:

1. counts, money and days go through a signed log1p (they are heavy-tailed: a few cafés order
   a hundred times what most people do); shares go through a square root, which makes
   Euclidean distance between share profiles the Hellinger distance (Legendre & Gallagher 2001,
   "Ecologically meaningful transformations for ordination of species data", Oecologia 129), so a
   rare channel used often counts as much as a common one;
2. every column is scaled to mean 0 and standard deviation 1;
3. the counts, money and days are then weighed by `COUNT_WEIGHT` (a third): the nine of them
   mostly say one thing, "how much", and at full weight they outvote the mix of channels and
   devices that tells people apart;
4. k-means (Lloyd), the best of `KMEANS_RESTARTS` (30) k-means++ starts seeded by `seed`: with 10,
   some row orders of the demo data end in a worse local optimum; with 30 none that we tried did.

When `clusters` is not given, k is the k in 2..`max_clusters` with the highest silhouette
score (Rousseeuw 1987), each candidate fitted and scored on the same seeded random sample of
at most 20,000 people (`SILHOUETTE_SAMPLE_SIZE`; the silhouette costs the square of the
people, and `silhouettes` computes the distances once for every candidate). When the sample is
everyone, the chosen k's fit is the model; past it, the chosen k is fitted on everyone from the
sample's centres and `EVERYONE_RESTARTS` starts (`_fit_from_sample`). On two cores the choice
took 9.9 s for `make demo`'s 200k events (17,699 people; 25.7 s before both changes) and 18.9 s
for 10M events (884,956 people; 52.1 s before, group sizes within 14 people). Rows are sorted by
person id first, so the same people and seed give the same result whatever order the engine
returned them in.

Other rules for k were measured against the demo's five planted personas
(`bench/discovery_check.py --every-k`, 100k–200k events). A fixed k = 5 finds them with an
adjusted Rand index (ARI) of 0.69–0.74, k = 6 with 0.65–0.69, 7 with 0.62–0.64 and 8 with
0.60–0.61; the silhouette rises with k and takes 8. No usual rule does better: the
Calinski–Harabasz (1974) and Davies–Bouldin (1979) indices, the gap statistic (Tibshirani,
Walther & Hastie 2001), the jump method (Sugar & James 2003) and the BIC of a Gaussian mixture
(Fraley & Raftery 2002) take 7 or 8; the Krzanowski–Lai index (1988) and the largest drop in
inertia (the elbow) take 3 (ARI 0.44); the agreement of fits on random halves (Ben-Hur,
Elisseeff & Guyon 2002; Lange et al. 2004) and prediction strength (Tibshirani & Walther 2005)
move between 5, 6 and 8 with the random split. The features hold groups at several levels:
three broad ones, the five personas, and about eight by the channel that starts people's
journeys (most people have one or two journeys, so their start shares are 0 or 1); each rule
settles on one level, and "the fewest clusters within a tolerance of the best silhouette"
gives whatever the tolerance says (7 within 8 %, 5 within 21 %). So the silhouette stays,
and `jejak persona discover` says how it chose; pass `clusters` for fewer, broader groups.

Assumptions: k-means looks for round clusters of similar spread in the transformed space;
each person is one row of `features.person_features`; the silhouette favours well-separated
groups and may pick more, smaller clusters than a marketer would (then pass `clusters`).

A cluster's traits are the features whose cluster mean lies furthest from everyone's mean,
in standard deviations of the transformed feature (its standardised difference), largest
first, as sentences with the cluster's and everyone's values in plain units. Its draft persona
carries rules that take its people (`suggested_rules`), so that an adopted draft takes people at once.

Example:
    >>> import pyarrow as pa
    >>> from jejak.segments.features import NUMERIC_FEATURES
    >>> def person(i: int) -> dict[str, object]:
    ...     chat = i < 20
    ...     shares = {"share_whatsapp": float(chat), "share_social": float(not chat)}
    ...     return {"person_id": f"p{i}", **dict.fromkeys(NUMERIC_FEATURES, 0.0), "sessions": 1.0 + i % 3, **shares}
    >>> found = discover_personas(pa.Table.from_pylist([person(i) for i in range(60)]), clusters=2)
    >>> [(cluster.number, cluster.size) for cluster in found.clusters]
    [(1, 40), (2, 20)]
    >>> found.clusters[1].traits[0]
    'uses WhatsApp or LINE for 100 % of visits (everyone: 33 %)'
    >>> found.labels["p0"]
    2
    >>> [str(rule) for rule in found.clusters[1].draft.suggested.rules]
    ['share_whatsapp >= 1.0']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from jejak.core.errors import SettingError
from jejak.segments.cluster_words import cluster_name, group_words
from jejak.segments.features import COUNT_FEATURES, NUMERIC_FEATURES
from jejak.segments.suggested_rules import SuggestedRules, suggest_rules

__all__ = [
    "COUNT_WEIGHT",
    "SILHOUETTE_SAMPLE_SIZE",
    "Cluster",
    "Discovery",
    "Evidence",
    "PersonaDraft",
    "discover_personas",
    "silhouettes",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

COUNT_WEIGHT = 1 / 3
KMEANS_RESTARTS = 30
SILHOUETTE_SAMPLE_SIZE = 20_000
EVERYONE_RESTARTS = 5  # k-means++ starts on everyone, beside the sample's centres, past the sample's size
MAX_TRAITS = 5
# Traits closer to everyone than this many standard deviations are not distinguishing (one is always kept).
MIN_TRAIT_DIFFERENCE = 0.5


@dataclass(frozen=True)
class Evidence:
    """The numbers behind one trait: the cluster's value of a feature, everyone's, and how far apart they are.

    Values are means, except average order value: revenue over orders (a person without orders is not an order of 0).
    """

    feature: str
    cluster_value: float
    everyone_value: float
    standardised_difference: float  # in standard deviations of the transformed feature


@dataclass
class PersonaDraft:
    """A draft persona document: a suggested name and description from the data; the rest is for people to write."""

    name: str
    description: str
    people: int
    share_of_people: float
    evidence: list[Evidence]
    # Tests on people's features that take the group, for the persona's rules (`suggested_rules`).
    suggested: SuggestedRules
    goals: list[str] = field(default_factory=list)
    motivations: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    frustrations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Cluster:
    """One discovered group of people: numbered 1, 2, … from the largest."""

    number: int
    size: int
    share: float  # of all people
    traits: list[str]  # most distinguishing first
    centre: dict[str, float]  # feature -> the cluster's mean, in the feature's own units
    draft: PersonaDraft


@dataclass(frozen=True)
class Discovery:
    """The clusters found, every person's cluster number, and how k was chosen."""

    labels: dict[str, int]  # person_id -> cluster number
    clusters: list[Cluster]
    overall: dict[str, float]  # feature -> everyone's mean
    silhouette_by_k: dict[int, float]  # the scores k was chosen by; empty when `clusters` was given

    @property
    def k(self) -> int:
        return len(self.clusters)


def _signed_log1p(values: FloatArray) -> FloatArray:
    # Signed, so that a negative amount (a refund) stays below zero instead of becoming NaN.
    return np.asarray(np.sign(values) * np.log1p(np.abs(values)), dtype=np.float64)


def _weigh_counts(values: FloatArray) -> FloatArray:
    weights = np.ones(values.shape[1])
    weights[: len(COUNT_FEATURES)] = COUNT_WEIGHT
    return np.asarray(values * weights, dtype=np.float64)


def _model(k: int, seed: int) -> Pipeline:
    """The whole model; its first two steps give the standardised features that traits are measured in."""
    counts = list(range(len(COUNT_FEATURES)))
    shares = list(range(len(COUNT_FEATURES), len(NUMERIC_FEATURES)))
    prepare = ColumnTransformer(
        [
            ("counts", FunctionTransformer(_signed_log1p, feature_names_out="one-to-one"), counts),
            ("shares", FunctionTransformer(np.sqrt, feature_names_out="one-to-one"), shares),
        ]
    )
    return Pipeline(
        [
            ("prepare", prepare),
            ("scale", StandardScaler()),
            ("weigh", FunctionTransformer(_weigh_counts, feature_names_out="one-to-one")),
            ("kmeans", KMeans(n_clusters=k, n_init=KMEANS_RESTARTS, random_state=seed)),
        ]
    )


def _sorted(features: Any) -> Any:
    missing = [name for name in ("person_id", *NUMERIC_FEATURES) if name not in features.column_names]
    if missing:
        raise ValueError(
            f"The features table lacks {', '.join(missing)}; make it with segments.features.person_features."
        )
    # Sorted, so that the result does not depend on the order an engine happened to return the rows in.
    return features.sort_by("person_id")


def _matrix(features: Any) -> FloatArray:
    columns = [pc.fill_null(features.column(name), 0).to_numpy().astype(np.float64) for name in NUMERIC_FEATURES]
    matrix = np.column_stack(columns)
    # Shares are 0..1 by construction; clipping keeps the square root defined if a caller's are a hair off.
    share_columns = slice(len(COUNT_FEATURES), len(NUMERIC_FEATURES))
    matrix[:, share_columns] = np.clip(matrix[:, share_columns], 0.0, 1.0)
    return matrix


class _Choice(NamedTuple):
    scores: dict[int, float]  # silhouette score by candidate k
    fitted: dict[int, Pipeline]  # the model of each candidate k, fitted on the sample
    whole: bool  # the sample is everyone, in order: its fits are the fits on everyone


def _choose_k(matrix: FloatArray, seed: int, max_clusters: int) -> _Choice:
    """Silhouette score of each candidate k, fitted and scored on one seeded sample of people."""
    rng = np.random.default_rng(seed)
    size = min(len(matrix), SILHOUETTE_SAMPLE_SIZE)
    sample = matrix[np.sort(rng.choice(len(matrix), size=size, replace=False))]
    distinct = len(np.unique(sample, axis=0))
    candidates = range(2, min(max_clusters, distinct - 1) + 1)
    if not candidates:
        raise SettingError(
            f"Persona discovery needs at least 3 people with different behaviour to compare cluster counts, "
            f"and found {distinct}. Build more data, or pass a number of clusters."
        )
    fitted = {k: _model(k, seed).fit(sample) for k in candidates}
    # Every candidate's model scales the sample alike (its first steps do not depend on k), so the people's
    # distances are computed once for all of them.
    scaled = fitted[candidates[0]][:-1].transform(sample)
    scores = silhouettes(scaled, {k: model[-1].labels_ for k, model in fitted.items()})
    return _Choice(scores, fitted, whole=size == len(matrix))


SILHOUETTE_CHUNK_BYTES = 128 * 1024 * 1024  # distances held at once: rows of a chunk times everyone, as float64


def silhouettes(points: FloatArray, labelings: Mapping[int, npt.ArrayLike]) -> dict[int, float]:
    """The mean silhouette (Rousseeuw 1987) of each labelling of the same points, as `sklearn.metrics.silhouette_score`
    gives it (Euclidean; a point alone in its cluster scores 0), from one pass over the points' distances.

    The distances are the cost: 20,000 people are 400M of them, and scikit-learn computed them once per labelling
    (3.3 s each, 23 s of the choice among seven k at 10M events). Here each chunk of rows' distances is computed once
    and summed per cluster of every labelling with one matrix product by the labellings' cluster indicators.
    """
    count = len(points)
    keys = list(labelings)
    codes = [np.unique(np.asarray(labelings[key]), return_inverse=True)[1].ravel() for key in keys]
    widths = [int(code.max()) + 1 for code in codes]
    offsets = np.concatenate([[0], np.cumsum(widths)])
    # One column per cluster of every labelling: a point's column is 1 in its cluster of each.
    indicators = np.zeros((count, int(offsets[-1])))
    for code, offset in zip(codes, offsets, strict=False):
        indicators[np.arange(count), offset + code] = 1.0
    sizes = indicators.sum(axis=0)
    squares = np.einsum("ij,ij->i", points, points)
    scores = np.zeros((count, len(keys)))
    step = max(1, SILHOUETTE_CHUNK_BYTES // (8 * count))
    for start in range(0, count, step):
        rows = slice(start, min(start + step, count))
        at = np.arange(rows.stop - start)  # each row's place in the chunk
        distances = squares[rows, None] - 2.0 * (points[rows] @ points.T) + squares[None, :]
        np.maximum(distances, 0.0, out=distances)
        np.sqrt(distances, out=distances)
        distances[at, start + at] = 0.0  # a point from itself
        sums = distances @ indicators  # each row's distances summed over every cluster of every labelling
        for j, (code, offset, width) in enumerate(zip(codes, offsets, widths, strict=False)):
            own = offset + code[rows]
            with np.errstate(divide="ignore", invalid="ignore"):
                within = sums[at, own] / (sizes[own] - 1.0)  # 0/0 for a point alone: NaN, scored 0 below
                means = sums[:, offset : offset + width] / sizes[offset : offset + width]
                means[at, code[rows]] = np.inf
                nearest = means.min(axis=1)
                scores[rows, j] = np.nan_to_num((nearest - within) / np.maximum(within, nearest))
    return {key: float(scores[:, j].mean()) for j, key in enumerate(keys)}


def _fit_from_sample(sampled: Pipeline, matrix: FloatArray, seed: int) -> Pipeline:
    """The sample's k fitted on everyone: the better (lower inertia) of one Lloyd run from the sample's centres and
    `EVERYONE_RESTARTS` k-means++ starts, in place of `KMEANS_RESTARTS` starts on everyone.

    At 10M events (880k people) the 30 starts took 15–23 s of a 52–57 s discovery. The sample's centres alone reach the
    30 starts' optimum at k = 5 in 1.4 s, but stop 1.3 % above it at k = 8; five starts reach it at k = 8 (and 6, 7)
    in about 4 s. The centres move from the sample's scaled space to everyone's: both are affine maps of the prepared
    features (`_model`'s scale and weigh steps).
    """
    k = int(sampled[-1].n_clusters)
    restarted = _model(k, seed).set_params(kmeans__n_init=EVERYONE_RESTARTS).fit(matrix)
    centres = _moved_centres(sampled, restarted)
    from_sample = _model(k, seed).set_params(kmeans__init=centres, kmeans__n_init=1).fit(matrix)
    return min((restarted, from_sample), key=lambda model: float(model[-1].inertia_))


def _moved_centres(sampled: Pipeline, fitted: Pipeline) -> FloatArray:
    """The k-means centres of `sampled` in the space `fitted` scales and weighs the prepared features into."""
    weights = _weigh_counts(np.ones((1, len(NUMERIC_FEATURES))))
    prepared = sampled.named_steps["scale"].inverse_transform(sampled[-1].cluster_centers_ / weights)
    return np.asarray(fitted.named_steps["scale"].transform(prepared) * weights, dtype=np.float64)


def discover_personas(features: Any, *, clusters: int | None = None, seed: int = 0, max_clusters: int = 8) -> Discovery:
    """Cluster people by behaviour and describe each cluster; `features` is an executed `person_features` table.

    With `clusters` None, k is chosen by silhouette score on a seeded sample of at most
    20,000 people (see the module docstring for the model and its assumptions).
    """
    if clusters is None and max_clusters < 2:
        raise SettingError(f"max_clusters must be at least 2 (not {max_clusters}) to compare cluster counts.")
    table = _sorted(features)
    matrix = _matrix(table)
    if clusters is not None:
        # Counted only here (3.7 s over 880k people): the silhouette's choice counts its sample's.
        distinct = len(np.unique(matrix, axis=0))
        if not 1 <= clusters <= distinct:
            raise SettingError(
                f"clusters must be between 1 and the {distinct} people with different behaviour (not {clusters}). "
                "Pass fewer clusters, or leave it out to let the silhouette score choose."
            )
        scores: dict[int, float] = {}
        model = _model(clusters, seed).fit(matrix)
    else:
        choice = _choose_k(matrix, seed, max_clusters)
        scores = choice.scores
        # Ties go to the smaller k: the simpler description of the same data.
        k = max(scores, key=lambda candidate: (scores[candidate], -candidate))
        model = choice.fitted[k] if choice.whole else _fit_from_sample(choice.fitted[k], matrix, seed)
    k = int(model[-1].n_clusters)
    raw_labels = np.asarray(model[-1].labels_, dtype=np.int64)
    standardised = np.asarray(model[:2].transform(matrix), dtype=np.float64)
    # Number clusters from the largest; k-means' own numbering is arbitrary.
    sizes = np.bincount(raw_labels, minlength=k)
    order = sorted(range(k), key=lambda label: (-sizes[label], label))
    number_of = np.empty(k, dtype=np.int64)
    number_of[order] = np.arange(1, k + 1)
    numbers = number_of[raw_labels]
    overall = _means(matrix)
    people = table.column("person_id").to_pylist()
    return Discovery(
        labels=dict(zip(people, numbers.tolist(), strict=True)),
        clusters=[
            _cluster(number, numbers == number, table, matrix, standardised, overall, seed)
            for number in range(1, k + 1)
        ],
        overall=overall,
        silhouette_by_k=scores,
    )


def _means(rows: FloatArray) -> dict[str, float]:
    return {name: float(value) for name, value in zip(NUMERIC_FEATURES, rows.mean(axis=0), strict=True)}


def _cluster(
    number: int,
    members: BoolArray,
    table: Any,
    matrix: FloatArray,
    standardised: FloatArray,
    overall: dict[str, float],
    seed: int,
) -> Cluster:
    centre = _means(matrix[members])
    differences = standardised[members].mean(axis=0)
    ranked = sorted(
        range(len(NUMERIC_FEATURES)),
        key=lambda j: (-round(abs(float(differences[j])), 9), bool(differences[j] < 0), j),
    )
    chosen = [j for j in ranked[:MAX_TRAITS] if abs(differences[j]) >= MIN_TRAIT_DIFFERENCE] or ranked[:1]
    values = {**centre, "average_order_value": _per_order(matrix[members])}
    everyone = {**overall, "average_order_value": _per_order(matrix)}
    evidence = [
        Evidence(name, values[name], everyone[name], float(differences[j]))
        for j, name in ((j, NUMERIC_FEATURES[j]) for j in chosen)
    ]
    size = int(members.sum())
    share = size / len(matrix)
    traits, described = group_words(evidence, size, share)
    draft = PersonaDraft(
        name=cluster_name(evidence),
        description=described,
        people=size,
        share_of_people=share,
        evidence=evidence,
        suggested=suggest_rules(table, members, seed=seed),
    )
    return Cluster(number=number, size=size, share=share, traits=traits, centre=centre, draft=draft)


def _per_order(rows: FloatArray) -> float:
    """Revenue per order of a group: its revenue over its orders (the mean of people's averages would count non-buyers as 0)."""
    orders = rows[:, NUMERIC_FEATURES.index("conversions")].sum()
    return float(rows[:, NUMERIC_FEATURES.index("revenue")].sum() / orders) if orders else 0.0
