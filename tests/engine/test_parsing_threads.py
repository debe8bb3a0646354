"""Parsing from many threads at once (engine.ast_lock): CPython 3.11's AST constructor is not safe for two threads
at a time, and a new worker's threads all miss the spec cache together."""
from __future__ import annotations

import gc
import threading

from sqlalchemy import select

from api.extensions import db
from engine import expressions
from engine.models import Definition
from engine.specs import SpecCache


class _CyclicGarbage:
    """Collected by the garbage collector, which runs its finalizer: Python code, so the GIL may change hands
    in the middle of another thread's ast.parse. A busy server makes such garbage all the time."""

    def __init__(self):
        self.me = self

    def __del__(self):
        sum(range(50))


def _in_threads(work, threads: int = 8) -> list:
    start, results, errors = threading.Barrier(threads), [], []

    def run(n):
        start.wait()
        try:
            results.append(work(n))
        except Exception as exc:  # the failure under test is a SystemError from the parser
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    return results


def test_expressions_compile_from_many_threads(monkeypatch):
    thresholds = gc.get_threshold()
    gc.set_threshold(50, 5, 5)  # collect often, as a server's allocation rate does

    def compile_many(n):
        for i in range(1500):  # unique texts: each one is a cache miss and a parse
            for _ in range(20):
                _CyclicGarbage()
            expressions.compile_expression(f"(a + b * {n}) if x in ('A', 'B{i}') and y > 3 else [1, {i}]")

    try:
        _in_threads(compile_many)  # unguarded, "AST constructor recursion depth mismatch" within a few hundred
    finally:
        gc.set_threshold(*thresholds)


def test_threads_missing_the_spec_cache_together_share_one_parse(app):
    with app.app_context():
        definition = db.session.scalars(select(Definition).where(Definition.key == "closed_loop")
                                        .order_by(Definition.version.desc())).first()
        definition.files  # loaded here: the threads only parse
        cache = SpecCache()
        loaded = _in_threads(lambda n: cache.get(definition))
    assert len(loaded) == 8 and len({id(spec) for spec in loaded}) == 1  # parsed once, not once per thread
