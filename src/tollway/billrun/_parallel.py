"""Drafting a bill run's batches in worker processes, the parent saving them in batch order.

Computing a batch's drafts (rating, re-rating, reading history, `compute_bills`) is mostly
single-threaded Python, so a run drafts faster when several processes compute batches while the
parent saves the earlier ones. The workers are forked (the 'fork' start method): the loaded world,
the run's parameters and its usage partitions are shared copy-on-write, nothing is sent to a
worker but a batch's position, and a worker sends back the batch's outcome pickled.

The parent hands out batches in order, at most `batches_ahead_per_worker` per worker beyond the
ones it has saved, and yields the outcomes strictly in batch order; so it saves exactly what an
in-process run saves, in the same order, in the same transactions, and holds a bounded number of
computed batches. An error raised while computing a batch is sent back and raised in the parent
when that batch's turn comes (after the batches before it are saved, as in-process), as the same
exception: same type, same message, the worker's traceback added as a note. One that cannot be
rebuilt from its pickle becomes a `DraftWorkerError` naming its type and message.

What crosses the fork, and what must not:
- No database connection: the caller closes its pooled connections before forking, and each worker
  drops the pool it inherited without closing it (`dispose(close=False)`) and opens its own
  connections to the same URL (an in-memory SQLite database cannot be shared: the caller drafts
  in-process instead, see `database_shared_across_processes`).
- No DuckDB connection: the raters open and close theirs per call, and the usage partitions are
  written (and their connection closed) before the workers start.
- Each worker keeps only its own end of its own pipe, so when the parent dies (killed, say) a
  worker waiting for work reads end-of-file and one sending a result gets a broken pipe, and it
  exits: no orphan outlives the parent by more than the batch it was computing.

Platforms without fork (Windows) draft in-process: `fork_available()` is false there.
"""

import multiprocessing
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Final, Generic, TypeVar

from sqlalchemy.engine import URL

from tollway.money import TollwayError

workers_limit: Final = 64
"""The most worker processes a run may ask for."""
batches_ahead_per_worker: Final = 2
"""Batches handed out per worker beyond those saved: one computing and one waiting, so a worker
goes on while the parent saves. The computed-but-unsaved outcomes held are bounded by
`workers * batches_ahead_per_worker`."""
worker_stop_timeout_s: Final = 10
"""How long a worker told to stop may take before it is terminated."""
watch_interval_s: Final = 0.25
"""How often the parent's receiving thread checks whether it should stop."""

Task = TypeVar("Task")
Result = TypeVar("Result")


class DraftWorkerError(TollwayError):
    """A drafting worker failed in a way its own error could not tell the parent: it ended
    unexpectedly (killed, out of memory), or its error could not be sent back as itself."""

    code = "draft_worker_failed"


def fork_available() -> bool:
    """Whether this platform can fork worker processes (not on Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def database_shared_across_processes(url: URL) -> bool:
    """Whether another process opening `url` reaches the same database: not an in-memory SQLite
    one.

    >>> from sqlalchemy.engine import make_url
    >>> [database_shared_across_processes(make_url(url))
    ...  for url in ("sqlite://", "sqlite:///:memory:", "sqlite:///bills.db")]
    [False, False, True]
    """
    if url.get_backend_name() != "sqlite":
        return True
    name = url.database or ""
    in_memory = name in ("", ":memory:") or name.startswith("file::memory:")
    return not in_memory and url.query.get("mode") != "memory"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a worker sends back for a task: its result, or the error computing it raised."""

    position: int
    succeeded: bool
    value: object


def _serve(
    compute: Callable[[int], object],
    connection: Connection,
    inherited: Sequence[Connection],
    prepare: Callable[[], None],
) -> None:
    """A worker: compute the tasks the parent sends (by position) until told to stop or the
    parent is gone."""
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in inherited:
        other.close()
    prepare()
    while True:
        try:
            position = connection.recv()
        except EOFError:
            return  # the parent is gone
        if position is None:
            return
        try:
            connection.send_bytes(_computed(compute, position))
        except OSError:
            return  # the parent is gone (a broken pipe)


def _computed(compute: Callable[[int], object], position: int) -> bytes:
    try:
        outcome = _Outcome(position, True, compute(position))
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    # Not swallowed: the error travels to the parent, which raises it when the batch's turn comes.
    except Exception as error:
        error.add_note(f"(in drafting worker process)\n{traceback.format_exc()}")
        return _failure(position, error)


