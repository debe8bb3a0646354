"""XSD validation of BPMN and DMN files, reporting every error at once.

SpiffWorkflow's own BpmnValidator stops at the first error; designers fix
diagrams faster when they see all of them. We reuse the schemas SpiffWorkflow
ships (loaded from disk once, network off) and its bpmn-js preprocessing quirk.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import threading

import SpiffWorkflow
from lxml import etree

from engine.problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

_SPIFF_DIR = os.path.dirname(SpiffWorkflow.__file__)
_BPMN_XSD = os.path.join(_SPIFF_DIR, "bpmn", "parser", "schema", "BPMN20.xsd")
_DMN_XSD_DIR = os.path.join(_SPIFF_DIR, "dmn", "parser", "schema")

# DMN namespaces whose SpiffWorkflow schema actually loads. DMN 1.2's DMN12.xsd
# imports a DMNDI schema SpiffWorkflow does not ship, so 1.2 (and the newer
# 1.4/1.5 that SpiffWorkflow has no schema for) only get the root check.
_DMN_SCHEMAS = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "DMN.xsd",          # DMN 1.1
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "DMN13.xsd",        # DMN 1.3
}
_DMN_NS = re.compile(r"^https?://www\.omg\.org/spec/DMN/\d{8}/(MODEL/?|dmn\.xsd)$")

# Prefixes for shortening "{namespace}name" in libxml2 messages.
_PREFIXES = {
    BPMN_NS: "bpmn",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    "http://www.w3.org/2001/XMLSchema": "xs",
    **{ns: "dmn" for ns in _DMN_SCHEMAS},
}


class _Schema:
    """A compiled XSD plus a lock: an XMLSchema's error_log is shared state."""

    def __init__(self, path: str):
        # Network off and no entities: the XSDs import their siblings by
        # relative path, which resolves against the file's own location.
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        self.schema = etree.XMLSchema(etree.parse(path, parser))
        self.lock = threading.Lock()

    def errors(self, root: etree._Element) -> list:
        with self.lock:
            if self.schema.validate(root):
                return []
            return list(self.schema.error_log)


@functools.lru_cache(maxsize=None)
def _schema(path: str) -> _Schema:
    return _Schema(path)


def validate_xsd(root: etree._Element, filename: str | None) -> list[Problem]:
    """Validate a BPMN or DMN ``definitions`` tree; returns every schema error as a Problem."""
    namespace = etree.QName(root).namespace or ""
    local = etree.QName(root).localname
    if namespace == BPMN_NS and local == "definitions":
        return _validate(_schema(_BPMN_XSD), _bpmn_js_quirk(root), filename, "BPMN 2.0")
    if _DMN_NS.match(namespace) and local == "definitions":
        xsd = _DMN_SCHEMAS.get(namespace)
        if xsd is None:
            return []
        return _validate(_schema(os.path.join(_DMN_XSD_DIR, xsd)), root, filename, "DMN")
    return [Problem(
        "xsd.not_definitions", root.get("id"),
        f"文件的根元素是 {_short(root.tag)}，不是 BPMN 2.0 或 DMN 的 definitions，无法部署。",
        f"The root element is {_short(root.tag)}, not a BPMN 2.0 or DMN definitions element.",
        filename, root.sourceline,
    )]


def _bpmn_js_quirk(root: etree._Element) -> etree._Element:
    """SpiffWorkflow's BpmnValidator.preprocess, applied to a copy.

    bpmn-js writes correlationPropertyRetrievalExpression/formalExpression
    where the XSD wants messagePath; SpiffWorkflow accepts it, so must we. A
    copy, so the tree handed to the parser is not silently rewritten.
    """
    fixed = copy.deepcopy(root)
    for expr in fixed.iterfind(
            f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/{{{BPMN_NS}}}formalExpression"):
        expr.tag = f"{{{BPMN_NS}}}messagePath"
    return fixed


def _validate(schema: _Schema, root: etree._Element, filename: str | None, standard: str) -> list[Problem]:
    problems = []
    for error in schema.errors(root):
        line = error.line or None
        message_en = _short(error.message)
        problems.append(Problem(
            "xsd.invalid",
            _nearest_id(_element_at(root, error)),
            f"第 {line} 行不符合 {standard} 规范：{_message_zh(message_en)}",
            f"Line {line} does not conform to {standard}: {message_en}",
            filename, line,
        ))
    return problems


def _element_at(root: etree._Element, error) -> etree._Element | None:
    """The element an XSD error is about: by its XPath if that resolves, else by line."""
    namespaces = {prefix: ns for prefix, ns in root.nsmap.items() if prefix}
    try:
        found = root.getroottree().xpath(error.path, namespaces=namespaces) if error.path else []
    except etree.XPathError:
        found = []
    if len(found) == 1 and isinstance(found[0], etree._Element):
        return found[0]
    for element in root.iter(etree.Element):
        if element.sourceline == error.line:
            return element
    return None


def _nearest_id(element: etree._Element | None) -> str | None:
    while element is not None:
        if element.get("id"):
            return element.get("id")
        element = element.getparent()
    return None


def _short(text: str) -> str:
    """Write "{namespace}name" as "prefix:name" so messages stay readable."""
    def replace(match: re.Match) -> str:
        prefix = _PREFIXES.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(0)
    return re.sub(r"\{([^}]*)\}([\w.-]+)", replace, text)


# The libxml2 messages designers actually meet, in Chinese; anything else is
# shown in English after a Chinese lead-in.
_ZH_PATTERNS = [
    (re.compile(r"^Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed\.$"),
     "元素 {0} 上不允许出现属性 {1}。"),
    (re.compile(r"^Element '([^']+)': The attribute '([^']+)' is required but missing\.$"),
     "元素 {0} 缺少必填属性 {1}。"),
    (re.compile(r"^Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the atomic type 'xs:ID'\.$"),
     "元素 {0} 的 {1} “{2}”无效：ID 必须以字母或下划线开头、不含空格，且在文件内不能重复。"),
    (re.compile(r"^Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the atomic type '([^']+)'\.$"),
     "元素 {0} 的属性 {1} 的值“{2}”不是合法的 {3} 类型。"),
    (re.compile(r"^Element '([^']+)': This element is not expected\. Expected is (?:one of )?\( (.*) \)\.$"),
     "此处不应出现元素 {0}，这里可以出现的是：{1}。"),
    (re.compile(r"^Element '([^']+)': This element is not expected\.$"),
     "此处不应出现元素 {0}。"),
    (re.compile(r"^Element '([^']+)': Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)\.$"),
     "元素 {0} 缺少子元素，应包含：{1}。"),
    (re.compile(r"^Element '([^']+)': No matching global declaration available for the validation root\.$"),
     "根元素 {0} 不是规范中定义的元素。"),
]


def _message_zh(message_en: str) -> str:
    text = message_en.strip()
    for pattern, template in _ZH_PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return f"XSD 校验错误（{text}）"
