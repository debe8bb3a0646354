"""Deploying BPMN + DMN: validate everything, then store a new version (or reuse one).

The same content under the same key deploys to the same version (sha256 over
the files). Every problem in every file is reported at once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Iterable

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine import clock
from engine.enforcement.documents import known_type_codes
from engine.lint import lint_bpmn, lint_dmn, lint_documents
from engine.models import Definition, DefinitionFile
from engine.parser import CityParser
from engine.problems import DeploymentRejected, Problem
from engine.validation import validate_xsd
from engine.xmlsafe import XmlRejected, parse_xml

DMN_NAMESPACE_PREFIX = "https://www.omg.org/spec/DMN/"
OLD_DMN_NAMESPACE_PREFIX = "http://www.omg.org/spec/DMN/"


@dataclass(frozen=True)
class SourceFile:
    filename: str
    content: bytes


@dataclass
class ParsedFile:
    source: SourceFile
    root: etree._Element
    kind: str  # bpmn | dmn


def _kind_of(root: etree._Element) -> str:
    namespace = etree.QName(root).namespace or ""
    return "dmn" if namespace.startswith((DMN_NAMESPACE_PREFIX, OLD_DMN_NAMESPACE_PREFIX)) else "bpmn"


def content_sha256(files: Iterable[SourceFile]) -> str:
    digest = hashlib.sha256()
    for source in sorted(files, key=lambda f: f.filename):
        digest.update(source.filename.encode() + b"\0" + hashlib.sha256(source.content).digest())
    return digest.hexdigest()


def check_files(files: list[SourceFile], form_exists: Callable[[str], bool]) -> tuple[list[ParsedFile], list[Problem]]:
    """Safe parse, XSD validation and lint of every file; returns the trees and all problems."""
    parsed, problems = [], []
    for source in files:
        try:
            root = parse_xml(source.content)
        except XmlRejected as exc:
            problems.append(Problem(exc.code, None, exc.message_zh, exc.message_en, source.filename, exc.line))
            continue
        kind = _kind_of(root)
        problems.extend(validate_xsd(root, source.filename))
        problems.extend(lint_dmn(root, source.filename) if kind == "dmn"
                        else lint_bpmn(root, source.filename, form_exists))
        parsed.append(ParsedFile(source, root, kind))
    if not any(p.kind == "bpmn" for p in parsed) and not problems:
        problems.append(Problem("deploy.no_bpmn", None, "至少需要一个 BPMN 文件", "at least one BPMN file is required"))
    return parsed, problems


def build_parser(parsed: list[ParsedFile]) -> CityParser:
    parser = CityParser()
    for item in parsed:
        if item.kind == "dmn":
            parser.add_dmn_xml(item.root, filename=item.source.filename)
        else:
            parser.add_bpmn_xml(item.root, filename=item.source.filename)
    return parser


def _spiff_problem(exc: ValidationException) -> Problem:
    element_id = getattr(exc, "id", None) or None
    message = str(getattr(exc, "args", [exc])[0]) if exc.args else str(exc)
    return Problem("deploy.parse_error", element_id, f"流程解析失败：{message}", f"process could not be parsed: {message}",
                   getattr(exc, "file_name", None), getattr(exc, "line_number", None))


def executable_process_ids(parsed: list[ParsedFile]) -> list[str]:
    ids = []
    for item in parsed:
        if item.kind == "bpmn":
            ids += item.root.xpath("//bpmn:process[@isExecutable='true']/@id",
                                   namespaces={"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"})
    return ids


def _main_process(parsed: list[ParsedFile], key: str | None) -> tuple[str, str | None]:
    ids = executable_process_ids(parsed)
    if key and key in ids:
        process_id = key
    elif ids:
        process_id = ids[0]
    else:
        raise DeploymentRejected([Problem("lint.no_executable_process", None, "没有可执行的流程", "no executable process")])
    name = None
    for item in parsed:
        found = item.root.xpath("//bpmn:process[@id=$pid]/@name", pid=process_id,
                                namespaces={"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"})
        name = name or (found[0] if found else None)
    return process_id, name


def validate(session: Session, files: list[SourceFile], *, key: str | None = None,
             form_exists: Callable[[str], bool] = lambda _key: True) -> tuple[list[ParsedFile], str, str | None]:
    """Everything a deploy checks, storing nothing (the modeler's 校验): returns the parsed files and the main
    process's id and name, or raises DeploymentRejected with every problem."""
    if not files:
        raise DeploymentRejected([Problem("deploy.no_files", None, "没有上传文件", "no files were uploaded")])
    parsed, problems = check_files(files, form_exists)
    known_documents = known_type_codes(session)
    problems += [p for f in parsed if f.kind == "bpmn" for p in lint_documents(f.root, f.source.filename, known_documents)]
    if problems:
        raise DeploymentRejected(problems)
    process_id, name = _main_process(parsed, key)
    try:
        parser = build_parser(parsed)
        parser.get_spec(process_id)
        parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise DeploymentRejected([_spiff_problem(exc)]) from None
    except Exception as exc:  # SpiffWorkflow raises assorted errors on odd input
        raise DeploymentRejected([Problem("deploy.parse_error", None, f"流程解析失败：{exc}",
                                          f"process could not be parsed: {exc}")]) from None
    return parsed, process_id, name


def deploy(session: Session, files: list[SourceFile], *, key: str | None = None,
           deployed_by: str | None = None, form_exists: Callable[[str], bool] = lambda _key: True
           ) -> tuple[Definition, bool]:
    """Validate and store; returns (definition, created). Raises DeploymentRejected."""
    parsed, process_id, name = validate(session, files, key=key, form_exists=form_exists)
    key = key or process_id
    sha = content_sha256(files)
    latest = session.scalars(select(Definition).where(Definition.key == key)
                             .order_by(Definition.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == sha:
        return latest, False
    version = (session.scalar(select(func.max(Definition.version)).where(Definition.key == key)) or 0) + 1
    definition = Definition(key=key, version=version, sha256=sha, name=name, process_id=process_id,
                            status="active", deployed_at=clock.now(), deployed_by=deployed_by)
    definition.files = [DefinitionFile(filename=p.source.filename, kind=p.kind,
                                       content=p.source.content.decode("utf-8")) for p in parsed]
    session.add(definition)
    session.flush()
    return definition, True
