"""The team's month: shift schedule, routing of chats to agents on duty, roster and ratings rows."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from jinpai.demo.output import dates, money
from jinpai.demo.shop import (
    BASE_SALARY,
    COMMISSION_RATE,
    EARLY_SHIFT,
    LATE_SHIFT,
    N_AGENTS,
    ROSTER,
)

OFF, EARLY, LATE = -1, 0, 1
_RATE = pa.decimal128(8, 4)
_LEVEL_QC = {"gold": 93.0, "senior": 90.0, "mid": 86.0, "junior": 78.0}
_LEVEL_CSAT = {"gold": 4.85, "senior": 4.8, "mid": 4.7, "junior": 4.5}


def schedule(days: int, campaign: int) -> np.ndarray:
    """[day, agent] -> OFF, EARLY or LATE: shifts alternate weekly, one rest day a week
    (staggered so the two aftersale agents never rest together), nobody rests on the campaign."""
    out = np.full((days, N_AGENTS), OFF, dtype=np.int64)
    for d in range(days):
        week = d // 7
        for i, a in enumerate(ROSTER):
            if d < a.hired_days or (d != campaign and (i * 3 + week) % 7 == d % 7):
                continue
            out[d, i] = (i + week) % 2
    return out


def duty_weights(plan: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """[day, hour, agent] routing weights: capacity of agents on shift at that hour; outside
    every shift (night) the chat lands with an agent working that day."""
    days = plan.shape[0]
    w = np.zeros((days, 24, N_AGENTS))
    hours = np.arange(24)[:, None]
    for shift, (h0, h1) in ((EARLY, EARLY_SHIFT), (LATE, LATE_SHIFT)):
        on = (hours >= h0) & (hours < h1)
        w += (plan[:, None, :] == shift) * on[None, :, :] * capacity
    empty = w.sum(axis=2) == 0
    working = (plan >= 0) * capacity
    w = np.where(empty[:, :, None], working[:, None, :], w)
    return w


def route(
    rng: np.random.Generator, weights: np.ndarray, day: int, hours: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """An agent per chat, among ``mask`` agents, weighted by duty at the chat's hour."""
    w = weights[day] * mask
    fallback = (w.sum(axis=1) == 0)[:, None]
    w = np.where(fallback, mask * 1.0, w)  # nobody of the role on duty: any of the role
    cum = np.cumsum(w, axis=1)
    u = rng.random(hours.size) * cum[hours, -1]
    return (cum[hours] > u[:, None]).argmax(axis=1).astype(np.int64)


def shift_rows(plan: np.ndarray, day0: int) -> dict[str, np.ndarray]:
    d, a = np.nonzero(plan >= 0)
    h0 = np.where(plan[d, a] == EARLY, EARLY_SHIFT[0], LATE_SHIFT[0])
    h1 = np.where(plan[d, a] == EARLY, EARLY_SHIFT[1], LATE_SHIFT[1])
    base = day0 + d.astype(np.int64) * 86400
    order = np.lexsort((a, d))
    return {
        "agent": a[order],
        "starts_at": (base + h0 * 3600)[order],
        "ends_at": (base + h1 * 3600)[order],
    }


def agent_rows(start: date) -> dict[str, list | pa.Array]:
    return {
        "agent_id": [a.agent_id for a in ROSTER],
        "name": [a.name for a in ROSTER],
        "role": [a.role for a in ROSTER],
        "level": [a.level for a in ROSTER],
        "base_salary": money(np.full(N_AGENTS, BASE_SALARY * 100)),
        # decimals are cast to the schema's scale by the sink; 4 places hold 1%
        "commission_rate": money(np.full(N_AGENTS, round(COMMISSION_RATE * 10_000)), _RATE),
        "hired_on": dates([a.hired_on(start) for a in ROSTER]),
        "left_on": dates([None] * N_AGENTS),
        "group": [a.group for a in ROSTER],
    }


def rating_rows(
    rng: np.random.Generator, plan: np.ndarray, start: date
) -> dict[str, list | pa.Array]:
    """Weekly quality checks and csat, exams for new agents every two weeks, attendance at the
    end of each month (percent of scheduled days worked: a few absences)."""
    days = plan.shape[0]
    rows: list[tuple[int, date, str, float, str]] = []
    for i, a in enumerate(ROSTER):
        employed = np.flatnonzero(np.arange(days) >= a.hired_days)
        if employed.size == 0:
            continue
        for w, week_start in enumerate(range(0, days, 7)):
            week = [int(d) for d in employed if week_start <= d < week_start + 7]
            if not week:
                continue
            qc_day = int(rng.choice(week))
            qc = float(np.clip(rng.normal(_LEVEL_QC[a.level], 4.0), 40, 100))
            rows.append(
                (i, start + timedelta(qc_day), "quality_check", round(qc), f"质检抽查 第{w + 1}周")
            )
            n = int(rng.integers(15, 60))
            stars = np.clip(rng.normal(_LEVEL_CSAT[a.level], 0.5, n), 1, 5).round()
            rows.append(
                (
                    i,
                    start + timedelta(week[-1]),
                    "csat",
                    round(float(stars.mean()) * 20, 1),
                    f"满意度 第{w + 1}周 {n}条评价",
                )
            )
        if a.is_new:
            for k, d in enumerate(employed[9::14]):
                score = float(np.clip(rng.normal(72 + 6 * k, 8), 40, 100))
                rows.append(
                    (
                        i,
                        start + timedelta(int(d)),
                        "exam",
                        round(score),
                        f"新人考试 第{k + 1}次 带教{a.mentor}",
                    )
                )
        months = np.array([(start + timedelta(int(d))).month for d in employed])
        for month in dict.fromkeys(months.tolist()):  # one attendance rating per calendar month
            in_month = employed[months == month]
            scheduled = int((plan[in_month, i] >= 0).sum())
            if scheduled == 0:
                continue
            absent = int(rng.binomial(scheduled, 0.06 if a.is_new else 0.02))
            pct = round(100 * (scheduled - absent) / scheduled, 1)
            rows.append(
                (i, start + timedelta(int(in_month[-1])), "attendance", pct, f"出勤 {month}月")
            )
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    return {
        "agent": [r[0] for r in rows],
        "rated_on": dates([r[1] for r in rows]),
        "kind": [r[2] for r in rows],
        "score": [float(r[3]) for r in rows],
        "note": [r[4] for r in rows],
    }
