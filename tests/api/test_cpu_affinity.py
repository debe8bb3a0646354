"""Which core a new gunicorn worker takes: the least used of the allowed ones, so a replacement fills the gap a
dead worker left. (The pinning itself, with real workers: tests/api/test_sqlite_workers.py.)"""
from __future__ import annotations

from api.cpu_affinity import least_used_cpu


def test_workers_spread_over_the_allowed_cores_in_order():
    assert least_used_cpu({0, 1, 2, 3}, []) == 0
    assert least_used_cpu({0, 1, 2, 3}, [0]) == 1
    assert least_used_cpu({0, 1, 2, 3}, [0, 1, 2, 3]) == 0


def test_a_replacement_takes_the_core_its_dead_predecessor_left():
    assert least_used_cpu({0, 1, 2, 3}, [0, 1, 3]) == 2


def test_more_workers_than_cores_share_them_evenly():
    assert least_used_cpu({0, 1}, [0, 1, 0]) == 1


def test_only_the_cores_this_process_may_use():  # a container's cpuset, taskset
    assert least_used_cpu({4, 5}, [4]) == 5
