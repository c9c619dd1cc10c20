"""Latency summaries: percentiles in milliseconds and throughput."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Phase:
    """One measured phase: per-operation latencies (seconds) and its wall time."""

    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    #: A summary measured elsewhere (another process), reported as is.
    recorded: dict[str, Any] | None = None

    @classmethod
    def from_summary(cls, name: str, summary: dict[str, Any]) -> Phase:
        phase = cls(name, summary["clients"], error_count=summary["errors"],
                    errors=list(summary["error_samples"]), recorded=summary)
        phase.wall = summary["wall_s"]
        return phase

    def error(self, text: str) -> None:
        self.error_count += 1
        if len(self.errors) < 5:
            self.errors.append(text[:300])

    @property
    def ops(self) -> int:
        return self.recorded["ops"] if self.recorded else len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ops / self.wall if self.wall > 0 else float("nan")

    def ms(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    def summary(self) -> dict[str, Any]:
        if self.recorded is not None:
            return dict(self.recorded)
        ordered = sorted(self.latencies)
        return {
            "clients": self.clients,
            "ops": self.ops,
            "wall_s": round(self.wall, 3),
            "ops_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(ordered, 50) * 1000, 2),
            "p95_ms": round(percentile(ordered, 95) * 1000, 2),
            "p99_ms": round(percentile(ordered, 99) * 1000, 2),
            "mean_ms": round(sum(ordered) / len(ordered) * 1000, 2) if ordered else None,
            "max_ms": round(ordered[-1] * 1000, 2) if ordered else None,
            "errors": self.error_count,
            "error_samples": self.errors,
        }
