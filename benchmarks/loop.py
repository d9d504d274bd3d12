"""`make bench-loop`: the closed-loop simulation of issue 19. The demo shop's simulated shoppers, with hidden tastes,
visit day after day under each policy (popularity, the greedy model, the model with exploration, and a split of
the shoppers between two of them, by default popularity and exploring); the real serving code answers, the ground
truth decides what they do, the signals flow back, the model retrains weekly and new products arrive weekly
(`benchmarks.loop_run`).

Prints, per policy (mean and 95 % interval over seeds): expected purchases per day and in total, how many days new
products take to reach half their true share of sales, the off-policy estimates beside the simulated truth, the
split's experiment read daily with the experiments' always-valid test, and the hard-filter violations over the whole
simulation (asserted to be 0). Plots a PNG.

    python -m benchmarks.loop [--seeds 3] [--days 28] [--products 400] [--arrivals 40] [--customers 3000]
        [--visits 2000] [--share 0.25] [--near-share 0.9] [--new-weight 64] [--[no-]only-with-new]
        [--[no-]near-new-only] [--engagement-weight 4] [--split popularity,explore] [--train-epochs 6]
        [--train-seconds 120] [--png docs/results/bench-loop.png]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.loop_run import POLICIES, Budget, Loop, RunResult, Start, prepare
from benchmarks.loop_stats import RATES, mean_interval
from benchmarks.loop_world import Shape, World, make_world
from optirec.settings import EngagementSettings, ExplorationSettings


def _say(line: str) -> None:
    print(line, flush=True)


def simulate_all(shape: Shape, seeds: list[int], policies: list[str], exploring: ExplorationSettings,
                 budget: Budget, split: tuple[str, str],
                 engagement: EngagementSettings | None = None) -> list[RunResult]:  # fmt: skip
    results = []
    weeks = (shape.days - 1) // shape.week
    for seed in seeds:
        world, customers = make_world(seed, shape, weeks)
        with tempfile.TemporaryDirectory(prefix="optirec-bench-loop-") as template:
            start = prepare(world, customers, shape, seed, Path(template), budget)
            for policy in policies:
                results.append(run_one(world, shape, policy, seed, start, exploring, budget, split, engagement))
    return results


def run_one(world: World, shape: Shape, policy: str, seed: int, start: Start, exploring: ExplorationSettings,
            budget: Budget, split: tuple[str, str],
            engagement: EngagementSettings | None = None) -> RunResult:  # fmt: skip
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="optirec-bench-loop-") as folder:
        result = Loop(world, shape, policy, seed, Path(folder), start, exploring, budget, split, engagement).run()
    _say(
        f"seed {seed} {policy:<10} {sum(result.daily):8.2f} expected purchases, {result.realised} bought, "
        f"{result.violations} hard-filter violations ({time.perf_counter() - started:.0f} s)"
    )
    return result


def report(results: list[RunResult], shape: Shape) -> None:
    policies = list(dict.fromkeys(r.policy for r in results))
    _say(f"\n{shape.days} days, {shape.visits} visits a day, lists of {shape.limit}; mean ± 95 % half-width over seeds")
    _say(
        "| policy | expected purchases, total | per day | bought (realised) | days to half true share | censored "
        "| new products' share ÷ true share | views of a new product in its first week |"
    )
    _say("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for policy in policies:
        runs = [r for r in results if r.policy == policy]
        total = mean_interval([sum(r.daily) for r in runs])
        bought = mean_interval([float(r.realised) for r in runs])
        half = mean_interval([float(np.mean(r.halftimes)) for r in runs if r.halftimes])
        censored = sum(r.censored for r in runs)
        cohorts = sum(len(r.halftimes) for r in runs)
        share = mean_interval([float(np.mean(r.new_share)) for r in runs if r.new_share])
        views = mean_interval([float(np.mean(r.new_views)) for r in runs if r.new_views])
        _say(
            f"| {policy} | {total[0]:.1f} ± {total[1]:.1f} | {total[0] / shape.days:.2f} | {bought[0]:.0f} ± "
            f"{bought[1]:.0f} | {half[0]:.1f} ± {half[1]:.1f} | {censored}/{cohorts} "
            f"| {share[0]:.3f} ± {share[1]:.3f} | {views[0]:.1f} ± {views[1]:.1f} |"
        )
    _say("\noff-policy estimates (SNIPS, per list, from each run's own impressions) beside the simulated truth")
    _say("| logged by | candidate | seed | estimate | 95 % interval | simulated truth | truth inside |")
    _say("| --- | --- | ---: | ---: | --- | ---: | --- |")
    for r in results:
        for candidate, (value, low, high, truth) in r.ope.items():
            inside = "yes" if low <= truth <= high else "no"
            interval = f"{low:.4f} … {high:.4f}"
            _say(f"| {r.policy} | {candidate} | {r.seed} | {value:.4f} | {interval} | {truth:.4f} | {inside} |")
    paired(results)
    for r in results:
        if r.policy == "split":
            control, treatment = list(r.arms)
            _say(f"split seed {r.seed} ({treatment} against {control}, the control):")
            for k, rate in enumerate(RATES):
                values = ", ".join(f"{arm} {rates[k]:.4f}" for arm, rates in r.arms.items())
                day, verdict = r.decided.get(rate, (None, None))
                said = f"declared on day {day}: {treatment} {verdict}" if day else "undecided"
                _say(f"- {rate}: {values}; always-valid test: {said}")
            if r.arm_truth:  # older saved results lack it
                per_arm = "; ".join(f"{arm} {ctr:.4f} and {bought:.5f}" for arm, (ctr, bought) in r.arm_truth.items())
                _say(f"- simulated truth, click-through and expected purchases a list: {per_arm}")
    violations = sum(r.violations for r in results)
    _say(f"\nhard-filter violations over the whole simulation: {violations}")


def paired(results: list[RunResult]) -> None:
    """Exploration against greedy on the same seeds (same shop, same first model): the difference in expected
    purchases, and in the cohorts' days to half their true share (a censored cohort counts the days it had)."""
    by = {(r.policy, r.seed): r for r in results}
    seeds = sorted(seed for policy, seed in by if policy == "explore" and ("greedy", seed) in by)
    if not seeds:
        return
    gain = [sum(by["explore", s].daily) - sum(by["greedy", s].daily) for s in seeds]
    ratio = [sum(by["explore", s].daily) / max(sum(by["greedy", s].daily), 1e-12) - 1 for s in seeds]
    mean, half = mean_interval(gain)
    relative = mean_interval(ratio)
    _say(
        f"\nexplore − greedy, expected purchases over {len(by['explore', seeds[0]].daily)} days, per seed: "
        f"{', '.join(f'{g:+.2f}' for g in gain)}; mean {mean:+.2f} ± {half:.2f} "
        f"({relative[0]:+.1%} ± {relative[1]:.1%})"
    )
    for s in seeds:
        e, g = by["explore", s], by["greedy", s]
        _say(
            f"seed {s}: days to half true share per cohort, explore {e.halftimes} ({e.censored} censored), "
            f"greedy {g.halftimes} ({g.censored} censored)"
        )
    if all(by[policy, s].halftimes for policy in ("explore", "greedy") for s in seeds):  # a cohort arrived
        explore_days, greedy_days = (
            np.mean([np.mean(by[p, s].halftimes) for s in seeds]) for p in ("explore", "greedy")
        )
        _say(
            f"days to half true share, mean over the cohorts (censored ones at the days they had): explore "
            f"{explore_days:.1f}, greedy {greedy_days:.1f}: {1 - explore_days / greedy_days:.0%} sooner"
        )


