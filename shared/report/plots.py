"""PNG figures of one case for the report: coefficients, differences and loss curves (matplotlib, Agg).

matplotlib and numpy are imported inside the functions only, so ``shared`` stays importable where they
are missing (the TF1 env has no matplotlib); :func:`unavailable` says why plots cannot be drawn there.
"""

import io
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from shared.compare import centre

REFERENCE_COLOUR = "#222222"
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")  # no red: red marks tolerances
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":")
DPI = 100


def unavailable() -> Optional[str]:
    """None when figures can be drawn here, else why not (shown in the report instead of the plots)."""
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return "matplotlib is not importable in this interpreter (%s: %s); install envs/report.txt" % (
            type(exc).__name__, exc)
    return None


def label(run_id: str) -> str:
    """``tf2/pairshift/keras2`` -> ``tf2/keras2``: the case is in the figure's title already."""
    parts = run_id.split("/")
    return "%s/%s" % (parts[0], parts[-1]) if len(parts) == 3 else run_id


def _figure(width: float, height: float, ncols: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _png(fig) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=11, color="#555555",
            wrap=True)


def _style(i: int) -> Dict[str, Any]:
    return {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[i % len(MARKERS)]}


def scatter(case: str, ref_id: str, ref: Mapping[str, float], others: Sequence[Tuple[str, Mapping[str, float]]],
            tolerance: Optional[float]) -> bytes:
    """Reference coefficient against each other run's (identity line), and their difference by value."""
    fig, (ax, dax) = _figure(11.5, 4.6, 2)
    names = sorted(ref)
    xs = [ref[n] for n in names]
    lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#999999", lw=1, zorder=0, label="identity y = x")
    largest = 0.0
    over = []  # type: List[Tuple[float, str, float, float, str]]
    for i, (rid, coef) in enumerate(others):
        common = [n for n in names if n in coef]
        st = _style(i)
        size = max(12.0, 60.0 - 12.0 * i)  # later runs smaller, so points on top of each other stay visible
        ax.scatter([ref[n] for n in common], [coef[n] for n in common], s=size, facecolors="none",
                   edgecolors=st["color"], marker=st["marker"], linewidths=1.2, label=label(rid))
        deltas = [coef[n] - ref[n] for n in common]
        largest = max([largest] + [abs(d) for d in deltas])
        if tolerance is not None:
            over += [(abs(d), n, ref[n], d, st["color"]) for n, d in zip(common, deltas) if abs(d) > tolerance]
        dax.scatter([ref[n] for n in common], deltas, s=size, facecolors="none", edgecolors=st["color"],
                    marker=st["marker"], linewidths=1.2, label=label(rid))
    ax.set_xlabel("%s coefficient (reference)" % label(ref_id))
    ax.set_ylabel("other implementation's coefficient")
    ax.set_title("%s: coefficients by name, %d each" % (case, len(names)))
    if others:
        ax.legend(fontsize=8, loc="best")
    else:
        _note(ax, "no other run to compare")
    dax.axhline(0.0, color="#999999", lw=1, zorder=0)
    dax.set_xlabel("%s coefficient (reference)" % label(ref_id))
    dax.set_ylabel("other - reference")
    dax.set_title("difference from the reference")
    if others and largest == 0.0:
        dax.set_ylim(-1.0, 1.0)
        dax.text(0.5, 0.75, "identical: every coefficient equals\nthe reference bit for bit", transform=dax.transAxes,
                 ha="center", va="center", fontsize=11, color="#555555")
    elif others:
        span = 1.35 * largest
        dax.set_ylim(-span, span)
        if tolerance is not None and tolerance <= span:
            for sign in (1, -1):
                dax.axhline(sign * tolerance, color="#d62728", ls="--", lw=1)
            dax.text(0.01, 0.97, "red dashes: tolerance %g" % tolerance, transform=dax.transAxes, va="top",
                     fontsize=8, color="#d62728")
        elif tolerance is not None:
            dax.text(0.01, 0.97, "tolerance \u00b1%g is off this scale (%.0fx the largest difference)"
                     % (tolerance, tolerance / largest), transform=dax.transAxes, va="top", fontsize=8,
                     color="#555555")
        dax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
        named = set()  # type: set
        for _, name, x, d, colour in sorted(over, reverse=True):
            if name not in named and len(named) < 5:  # name the worst coefficients over the tolerance
                named.add(name)
                dax.annotate(name, (x, d), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8,
                             color=colour)
    return _png(fig)


