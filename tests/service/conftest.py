import contextlib
import uuid

import psycopg
import pytest


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, dropped afterwards; skipped without a server."""
    name = f"psdm_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin,
    ):
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
