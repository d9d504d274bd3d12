"""What a serving process is made of (`runtime.state`): the signing secret, which replicas on several hosts must
share; and the parts that take effect on every host sharing one database (revocation, rate limits in Redis)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from optirec.errors import InvalidInput
from optirec.runtime.app import create_app
from optirec.runtime.cli import app
from optirec.runtime.state import build_state, signing_secret
from optirec.settings import MIN_SECRET_BYTES, Settings
from tests.conftest import POSTGRES_URL, empty_database, make_key

REDIS_URL = os.environ.get("OPTIREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_postgresql_without_a_signing_secret_is_refused_with_the_way_out() -> None:
    settings = Settings(database_url=POSTGRES_URL, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(InvalidInput, match=r"OPTIREC_SECRET_KEY must be set with PostgreSQL.*optirec secret generate"):
        signing_secret(settings)


def test_sqlite_keeps_the_secret_generated_in_its_data_folder(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    secret = signing_secret(settings)
    assert (tmp_path / "secret.key").read_text().strip() == secret and signing_secret(settings) == secret


def test_serve_refuses_to_start_on_postgresql_without_a_secret_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTIREC_DATABASE_URL", POSTGRES_URL)
    monkeypatch.delenv("OPTIREC_SECRET_KEY", raising=False)
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "cannot start" in result.output and "OPTIREC_SECRET_KEY" in result.output


def test_secret_generate_prints_a_key_the_settings_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(app, ["secret", "generate"])
    second = CliRunner().invoke(app, ["secret", "generate"])
    assert first.exit_code == 0 and second.exit_code == 0
    key = first.output.strip()
    assert len(key.encode()) >= MIN_SECRET_BYTES and key != second.output.strip()
    settings = Settings(database_url=POSTGRES_URL, secret_key=key, _env_file=None)  # type: ignore[call-arg, arg-type]
    assert signing_secret(settings) == key


def test_a_key_revoked_on_one_host_stops_working_on_another_within_the_cache_time(settings: Settings) -> None:
    """Two app instances on one database (two hosts): a revocation through one reaches the other once its
    credential cache entry expires (`OPTIREC_AUTH_CACHE_SECONDS`), never later."""
    quick = settings.model_copy(update={"auth_cache_seconds": 0.5})
    first, second = build_state(quick), build_state(quick)
    empty_database(first.db)
    try:
        key = make_key(first.db, role="admin")
        with TestClient(create_app(quick, first)) as one, TestClient(create_app(quick, second)) as other:
            headers = {"X-API-Key": key}
            assert other.get("/api/admin/keys", headers=headers).status_code == 200  # cached on the other host now
            key_id = key.split("_")[1]
            assert one.delete(f"/api/admin/keys/{key_id}", headers=headers).status_code in (200, 204)
            assert one.get("/api/admin/keys", headers=headers).status_code == 401  # at once where it was revoked
            time.sleep(quick.auth_cache_seconds + 0.1)
            assert other.get("/api/admin/keys", headers=headers).status_code == 401
    finally:
        first.db.dispose()
        second.db.dispose()


def test_rate_limits_in_redis_are_counted_across_hosts(settings: Settings) -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).flushdb()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "rate_limit_ip_per_minute": 4})
    first, second = build_state(shared), build_state(shared)
    empty_database(first.db)
    try:
        with TestClient(create_app(shared, first)) as one, TestClient(create_app(shared, second)) as other:
            statuses = [(one if k % 2 else other).get("/api/catalog/products").status_code for k in range(6)]
    finally:
        first.db.dispose()
        second.db.dispose()
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]  # four in all, whichever host answered
