"""The only way citybpm turns uploaded bytes into an XML tree.

BPMN and DMN files come from designers and API callers, so they are untrusted.
Entity resolution, DTD loading and network access are off, and any document
with a DOCTYPE is refused outright: BPMN and DMN never need one, and refusing
it closes XXE and entity-expansion ("billion laughs") attacks before libxml2
sees them. Size is bounded before parsing and nesting depth after.
"""
from __future__ import annotations

import codecs
import re

from lxml import etree

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_DEPTH = 200


class XmlRejected(ValueError):
    """An XML document citybpm refuses to read; ``code`` is stable, messages are for people."""

    def __init__(self, code: str, message_zh: str, message_en: str, line: int | None = None):
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.line = line


def parse_xml(
    data: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> etree._Element:
    """Parse untrusted XML and return its root element, or raise XmlRejected."""
    raw = _to_bytes(data, max_bytes)
    _refuse_doctype_in_prolog(raw)
    try:
        root = etree.fromstring(raw, _parser(from_text=isinstance(data, str)))
    except etree.XMLSyntaxError as exc:
        raise _malformed(exc, max_depth) from None
    if root is None:  # lxml returns None for some recovered-empty inputs
        raise XmlRejected("xml.malformed", "文件不是有效的 XML：内容为空。",
                          "The file is not valid XML: it is empty.", None)
    # Second line of defence, should the prolog scan ever miss a DOCTYPE
    # that libxml2 did see (an encoding the scan does not know, say).
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _doctype_rejected(1)
    _check_depth(root, max_depth)
    return root


def _parser(from_text: bool) -> etree.XMLParser:
    # A fresh parser per call: cheap, and never shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        # Text input has already been encoded as UTF-8 by _to_bytes; ignore
        # whatever encoding its XML declaration claims.
        encoding="utf-8" if from_text else None,
    )


def _to_bytes(data: bytes | str, max_bytes: int) -> bytes:
    if isinstance(data, str):
        # Check the character count first so a huge string is never encoded.
        if len(data) > max_bytes:
            raise _too_large(len(data), max_bytes)
        data = data.encode("utf-8")
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_xml() takes bytes or str")
    data = bytes(data)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


# What may legally precede the root element: XML declaration, processing
# instructions, comments and whitespace -- and the DOCTYPE we are looking for.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _refuse_doctype_in_prolog(raw: bytes) -> None:
    text = _decode_markup(raw)
    pos = 0
    while match := _PROLOG_ITEM.match(text, pos):
        pos = match.end()
    # Past the prolog, "<!" that is not a comment can only be <!DOCTYPE (or
    # a stray <!ENTITY); either way the document is refused.
    if text.startswith("<!", pos) and not text.startswith("<!--", pos):
        raise _doctype_rejected(text.count("\n", 0, pos) + 1)


def _decode_markup(raw: bytes) -> str:
    """Decode well enough to find markup characters (the parser does the real decoding)."""
    head = raw
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, errors="ignore")
    if head.startswith(b"<\x00\x00\x00"):
        return head.decode("utf-32-le", errors="ignore")
    if head.startswith(b"\x00\x00\x00<"):
        return head.decode("utf-32-be", errors="ignore")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="ignore")
    # UTF-8, GBK and GB18030 never use bytes below 0x40 inside multi-byte
    # characters, so "<", "!", "?", "-" and ">" read correctly as Latin-1.
    return head.decode("latin-1")


def _check_depth(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise _too_deep(max_depth, element.sourceline)
        else:
            depth -= 1


def _malformed(exc: etree.XMLSyntaxError, max_depth: int) -> XmlRejected:
    line = exc.lineno or None
    if "Excessive depth" in str(exc):
        # libxml2's own depth limit (256 without huge_tree) fired first.
        return _too_deep(max_depth, line)
    reason = exc.msg or str(exc)
    return XmlRejected(
        "xml.malformed",
        f"文件不是格式正确的 XML（第 {line} 行）：{reason}",
        f"The file is not well-formed XML (line {line}): {reason}",
        line,
    )


def _doctype_rejected(line: int) -> XmlRejected:
    return XmlRejected(
        "xml.doctype",
        "出于安全原因，不接受含有 DOCTYPE 或实体声明（<!ENTITY>）的文件。"
        "BPMN/DMN 文件不需要它们，请删除后重新上传。",
        "Documents with a DOCTYPE or entity declarations are refused for security reasons; "
        "BPMN and DMN files do not need them.",
        line,
    )


def _too_large(size: int, max_bytes: int) -> XmlRejected:
    return XmlRejected(
        "xml.too_large",
        f"文件过大（{size} 字节），单个文件上限为 {max_bytes} 字节。",
        f"The file is too large ({size} bytes); the limit is {max_bytes} bytes.",
        None,
    )


def _too_deep(max_depth: int, line: int | None) -> XmlRejected:
    return XmlRejected(
        "xml.too_deep",
        f"XML 元素嵌套过深（超过 {max_depth} 层），请检查文件是否正确。",
        f"XML elements are nested too deeply (more than {max_depth} levels).",
        line,
    )
