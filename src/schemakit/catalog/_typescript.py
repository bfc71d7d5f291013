"""Reading TypeScript parse trees (tree-sitter): calls, arguments, string literals, object
literals and method chains, as the Drizzle schema reader needs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from schemakit.errors import SchemakitError

if TYPE_CHECKING:
    from tree_sitter import Node

__all__ = [
    "arg",
    "args",
    "bound_to",
    "calls",
    "chain",
    "descendants",
    "first_string",
    "first_syntax_error",
    "line",
    "object_literal",
    "parser",
    "string",
    "strings",
    "text",
]


def parser() -> Any:
    """A TypeScript parser; tree-sitter is imported only when Drizzle files are read."""
    try:
        import tree_sitter_typescript
        from tree_sitter import Language, Parser
    except ImportError as exc:
        raise SchemakitError(
            f"reading Drizzle schema files needs tree-sitter: {exc}",
            hint="pip install tree-sitter tree-sitter-typescript",
        ) from exc
    return Parser(Language(tree_sitter_typescript.language_typescript()))


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def line(node: Node) -> int:
    return node.start_point[0] + 1


def calls(root: Node) -> Iterator[Node]:
    """Every call expression outside import statements, in source order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("import_statement", "comment", "string", "template_string"):
            continue
        if node.type == "call_expression":
            yield node
        stack.extend(reversed(node.named_children))


def descendants(node: Node, kind: str) -> Iterator[Node]:
    for child in node.named_children:
        if child.type == kind:
            yield child
        yield from descendants(child, kind)


def args(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return []
    return [a for a in arguments.named_children if a.type != "comment"]


def arg(call: Node, index: int) -> Node | None:
    given = args(call)
    return given[index] if index < len(given) else None


def string(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(
        c.type == "template_substitution" for c in node.named_children
    ):
        return text(node)[1:-1]
    return None


def first_string(call: Node) -> str | None:
    return string(arg(call, 0))


def strings(node: Node | None) -> Iterator[str]:
    if node is None or node.type != "array":
        return
    for item in node.named_children:
        value = string(item)
        if value is not None:
            yield value


def bound_to(call: Node) -> str | None:
    """The variable a call is assigned to (``const x = call``), if any."""
    parent = call.parent
    if parent is not None and parent.type == "variable_declarator":
        return text(parent.child_by_field_name("name")) or None
    return None


def object_literal(node: Node | None) -> dict[str, Node]:
    """An object literal's ``key: value`` pairs."""
    while node is not None and node.type == "parenthesized_expression":
        node = node.named_children[0] if node.named_children else None
    if node is None or node.type != "object":
        return {}
    pairs: dict[str, Node] = {}
    for pair in node.named_children:
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        value = pair.child_by_field_name("value")
        if key is None or value is None:
            continue
        name = string(key) if key.type == "string" else text(key)
        if name is not None:
            pairs[name] = value
    return pairs


def chain(node: Node) -> tuple[Node, list[tuple[str, Node]]] | None:
    """``base(...).m1(...).m2(...)`` -> (the base, [(m1, call), (m2, call)])."""
    methods: list[tuple[str, Node]] = []
    while node.type == "call_expression":
        function = node.child_by_field_name("function")
        if function is None:
            return None
        if function.type == "member_expression":
            prop = text(function.child_by_field_name("property"))
            methods.append((prop, node))
            inner = function.child_by_field_name("object")
            if inner is None:
                return None
            node = inner
            continue
        break
    methods.reverse()
    return node, methods


# --- columns --------------------------------------------------------------------------------


def first_syntax_error(root: Node) -> tuple[int, int, str] | None:
    """(line, column, what) of the first place tree-sitter could not parse, or None."""
    if not root.has_error:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing:
            row, col = node.start_point
            return row + 1, col + 1, f"missing {node.type!r}"
        if node.type == "ERROR":
            # tree-sitter wraps what it could not fit; it gave up where that ends
            start = node.start_point[0] + 1
            row, col = node.end_point
            near = text(node).split("\n", 1)[0][:40]
            since = f" since line {start} ({near})" if start != row + 1 else f" ({near})"
            return row + 1, col + 1, "the code does not parse" + since
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return None
