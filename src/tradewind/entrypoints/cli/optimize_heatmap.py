"""The optimizer's heatmap: two axes of the search, each cell the best out-of-sample
objective of the sets with those two values (the other axes at their best)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from tradewind.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from tradewind.services.optimize import OptimizeOutcome


def heatmap_cells(
    outcome: OptimizeOutcome, x_name: str, y_name: str
) -> tuple[list[str], list[str], list[list[float]]]:
    """Return the x labels, y labels and a y-by-x grid of best scores (nan: no valid set)."""
    axes = {a.name: a for a in outcome.space.axes}
    xs, ys = axes[x_name].values, axes[y_name].values
    grid = [[math.nan] * len(xs) for _ in ys]
    for e in outcome.ranked:
        value = e.out_mean
        if value is None:
            continue
        col, row = xs.index(e.params[x_name]), ys.index(e.params[y_name])
        if math.isnan(grid[row][col]) or value > grid[row][col]:
            grid[row][col] = value
    return [str(v) for v in xs], [str(v) for v in ys], grid


def write_heatmap(outcome: OptimizeOutcome, path: Path, axes: tuple[str, str] | None) -> None:
    """Draw the heatmap of two axes (the first two by default) to a PNG file."""
    names = [a.name for a in outcome.space.axes]
    x_name, y_name = axes or (names[0], names[1] if len(names) > 1 else "")
    if x_name not in names or y_name not in names or x_name == y_name:
        raise ConfigurationError(
            f"--heatmap-axes: two different searched axes of {', '.join(names)} "
            "(the heatmap needs two)"
        )
    if path.suffix.lower() != ".png":
        raise ConfigurationError(f"--heatmap {path}: the file must end in .png")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    x_labels, y_labels, grid = heatmap_cells(outcome, x_name, y_name)
    figure = Figure(figsize=(max(5, len(x_labels) * 0.6 + 2), max(4, len(y_labels) * 0.4 + 2)))
    ax = figure.subplots()
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn")
    ax.set_xticks(range(len(x_labels)), x_labels, rotation=45)
    ax.set_yticks(range(len(y_labels)), y_labels)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title(f"out-of-sample {outcome.objective}, best over the other axes")
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    except OSError as e:
        raise ConfigurationError(f"--heatmap {path}: cannot write ({e.strerror})") from e
