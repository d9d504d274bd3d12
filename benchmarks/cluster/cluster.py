"""The whole cluster, built and removed by `running_cluster`: the network, the database host (a migrated database
with a small demo shop, keys, and two trained model versions, the first live), the balancer and the application
hosts, every one ready. What was made is removed at the end, on failure too: processes (by their own ids),
namespaces, the bridge, the run's folder."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cluster.hosts import APP_PORT, BALANCER_PORT, AppHost, Balancer, DatabaseHost, postgres_bin, wait_until
from benchmarks.cluster.load import Shop
from benchmarks.cluster.network import Network, check_supported
from benchmarks.seed import Say

SHOP_PRODUCTS, SHOP_CUSTOMERS, SHOP_EVENTS = 400, 1500, 20_000  # a small demo shop: enough to train a model on
TRAIN_SECONDS = 10  # the network's training budget per version (the least the setting takes)


def check_machine() -> None:
    """`network.Unsupported` with the reason when this machine cannot build the cluster."""
    check_supported({"HAProxy (`apt-get install haproxy`)": shutil.which("haproxy"),
                     "PostgreSQL's server (/usr/lib/postgresql/*/bin)": str(postgres_bin() or "") or None,
                     "redis-server": shutil.which("redis-server"), "setpriv": shutil.which("setpriv")})  # fmt: skip


@dataclass
class Cluster:
    net: Network
    folder: Path
    database: DatabaseHost
    balancer: Balancer
    apps: list[AppHost]
    shop: Shop
    admin_key: str
    versions: list[str] = field(default_factory=list)  # trained model versions, oldest first

    @property
    def database_url(self) -> str:
        return self.database.url()

    @property
    def entry(self) -> tuple[str, int]:
        """Where the traffic goes: the balancer."""
        return self.balancer.address, BALANCER_PORT

    def app(self, name: str) -> AppHost:
        return next(a for a in self.apps if a.host == name)

    def wait_serving(self, names: list[str] | None = None, timeout: float = 120.0) -> None:
        """Wait until each application host (all by default) answers /readyz and the balancer counts it UP."""
        for app in self.apps if names is None else [self.app(n) for n in names]:
            wait_until(app.ready, f"{app.host} ready", timeout)
        wanted = names or [a.host for a in self.apps]
        wait_until(lambda: all(self.balancer.states().get(n) == "UP" for n in wanted), "the balancer sees UP", 30)

    def restart(self, name: str) -> None:
        """Start a stopped (or killed) application host again and wait until it serves."""
        app = self.app(name)
        if app.program.running:
            app.program.stop()
        app.start()
        self.wait_serving([name])


@contextmanager
def running_cluster(replicas: int = 3, *, train: int = 2, say: Say = print) -> Iterator[Cluster]:
    check_machine()
    with ExitStack() as stack:
        _interrupt_on_sigterm(stack)
        folder = Path(tempfile.mkdtemp(prefix="optirec-cluster-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        folder.chmod(0o711)  # the database host's programs run as the postgres user
        net = Network()
        stack.callback(net.remove)
        net.create()
        for host in ["db", "lb", *(f"app{i + 1}" for i in range(replicas))]:
            net.add(host)
        database = DatabaseHost(net, "db", folder / "db")
        database.init()
        stack.callback(database.stop_all)
        database.start_postgres()
        database.start_redis()
        shop, admin_key, versions = _prepare_database(database, folder, train, say)
        apps = [AppHost(net, f"app{i + 1}", folder / f"app{i + 1}", _app_env(database, net)) for i in range(replicas)]
        servers = [f"{a.address}:{APP_PORT}" for a in apps] + ["127.0.0.1:9"] * (3 - replicas)
        balancer = Balancer(net, "lb", folder / "lb", servers)
        balancer.start()
        stack.callback(balancer.program.stop)
        for app in apps:
            app.start()
            stack.callback(app.program.stop)
        cluster = Cluster(net, folder, database, balancer, apps, shop, admin_key, versions)
        started = time.monotonic()
        try:
            cluster.wait_serving()
        except RuntimeError:
            for app in apps:
                say(f"--- {app.host}\n{app.program.tail()}")
            raise
        say(f"{replicas} replicas serving in {time.monotonic() - started:.0f} s")
        yield cluster


def _interrupt_on_sigterm(stack: ExitStack) -> None:
    """SIGTERM (CI's time limit, `timeout`) interrupts like Ctrl-C, so that the clean-up runs: Python's default would
    exit at once and leave the namespaces and the hosts' programs behind."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(_number: int, _frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, interrupt)
    stack.callback(signal.signal, signal.SIGTERM, previous)


def _app_env(database: DatabaseHost, net: Network) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIREC_")}
    env.update(
        OPTIREC_DATABASE_URL=database.url(),
        OPTIREC_REDIS_URL=database.redis_url,
        OPTIREC_SECRET_KEY=_SECRET,
        OPTIREC_DATABASE_POOL_SIZE="5",
        OPTIREC_MODEL_POLL_SECONDS="1",
        OPTIREC_STOREFRONT="false",
        OPTIREC_ADMIN_CONSOLE="false",
        OPTIREC_ACCESS_LOG="false",
        OPTIREC_LOG_LEVEL="WARNING",
        OPTIREC_TRUSTED_PROXIES=f'["{net.hosts["lb"]}"]',
        OPTIREC_RATE_LIMIT_PER_MINUTE="100000000",
        OPTIREC_RATE_LIMIT_IP_PER_MINUTE="100000000",
    )
    return env


_SECRET = secrets.token_urlsafe(32)  # one signing secret for every replica, as a shop sets it (docs/deploy.md)


def _prepare_database(database: DatabaseHost, folder: Path, train: int, say: Say) -> tuple[Shop, str, list[str]]:
    """Create and migrate the database, load the small shop, make the keys, train two versions (the first live)."""
    import psycopg
    from sqlalchemy import func, select

    from benchmarks.seed import load_demo_shop
    from optirec.auth import service as auth_service
    from optirec.demo.shop import generate_demo_shop
    from optirec.migrate import upgrade
    from optirec.settings import BUILTIN_ACTION_TYPES
    from optirec.store import Database
    from optirec.store.tables import Customer, Product

    with psycopg.connect(f"host={database.address} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE optirec")
    url = database.url()
    upgrade(url)
    db = Database(url, pool_size=1)
    started = time.monotonic()
    generate_demo_shop(folder / "shop", products=SHOP_PRODUCTS, customers=SHOP_CUSTOMERS, events=SHOP_EVENTS,
                       progress=False)  # fmt: skip
    load_demo_shop(db, folder / "shop", events=SHOP_EVENTS, action_types=frozenset(BUILTIN_ACTION_TYPES), say=say)
    db.settle_after_bulk_load()
    with db.write() as session:
        _key, service_key = auth_service.create_api_key(session=session, name="cluster-traffic", role="service")
        _key, admin_key = auth_service.create_api_key(session=session, name="cluster-admin", role="admin")
    with db.read() as session:
        shoppers = select(Customer.id).where(Customer.role == "customer").order_by(func.random()).limit(500)
        customers = list(session.scalars(shoppers))
        products = list(session.scalars(select(Product.id).limit(500)))
    db.dispose()
    versions = _train(url, folder / "trainer", train) if train else []
    say(f"shop loaded and {train} versions trained in {time.monotonic() - started:.0f} s")
    return Shop(service_key, customers, products), admin_key, versions


def _train(url: str, data_dir: Path, count: int) -> list[str]:
    """Train `count` versions on a trainer's own folder (no application host's), then make the first live again."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIREC_")}
    env.update(OPTIREC_DATABASE_URL=url, OPTIREC_DATA_DIR=str(data_dir), OPTIREC_LOG_LEVEL="WARNING",
               OPTIREC_SECRET_KEY=_SECRET, OPTIREC_TRAINING_MAX_SECONDS=str(TRAIN_SECONDS))  # fmt: skip
    data_dir.mkdir(parents=True)
    cli = [sys.executable, "-m", "optirec.runtime.cli"]
    for _ in range(count):
        _run([*cli, "train", "--force"], env, data_dir)
    from optirec.store import Database
    from optirec.training import registry

    db = Database(url, pool_size=1)
    with db.read() as session:
        versions = [v.id for v in sorted(registry.list_versions(session=session), key=lambda v: v.created_at)]
    db.dispose()
    _run([*cli, "models", "promote", versions[0]], env, data_dir)
    # The trainer was a machine of its own: its disk is gone. A replica serves a version only from what the
    # database (or an object store) holds, never from a path another host wrote on this shared filesystem.
    shutil.rmtree(data_dir)
    return versions


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed ({done.returncode}): {(done.stdout + done.stderr)[-2000:]}")
