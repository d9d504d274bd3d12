"""The one typed settings object. Every field has a default and a help text; `docs/settings.md` lists them all.

Values come from the environment (prefix `OPTIREC_`, nested fields with `__`) or a `.env` file. Nothing here is
read at import time: `Settings()` is built by the CLI and passed to `create_app(settings)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from optirec.eyewear.config import RuleSettings

BUILTIN_ACTION_TYPES = ("view", "add_to_cart", "remove_from_cart", "favorite", "purchase")
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash (RFC 7518, 3.2)
# Where a list is shown: the page of a personalised list, or the kind of list (`ListSpec.surface`).
PLACEMENTS = ("home", "product", "cart", "checkout", "search", "category", "similar", "complete_the_look")
MAX_EXPLORATION_SHARE = 0.5  # exploration never takes more than half of a list


class EngagementSettings(BaseModel):
    """The live engagement lift (`docs/exploration.md#engagement`): off unless a shop gives it a weight."""

    model_config = ConfigDict(extra="forbid")

    weight: float = Field(
        0.0,
        ge=0.0,
        le=10.0,
        description="How much a product's engagement lift (ln of its views over the views expected where it was "
        "shown) adds to its standardised popularity, whose blend weight then applies: at 2, a product opened twice as "
        "often as expected gains 2 × ln 2 ≈ 1.4 popularity deviations. 0: off (popularity alone).",
    )
    prior_views: float = Field(
        5.0,
        gt=0.0,
        le=1000.0,
        description="Views of prior belief that a product is opened as often as expected: a product's lift grows "
        "only once its expected views are several of these.",
    )
    half_life_days: float = Field(
        7.0,
        gt=0.0,
        le=365.0,
        description="Half-life of the impression and view counts, in days of the served lists' own time.",
    )


class ExplorationSettings(BaseModel):
    """Exploration per placement (`docs/exploration.md`): off unless a shop gives a placement a share."""

    model_config = ConfigDict(extra="forbid")

    shares: dict[str, float] = Field(
        default_factory=dict,
        description="Share of each list's slots drawn at random among the products that pass every hard filter, per "
        'placement (JSON object, e.g. `{"home": 0.2}`): a list of n products gives its last ⌊share × n⌋ slots to '
        f"exploration. Placements: {', '.join(PLACEMENTS)}; each share from 0 to {MAX_EXPLORATION_SHARE}. "
        "Empty: every list is greedy.",
    )
    new_product_weight: float = Field(
        4.0,
        ge=1.0,
        le=1000.0,
        description="How many times likelier a new product is drawn into an exploratory slot than one the model "
        "was trained on and with signals; new: without any signal in the popularity window, or not yet in the live "
        "model's training (new products are shown before they have signals, and until the model has learnt from "
        "them); with the engagement lift on, a product it has seen in enough lists to know is no longer new, signal "
        "or not.",
    )
    near_share: float = Field(
        0.0,
        ge=0.0,
        le=0.9,
        description="Share of the exploratory draws' weight held by the ranking's next best products (its candidates "
        "below the list), the rest spread over every allowed product: 0 draws uniformly (new products weighed up); "
        "0.5 tries what the shop already believes in half the time and keeps reaching every product "
        "(docs/exploration.md).",
    )
    only_with_new: bool = Field(
        False,
        description="Explore a list only when a new product is open to its draws (allowed, not in its greedy head); a "
        "list with nothing new to show stays greedy. Off: every list at an exploring placement explores.",
    )
    near_new_only: bool = Field(
        False,
        description="Explore only for the new products the ranking places near the list (among its next best "
        "candidates, not shown by the greedy list): one slot per such product, at most the share's, and only those "
        "near products and the greedy products of the drawn slots weighed up by the near share; a list with none "
        "stays greedy. Cheaper than exploring every list at its full share: the slots go to new products the "
        "shopper's ranking already half-believes in (docs/exploration.md).",
    )
    seed: int | None = Field(
        None,
        ge=0,
        description="Seed of each worker's exploration draws (tests, simulations); unset: from the system's entropy.",
    )

    @field_validator("shares")
    @classmethod
    def _bounded(cls, value: dict[str, float]) -> dict[str, float]:
        for placement, share in value.items():
            if placement not in PLACEMENTS:
                raise ValueError(f"unknown placement {placement[:40]!r}; placements are {', '.join(PLACEMENTS)}")
            if not 0.0 <= share <= MAX_EXPLORATION_SHARE:
                raise ValueError(f"the exploration share of {placement} must be from 0 to {MAX_EXPLORATION_SHARE}")
        return value


class Settings(BaseSettings):
    """optirec's settings; see `docs/settings.md` for the generated table."""

    model_config = SettingsConfigDict(
        env_prefix="OPTIREC_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # --- storage -------------------------------------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///./var/optirec.db",
        description="SQLAlchemy URL of the database. `sqlite:///path` (WAL mode) for one machine, "
        "`postgresql+psycopg://user@host/db` for production and several replicas.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Folder for local state: the SQLite file, model artifacts, the generated secret.",
    )
    database_pool_size: int = Field(10, ge=1, le=200, description="Connections kept open per process (PostgreSQL).")

    # --- authentication ------------------------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs access tokens (HS256), 32 bytes at least; `optirec secret generate` prints one. "
        "Unset on SQLite: a random key is generated once and kept in `<data_dir>/secret.key`, shared by every worker "
        "on this machine. Required with PostgreSQL (a start without it is refused): every replica on every host "
        "must hold the same key.",
    )
    auth_cache_seconds: float = Field(
        2.0,
        ge=0,
        le=60,
        description="How long a worker remembers that a key or account is valid (0: never). A key "
        "revoked or an account erased in another process stops working within this time; in the same one, at once.",
    )
    access_token_minutes: int = Field(60, ge=1, le=43_200, description="Lifetime of a customer's access token.")
    token_issuer: str = Field("optirec", description="`iss` claim written into and required from access tokens.")
    session_token_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Lifetime of an anonymous shopper's session token (POST /api/auth/session), in days; asking "
        "again with a valid one renews it.",
    )

    # --- gateway -------------------------------------------------------------------------------------------
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (JSON list). Empty: no CORS headers.",
    )
    max_body_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes; larger gets 413."
    )
    max_import_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest body accepted by the bulk-import endpoints, in bytes."
    )
    rate_limit_per_minute: int = Field(
        60_000, ge=1, description="Requests per minute allowed to one API key or one customer token."
    )
    rate_limit_ip_per_minute: int = Field(
        6_000, ge=1, description="Requests per minute allowed to one client IP without credentials."
    )
    login_rate_limit_per_minute: int = Field(
        20, ge=1, description="Login and registration attempts per minute allowed to one client IP."
    )
    login_failures_per_account_per_minute: int = Field(
        10,
        ge=1,
        description="Failed sign-ins per minute allowed on one account, from any address; after them the account's "
        "sign-in answers 429 until the minute ends (a guesser spread over many addresses is slowed too).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (IPs or CIDR ranges, JSON list) of the reverse proxies or load balancers in front of "
        "optirec, trusted to name the client in `X-Forwarded-For` and the scheme in `X-Forwarded-Proto`. Empty: the "
        "connecting address is the client (behind a proxy, every client would then share the proxy's limits).",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://127.0.0.1:6379/0`) for rate-limit counters shared by every worker "
        "and replica. Unset: counters are kept per process.",
    )
    drain_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="After SIGTERM, how long a worker answers `/readyz` with 503 while it goes on serving, before it "
        "stops taking connections: longer than the load balancer needs to mark it down (its check interval times "
        "its fall count). 0: stop taking connections at once. SIGINT (Ctrl-C) never waits.",
    )
    shutdown_timeout_seconds: int = Field(
        30,
        ge=1,
        le=600,
        description="After the drain, how long a stopping worker waits for the requests in flight before it "
        "cancels them.",
    )
    access_log: bool = Field(True, description="Write one access-log line per request (no personal data).")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    storefront: bool = Field(
        True,
        description="Serve the reference storefront at `/shop/` (and redirect `/` there): a shop's pages built on "
        "the public API only. Turn it off for a shop that brings its own frontend.",
    )
    admin_console: bool = Field(
        True,
        description="Serve the operator's console at `/admin/`: the overview with charts, the models, the audit log, "
        "for administrator accounts only (built on the admin API). Turn it off where operators use the API alone.",
    )
    console_cache_seconds: float = Field(
        60.0,
        ge=0,
        le=86_400,
        description="How long the console's slow aggregates (the overview's signal and list counts, the daily "
        'metrics of served lists, the customers\' profiles that "who it fits" and the coverage map read) are '
        "reused; an older one is answered while a new one is made in the background. Each process makes them once "
        "at its start. 0: made on every request.",
    )

    # --- signals -------------------------------------------------------------------------------------------
    signal_batch_max: int = Field(1000, ge=1, le=10_000, description="Most signals accepted in one request.")
    extra_action_types: list[str] = Field(
        default_factory=list,
        description="Action types the shop adds to the built-in ones (view, add_to_cart, remove_from_cart, "
        'favorite, purchase), as a JSON list, e.g. `["try_on", "share"]`.',
    )

    # --- eyewear rules ---------------------------------------------------------------------------------------
    rules: RuleSettings = Field(
        default_factory=RuleSettings, description="Prescription and fit thresholds; see docs/eyewear.md."
    )

    # --- recommendations -----------------------------------------------------------------------------------
    rebuyable_categories: list[str] = Field(
        default_factory=lambda: ["accessories"],
        description="Categories shown again after a purchase (JSON list); products of other categories a customer "
        "bought are not recommended to them again.",
    )

    exploration: ExplorationSettings = Field(
        default_factory=ExplorationSettings,
        description="Exploration per placement; see docs/exploration.md.",
    )

    engagement: EngagementSettings = Field(
        default_factory=EngagementSettings,
        description="The live engagement lift of each product between trainings; see docs/exploration.md.",
    )

    approximate_from_products: int = Field(
        50_000,
        ge=0,
        description="Catalogs of at least this many products take a list's candidates from the model's approximate "
        "index (faiss, built when a model starts serving) and the blend's best without the model, then rank them "
        "with the exact blend: on a 50,000-product shop a list costs about a sixth less server CPU than scoring "
        "every product, and 2 % of the exact pass's products differ; at 30,000 it did not pay yet "
        "(docs/benchmarks.md, docs/recommendations.md). The hard filters and their counts stay exact. 0: always "
        "the exact pass.",
    )
    experiment_refresh_seconds: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="How often each worker reads the running experiments and the shipped serving policy again "
        "(docs/experiments.md): a started, stopped or shipped experiment reaches every worker within this time.",
    )
    experiment_guardrail_minutes: float = Field(
        60.0,
        ge=0,
        description="How often the service checks every running experiment's guardrail (an arm whose conversion is "
        "worse than control's by the always-valid test is stopped); 0: only when the results are read.",
    )

    erasure_check_seconds: float = Field(
        5.0,
        ge=0,
        le=600,
        description="How often each worker checks whether a customer was erased by another process, and then drops "
        "what it keeps of shoppers in memory (credentials, the lists made lately, wearer views and prescriptions "
        "read). 0: never; they then go within 10 minutes by themselves. The process that takes an erasure drops them "
        "at once.",
    )
    model_poll_seconds: float = Field(
        2.0, ge=0, description="How often each worker checks for a newly promoted model (0: only at start)."
    )
    training_interval_minutes: float = Field(
        0,
        ge=0,
        description="Train a new model every this many minutes from inside the service (0: never; "
        "use `optirec train` or POST /api/admin/models/train instead). One training runs at a time across workers.",
    )
    training_max_signals: int = Field(
        2_000_000, ge=1000, description="Newest signals a training reads (bounds training time and memory)."
    )
    training_max_items: int = Field(
        15_000,
        ge=100,
        description="Most products a model is trained on: the ones with the most signals (the "
        "item-to-item source solves a dense products × products system). The others are scored from their content.",
    )
    training_max_seconds: float = Field(
        900,
        ge=10,
        description="Wall-clock budget of the network's training loop in one training, in seconds "
        "(early stopping usually ends it sooner; the item-to-item source and evaluation come on top).",
    )
    training_max_epochs: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Most epochs of the network's training loop in one training; unset: the model's own bound (200), "
        "early stopping on validation ending it sooner. A number makes a retraining repeatable: the same signals "
        "give the same model, where a time budget that runs out first depends on the machine's speed.",
    )
    training_min_signals: int = Field(
        1000, ge=10, description="Signals needed before a model is trained; fewer, and popularity keeps serving."
    )

    # --- growth and retention ------------------------------------------------------------------------------
    served_retention_days: int = Field(
        90,
        ge=0,
        description="Served lists older than this many days are deleted by `optirec maintain` (and its schedule, "
        "`maintain_interval_minutes`); the console's per-day metrics then reach back this far at most. 0: keep them "
        "all.",
    )
    shopper_history_days: int = Field(
        0,
        ge=0,
        description="How far back, in days, a list reads its shopper's signals (the latest 50, and the carts and "
        "purchases it keeps from showing again); older signals still train the models. On PostgreSQL each list then "
        "reads only the signals' partitions (quarters) of that window, which bounds its cost as the quarters "
        "accumulate (`docs/deploy.md`). 0: all of them.",
    )
    signal_retention_days: int = Field(
        0,
        ge=0,
        description="Signals older than this many days are archived as Parquet under `<data_dir>/archive` (the "
        "format of `optirec export-events`) and then deleted by `optirec maintain`. 0: keep them all.",
    )
    maintain_interval_minutes: float = Field(
        60,
        ge=0,
        description="How often each serving process tries to run `optirec maintain` (retention, model artifacts "
        "missing from the database, the erasures' old rows), one at a time across every process and never beside a "
        "training (the training lock); 0: only when the command is run.",
    )

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the secret key must be at least {MIN_SECRET_BYTES} bytes (it signs every access token); "
                "`optirec secret generate` prints one"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"trusted proxy {entry!r} is not an IP address or a CIDR range") from None
        return value

    @field_validator("extra_action_types")
    @classmethod
    def _action_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.replace("_", "").isalnum() or not name.islower() or len(name) > 32:
                raise ValueError(f"action type {name!r} must be lower-case letters, digits and _ (32 at most)")
        return value

    @property
    def action_types(self) -> frozenset[str]:
        """Every action type a signal may carry."""
        return frozenset(BUILTIN_ACTION_TYPES) | frozenset(self.extra_action_types)

    @property
    def models_dir(self) -> Path:
        """Where model artifacts live."""
        return self.data_dir / "models"


def settings_markdown() -> str:
    """The table of every setting, for `docs/settings.md` (a test keeps that file in step with this class)."""
    lines = [
        "# Settings",
        "",
        "Every setting comes from an environment variable (or a line of `.env` in the working directory).",
        "Lists and nested objects are written as JSON; a nested field can also be set alone with `__`,",
        "e.g. `OPTIREC_RULES__MIN_PROGRESSIVE_LENS_HEIGHT_MM=30`. Generated by `optirec settings`.",
        "",
        "| variable | default | meaning |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        shown = _shown_default(default)
        lines.append(f"| `OPTIREC_{name.upper()}` | {shown} | {field.description or ''} |")
        for sub_name, sub_field in _nested_fields(default):
            sub_default = _shown_default(getattr(default, sub_name))
            lines.append(
                f"| `OPTIREC_{name.upper()}__{sub_name.upper()}` | {sub_default} | {sub_field.description or ''} |"
            )
    return "\n".join(lines) + "\n"


def _nested_fields(value: object) -> list[tuple[str, FieldInfo]]:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return list(type(value).model_fields.items())
    return []


def _shown_default(value: object) -> str:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return "(see below)"
    if value is None:
        return "unset"
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    return f"`{value}`"
