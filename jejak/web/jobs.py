"""Views computed on worker threads, so no request waits on a slow answer for longer than a deadline.

A page's answer is computed on one of the app's worker threads. The request waits for it up to
`wait_seconds`; most answers (a kept answer read back, a view of a precomputed table) are there
long before. When it is not (a question nobody asked before on a large build: attribution with
another lookback, a new date range), the request answers at once that the view is being computed,
with the job's id: the page shows "computing" and asks `/jobs/<id>` until it is done, then
reloads; the `.json` and `.csv` twins answer 202 with `Retry-After`, and the same request made
again gets the answer when it is ready.

A job is found again by its key: the page, its question, the build and the SQLite state it reads,
so a question asked again while it is computed joins that computation rather than starting a
second, and a finished answer is handed to the first request that asks for it (and forgotten
then: the next request computes again, reading the build's answer cache where the page keeps
one). Answers nobody came back for are dropped after `keep_seconds`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

# How long a request waits for its view before answering "computing" (issue 7: no page over 1 s of server time).
PAGE_WAIT_SECONDS = 0.75
# Views computed side by side. More than the cores: a quick view (a kept answer read back) must not queue
# behind two slow ones and say "computing" for a read of milliseconds; the slow ones share the cores.
PAGE_WORKERS = 8
# How long a finished answer nobody came back for is kept.
KEEP_SECONDS = 300.0


@dataclass
class Job(Generic[T]):
    """One view being computed (or computed and not yet handed out)."""

    job_id: str
    key: Hashable
    future: Future[T]
    started_monotonic: float = field(default_factory=time.monotonic)
    finished_monotonic: float | None = None

    def seconds_so_far(self) -> float:
        return (self.finished_monotonic or time.monotonic()) - self.started_monotonic


class Jobs(Generic[T]):
    """A registry of views being computed, keyed by what makes their answer; see the module docstring."""

    def __init__(
        self, wait_seconds: float = PAGE_WAIT_SECONDS, workers: int = PAGE_WORKERS, keep_seconds: float = KEEP_SECONDS
    ) -> None:
        if wait_seconds < 0:
            raise ValueError(f"wait_seconds must be 0 or more (not {wait_seconds}).")
        self.wait_seconds = wait_seconds
        self.keep_seconds = keep_seconds
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jejak-view")
        self._lock = threading.Lock()
        self._by_key: dict[Hashable, Job[T]] = {}
        self._by_id: dict[str, Job[T]] = {}

    def answer(self, key: Hashable, compute: Callable[[], T]) -> T | Job[T]:
        """The view's answer when it is ready within the wait, else its job (still computing).

        An error the computation raised is raised here, to the request that collects it.
        """
        with self._lock:
            self._drop_stale()
            job = self._by_key.get(key)
            if job is None:
                job = Job(uuid.uuid4().hex, key, self._executor.submit(compute))
                self._by_key[key] = job
                self._by_id[job.job_id] = job
                job.future.add_done_callback(self._finished_callback(job))
        try:
            result = job.future.result(timeout=self.wait_seconds)
        except FutureTimeout:
            return job
        except BaseException:
            self._forget(job)
            raise
        self._forget(job)
        return result

    def done(self, job_id: str) -> tuple[bool, float | None]:
        """Whether the job is done (an unknown job is: it was handed out or dropped), and its seconds so far."""
        with self._lock:
            job = self._by_id.get(job_id)
        if job is None:
            return True, None
        return job.future.done(), job.seconds_so_far()

    def shutdown(self) -> None:
        """Stop taking jobs; the ones not started are cancelled, the running ones end on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _finished_callback(self, job: Job[T]) -> Callable[[Future[T]], None]:
        def finished(_: Future[T]) -> None:
            job.finished_monotonic = time.monotonic()

        return finished

    def _forget(self, job: Job[T]) -> None:
        with self._lock:
            if self._by_key.get(job.key) is job:
                del self._by_key[job.key]
            self._by_id.pop(job.job_id, None)

    def _drop_stale(self) -> None:
        """Forget finished answers kept past `keep_seconds` (called with the lock held)."""
        now = time.monotonic()
        stale = [
            job
            for job in self._by_id.values()
            if job.finished_monotonic is not None and now - job.finished_monotonic > self.keep_seconds
        ]
        for job in stale:
            self._by_id.pop(job.job_id, None)
            if self._by_key.get(job.key) is job:
                del self._by_key[job.key]