def _failure(position: int, error: Exception) -> bytes:
    """The error pickled, if it unpickles as itself; else a `DraftWorkerError` saying what it was."""
    try:
        sent = pickle.dumps(_Outcome(position, False, error), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(sent)
    except Exception:
        described = DraftWorkerError(f"a drafting worker failed: {type(error).__name__}: {error}")
        return pickle.dumps(_Outcome(position, False, described), protocol=pickle.HIGHEST_PROTOCOL)
    return sent


@dataclass(frozen=True, slots=True)
class _Arrival:
    """What the receiving thread hands the main thread: a worker's outcome, or its death."""

    worker: int
    data: bytes | None
    """The pickled `_Outcome`; None when the worker ended."""
    exit_code: int | None = None


class _Workers(Generic[Result]):
    """Forked workers, one pipe each, and a thread receiving their outcomes as they come."""

    def __init__(
        self, compute: Callable[[int], Result], workers: int, prepare: Callable[[], None]
    ) -> None:
        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe(duplex=True) for _ in range(workers)]
        self.connections = [parent for parent, _ in pipes]
        self.processes: list[BaseProcess] = []
        everything = [end for pair in pipes for end in pair]
        for index, (_, child) in enumerate(pipes):
            inherited = [end for end in everything if end is not child]
            process = context.Process(
                target=_serve,
                args=(compute, child, inherited, prepare),
                name=f"tollway-draft-{index}",
                daemon=True,
            )
            process.start()
            self.processes.append(process)
        for _, child in pipes:
            child.close()
        self.arrivals: queue.SimpleQueue[_Arrival] = queue.SimpleQueue()
        self.stopping = threading.Event()
        # Started after every fork: a thread must not be running while the process forks.
        self.receiver = threading.Thread(
            target=self._receive, name="tollway-draft-receiver", daemon=True
        )
        self.receiver.start()

    def _receive(self) -> None:
        """Read every outcome as soon as it is sent, so that a worker goes on to its next batch
        while the parent is busy saving."""
        worker_of = {id(connection): index for index, connection in enumerate(self.connections)}
        ended_of = {process.sentinel: index for index, process in enumerate(self.processes)}
        watched: list[Connection | int] = [*self.connections, *ended_of]
        while watched and not self.stopping.is_set():
            for ready in wait(watched, timeout=watch_interval_s):
                if isinstance(ready, int):
                    watched.remove(ready)
                    self._ended(ended_of[ready])
                    continue
                assert isinstance(ready, Connection)
                try:
                    data = ready.recv_bytes()
                except (EOFError, OSError):
                    watched.remove(ready)
                    continue  # the worker ended: its sentinel says so
                self.arrivals.put(_Arrival(worker_of[id(ready)], data))

    def _ended(self, index: int) -> None:
        if self.stopping.is_set():
            return
        process = self.processes[index]
        process.join(worker_stop_timeout_s)
        self.arrivals.put(_Arrival(index, None, process.exitcode))

    def send(self, worker: int, position: int) -> None:
        try:
            self.connections[worker].send(position)
        except OSError:  # a broken pipe: the worker is gone
            process = self.processes[worker]
            process.join(worker_stop_timeout_s)
            raise _ended_unexpectedly(process.exitcode) from None

    def stop(self, *, at_once: bool) -> None:
        """Tell the workers to stop (or terminate them, `at_once`) and wait for them."""
        self.stopping.set()
        for connection, process in zip(self.connections, self.processes, strict=True):
            if at_once:
                process.terminate()
                continue
            try:
                connection.send(None)
            except OSError:
                process.terminate()  # it is gone, or going
        for process in self.processes:
            process.join(worker_stop_timeout_s)
            if process.is_alive():
                process.kill()
                process.join()
        self.receiver.join()
        for connection in self.connections:
            connection.close()


@contextmanager
def computed_in_workers(
    compute: Callable[[Task], Result],
    tasks: Sequence[Task],
    *,
    workers: int,
    prepare: Callable[[], None],
) -> Iterator[Iterator[Result]]:
    """`compute(task)` for each of `tasks`, in their order, computed by `workers` forked
    processes (each runs `prepare()` first); the workers stop when the block ends.

    An error computing a task is raised by the iterator at that task's turn."""
    assert 2 <= workers <= workers_limit, "parallel drafting takes 2 to workers_limit workers"
    assert fork_available(), "the caller checks that processes can fork"
    pool = _Workers(lambda position: compute(tasks[position]), workers, prepare)
    failed = True
    try:
        yield _in_order(pool, len(tasks), workers)
        failed = False
    finally:
        pool.stop(at_once=failed)


def _ended_unexpectedly(exit_code: int | None) -> DraftWorkerError:
    return DraftWorkerError(
        f"a drafting worker process ended unexpectedly (exit code {exit_code}); the batches "
        "saved so far stand: run the cycle again to resume"
    )


def _in_order(pool: _Workers[Result], total: int, workers: int) -> Iterator[Result]:
    """Hand out the tasks, least busy worker first, no more than the bound ahead of the one
    wanted next; yield their outcomes in order."""
    busy = [0] * workers
    arrived: dict[int, _Outcome] = {}
    handed = 0
    ahead_max = workers * batches_ahead_per_worker
    for wanted in range(total):
        while handed < total and handed - wanted < ahead_max:
            worker = min(range(workers), key=busy.__getitem__)
            pool.send(worker, handed)
            busy[worker] += 1
            handed += 1
        while wanted not in arrived:
            arrival = pool.arrivals.get()
            if arrival.data is None:
                raise _ended_unexpectedly(arrival.exit_code)
            outcome = pickle.loads(arrival.data)
            assert isinstance(outcome, _Outcome)
            busy[arrival.worker] -= 1
            arrived[outcome.position] = outcome
        found = arrived.pop(wanted)
        if not found.succeeded:
            assert isinstance(found.value, BaseException)
            raise found.value
        yield found.value  # type: ignore[misc]