STRIP_MAX = 12  # up to this many coefficients per run, show each as a dot instead of a histogram


def _log_hist(ax, series: Sequence[Tuple[str, List[Tuple[str, float]]]], tolerance: Optional[float],
              title: str) -> None:
    """log10 |difference| per coefficient: step histograms, or one dot per coefficient when there are few."""
    import numpy as np

    logs = [math.log10(d) for _, ds in series for _, d in ds if d > 0]
    ax.set_title(title)
    ax.set_xlabel("log10 |difference|")
    if not series:
        _note(ax, "nothing to compare")
        return
    if not logs:
        n = len(series)
        _note(ax, "identical: all %d differences are exactly 0\n(%d run%s)" % (
            sum(len(ds) for _, ds in series), n, "" if n == 1 else "s"))
        ax.set_xticks([])
        ax.set_yticks([])
        return
    edges = logs + ([math.log10(tolerance)] if tolerance else [])
    lo, hi = math.floor(min(edges) * 2) / 2 - 0.25, math.ceil(max(edges) * 2) / 2 + 0.25
    if max(len(ds) for _, ds in series) <= STRIP_MAX:
        for i, (rid, ds) in enumerate(series):
            colour = COLOURS[i % len(COLOURS)]
            for name, d in ds:
                if d > 0:
                    ax.plot([math.log10(d)], [i], marker=MARKERS[i % len(MARKERS)], color=colour, ms=8, ls="none")
                    if len(ds) <= 4:
                        ax.annotate(name, (math.log10(d), i), xytext=(0, 7), textcoords="offset points",
                                    ha="center", fontsize=8, color=colour)
            zeros = sum(1 for _, d in ds if d == 0)
            if zeros:
                ax.text(lo + 0.05, i, "%d identical" % zeros, va="center", fontsize=8, color="#555555")
        ax.set_yticks(range(len(series)))
        ax.set_yticklabels([label(rid) for rid, _ in series], fontsize=8)
        ax.set_ylim(-0.7, len(series) - 0.3)
        ax.invert_yaxis()
        ax.set_xlim(lo, hi)
        if tolerance:
            ax.axvline(math.log10(tolerance), color="#d62728", ls="--", lw=1.2)
            ax.text(math.log10(tolerance), -0.6, " tolerance %g" % tolerance, color="#d62728", fontsize=8,
                    va="top", ha="right")
        return
    ax.set_ylabel("coefficients")
    bins = np.linspace(lo, hi, 41)
    for i, (rid, ds) in enumerate(series):
        vals = [math.log10(d) for _, d in ds if d > 0]
        zeros = len(ds) - len(vals)
        text = label(rid) + (" (%d identical)" % zeros if zeros else "")
        if not vals:
            text = label(rid) + " (all %d identical)" % zeros
        ax.hist(vals, bins=bins, histtype="step", lw=2.2 - 0.35 * (i % 4), ls=LINESTYLES[i % len(LINESTYLES)],
                color=COLOURS[i % len(COLOURS)], label=text)
    if tolerance:
        ax.axvline(math.log10(tolerance), color="#d62728", ls="--", lw=1.2, label="tolerance %g" % tolerance)
    ax.legend(fontsize=8, loc="upper left")


def differences(case: str, ref_id: str, ref: Mapping[str, float], runs: Sequence[Tuple[str, Mapping[str, float]]],
                strict_tol: Optional[float], oracle: Optional[Mapping[str, float]], oracle_tol: Optional[float],
                gauge: Sequence[str]) -> bytes:
    """Histograms of log10 |difference| per coefficient: against the reference and against the oracle."""
    fig, (ax, oax) = _figure(11.5, 4.2, 2)
    strict = [(rid, [(n, abs(c[n] - ref[n])) for n in sorted(ref) if n in c]) for rid, c in runs if rid != ref_id]
    _log_hist(ax, strict, strict_tol, "%s: each run vs the reference %s" % (case, label(ref_id)))
    if oracle is None:
        _note(oax, "no oracle solution")
        oax.set_title("each run vs the oracle")
    else:
        oc = centre(oracle, gauge)
        against = []
        for rid, c in runs:
            cc = centre(c, gauge)
            against.append((rid, [(n, abs(cc[n] - oc[n])) for n in sorted(oc) if n in cc]))
        _log_hist(oax, against, oracle_tol, "each run vs the oracle%s" % (" (centred)" if gauge else ""))
    return _png(fig)


