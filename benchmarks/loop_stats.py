"""The closed-loop simulation's statistics: a mean with its 95 % interval over seeds, and the split's experiment
read every simulated day with the experiments' own always-valid test.

`SplitTest` counts, per arm, the lists served and the lists followed by a view, an add to cart and a purchase (the
rates `recommend.experiment_results` reports: click-through, add-to-cart rate, conversion), and tests each rate of
the treatment arm against control's with `recommend.sequential.rate_difference` (the mixture sequential probability
ratio test of the experiments API): its interval is always valid, so it may be read every day without inflating
the error. The first day each rate's interval excludes 0 is the day the experiment declares it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optirec.recommend.sequential import rate_difference

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
RATES = ("click_through", "add_to_cart_rate", "conversion")  # a list followed by a view, an add to cart, a purchase


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the half-width of its 95 % t interval (0 for a single value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()) if x.size else float("nan"), 0.0
    t = T95.get(x.size - 1, 1.96)
    return float(x.mean()), t * float(x.std(ddof=1)) / math.sqrt(x.size)


@dataclass
class SplitTest:
    """The split's two arms, control first, and the first day each rate was declared (and which way)."""

    control: str
    treatment: str
    counts: dict[str, list[int]] = field(default_factory=dict)  # arm: [lists, viewed, carted, bought]
    decided: dict[str, tuple[int, str]] = field(default_factory=dict)  # rate: (day, better | worse)
    # arm: the ground truth's chance of a view and expected purchases, summed over its lists
    expected: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.counts = {self.control: [0, 0, 0, 0], self.treatment: [0, 0, 0, 0]}
        self.expected = {self.control: [0.0, 0.0], self.treatment: [0.0, 0.0]}

    def add(self, arm: str, viewed: bool, carted: bool, bought: bool, view_chance: float = 0.0,
            purchases: float = 0.0) -> None:  # fmt: skip
        """One list served to `arm`, what followed it, and what the ground truth expected of it (the chance of a view,
        the expected purchases)."""
        row = self.counts[arm]
        row[0] += 1
        row[1] += viewed
        row[2] += carted
        row[3] += bought
        truth = self.expected[arm]
        truth[0] += view_chance
        truth[1] += purchases

    def look(self, day: int) -> None:
        """The day's reading: each rate not yet declared is tested; one whose interval excludes 0 is declared."""
        (n, *treated), (m, *controlled) = self.counts[self.treatment], self.counts[self.control]
        for k, rate in enumerate(RATES):
            if rate in self.decided:
                continue
            verdict = rate_difference((treated[k], n), (controlled[k], m)).verdict
            if verdict != "undecided":
                self.decided[rate] = (day, verdict)

    def rates(self) -> dict[str, list[float]]:
        """Per arm, its click-through, add-to-cart rate and conversion."""
        return {arm: [hits / max(row[0], 1) for hits in row[1:]] for arm, row in self.counts.items()}

    def truth(self) -> dict[str, list[float]]:
        """Per arm, the ground truth's click-through and expected purchases, a list on average: the better arm."""
        return {arm: [total / max(self.counts[arm][0], 1) for total in sums] for arm, sums in self.expected.items()}
