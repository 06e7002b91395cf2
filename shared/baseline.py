"""Golden baselines of the TF1 results (filled in by the baseline feature)."""

from typing import Any, Dict, List, Mapping


def compare_case(case, runs: Mapping[str, Dict[str, Any]], root: str) -> List[Dict[str, Any]]:
    """Comparisons of ``case``'s runs against the committed baseline (none yet)."""
    return []
