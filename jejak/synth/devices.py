"""The phones, laptops, tablets and app installs each person browses with, one anonymous id each.

A person owns one to three devices and always at least one web browser, because
every channel of the chain can send them to the web shop. The app is a fourth
kind: it only ever serves Direct touches (nobody lands in an app from Google).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jejak.synth.personas import DEVICE_KINDS, device_odds_matrix

IntArray = npt.NDArray[np.int64]

MAX_DEVICES = 3
DESKTOP, MOBILE_WEB, TABLET, APP = range(4)
WEB_KINDS = (DESKTOP, MOBILE_WEB, TABLET)


@dataclass(frozen=True)
class DeviceModel:
    """A concrete device: what its messages say about it."""

    kind: int  # index into personas.DEVICE_KINDS
    device_type: str  # jejak's device_type: desktop, mobile or tablet
    os: str
    user_agent: str
    app_context: str  # JSON members of Segment's mobile context (app only)


_APP = '"app":{{"name":"Kopi Jejak","version":"2.3.0","build":"230"}},"device":{{"type":"mobile","manufacturer":"{m}","model":"{model}"}},"os":{{"name":"{os}","version":"{v}"}},"library":{{"name":"{lib}","version":"1.16.0"}}'

MODELS: tuple[DeviceModel, ...] = (
    DeviceModel(DESKTOP, "desktop", "Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", ""),
    DeviceModel(DESKTOP, "desktop", "macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", ""),
    DeviceModel(DESKTOP, "desktop", "Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", ""),
    DeviceModel(MOBILE_WEB, "mobile", "Android", "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", ""),
    DeviceModel(MOBILE_WEB, "mobile", "iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", ""),
    DeviceModel(MOBILE_WEB, "mobile", "Android", "Mozilla/5.0 (Linux; Android 13; 2201117TG) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36", ""),
    DeviceModel(TABLET, "tablet", "iPadOS", "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", ""),
    DeviceModel(TABLET, "tablet", "Android", "Mozilla/5.0 (Linux; Android 13; SM-X205) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", ""),
    DeviceModel(APP, "mobile", "Android", "KopiJejak/2.3.0 (Linux; Android 14; SM-A546E) Mobile", _APP.format(m="samsung", model="SM-A546E", os="Android", v="14", lib="analytics-kotlin")),
    DeviceModel(APP, "mobile", "iOS", "KopiJejak/2.3.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile", _APP.format(m="Apple", model="iPhone15,3", os="iOS", v="17.4", lib="analytics-swift")),
)  # fmt: skip
MODEL_KIND = np.array([m.kind for m in MODELS], dtype=np.int64)


@dataclass(frozen=True)
class Devices:
    """Devices of every person, in slots (person, 0..MAX_DEVICES-1); a device's global id is person * MAX_DEVICES + slot."""

    kind: IntArray  # (people, MAX_DEVICES): device kind, -1 for an empty slot
    model: IntArray  # (people, MAX_DEVICES): index into MODELS, -1 for an empty slot
    clock_skew_seconds: IntArray  # (people, MAX_DEVICES): how far an app's clock is off (app messages only)

    def global_id(self, person: IntArray, slot: IntArray) -> IntArray:
        """One integer per device."""
        return person * MAX_DEVICES + slot


def make_devices(rng: np.random.Generator, persona: IntArray) -> Devices:
    """Each person owns each device kind with their persona's odds; at least one browser, at most three devices."""
    people = persona.size
    odds = device_odds_matrix()[persona]
    owned = rng.random((people, len(DEVICE_KINDS))) < odds
    no_browser = ~owned[:, list(WEB_KINDS)].any(axis=1)
    favourite_browser = np.asarray(WEB_KINDS)[np.argmax(odds[:, list(WEB_KINDS)], axis=1)]
    owned[no_browser, favourite_browser[no_browser]] = True
    # Four kinds owned: drop the one the persona is least likely to own.
    too_many = owned.sum(axis=1) > MAX_DEVICES
    owned[too_many, np.argmin(np.where(owned, odds, np.inf), axis=1)[too_many]] = False
    order = np.argsort(~owned, axis=1, kind="stable")[:, :MAX_DEVICES]  # owned kinds first, in kind order
    kind = np.where(np.take_along_axis(owned, order, axis=1), order, -1).astype(np.int64)
    model = np.full(kind.shape, -1, dtype=np.int64)
    for k in range(len(DEVICE_KINDS)):
        choices = np.flatnonzero(np.equal(MODEL_KIND, k))
        slots = kind == k
        model[slots] = choices[rng.integers(0, choices.size, int(slots.sum()))]
    # A quarter of app installs run on a clock minutes to hours off; Segment corrects it with sentAt/receivedAt.
    skewed = rng.random(kind.shape) < 0.25
    skew = np.where(
        skewed,
        rng.integers(600, 3 * 3600, kind.shape) * rng.choice([-1, 1], kind.shape),
        rng.integers(0, 4, kind.shape),
    )
    skew = np.where(kind == APP, skew, 0).astype(np.int64)
    return Devices(kind=kind, model=model, clock_skew_seconds=skew)
