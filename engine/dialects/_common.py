"""What the modeler dialects share: attributes named the same in each namespace."""
from __future__ import annotations

from lxml import etree

# Attribute name -> our setting name. Camunda and Flowable agree on these.
SHARED_ATTRIBUTES = {
    "assignee": "assignee",
    "candidateUsers": "candidate_users",
    "candidateGroups": "candidate_groups",
    "formKey": "form_key",
    "dueDate": "due_date",
}

LIST_SETTINGS = {"candidate_users", "candidate_groups"}


def split_list(value: str) -> list[str]:
    """Split a comma list, keeping ``${...}`` expressions (which may hold commas) whole."""
    items, depth, current = [], 0, []
    for char in value:
        if char == "{" and current and current[-1] == "$":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        if char == "," and not depth:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def read_attributes(node: etree._Element, namespace: str, names: dict[str, str]) -> dict:
    settings = {}
    for attribute, setting in names.items():
        value = node.get(f"{{{namespace}}}{attribute}")
        if value is None or not value.strip():
            continue
        settings[setting] = split_list(value) if setting in LIST_SETTINGS else value.strip()
    return settings
