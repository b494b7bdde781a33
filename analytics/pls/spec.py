"""The validated shape of a PLS path model: blocks, modes and the inner (structural) model.

Validation happens here once, so that the numerical code can take the model's index arrays on trust. Every
error is a ``ValueError`` that names the offending item, construct or path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Scheme = Literal["path", "centroid", "factorial"]
Mode = Literal["A", "B"]
SCHEMES: tuple[str, ...] = ("path", "centroid", "factorial")


@dataclass(frozen=True)
class ModelSpec:
    """Index arrays for one validated model; items are ordered block by block, constructs as given.

    ``adjacency[s, t] == 1`` for a path ``s -> t``; ``mask[i, k] == 1`` when item ``i`` belongs to construct
    ``k``; ``block_slices[k]`` is the slice of construct ``k``'s items in the item order.
    """

    constructs: tuple[str, ...]
    items: tuple[str, ...]
    blocks: dict[str, tuple[str, ...]]
    modes: tuple[Mode, ...]
    paths: tuple[tuple[str, str], ...]
    adjacency: NDArray[np.float64]
    mask: NDArray[np.float64]
    item_construct: NDArray[np.intp]
    block_slices: tuple[slice, ...]
    predecessors: tuple[tuple[int, ...], ...]
    endogenous: tuple[int, ...]
    topo_order: tuple[int, ...]

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_constructs(self) -> int:
        return len(self.constructs)

    @property
    def mode_b(self) -> tuple[int, ...]:
        return tuple(k for k, m in enumerate(self.modes) if m == "B")

    def min_rows(self) -> tuple[int, str]:
        """Fewest complete rows the regressions need, and the construct that needs them.

        An OLS with ``k`` regressors plus the intercept that standardisation removes needs ``n >= k + 2``
        rows for a positive residual degree of freedom (the adjusted R² divides by ``n - k - 1``); mode B
        regresses the inner proxy on the block's items, so a mode B block of ``k`` items counts the same.
        """
        need, who = 3, self.constructs[0]
        for k, c in enumerate(self.constructs):
            regressors = len(self.predecessors[k])
            if self.modes[k] == "B":
                regressors = max(regressors, self.block_slices[k].stop - self.block_slices[k].start)
            if regressors + 2 > need:
                need, who = regressors + 2, c
        return need, who

    def without_path(self, source: str, target: str) -> ModelSpec | None:
        """This model with one path removed and any construct left unconnected dropped (for f²).

        Returns ``None`` when no path is left.
        """
        paths = [p for p in self.paths if p != (source, target)]
        if not paths:
            return None
        used = {c for p in paths for c in p}
        blocks = {c: list(self.blocks[c]) for c in self.constructs if c in used}
        modes = {c: self.modes[k] for k, c in enumerate(self.constructs) if c in used}
        return build_spec(blocks, paths, modes)


def build_spec(
    blocks: Mapping[str, Sequence[str]],
    paths: Sequence[tuple[str, str]],
    mode: Mapping[str, str] | str | None = None,
) -> ModelSpec:
    """Validate a model and build its index arrays.

    Raises
    ------
    ValueError
        For a construct with no items, an item in two blocks, an unknown or repeated mode, a path naming an
        unknown construct, a repeated path, a construct on no path, or a cyclic inner model.
    """
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError("blocks must be a non-empty mapping {construct: [items]}")
    constructs = tuple(str(c) for c in blocks)
    owner: dict[str, str] = {}
    clean_blocks: dict[str, tuple[str, ...]] = {}
    for c in constructs:
        raw = blocks[c]
        if isinstance(raw, str):
            raise ValueError(f"construct {c!r}: items must be a list of item ids, not the string {raw!r}")
        items = tuple(str(i) for i in raw)
        if not items:
            raise ValueError(f"construct {c!r} has no items")
        for i in items:
            if i in owner:
                where = "twice in the block of" if owner[i] == c else f"in the blocks of both {owner[i]!r} and"
                raise ValueError(f"item {i!r} is listed {where} {c!r}")
            if i in blocks:
                raise ValueError(f"item {i!r} of construct {c!r} has the name of a construct")
            owner[i] = c
        clean_blocks[c] = items

    modes = _modes(constructs, mode)

    index = {c: k for k, c in enumerate(constructs)}
    K = len(constructs)
    adjacency = np.zeros((K, K))
    clean_paths: list[tuple[str, str]] = []
    for p in paths:
        if len(p) != 2:
            raise ValueError(f"path {p!r} is not a (source, target) pair")
        s, t = str(p[0]), str(p[1])
        for c in (s, t):
            if c not in index:
                raise ValueError(f"path ({s!r}, {t!r}) names unknown construct {c!r}")
        if s == t:
            raise ValueError(f"cyclic inner model: path ({s!r}, {t!r}) points construct {s!r} at itself")
        if adjacency[index[s], index[t]]:
            raise ValueError(f"path ({s!r}, {t!r}) is listed twice")
        adjacency[index[s], index[t]] = 1.0
        clean_paths.append((s, t))
    if not clean_paths:
        raise ValueError("the inner model has no paths")
    for k, c in enumerate(constructs):
        if not adjacency[k].any() and not adjacency[:, k].any():
            raise ValueError(f"construct {c!r} is on no path of the inner model")

    topo = _topological_order(constructs, adjacency)

    items = tuple(i for c in constructs for i in clean_blocks[c])
    mask = np.zeros((len(items), K))
    item_construct = np.empty(len(items), dtype=np.intp)
    slices: list[slice] = []
    start = 0
    for k, c in enumerate(constructs):
        stop = start + len(clean_blocks[c])
        mask[start:stop, k] = 1.0
        item_construct[start:stop] = k
        slices.append(slice(start, stop))
        start = stop
    predecessors = tuple(tuple(int(s) for s in np.flatnonzero(adjacency[:, k])) for k in range(K))
    endogenous = tuple(k for k in range(K) if predecessors[k])
    return ModelSpec(
        constructs=constructs,
        items=items,
        blocks=clean_blocks,
        modes=modes,
        paths=tuple(clean_paths),
        adjacency=adjacency,
        mask=mask,
        item_construct=item_construct,
        block_slices=tuple(slices),
        predecessors=predecessors,
        endogenous=endogenous,
        topo_order=topo,
    )


def _modes(constructs: tuple[str, ...], mode: Mapping[str, str] | str | None) -> tuple[Mode, ...]:
    if mode is None:
        mode = {}
    if isinstance(mode, str):
        mode = dict.fromkeys(constructs, mode)
    for c in mode:
        if c not in constructs:
            raise ValueError(f"mode given for unknown construct {c!r}")
    out: list[Mode] = []
    for c in constructs:
        m = str(mode.get(c, "A")).upper()
        if m not in ("A", "B"):
            raise ValueError(f"construct {c!r}: mode must be 'A' or 'B', got {mode.get(c)!r}")
        out.append("A" if m == "A" else "B")
    return tuple(out)


def _topological_order(constructs: tuple[str, ...], adjacency: NDArray[np.float64]) -> tuple[int, ...]:
    """Kahn's algorithm; on a cycle, name the constructs on it."""
    K = len(constructs)
    indeg = adjacency.sum(axis=0).astype(int)
    ready = [k for k in range(K) if indeg[k] == 0]
    order: list[int] = []
    while ready:
        k = ready.pop(0)
        order.append(k)
        for t in np.flatnonzero(adjacency[k]):
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(int(t))
    if len(order) < K:
        left = [k for k in range(K) if k not in order]
        cycle = _find_cycle(left, adjacency)
        names = " -> ".join(constructs[k] for k in cycle)
        raise ValueError(f"cyclic inner model: {names}")
    return tuple(order)


def _find_cycle(left: list[int], adjacency: NDArray[np.float64]) -> list[int]:
    """Walk forward inside the unsorted remainder until a construct repeats; every node there has an
    in-edge from the remainder, so walking backwards always finds one."""
    remainder = set(left)
    k = left[0]
    seen: list[int] = []
    while k not in seen:
        seen.append(k)
        k = next(int(s) for s in np.flatnonzero(adjacency[:, k]) if int(s) in remainder)
    cycle = seen[seen.index(k):]
    cycle.reverse()
    return [*cycle, cycle[0]]
