"""Dense ranks (ties share a rank, the next rank follows on) per role, on any figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

# Figures that differ only by float noise (a KPI score summed in another order) are a tie.
TIE_DIGITS = 9


def tie_key(value: float) -> float:
    return round(value, TIE_DIGITS)


def dense_ranks(
    values: Mapping[str, float | None], direction: Literal["higher", "lower"] = "higher"
) -> dict[str, int]:
    """Rank 1 = best. Agents without a value are not ranked."""
    present = {a: tie_key(v) for a, v in values.items() if v is not None}
    distinct = sorted(set(present.values()), reverse=direction == "higher")
    position = {v: i + 1 for i, v in enumerate(distinct)}
    return {a: position[v] for a, v in present.items()}


def top(values: Mapping[str, float | None]) -> list[str]:
    """The agents sharing the highest value (empty when nobody has one)."""
    ranks = dense_ranks(values, "higher")
    return sorted(a for a, r in ranks.items() if r == 1)


def rank_rows(
    values_by_role: Mapping[str, Mapping[str, float | None]],
    direction: Literal["higher", "lower"] = "higher",
) -> list[dict[str, object]]:
    """One row per agent: role, agent_id, value, rank (None without a value), best first."""
    rows: list[dict[str, object]] = []
    for role in sorted(values_by_role):
        values = values_by_role[role]
        ranks = dense_ranks(values, direction)
        ordered = sorted(values, key=lambda a: (ranks.get(a, 10**9), a))
        rows.extend(
            {"role": role, "agent_id": a, "value": values[a], "rank": ranks.get(a)} for a in ordered
        )
    return rows
