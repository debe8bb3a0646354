"""Each gunicorn worker on a core of its own (``citybpm serve``; ``--no-cpu-affinity`` turns it off).

A worker runs Python under one GIL, so it never uses more than one core; left to the kernel, its threads still
spread over all of them, and every hand-over of the GIL between threads on different cores costs a wake-up
across cores and the caches' contents. Measured on the two-core test machine (bench/http_scale.py, eight
clients running closed-loop cases on PostgreSQL, unpinned and pinned runs one after the other): one worker went
from 15.6 to 28.2 cases per second (server CPU per case 62 → 35 ms), two workers from 27.3 to 35.1 (47 → 38 ms),
and the p95 of a task completion with 16 clients from 112 to 79 ms. PostgreSQL and everything else stay free to
run anywhere.

The master picks the core when it forks a worker (the least used of those this process may run on, so a worker
that replaces a dead one takes its free core); the worker pins itself before it starts its threads, which
inherit the setting.
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

CPU_ATTRIBUTE = "citybpm_cpu"


def least_used_cpu(allowed: Iterable[int], taken: Iterable[int]) -> int:
    """The allowed core the fewest live workers hold (the lowest-numbered among equals)."""
    load = Counter(taken)
    return min(sorted(allowed), key=lambda cpu: load[cpu])


def available() -> bool:
    return hasattr(os, "sched_setaffinity")  # Linux; elsewhere the workers run unpinned


def choose_cpu(server, worker) -> None:
    """gunicorn ``pre_fork``, in the master: note the core the new worker will take."""
    if not available():
        return
    taken = [cpu for other in server.WORKERS.values() if (cpu := getattr(other, CPU_ATTRIBUTE, None)) is not None]
    setattr(worker, CPU_ATTRIBUTE, least_used_cpu(os.sched_getaffinity(0), taken))


def pin_worker(server, worker) -> None:
    """gunicorn ``post_fork``, in the new worker while it has a single thread: keep it on its core."""
    cpu = getattr(worker, CPU_ATTRIBUTE, None)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
        worker.log.info("worker %s on CPU %s", worker.pid, cpu)
