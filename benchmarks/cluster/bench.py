"""`make bench-cluster`: lists a second through HAProxy with 1, 2 and 3 application hosts (the others put in
maintenance through HAProxy's runtime API), against `/healthz` through the same balancer, and one host straight
(no balancer), with each tier's CPU time per request: the replicas', PostgreSQL's (every backend process of the
database host) and HAProxy's.

On one machine every host shares the same cores: the figures show what a list costs the balancer and the shared
database, which a capacity plan multiplies out, not how throughput scales with hosts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from random import Random

import orjson

from benchmarks.cluster.cluster import Cluster, running_cluster
from benchmarks.cluster.hosts import APP_PORT, wait_until
from benchmarks.http import LoadResult
from benchmarks.ingest import parse_wrk
from benchmarks.serve import WRK_PERSONALIZED, _cpu_seconds


@dataclass
class Row:
    label: str
    healthz: LoadResult
    lists: LoadResult
    cpu_ms: dict[str, float]  # CPU ms per list of each tier: replicas, postgres, haproxy


def _tiers(cluster: Cluster) -> dict[str, list[int]]:
    """The process ids of each tier (PostgreSQL's backends are the postmaster's children)."""
    postgres = cluster.database.postgres
    assert postgres is not None and postgres.process is not None
    children = Path(f"/proc/{postgres.process.pid}/task/{postgres.process.pid}/children").read_text().split()
    apps = [a.program.process.pid for a in cluster.apps if a.program.process is not None]
    assert cluster.balancer.program.process is not None
    return {"replicas": apps, "postgres": [postgres.process.pid, *map(int, children)],
            "haproxy": [cluster.balancer.program.process.pid]}  # fmt: skip


def _wrk(url: str, seconds: int, connections: int, script: str | None = None) -> LoadResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        command += ["-s", handle.name]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(output, seconds)


def _script(cluster: Cluster) -> str:
    rng = Random(5)
    bodies = [orjson.dumps({"customer_id": rng.choice(cluster.shop.customers), "limit": 12}).decode()
              for _ in range(2000)]  # fmt: skip
    lua = ", ".join(f"[[{b}]]" for b in bodies)
    return f'KEY = "{cluster.shop.service_key}"\nBODIES = {{{lua}}}\n' + WRK_PERSONALIZED


def _measure(cluster: Cluster, label: str, base: str, args: argparse.Namespace) -> Row:
    healthz = _wrk(f"{base}/healthz", args.seconds, args.connections)
    tiers = _tiers(cluster)
    before = {tier: _cpu_seconds(pids) for tier, pids in tiers.items()}
    lists = _wrk(f"{base}/", args.seconds, args.connections, _script(cluster))
    cpu = {tier: (_cpu_seconds(pids) - before[tier]) * 1000 / max(lists.requests, 1) for tier, pids in tiers.items()}
    return Row(label, healthz, lists, cpu)


def _use(cluster: Cluster, replicas: int) -> None:
    """Serve with the first `replicas` application hosts; the others in maintenance (no traffic, no checks)."""
    for i, app in enumerate(cluster.apps):
        state = "ready" if i < replicas else "maint"
        cluster.balancer.command(f"set server optirec/{app.host} state {state}")
    wanted = {a.host: "UP" if i < replicas else "MAINT" for i, a in enumerate(cluster.apps)}
    wait_until(lambda: cluster.balancer.states() == wanted, f"{replicas} replicas in the balancer", 30)


def run(args: argparse.Namespace) -> list[Row]:
    rows = []
    with running_cluster(train=args.train) as cluster:
        host, port = cluster.entry
        app1 = cluster.apps[0]
        _wrk(f"http://{host}:{port}/", 3, args.connections, _script(cluster))  # warm every replica's caches
        rows.append(_measure(cluster, "1 replica, no balancer", f"http://{app1.address}:{APP_PORT}", args))
        for replicas in (1, 2, 3):
            _use(cluster, replicas)
            time.sleep(1)
            rows.append(_measure(cluster, f"{replicas} replica(s) behind HAProxy", f"http://{host}:{port}", args))
        print(f"lists served by model version: {_served_version(cluster)}")
    return rows


def _served_version(cluster: Cluster) -> str:
    import urllib.request

    host, port = cluster.entry
    body = orjson.dumps({"customer_id": cluster.shop.customers[0], "limit": 12})
    headers = {"X-API-Key": cluster.shop.service_key, "Content-Type": "application/json"}
    request = urllib.request.Request(f"http://{host}:{port}/api/recommendations/personalized", body, headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(orjson.loads(answer.read())["model_version"])


def report(rows: list[Row], args: argparse.Namespace) -> None:
    print(f"\n/api/recommendations/personalized through HAProxy (wrk, {args.connections} connections, "
          f"{args.seconds} s per load; one worker per replica; every host on this machine's cores)")  # fmt: skip
    head = (f"{'setup':<30} {'healthz/s':>9} {'lists/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7}  "
            f"{'CPU ms a list: replicas':>23} {'postgres':>8} {'haproxy':>7}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        bad = r.lists.statuses.get(0, 0) + r.lists.errors
        print(f"{r.label:<30} {r.healthz.rate:>9,.0f} {r.lists.rate:>8,.0f} {r.lists.percentile(50):>7.1f} "
              f"{r.lists.percentile(99):>7.1f} {bad:>7}  {r.cpu_ms['replicas']:>23.2f} {r.cpu_ms['postgres']:>8.2f} "
              f"{r.cpu_ms['haproxy']:>7.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--train", type=int, default=1, help="model versions to train first (0: popularity lists)")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    rows = run(args)
    report(rows, args)
    # The figures depend on what else the machine runs: say how busy it was.
    print(f"load average (1 min) before the run {before:.1f}, after it {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
