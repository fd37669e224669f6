"""The engine's pool: a connection a driver error left in an unknown state is never reused."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, bindparam, text
from sqlalchemy.exc import DBAPIError

from db.engine import create_engine, is_driver_error, is_unsendable_value

_PID = text("SELECT pg_backend_pid()")


async def test_a_driver_error_discards_its_connection_and_keeps_the_pool(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(_PID)).scalar_one()
        # PostgreSQL's own error: the connection is sound and goes back to the pool
        with pytest.raises(DBAPIError) as server_error:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1 / 0"))
        assert not is_driver_error(server_error.value)
        assert not is_unsendable_value(server_error.value)
        async with engine.connect() as conn:
            assert (await conn.execute(_PID)).scalar_one() == first
        # a value asyncpg cannot encode: the statement was prepared on the connection, the
        # bind failed in the driver; that connection must not serve the next request
        huge = text("SELECT :v").bindparams(bindparam("v", type_=BigInteger()))
        with pytest.raises(DBAPIError) as driver_error:
            async with engine.connect() as conn:
                await conn.execute(huge, {"v": 2**64})
        assert is_driver_error(driver_error.value) and is_unsendable_value(driver_error.value)
        async with engine.connect() as conn:
            assert (await conn.execute(_PID)).scalar_one() != first
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_driver_errors_never_carry_the_bound_values(database_url: str) -> None:
    """Bound parameters are request data: a failing statement's error (which is logged)
    does not list them (SQLAlchemy's [parameters: …] part). The driver's own sentence may
    still quote the one value it refused; that is what docs/security.md says."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(
                    text("SELECT CAST(:v AS integer)"), {"v": "secret-body-text-123"}
                )
        message = str(caught.value)
        assert "[SQL parameters hidden due to hide_parameters=True]" in message
        assert "[parameters:" not in message and "{'v':" not in message
    finally:
        await engine.dispose()
