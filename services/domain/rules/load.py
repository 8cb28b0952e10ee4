"""Reading a ruleset from YAML text, keeping the line of every rule and every test.

Pure: takes the text and a file name for messages, never opens files. YAML is read with the
ruamel.yaml round-trip loader because it records where each node came from; those lines travel
with the validated `Ruleset` so every finding can say `file:line`.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from schemas.rules import COMBINATORS, Finding, Ruleset
from services.domain.rules.errors import RuleError


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a ruleset came from: the file name and the line of each rule and of each test.

    `test_lines[i]` lists the lines of rule i's tests in the order `conditions.tests_of` walks them.
    """

    file: str
    rule_lines: tuple[int, ...] = ()
    test_lines: tuple[tuple[int, ...], ...] = ()

    def rule_line(self, index: int) -> int:
        return self.rule_lines[index] if index < len(self.rule_lines) else 1

    def test_line(self, index: int, position: int) -> int:
        lines = self.test_lines[index] if index < len(self.test_lines) else ()
        return lines[position] if position < len(lines) else self.rule_line(index)


@dataclass(frozen=True, slots=True)
class LoadedRuleset:
    ruleset: Ruleset
    source: RuleSource


def load_ruleset(text: str, file: str = "<ruleset>") -> LoadedRuleset:
    """Parse and validate a ruleset; raise `RuleError` with located findings when it is invalid."""
    document = _parse(text, file)
    try:
        ruleset = Ruleset.model_validate(_plain(document))
    except ValidationError as exc:
        raise RuleError(_findings(exc, document, file)) from None
    return LoadedRuleset(ruleset, _source(document, file))


def _parse(text: str, file: str) -> Any:
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise RuleError(
            [_finding(file, line, None, "yaml", f"not valid YAML: {exc.problem}")]
        ) from None
    except YAMLError as exc:  # e.g. a control character, refused before any parsing
        line = text.count("\n", 0, getattr(exc, "position", 0) or 0) + 1
        raise RuleError([_finding(file, line, None, "yaml", f"not valid YAML: {exc}")]) from None
    if not isinstance(document, CommentedMap):
        raise RuleError(
            [
                _finding(
                    file,
                    1,
                    None,
                    "yaml",
                    "a ruleset is a mapping with id, version, metadata, rules",
                )
            ]
        )
    return document


def _plain(node: Any) -> Any:
    """Round-trip nodes to plain Python (ruamel's int and str subclasses would upset validation)."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None or isinstance(node, datetime.date):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


def _finding(file: str, line: int, rule_id: str | None, code: str, message: str) -> Finding:
    return Finding(
        severity="error", code=code, file=file, line=line, rule_id=rule_id, message=message
    )


def _findings(exc: ValidationError, document: Any, file: str) -> list[Finding]:
    findings = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = ".".join(str(part) for part in loc) or "ruleset"
        message = f"{where}: {error['msg']}"
        findings.append(
            _finding(file, line_at(document, loc), _rule_id_at(document, loc), "schema", message)
        )
    return findings


def _rule_id_at(document: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return None
    rules = document.get("rules")
    rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
    return str(rule["id"]) if isinstance(rule, dict) and "id" in rule else None


def line_at(document: Any, loc: tuple[Any, ...]) -> int:
    """The line of the deepest node of `loc` that exists in the YAML document (1-based)."""
    line, node = 1, document
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, node = node.lc.key(part)[0] + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line


def _source(document: CommentedMap, file: str) -> RuleSource:
    rules = document["rules"]
    rule_lines = tuple(rules.lc.item(index)[0] + 1 for index in range(len(rules)))
    test_lines = tuple(tuple(_when_lines(rule, rule_lines[i])) for i, rule in enumerate(rules))
    return RuleSource(file, rule_lines, test_lines)


def _when_lines(rule: Any, line: int) -> list[int]:
    if not isinstance(rule, CommentedMap) or "when" not in rule:
        return []
    return _test_lines(rule["when"], rule.lc.key("when")[0] + 1)


def _test_lines(node: Any, line: int) -> list[int]:
    """Lines of the tests in a raw condition, in the order the normalised tree is walked."""
    if isinstance(node, CommentedSeq):
        return [
            found
            for i, item in enumerate(node)
            for found in _test_lines(item, node.lc.item(i)[0] + 1)
        ]
    if not isinstance(node, CommentedMap) or "field" in node or len(node) != 1:
        return [] if node is None else [line]
    key = next(iter(node))
    key_line = node.lc.key(key)[0] + 1
    return _test_lines(node[key], key_line) if key in COMBINATORS else [key_line]
