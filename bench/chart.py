"""What a bench measured, drawn: bars of each rate with its ratio to the yardstick of the same run,
in the terminal (rich) and as a PNG (matplotlib) in reports/bench/.

The terminal bars are a few lines of rich rather than plotext: plotext 6.1 drew its bars in
background colours only, so a log or a terminal without colours showed empty axes.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

OUT = Path(__file__).resolve().parents[1] / "reports" / "bench"
WIDTH = 30  # characters of the longest bar


def mark(value: float, limit: float | None, unit: str, at_least: bool = False) -> str:
    """What a measurement says of its target ("<= 25 s met", ">= 1x MISSED"), empty when it has none."""
    if limit is None:
        return ""
    met = value >= limit if at_least else value <= limit
    return f"{'>=' if at_least else '<='} {limit:g}{unit} {'met' if met else 'MISSED'}"


def draw(name: str, title: str, unit: str, rates: dict[str, float], yardstick: str) -> Path:
    """Draw `rates` (label -> rate in `unit`), each with its ratio to `rates[yardstick]`; the PNG's path."""
    base = rates[yardstick]
    top = max(rates.values())
    table = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 1))
    for label, rate in rates.items():
        bar = "█" * max(1, round(WIDTH * rate / top))
        table.add_row(
            label,
            f"[{'grey50' if label == yardstick else 'cyan'}]{bar}[/]",
            f"{rate:,.0f}" if rate >= 100 else f"{rate:.3g}",
            f"{rate / base:.2f}x",
        )
    Console().print(table)
    return _png(name, title, unit, rates, yardstick)


def _png(name: str, title: str, unit: str, rates: dict[str, float], yardstick: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    from matplotlib import pyplot

    base = rates[yardstick]
    labels = list(rates)
    figure, axes = pyplot.subplots(figsize=(10, 1.2 + 0.45 * len(labels)))
    colours = ["0.6" if label == yardstick else "tab:blue" for label in labels]
    bars = axes.barh(labels, [rates[label] for label in labels], color=colours)
    for bar, label in zip(bars, labels, strict=True):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {rates[label] / base:.2f}x", va="center")
    axes.invert_yaxis()
    axes.set_xlabel(unit)
    axes.set_title(f"{title} (ratios to {yardstick})")
    axes.margins(x=0.15)
    figure.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    print(f"chart: {path}")
    return path
