"""The one way kubelite parses YAML that a user wrote (manifests, patches,
kubeconfig files, server-side apply bodies): PyYAML's safe loader (libyaml's
when installed), refusing a document whose aliases expand out of proportion
to its size ("billion laughs", CVE-2019-11253) or whose anchor contains
itself, in time and memory bounded by the document's own size.

The rule is go-yaml's since v2.2.4 (what sigs.k8s.io/yaml, and so kubectl
and the API server, use): count the nodes visited while decoding, each alias
expanding its anchor's whole subtree again, and how many of those visits
came from alias expansion; past 100 alias visits and 1,000 visits in all,
refuse the document once the alias share exceeds 99% (up to 400,000 visits),
sliding to 10% (from 4,000,000). PyYAML shares one object per anchor, so
loading itself stays cheap, but anything that walks the result (JSON,
validation, a merge) pays for every expansion: the check runs on the
composed node graph, before the document is constructed."""

from __future__ import annotations

import io
from typing import Any

import yaml

__all__ = ["EXCESSIVE_ALIASING", "TOO_DEEP", "AliasingError", "allowed_alias_ratio", "check_aliasing", "load",
           "load_all"]

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# kubectl's words for the document go-yaml refuses (sigs.k8s.io/yaml adds the prefix)
EXCESSIVE_ALIASING = "error converting YAML to JSON: yaml: document contains excessive aliasing"

# libyaml's words for nesting past its limit (the pure-Python loader runs out of stack first)
TOO_DEEP = "exceeded maximum nesting depth"

# go-yaml's bounds (decode.go): the alias share allowed slides from 99% to 10% between these counts
_RATIO_LOW = 400_000
_RATIO_HIGH = 4_000_000
_MIN_ALIASES = 100
_MIN_DECODES = 1_000


class AliasingError(yaml.MarkedYAMLError):
    """A document refused for its aliases; `source` names where it came from.
    A `yaml.YAMLError`, so callers that handle bad YAML handle this too."""

    def __init__(self, source: str, problem: str, mark: yaml.Mark | None = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.source = source


def allowed_alias_ratio(decodes: int) -> float:
    """The share of visits that may come from alias expansion, after `decodes` visits."""
    if decodes <= _RATIO_LOW:
        return 0.99
    if decodes >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _Budget:
    """go-yaml's decodeCount and aliasCount for one document."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.decodes = 1  # the document node
        self.aliases = 0

    def visit(self, aliased: bool) -> None:
        self.decodes += 1
        self.aliases += aliased
        if (self.aliases > _MIN_ALIASES and self.decodes > _MIN_DECODES
                and self.aliases / self.decodes > allowed_alias_ratio(self.decodes)):
            raise AliasingError(self.source, EXCESSIVE_ALIASING)

    def expand(self, anchor: yaml.Node) -> None:
        """An alias: the anchor's subtree visited again (acyclic: checked by the caller's walk)."""
        todo = [anchor]
        while todo:
            node = todo.pop()
            self.visit(aliased=True)
            todo.extend(_children(node))


def check_aliasing(root: yaml.Node, source: str) -> None:
    """Walk a composed document in document order as a decoder would: the
    first sight of a node is its definition, a later one an alias of it
    (expanded and counted), one inside the node itself a self-containing
    anchor. Raises AliasingError; stops as soon as the budget runs out."""
    budget = _Budget(source)
    open_: dict[int, bool] = {}  # id(node) -> True while inside it, False once done
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            open_[id(node)] = False
            continue
        budget.visit(aliased=False)
        state = open_.get(id(node))
        if state is True:
            raise AliasingError(source, "anchor value contains itself", node.start_mark)
        if state is False:
            budget.expand(node)
            continue
        open_[id(node)] = True
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))


def _stream(text: str, source: str) -> io.StringIO:
    stream = io.StringIO(text)
    stream.name = source  # the readers name their marks (line, column) after the stream
    return stream


def load_all(text: str, source: str) -> list[Any]:
    """Every document of `text` (None for an empty one), as yaml.safe_load_all
    would give them. Raises yaml.YAMLError (AliasingError for aliases)."""
    loader = _Loader(_stream(text, source))
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            check_aliasing(node, source)
            docs.append(loader.construct_document(node))
    except RecursionError:
        raise yaml.MarkedYAMLError(problem=TOO_DEEP) from None
    finally:
        loader.dispose()
    return docs


def load(text: str, source: str) -> Any:
    """The single document of `text` (None if there is none), as yaml.safe_load
    would give it; more than one document is an error, as there."""
    loader = _Loader(_stream(text, source))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_aliasing(node, source)
        return loader.construct_document(node)
    except RecursionError:
        raise yaml.MarkedYAMLError(problem=TOO_DEEP) from None
    finally:
        loader.dispose()