LOSS_NAMES = {"mse": "MSE", "logloss": "sigmoid cross-entropy"}


def losses(case: str, ref_id: str, histories: Sequence[Tuple[str, Sequence[float]]],
           oracle_mse: Optional[float], loss: str = "mse") -> bytes:
    """Every run's full-data loss per epoch on one log axis, and the excess over the oracle's minimum."""
    fig, (ax, eax) = _figure(11.5, 4.2, 2)
    drawn = 0
    for i, (rid, hist) in enumerate(histories):
        ref = rid == ref_id
        colour = REFERENCE_COLOUR if ref else COLOURS[i % len(COLOURS)]
        width = 3.0 if ref else 1.6
        style = "-" if ref else LINESTYLES[(i + 1) % len(LINESTYLES)]
        name = label(rid) + (" (reference)" if ref else "")
        pts = [(e + 1, v) for e, v in enumerate(hist) if v is not None and v > 0]
        if pts:
            drawn += 1
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour, lw=width, ls=style, label=name)
        if oracle_mse is not None:
            ex = [(e + 1, v - oracle_mse) for e, v in enumerate(hist) if v is not None and v - oracle_mse > 0]
            if ex:
                eax.plot([p[0] for p in ex], [p[1] for p in ex], color=colour, lw=width, ls=style, label=name)
    ax.set_title("%s: training loss (full data, every epoch)" % case)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (%s)" % LOSS_NAMES.get(loss, loss))
    if oracle_mse is not None and oracle_mse > 0:
        ax.axhline(oracle_mse, color="#d62728", ls="--", lw=1, label="oracle minimum %.4g" % oracle_mse)
    if drawn:
        ax.set_yscale("log")
        _plain_log_labels(ax, [v for _, h in histories for v in h if v is not None and v > 0] +
                          ([oracle_mse] if oracle_mse else []))
        ax.legend(fontsize=8, loc="upper right")
    else:
        _note(ax, "no loss history recorded")
    eax.set_title("loss above the oracle's minimum")
    eax.set_xlabel("epoch")
    eax.set_ylabel("loss - oracle MSE")
    if oracle_mse is None:
        _note(eax, "no oracle solution")
    elif eax.lines:
        eax.set_yscale("log")
        eax.legend(fontsize=8, loc="upper right")
    else:
        _note(eax, "no epoch above the oracle's minimum")
    return _png(fig)


def _plain_log_labels(ax, values: Sequence[float]) -> None:
    """Label a log axis spanning little more than a decade with plain numbers, not 6x10^0."""
    from matplotlib.ticker import FuncFormatter

    if values and max(values) / min(values) < 30:
        fmt = FuncFormatter(lambda v, _: "%g" % v)
        ax.yaxis.set_major_formatter(fmt)
        ax.yaxis.set_minor_formatter(fmt)


def heatmap(envs: Sequence[str], columns: Sequence[str], grid: Mapping[Tuple[str, str], Mapping[str, Any]]) -> bytes:
    """Env x implementation: colour = log10 max |difference| against TF 1.15; a cross marks a failed check; grey n/a."""
    import numpy as np

    fig, (ax,) = _figure(max(6.0, 0.55 * len(columns) + 2.5), max(2.5, 0.45 * len(envs) + 1.6), 1)
    values = np.full((len(envs), len(columns)), np.nan)
    for i, env in enumerate(envs):
        for j, col in enumerate(columns):
            cell = grid.get((env, col)) or {}
            strict = cell.get("strict")
            if strict is not None and strict.get("max_abs_diff") is not None:
                values[i, j] = np.log10(max(strict["max_abs_diff"], 1e-12))
    masked = np.ma.masked_invalid(values)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("#dddddd")
    image = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=-12, vmax=0)
    for i, env in enumerate(envs):
        for j, col in enumerate(columns):
            cell = grid.get((env, col)) or {}
            if "skipped" in cell:
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=7, color="#555555")
            elif cell:
                bad = any(c is not None and not c.get("passed") for c in (cell.get("strict"), cell.get("baseline")))
                d = (cell.get("strict") or {}).get("max_abs_diff")
                ax.text(j, i, ("x " if bad else "") + ("%.0e" % d if d else "0" if d == 0 else "-"), ha="center",
                        va="center", fontsize=7, color="#cf222e" if bad else "white")
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(envs)))
    ax.set_yticklabels(envs, fontsize=8)
    fig.colorbar(image, ax=ax, label="log10 max |diff| vs TF 1.15")
    return _png(fig)
