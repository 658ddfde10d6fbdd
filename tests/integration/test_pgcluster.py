"""The throwaway PostgreSQL clusters really work: start, connect, isolate, crash, recover.

Everything here talks to a real postmaster; the kill test builds its own cluster (fsync on)
so crashing it cannot break other tests sharing the session's server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from shared import pgcluster
from shared.pgcluster import REPO_ROOT, PgBinariesNotFound, PgCluster, free_port
from tests.fixtures.postgres import PostgresServer


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _scalar(url: str, query: str) -> object:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()


@pytest.fixture
def own_cluster_home() -> Iterator[Path]:
    """A private cluster directory; skips without server binaries, cleans up either way."""
    try:
        pgcluster.find_bin_dir()
    except PgBinariesNotFound as exc:
        pytest.skip(f"PostgreSQL server binaries not found: {exc}")
    home = Path(tempfile.mkdtemp(prefix="carers-pg-own-"))
    yield home
    PgCluster(home).stop(mode="immediate")  # a no-op unless a failed test left it running
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.postgres
def test_session_cluster_is_running(pg_cluster: PostgresServer) -> None:
    if not isinstance(pg_cluster, PgCluster):
        pytest.skip("TEST_POSTGRES_URL server: we did not start it")
    assert pg_cluster.is_running()
    assert isinstance(pg_cluster.pid, int)
    assert pg_cluster.url("x") == f"postgresql+asyncpg://postgres@127.0.0.1:{pg_cluster.port}/x"


@pytest.mark.postgres
async def test_fresh_database_accepts_asyncpg_and_psycopg(
    fresh_postgres_url: Callable[..., str],
) -> None:
    url = fresh_postgres_url("conn")
    name = make_url(url).database
    assert url.startswith("postgresql+asyncpg://")
    assert await _scalar(url, "SELECT current_database()") == name
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        row = conn.execute("SELECT current_database(), current_setting('server_encoding')")
        assert row.fetchone() == (name, "UTF8")


@pytest.mark.postgres
async def test_fresh_databases_are_isolated(fresh_postgres_url: Callable[..., str]) -> None:
    first, second = fresh_postgres_url("iso"), fresh_postgres_url("iso")
    assert first != second
    engine = create_async_engine(first)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE carer (id int PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO carer VALUES (1)"))
    finally:
        await engine.dispose()
    assert await _scalar(first, "SELECT count(*) FROM carer") == 1
    assert await _scalar(second, "SELECT to_regclass('carer') IS NULL") is True


@pytest.mark.postgres
async def test_kill_then_restart_keeps_committed_data(own_cluster_home: Path) -> None:
    cluster = PgCluster(own_cluster_home, fsync=True).start()
    cluster.create_database("crash")
    url = cluster.url("crash")
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE carer (id int PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO carer SELECT generate_series(1, 100)"))
    finally:
        await engine.dispose()
    in_flight = cluster.connect("crash", autocommit=False)
    in_flight.execute("INSERT INTO carer VALUES (1000)")  # never committed

    cluster.kill()
    assert not cluster.is_running()
    with pytest.raises(psycopg.OperationalError):
        cluster.connect(connect_timeout=2)
    in_flight.close()

    cluster.restart()
    assert cluster.is_running()
    assert await _scalar(url, "SELECT count(*) FROM carer") == 100
    assert await _scalar(url, "SELECT count(*) FROM carer WHERE id = 1000") == 0
    assert "automatic recovery in progress" in cluster.log_path.read_text()
    cluster.stop()
    assert not cluster.is_running()


async def test_database_url_runs_on_each_backend(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE carer (id integer PRIMARY KEY, name text)"))
            await conn.execute(text("INSERT INTO carer VALUES (1, 'Ada'), (2, 'Bea')"))
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT name FROM carer ORDER BY id"))).all()
    finally:
        await engine.dispose()
    assert [row.name for row in rows] == ["Ada", "Bea"]
    assert engine.dialect.name == make_url(database_url).get_backend_name()


@pytest.mark.postgres
def test_cli_start_status_url_stop(own_cluster_home: Path) -> None:
    port = str(free_port())
    base = [sys.executable, "-m", "shared.pgcluster", "--home", str(own_cluster_home)]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, "--port", port, *args], cwd=REPO_ROOT, capture_output=True, text=True
        )

    assert cli("status").returncode != 0
    started = cli("start", "--db", "registry", "--db", "referrals")
    assert started.returncode == 0, started.stderr
    assert cli("start", "--db", "registry").returncode == 0  # idempotent
    assert cli("status").returncode == 0
    url = cli("url", "registry").stdout.strip()
    assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{port}/registry"
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("registry",)
    assert cli("stop").returncode == 0
    assert cli("status").returncode != 0


def test_missing_binaries_say_how_to_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    with pytest.raises(PgBinariesNotFound, match="PG_BIN="):
        PgCluster(tmp_path / "data")
    monkeypatch.delenv("PG_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pgcluster, "PG_LIB_ROOT", tmp_path / "none")
    with pytest.raises(PgBinariesNotFound, match="apt-get install -y postgresql"):
        pgcluster.find_bin_dir()
