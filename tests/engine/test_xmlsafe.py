import codecs

import pytest

from engine import xmlsafe
from engine.xmlsafe import XmlRejected, parse_xml

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<x>&xxe;</x>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def rejected(data, **kwargs) -> XmlRejected:
    with pytest.raises(XmlRejected) as info:
        parse_xml(data, **kwargs)
    return info.value


def test_parses_ordinary_document_with_comments_kept():
    root = parse_xml('<?xml version="1.0" encoding="UTF-8"?>\n<!-- 说明 --><a id="1"><!-- keep --><b>中文</b></a>'.encode())
    assert root.tag == "a"
    assert root.findtext("b") == "中文"
    assert len(root) == 2  # the comment survives: remove_comments=False


def test_text_input_ignores_its_encoding_declaration():
    root = parse_xml('<?xml version="1.0" encoding="GBK"?><a>派单</a>')
    assert root.text == "派单"


def test_xxe_is_rejected():
    error = rejected(XXE)
    assert error.code == "xml.doctype"
    assert error.line == 2
    assert "DOCTYPE" in error.message_zh and "DOCTYPE" in error.message_en
    assert isinstance(error, ValueError)


def test_billion_laughs_is_rejected():
    assert rejected(BILLION_LAUGHS).code == "xml.doctype"


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html><a/>",                                         # no internal subset at all
    b"<!-- harmless --><?pi x?>\n\n<!DOCTYPE x SYSTEM 'http://evil/x.dtd'><x/>",
    codecs.BOM_UTF8 + XXE,
    XXE.decode("ascii").replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
    XXE.decode("ascii"),                                            # str input
])
def test_doctype_rejected_whatever_the_wrapping(data):
    assert rejected(data).code == "xml.doctype"


def test_parser_level_check_catches_a_doctype_the_prefix_scan_missed(monkeypatch):
    # Second line of defence: even if the raw scan were fooled, docinfo is checked.
    monkeypatch.setattr(xmlsafe, "_refuse_doctype_in_prolog", lambda raw: None)
    assert rejected(XXE).code == "xml.doctype"
    # libxml2's entity-amplification limit may refuse this one first; refused either way.
    assert rejected(BILLION_LAUGHS).code in {"xml.doctype", "xml.malformed"}


def test_undeclared_entity_reference_is_malformed():
    error = rejected(b"<x>&xxe;</x>")
    assert error.code == "xml.malformed"


def test_malformed_document_reports_line():
    error = rejected(b"<a>\n  <b>\n  </c>\n</a>")
    assert error.code == "xml.malformed"
    assert error.line == 3
    assert "第 3 行" in error.message_zh


def test_empty_document_is_malformed():
    assert rejected(b"").code == "xml.malformed"


def test_too_large_rejected_before_parsing():
    data = b"<a>" + b"x" * 200 + b"</a>"
    assert rejected(data, max_bytes=100).code == "xml.too_large"
    assert rejected(data.decode(), max_bytes=100).code == "xml.too_large"
    assert parse_xml(data, max_bytes=len(data)).tag == "a"


def test_too_deep_rejected_with_line():
    def nested(depth):
        return ("<a>\n" * depth + "</a>" * depth).encode()

    assert parse_xml(nested(10), max_depth=10) is not None
    error = rejected(nested(11), max_depth=10)
    assert error.code == "xml.too_deep"
    assert error.line == 11


def test_nesting_beyond_libxml2_limit_is_too_deep_not_malformed():
    assert rejected(b"<a>" * 300 + b"</a>" * 300).code == "xml.too_deep"
