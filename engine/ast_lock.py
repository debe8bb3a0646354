"""One thread at a time turns source text into Python AST objects (``ast.parse``).

CPython 3.11 (Debian 12 ships 3.11.2) keeps the AST constructor's recursion depth in the interpreter, not in the
thread. When a thread parsing hands the GIL over midway (a finalizer run by the garbage collector is enough) and
another thread parses meanwhile, the first fails with "SystemError: AST constructor recursion depth mismatch"
(python/cpython#106905). Seen here as a 500 on POST /cases when 16 clients met a new worker whose threads parsed
the closed loop's DMN at the same time. Every ``ast.parse`` of ours, and every spec parse (SpiffWorkflow's
parsers call ``ast.parse``), holds this lock. Both are cached, so the lock is taken on a cache miss only.
"""
from __future__ import annotations

import threading

AST_LOCK = threading.RLock()  # re-entrant: a spec parse validates expressions through engine.expressions
