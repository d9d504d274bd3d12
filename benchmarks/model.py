"""`python -m benchmarks.model --data DIR`: training time and peak memory of the whole model, and the
latency of scoring one user against the whole catalogue on one thread (p50, p99, user encoder included).
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from optirec.ml.model.actions import ACTIONS
from optirec.ml.model.served import ServedModel, Signal
from optirec.ml.train.data import Interactions, load_dataset


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (less sensitive to a busy machine than wall time)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class PhaseClock:
    """A training progress callback that prints each message with the wall and CPU seconds since the start and
    since the previous message, and sums them per phase (a message names the step it ends; its phase is the text
    before the first colon or digit, so "epoch 7: …" counts towards "network epochs").

    CPU is the process's (every thread) and the main thread's alone: the item-to-item fits and the validation checks
    run on a second thread, so on an idle two-core machine the main thread's CPU is about the wall time."""

    def __init__(self) -> None:
        self.start = self.last = (time.perf_counter(), cpu_seconds(), time.thread_time())
        self.phases: dict[str, dict[str, float]] = {}

    def __call__(self, message: str) -> None:
        now = (time.perf_counter(), cpu_seconds(), time.thread_time())
        wall, cpu, main = (now[k] - self.last[k] for k in range(3))
        self.last = now
        print(f"[{now[0] - self.start[0]:7.1f} s wall {now[1] - self.start[1]:7.1f} s cpu "
              f"{now[2] - self.start[2]:7.1f} s main | +{wall:6.1f} s +{cpu:6.1f} s cpu +{main:6.1f} s main] "
              f"{message}", flush=True)  # fmt: skip
        totals = self.phases.setdefault(phase_of(message), {"wall_s": 0.0, "cpu_s": 0.0, "main_thread_cpu_s": 0.0})
        for key, value in zip(totals, (wall, cpu, main), strict=True):
            totals[key] = round(totals[key] + value, 1)


def phase_of(message: str) -> str:
    """The phase a progress message ends: epochs belong to the network, λ steps to the item-to-item search."""
    if message.startswith("epoch"):
        return "network epochs"
    if message.startswith("item-to-item λ"):
        return "item-to-item λ search"
    return re.split(r"[:0-9]", message, maxsplit=1)[0].strip()


def train_artifact(data_dir: Path, out: Path) -> tuple[Path, float, dict[str, Any], PhaseClock]:
    """Train the whole model as `optirec train-model` does (the fit step plus one test evaluation); returns the
    artifact, wall seconds, the metrics recorded with it and the per-phase times."""
    from optirec.ml.evaluation.train_test import train
    from optirec.ml.train.inputs import dataset_inputs

    events, items = dataset_inputs(data_dir)
    start = time.perf_counter()
    clock = PhaseClock()
    output = train(events, items, out_dir=out, progress=clock)
    return output.path, time.perf_counter() - start, output.metrics, clock


def user_histories(data: Interactions, n_users: int, seed: int) -> list[list[Signal]]:
    """The latest signals of randomly chosen users, as the service would pass them."""
    bounds = data.user_bounds()
    users = np.random.default_rng(seed).choice(data.n_users, size=min(n_users, data.n_users), replace=False)
    return [
        [(data.item_ids[i], ACTIONS[a]) for i, a in zip(data.items[b:e], data.actions[b:e], strict=True)][-50:]
        for b, e in ((bounds[u], bounds[u + 1]) for u in users)
    ]


def latency_ms(model: ServedModel, histories: list[list[Signal]], k: int = 10) -> dict[str, float]:
    """Milliseconds of `recommend` (encode + score all items + top k) on one thread: wall-clock p50/p99/mean,
    and the p99 of the thread's CPU time, which a busy machine's preemptions do not inflate."""
    from threadpoolctl import threadpool_limits

    wall: list[float] = []
    cpu: list[float] = []
    with threadpool_limits(1):
        for signals in histories[:20]:
            model.recommend(signals, k)  # warm-up
        for signals in histories:
            start, start_cpu = time.perf_counter(), time.thread_time()
            model.recommend(signals, k)
            wall.append((time.perf_counter() - start) * 1000.0)
            cpu.append((time.thread_time() - start_cpu) * 1000.0)
    values = np.array(wall)
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "cpu_p99_ms": float(np.percentile(np.array(cpu), 99)),
        "users": float(values.size),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="data set folder (uniform or MovieLens format)")
    parser.add_argument("--out", type=Path, default=Path("var/bench-model"), help="where the artifact goes")
    parser.add_argument("--artifact", type=Path, help="skip training and measure latency of this artifact")
    parser.add_argument("--users", type=int, default=2000, help="users timed for the latency")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"dataset": args.data.name}
    if args.artifact is None:
        cpu, main = cpu_seconds(), time.thread_time()
        path, seconds, metrics, clock = train_artifact(args.data, args.out)
        report |= {
            "train_seconds": round(seconds, 1),
            "train_cpu_seconds": round(cpu_seconds() - cpu, 1),
            "train_main_thread_cpu_seconds": round(time.thread_time() - main, 1),
            "train_peak_rss_mb": round(peak_rss_mb(), 1),
            "train_phases": clock.phases,
            "valid_ndcg@10": metrics["valid_ndcg@10"],
            "test": {k: round(metrics["test"][k], 4) for k in ("ndcg@10", "hr@10")},
        }
    else:
        path = args.artifact
    model = ServedModel.load(path)
    data, _ = load_dataset(args.data)
    report |= {"artifact": str(path), "n_items": len(model.item_ids)}
    report |= {"latency": latency_ms(model, user_histories(data, args.users, seed=0))}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
