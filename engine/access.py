"""Who may act on an open task: its assignee, or, while unclaimed, any of its candidates."""
from __future__ import annotations

from typing import Iterable

from engine.identity import Actor


def is_candidate(candidates: Iterable[tuple[str, str]], actor: Actor) -> bool:
    keys = set(actor.candidate_keys())
    return any(candidate in keys for candidate in candidates)


def may_act(assignee: str | None, candidates: Iterable[tuple[str, str]], actor: Actor) -> bool:
    if assignee:
        return assignee == actor.username
    return is_candidate(candidates, actor)
