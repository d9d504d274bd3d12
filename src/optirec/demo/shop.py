"""`generate_demo_shop`: the whole demo shop written to a folder, seeded and deterministic.

Files: `products.jsonl` (ProductCreate rows), `customers.jsonl` (CustomerImport rows), `events.csv` (the uniform
events format), `tastes.npz` (the hidden tastes, for the ground truth) and `shop.json` (what was generated).
`load_world` reads a folder back into the matrices the ground truth and `demo-eval` need.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.catalog.schemas import ProductCreate
from optirec.customers.schemas import CustomerImport
from optirec.demo import response
from optirec.demo.catalog import CatalogArrays, arrays_from_products, generate_catalog
from optirec.demo.customers import DEMO_EMAIL, generate_customers
from optirec.demo.fitting import fit_matrices
from optirec.demo.progress import Stages
from optirec.demo.simulator import ACTION_NAMES, Events, simulate
from optirec.demo.tastes import Tastes, utility
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Wearer

START = datetime(2026, 8, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DemoShopFiles:
    """Where the demo shop was written and what it holds."""

    out_dir: Path
    products: Path
    customers: Path
    events: Path
    tastes: Path
    manifest: Path
    n_products: int
    n_customers: int
    n_events: int
    demo_customer_id: str
    demo_email: str
    seconds: float


def generate_demo_shop(
    out_dir: Path,
    *,
    seed: int = 7,
    products: int = 1500,
    customers: int = 5000,
    days: int = 90,
    events: int = 1_000_000,
    progress: bool = True,
    settings: RuleSettings | None = None,
) -> DemoShopFiles:
    """Generate the catalogue, the customers and their tastes, simulate `days` days of shopping, write the files."""
    began = time.perf_counter()
    rules = settings or RuleSettings()
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    with Stages(progress, customers, events) as stages:
        catalog = generate_catalog(rng, products)
        people = generate_customers(rng, customers, catalog.arrays)
        stages.done("catalogue and customers")
        ok, fit = fit_matrices(people.wearers, catalog.products, rules, tick=stages.rules)
        attract = response.attractiveness(utility(people.tastes, catalog.arrays), fit)
        start = int(START.timestamp())
        simulated = simulate(
            rng, people.tastes, catalog.arrays, attract, ok, days=days, start=start, target_events=events,
            tick=stages.events,
        )  # fmt: skip
        files = _paths(out_dir)
        _write_jsonl(files["products"], catalog.products)
        _write_jsonl(files["customers"], people.rows)
        write_events_csv(files["events"], simulated, [c.id for c in people.rows], [p.id for p in catalog.products])
        people.tastes.save(files["tastes"])
        stages.done("files written")
    manifest = _manifest(seed, days, len(catalog.products), people.rows[0].id, len(people.rows), simulated)
    files["manifest"].write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return DemoShopFiles(
        out_dir=out_dir, **files, n_products=len(catalog.products), n_customers=len(people.rows),
        n_events=len(simulated), demo_customer_id=people.rows[0].id, demo_email=DEMO_EMAIL,
        seconds=time.perf_counter() - began,
    )  # fmt: skip


def _manifest(seed: int, days: int, products: int, demo_id: str, customers: int, events: Events) -> dict[str, object]:
    """What `shop.json` records about a generated shop."""
    return {
        "seed": seed, "products": products, "customers": customers, "events": len(events),
        "sessions": events.sessions, "returning_sessions": events.returning_sessions, "days": days,
        "start": START.isoformat().replace("+00:00", "Z"), "demo_customer_id": demo_id, "demo_email": DEMO_EMAIL,
        "actions": _action_counts(events),
    }  # fmt: skip


def _paths(out_dir: Path) -> dict[str, Path]:
    names = {"products": "products.jsonl", "customers": "customers.jsonl", "events": "events.csv",
             "tastes": "tastes.npz", "manifest": "shop.json"}  # fmt: skip
    return {key: out_dir / name for key, name in names.items()}


def _action_counts(events: Events) -> dict[str, int]:
    counts = np.bincount(events.actions, minlength=len(ACTION_NAMES))
    return {name: int(c) for name, c in zip(ACTION_NAMES, counts, strict=True)}


def _write_jsonl(path: Path, rows: list[ProductCreate] | list[CustomerImport]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.model_dump_json(exclude_none=True) + "\n")


def write_events_csv(path: Path, events: Events, customer_ids: list[str], product_ids: list[str]) -> None:
    """The uniform events format: `user_id,item_id,action,timestamp` with ISO 8601 UTC times."""
    users = np.array(customer_ids)[events.users].tolist()
    items = np.array(product_ids)[events.items].tolist()
    actions = np.array(ACTION_NAMES)[events.actions].tolist()
    stamps = np.datetime_as_string(events.times.astype("datetime64[s]"), unit="s").tolist()
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("user_id,item_id,action,timestamp\n")
        handle.writelines(f"{u},{i},{a},{t}Z\n" for u, i, a, t in zip(users, items, actions, stamps, strict=True))


@dataclass(frozen=True)
class World:
    """A demo shop read back: products, customers as the rules see them, tastes and the derived matrices."""

    products: list[ProductCreate]
    customers: list[CustomerImport]
    wearers: list[Wearer]
    tastes: Tastes
    arrays: CatalogArrays
    ok: npt.NDArray[np.bool_]  # (n_customers, n_products) passes every hard rule
    attract: npt.NDArray[np.float32]
    manifest: dict[str, object]


def load_world(out_dir: Path, settings: RuleSettings | None = None) -> World:
    """Read a demo shop folder and rebuild what the ground truth needs (the catalogue codes from the products)."""
    rules = settings or RuleSettings()
    products = [ProductCreate.model_validate_json(line) for line in _lines(out_dir / "products.jsonl")]
    customers = [CustomerImport.model_validate_json(line) for line in _lines(out_dir / "customers.jsonl")]
    tastes = Tastes.load(out_dir / "tastes.npz")
    sun = tastes.rx_sunglasses.tolist()
    wearers = [Wearer.from_profile(c, rx_sunglasses=s) for c, s in zip(customers, sun, strict=True)]
    arrays = arrays_from_products(products)
    ok, fit = fit_matrices(wearers, products, rules)
    attract = response.attractiveness(utility(tastes, arrays), fit)
    manifest = json.loads((out_dir / "shop.json").read_text(encoding="utf-8"))
    return World(products, customers, wearers, tastes, arrays, ok, attract, manifest)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
