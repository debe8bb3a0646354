"""Parsed specs, cached in memory per definition version (parsed once per version)."""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from engine.ast_lock import AST_LOCK
from engine.deployment import ParsedFile, SourceFile, build_parser
from engine.models import Definition
from engine.xmlsafe import parse_xml


@dataclass(frozen=True)
class LoadedSpec:
    definition_id: int
    key: str
    process_id: str
    spec: object
    subprocess_specs: dict
    xml_by_file: dict


class SpecCache:
    def __init__(self, capacity: int = 256):
        self._items: OrderedDict[int, LoadedSpec] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def get_by_id(self, session, definition_id: int) -> LoadedSpec:
        found = self._cached(definition_id)
        return found if found is not None else self.get(session.get(Definition, definition_id))

    def _cached(self, definition_id: int) -> LoadedSpec | None:
        with self._lock:
            found = self._items.get(definition_id)
            if found is not None:
                self._items.move_to_end(definition_id)
            return found

    def get(self, definition: Definition) -> LoadedSpec:
        found = self._cached(definition.id)
        if found is not None:
            return found
        definition.files  # loaded from the database before the lock: no query while other threads wait on it
        with AST_LOCK:  # one parse at a time (engine.ast_lock): threads that missed together wait for the first
            found = self._cached(definition.id)
            if found is not None:
                return found
            loaded = self._load(definition)
        with self._lock:
            self._items[definition.id] = loaded
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return loaded

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @staticmethod
    def _load(definition: Definition) -> LoadedSpec:
        parsed = []
        for item in definition.files:
            content = item.content.encode("utf-8")
            parsed.append(ParsedFile(SourceFile(item.filename, content), parse_xml(content), item.kind))
        parser = build_parser(parsed)
        spec = parser.get_spec(definition.process_id)
        subprocess_specs = parser.get_subprocess_specs(definition.process_id)
        for process_spec in (spec, *subprocess_specs.values()):
            _connect_multi_instances(process_spec)
        return LoadedSpec(definition.id, definition.key, definition.process_id, spec, subprocess_specs,
                          {item.filename: item.content for item in definition.files})


def _connect_multi_instances(process_spec) -> None:
    """A multi-instance node collects its instances through a callback SpiffWorkflow connects when it
    creates the first instance. An instance started before this process parsed the spec (a restart)
    would complete unseen and the node would wait forever: connect up front, as the spec deserializer does."""
    for task_spec in process_spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process_spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


SPECS = SpecCache()
