"""YAML text to plain data, remembering the line of every key and item.

PyYAML's safe loader turns ``08:30`` into a number in some spellings, ``no`` into False and a
number with a leading zero into an octal integer: for phone numbers and times that is wrong. We
compose with the *base* loader, so every scalar stays the exact string the admin wrote, and let
the schema convert. We also catch duplicate keys, which PyYAML would silently overwrite.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple  # a path into the data: ("lines", 3, "mode")


@dataclass
class Source:
    """Parsed data plus where each part of it was written."""

    name: str
    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int, int]] = field(default_factory=list)  # (path, line, first line)
    notices: list = field(default_factory=list)  # things worth saying that do not stop the file (Problem)

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that was written down."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is where the parser gave up (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse(text: str, name: str) -> Source:
    """Parse YAML ``text`` (named ``name`` in messages) into a :class:`Source`."""
    try:
        root = yaml.compose(text, Loader=yaml.BaseLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else 1
        reason = " ".join(filter(None, [err.context, err.problem])) or "not valid YAML"
        raise YamlSyntaxError(f"YAML syntax error: {reason}", line) from None
    except yaml.YAMLError as err:
        raise YamlSyntaxError(f"YAML syntax error: {err}", 1) from None
    source = Source(name=name, data=None)
    _refuse_aliases(root)
    if root is None:
        source.data = {}
        source.lines[()] = 1
        return source
    source.data = _convert(root, (), source)
    return source


def _refuse_aliases(root: yaml.Node | None) -> None:
    """Anchors and aliases (``&x`` / ``*x``) let a few lines expand into billions of values
    ("billion laughs") or loop; a rules file has no need of them, so they are refused."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1
            raise YamlSyntaxError("anchors and aliases (&name, *name) are not allowed in this file: "
                                  "write the values out", line)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _convert(node: yaml.Node, path: Path, source: Source) -> object:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                key = str(_convert(key_node, path, source))
            else:
                key = key_node.value
            key_path = path + (key,)
            line = key_node.start_mark.line + 1
            if key in out:
                source.duplicates.append((key_path, line, source.lines[key_path]))
                continue
            source.lines[key_path] = line
            out[key] = _convert(value_node, key_path, source)
            source.lines[key_path] = line  # the key's line, not the value's
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), source) for i, item in enumerate(node.value)]
    return node.value
