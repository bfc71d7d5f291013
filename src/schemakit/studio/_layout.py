"""A layered layout for boxes and arrows (services and their edges, tables and their foreign
keys), done once on the server so the page draws an SVG and runs no layout code.

Referenced boxes go above the boxes that reference them (longest path from the sinks), each
layer is ordered by the barycentre of its neighbours in a few sweeps, and a layer wider than
the page is wrapped into rows. Good enough for a schema, and no Graphviz to install.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Box", "Layout", "layered"]

GAP_X = 40.0
GAP_Y = 60.0
MARGIN = 20.0
_SWEEPS = 4


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Layout:
    boxes: Mapping[Hashable, Box]
    paths: tuple[tuple[Hashable, Hashable, str], ...]
    """(source, target, SVG path data) per edge between two laid-out boxes."""
    width: float
    height: float


def _ranks(
    nodes: Sequence[Hashable], edges: Sequence[tuple[Hashable, Hashable]]
) -> dict[Hashable, int]:
    """Rank 0 for a box that points at nothing; otherwise one more than what it points at.
    Cycles (a table referencing itself through others) are cut where the search meets them."""
    targets: dict[Hashable, list[Hashable]] = {n: [] for n in nodes}
    for source, target in edges:
        if source != target and source in targets and target in targets:
            targets[source].append(target)
    rank: dict[Hashable, int] = {}
    visiting: set[Hashable] = set()
    for start in nodes:
        if start in rank:
            continue
        # iterative depth-first search: a long chain of foreign keys must not hit the
        # recursion limit
        stack: list[tuple[Hashable, int]] = [(start, 0)]
        visiting.add(start)
        while stack:
            node, i = stack[-1]
            children = targets[node]
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                if child not in rank and child not in visiting:
                    visiting.add(child)
                    stack.append((child, 0))
                continue
            stack.pop()
            visiting.discard(node)
            rank[node] = 1 + max((rank[c] for c in children if c in rank), default=-1)
    return rank


def _order(
    layers: list[list[Hashable]], edges: Sequence[tuple[Hashable, Hashable]]
) -> list[list[Hashable]]:
    neighbours: dict[Hashable, list[Hashable]] = {}
    for source, target in edges:
        if source != target:
            neighbours.setdefault(source, []).append(target)
            neighbours.setdefault(target, []).append(source)
    for sweep in range(_SWEEPS):
        sequence = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        for index in sequence:
            fixed = layers[index - 1] if sweep % 2 == 0 else layers[index + 1]
            where = {n: i for i, n in enumerate(fixed)}
            current = {n: i for i, n in enumerate(layers[index])}

            def centre(
                node: Hashable,
                where: dict[Hashable, int] = where,
                current: dict[Hashable, int] = current,
            ) -> float:
                places = [where[n] for n in neighbours.get(node, ()) if n in where]
                return sum(places) / len(places) if places else float(current[node])

            layers[index].sort(key=centre)
    return layers


def _rows(
    layers: list[list[Hashable]],
    sizes: Mapping[Hashable, tuple[float, float]],
    max_width: float,
    rank: Mapping[Hashable, int],
    edges: Sequence[tuple[Hashable, Hashable]],
) -> list[list[Hashable]]:
    """Each layer cut into rows no wider than ``max_width``. A box with an edge up goes into
    its layer's first row and a box with an edge down into its last, so that no edge between
    neighbouring layers runs behind a box of another row."""
    up = {s for s, t in edges if s != t and rank.get(s, 0) > rank.get(t, 0)}
    down = {t for s, t in edges if s != t and rank.get(s, 0) > rank.get(t, 0)}
    rows: list[list[Hashable]] = []
    for nodes in layers:
        layer = sorted(nodes, key=lambda n: 0 if n in up else (2 if n in down else 1))
        row: list[Hashable] = []
        width = 0.0
        for node in layer:
            w = sizes[node][0]
            if row and width + w > max_width:
                rows.append(row)
                row, width = [], 0.0
            row.append(node)
            width += w + GAP_X
        if row:
            rows.append(row)
    return rows


def layered(
    sizes: Mapping[Hashable, tuple[float, float]],
    edges: Sequence[tuple[Hashable, Hashable]],
    *,
    max_width: float = 1400.0,
) -> Layout:
    """Place boxes of the given (width, height); edges point from a box to one above it."""
    nodes = list(sizes)
    if not nodes:
        return Layout({}, (), 0.0, 0.0)
    rank = _ranks(nodes, edges)
    layers: list[list[Hashable]] = [[] for _ in range(max(rank.values()) + 1)]
    for node in nodes:
        layers[rank[node]].append(node)
    rows = _rows(_order(layers, edges), sizes, max_width, rank, edges)
    widths = [sum(sizes[n][0] for n in row) + GAP_X * (len(row) - 1) for row in rows]
    total = max(widths)
    boxes: dict[Hashable, Box] = {}
    y = MARGIN
    for row, width in zip(rows, widths, strict=True):
        x = MARGIN + (total - width) / 2
        height = max(sizes[n][1] for n in row)
        for node in row:
            w, h = sizes[node]
            boxes[node] = Box(x, y, w, h)
            x += w + GAP_X
        y += height + GAP_Y
    paths = tuple(
        (source, target, _path(boxes[source], boxes[target]))
        for source, target in edges
        if source in boxes and target in boxes
    )
    return Layout(boxes, paths, total + 2 * MARGIN, y - GAP_Y + MARGIN)


def _path(source: Box, target: Box) -> str:
    if source is target:
        x, y = source.x + source.width, source.y + 14
        return f"M{x:.0f},{y:.0f} c30,0 30,24 0,24"
    if target.y + target.height < source.y:
        x1, y1 = source.centre_x, source.y
        x2, y2 = target.centre_x, target.y + target.height
    elif source.y + source.height < target.y:
        x1, y1 = source.centre_x, source.y + source.height
        x2, y2 = target.centre_x, target.y
    else:  # the same row: an arc over the boxes between them
        x1, y1 = source.centre_x, source.y
        x2, y2 = target.centre_x, target.y
        return (
            f"M{x1:.0f},{y1:.0f} C{x1:.0f},{y1 - 40:.0f} {x2:.0f},{y2 - 40:.0f} {x2:.0f},{y2:.0f}"
        )
    middle = (y1 + y2) / 2
    return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{middle:.0f} {x2:.0f},{middle:.0f} {x2:.0f},{y2:.0f}"