def plot(results: list[RunResult], shape: Shape, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies = list(dict.fromkeys(r.policy for r in results))
    figure, (daily, totals, cohorts, ope) = plt.subplots(1, 4, figsize=(19, 4.4))
    days = np.arange(1, shape.days + 1)
    for policy in policies:
        runs = np.array([r.daily for r in results if r.policy == policy])
        daily.plot(days, runs.mean(axis=0), label=policy)
    daily.set(title="Expected purchases per day (mean over seeds)", xlabel="day", ylabel="expected purchases")
    daily.legend()
    means = [mean_interval([sum(r.daily) for r in results if r.policy == p]) for p in policies]
    totals.bar(policies, [m for m, _ in means], yerr=[h for _, h in means], capsize=4, color="#4c72b0")
    totals.set(title=f"Expected purchases over {shape.days} days (95 %)")
    shares = [mean_interval([float(np.mean(r.new_share)) for r in results if r.policy == p]) for p in policies]
    cohorts.bar(policies, [m for m, _ in shares], yerr=[h for _, h in shares], capsize=4, color="#55a868")
    cohorts.axhline(0.5, color="red", linestyle="--", label="half the true share")
    cohorts.set(title="New products' share of sales ÷ true share (95 %)", ylim=(0, 0.6))
    cohorts.legend(fontsize=7)
    labels, ratios, errors = [], [], []
    for r in results:
        for candidate, (value, low, high, truth) in r.ope.items():
            labels.append(f"{r.policy}: {candidate}, {r.seed}")
            ratios.append(value / truth)
            errors.append([(value - low) / truth, (high - value) / truth])
    if labels:
        y = np.arange(len(labels))
        ope.errorbar(ratios, y, xerr=np.array(errors).T, fmt="o", label="SNIPS estimate ÷ truth (95 %)")
        ope.axvline(1.0, color="red", linestyle="--", label="simulated truth")
        ope.set_yticks(y, labels, fontsize=6)
        ope.legend(fontsize=7)
    ope.set(title="Off-policy estimate ÷ simulated truth, per list")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    _say(f"plot written to {path}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Shape()
    parser.add_argument("--seeds", type=int, default=3, help="simulations per policy, seeds 1…N")
    parser.add_argument("--days", type=int, default=defaults.days)
    parser.add_argument("--products", type=int, default=defaults.products, help="products at the start")
    parser.add_argument("--arrivals", type=int, default=defaults.arrivals, help="new products a week")
    parser.add_argument("--customers", type=int, default=defaults.customers)
    parser.add_argument("--visits", type=int, default=defaults.visits, help="visits (lists shown) a day")
    parser.add_argument("--warmup-events", type=int, default=defaults.warmup_events)
    parser.add_argument("--week", type=int, default=defaults.week, help="days between retrainings and arrivals")
    parser.add_argument("--share", type=float, default=0.25, help="exploration share of the home lists (0.25: 3 of 12)")
    parser.add_argument("--new-weight", type=float, default=64.0, help="exploration's weight of a new product")
    parser.add_argument(
        "--near-share", type=float, default=0.9, help="exploration's weight share of the ranking's next best products"
    )
    parser.add_argument(
        "--only-with-new", action=argparse.BooleanOptionalAction, default=True,
        help="explore a list only when a new product is open to its draws (OPTIREC_EXPLORATION__ONLY_WITH_NEW)",
    )  # fmt: skip
    parser.add_argument(
        "--near-new-only", action=argparse.BooleanOptionalAction, default=True,
        help="one exploratory slot per new product near the list, and only those weighed up "
        "(OPTIREC_EXPLORATION__NEAR_NEW_ONLY)",
    )  # fmt: skip
    parser.add_argument(
        "--train-epochs", type=int, default=Budget.epochs,
        help="the network's epochs a training (a fixed number: the same data, the same model); 0: early stopping",
    )  # fmt: skip
    parser.add_argument(
        "--train-seconds", type=float, default=Budget.seconds, help="a training's wall-clock safety net"
    )
    parser.add_argument(
        "--engagement-weight", type=float, default=4.0,
        help="the live engagement lift's weight (OPTIREC_ENGAGEMENT__WEIGHT; 0: off), every policy",
    )  # fmt: skip
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--split", default="popularity,explore", help="the split's control and treatment arms")
    parser.add_argument("--first-seed", type=int, default=1, help="the seeds are first-seed … first-seed + seeds − 1")
    parser.add_argument("--png", type=Path, default=None, help="write the plot here")
    parser.add_argument("--save", type=Path, default=None, help="write the runs' results here (JSON)")
    parser.add_argument(
        "--combine", type=Path, nargs="*", default=None, help="report and plot saved results (seeds run apart)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[RunResult]:
    args = parse(argv)
    shape = Shape(
        args.products, args.arrivals, args.customers, args.visits, args.days, args.warmup_events, week=args.week
    )
    started = time.perf_counter()
    if args.combine:
        results = [RunResult(**row) for path in args.combine for row in json.loads(path.read_text())]
    else:
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        exploring = ExplorationSettings(
            shares={"home": args.share}, new_product_weight=args.new_weight, near_share=args.near_share,
            only_with_new=args.only_with_new, near_new_only=args.near_new_only,
        )  # fmt: skip
        control, treatment = args.split.split(",")
        policies = args.policies.split(",")
        budget = Budget(args.train_epochs or None, args.train_seconds)
        engagement = EngagementSettings(weight=args.engagement_weight)
        results = simulate_all(shape, seeds, policies, exploring, budget, (control, treatment), engagement)
    if args.save is not None:
        args.save.write_text(json.dumps([dataclasses.asdict(r) for r in results]))
    report(results, shape)
    if args.png is not None:
        plot(results, shape, args.png)
    _say(f"whole comparison: {time.perf_counter() - started:.0f} s")
    violations = sum(r.violations for r in results)
    assert violations == 0, f"{violations} shown products broke a hard filter"
    return results


if __name__ == "__main__":
    main()
