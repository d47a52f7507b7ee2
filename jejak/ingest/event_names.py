"""Event names from an order's status: `--event-names "Selesai=Order Completed,Batal=Order Cancelled"`.

A marketplace's or a shop's orders export has one row per order (or per product of it) whatever became of
the order: Shopee's `Status Pesanan` says Selesai, Batal, Belum Bayar or Pengembalian; Tokopedia's, Shopify's
and WooCommerce's the like. Imported with `--set "event=Order Completed"`, every cancelled, unpaid or refunded
order would be a conversion with its revenue. Mapped to the event (`--map "Status Pesanan=event"`), each status
is an event name, and `--event-names` renames the statuses to the names jejak's settings read: conversions
(`conversion_events`), funnels and stages. A status not named stays its own event name, which counts as no
conversion. The status as the file wrote it is kept in the properties (`event_as_written`).

`status_names` is what an import advises when a file's conversions have several statuses: the command that tells
them apart, with names guessed from the status words below (cancelled, refunded, not paid), to be checked.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from jejak.core.errors import SettingError

# The property that keeps a renamed row's event as the file wrote it (the status), beside the name it was given.
EVENT_AS_WRITTEN = "event_as_written"

# The names the advice gives statuses that are no purchase (Segment's e-commerce spec names the first two).
CANCELLED_EVENT = "Order Cancelled"
REFUNDED_EVENT = "Order Refunded"
UNPAID_EVENT = "Order Unpaid"

# Words of a status (lower-cased, any part of it) that say what became of the order, first match wins: a
# cancelled order whose money went back (`Dibatalkan - Dana Dikembalikan`) was cancelled. Indonesian as Shopee
# and Tokopedia write them, English as Shopify, WooCommerce and most tills do.
STATUS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (CANCELLED_EVENT, ("batal", "cancel", "void", "gagal", "fail", "expire", "kedaluwarsa", "kadaluarsa")),
    (REFUNDED_EVENT, ("refund", "pengembalian", "dikembalikan", "return", "retur")),
    (UNPAID_EVENT, ("belum bayar", "belum dibayar", "unpaid", "menunggu pembayaran", "awaiting payment", "pending")),
)

# A status that says only part of the order went back (Shopify's `partially_refunded`) is still a purchase.
PARTIAL_WORDS = ("partial", "sebagian")


def _key(name: str) -> str:
    """How a status is matched: trimmed, without case (`selesai `, `SELESAI` and `Selesai` are one status)."""
    return name.strip().lower()


def check_event_names(names: Mapping[str, str], option: str = "--event-names") -> None:
    """Each status named once (without case), and given a name."""
    seen: dict[str, str] = {}
    for written, name in names.items():
        if not _key(written) or not name.strip():
            raise SettingError(
                f"{option} pair {written!r}={name!r} needs a status and an event name, e.g. Selesai=Order Completed."
            )
        if _key(written) in seen:
            raise SettingError(
                f"{option} names the status {written!r} twice ({seen[_key(written)]!r} too; case and spaces around "
                "it do not count): give each status one event name."
            )
        seen[_key(written)] = written


@dataclass
class EventRenames:
    """`--event-names` for one file: renames each chunk's `event`, and remembers which statuses it met (`unmet`)."""

    names: Mapping[str, str]
    met: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        check_event_names(self.names)
        self._written = list(self.names)
        self._keys = pa.array([_key(written) for written in self._written], pa.string())
        self._targets = pa.array([self.names[written] for written in self._written], pa.string())

    def rename(self, table: pa.Table) -> pa.Table:
        """`table` with its `event` renamed where a status matches, and the event as written in `event_as_written`."""
        written = table.column("event")
        if written.type != pa.string():
            written = pc.cast(written, pa.string())
        found = pc.index_in(pc.utf8_lower(pc.utf8_trim_whitespace(written)), value_set=self._keys)
        for place in pc.unique(found).drop_null().to_pylist():
            self.met.add(self._written[place])
        renamed = pc.coalesce(pc.take(self._targets, found), written)
        table = table.set_column(table.schema.get_field_index("event"), "event", renamed)
        return table.append_column(EVENT_AS_WRITTEN, written)

    @property
    def unmet(self) -> tuple[str, ...]:
        """The statuses named that no row's event was (a typo, or a status this file does not have)."""
        return tuple(written for written in self._written if written not in self.met)


@dataclass(frozen=True)
class ConversionStatuses:
    """A file's conversions by the order status a column of it gives them, where one of the statuses is no purchase
    (`status_event`): `column` is the property that keeps it, `event` the conversions' (most common) name, and
    `orders` each status with how many orders (distinct event ids) had it, most first."""

    column: str
    event: str
    orders: tuple[tuple[str, int], ...]


def status_event(status: str) -> str | None:
    """The event name STATUS_WORDS give a status that is no purchase, or None (a purchase, or words not known).

    Example:
        >>> status_event("Dibatalkan Pembeli"), status_event("Pengembalian Dana"), status_event("Selesai")
        ('Order Cancelled', 'Order Refunded', None)
    """
    lowered = status.lower()
    if any(word in lowered for word in PARTIAL_WORDS):
        return None  # a partial refund leaves an order bought
    for event, words in STATUS_WORDS:
        if any(word in lowered for word in words):
            return event
    return None


def is_status_column(name: str) -> bool:
    """Whether a file column's name says it holds an order's status (`Status Pesanan`, `Order Status`,
    `financial_status`, `Status Terakhir`)."""
    return "status" in name.lower()


def quoted(text: str) -> str:
    """A name or value as an option's pair writes it: in double quotes when it holds a comma or `=`."""
    return f'"{text}"' if any(mark in text for mark in ",=") else text


def status_names(event: str, statuses: Sequence[tuple[str, int]]) -> str:
    """The `--event-names` that tell orders apart by their statuses, where every order was given `event`: a status
    STATUS_WORDS know as no purchase gets its name, and every other one keeps `event`, so that the orders counted
    before stay counted. Quoted for a shell.

    Example:
        >>> print(status_names("Order Completed", [("Selesai", 9), ("Batal", 2)]))
        --event-names 'Selesai=Order Completed,Batal=Order Cancelled'
    """
    pairs = [f"{quoted(status)}={quoted(status_event(status) or event)}" for status, _ in statuses]
    return f"--event-names {shlex.quote(','.join(pairs))}"
