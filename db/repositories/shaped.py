"""Hot read statements built and compiled once per *shape*, then only bound and sent.

On the hottest reads SQLAlchemy cost about as much as PostgreSQL: building a claims-page
statement took 0.23 ms, compiling-cache lookup, execution context and result handling about
0.3 ms more, for a page PostgreSQL answers in 0.7 ms (10k articles, ``bench/``). A shape is
everything that changes the SQL text: which parameters are present, the length of each list
(an IN list renders one placeholder per value) and the values written inline (page size,
sort). Each shape's statement is still built with Core (one definition of the SQL) but only
on its first request; it is compiled with the late-rendered parts (IN lists, the inline
LIMIT) filled in, and each later request only binds its values and runs the text through
:meth:`AsyncConnection.exec_driver_sql`. That keeps SQLAlchemy's error translation, its
invalidation of connections broken by a database restart, its cursor events and Row objects.

Parameters are passed by name. A list value bound ``expanding`` (an IN list) is rendered as
``name_1, name_2, …``; a list bound as one array (``= ANY``) stays ``name``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.sql.expression import Executable

from db.engine import Reader, connection_of, dialect_of

Params = Mapping[str, Any]

MAX_SHAPES = 2048


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]


_compiled: dict[Hashable, _Compiled] = {}


class ShapeError(RuntimeError):
    """A builder and its parameters disagree (a programming error, raised on first use)."""


def param(
    params: Params, name: str, like: Any = None, *, expanding: bool = False
) -> BindParameter[Any]:
    """The bind parameter for ``params[name]`` in a shape's statement, typed as ``like``
    (a column, whose type it takes, or a type)."""
    type_ = getattr(like, "type", like)
    return bindparam(name, params[name], type_=type_, expanding=expanding)


def expect_columns(columns: Sequence[Any], names: str, reader: str) -> int:
    """For a reader that unpacks rows by position: fail at import if ``columns`` are no longer
    ``names`` (space-separated) in that order. Returns the row width to slice."""
    if [c.name for c in columns] != names.split():
        raise RuntimeError(f"the columns {reader} unpacks have changed: update it")
    return len(columns)


def _shape(query: str, params: Params, inline: Hashable) -> Hashable:
    return (
        query,
        inline,
        tuple(
            (k, len(v) if isinstance(v, list | tuple) else -1) for k, v in sorted(params.items())
        ),
    )


def _args(names: Sequence[str], params: Params) -> tuple[Any, ...]:
    out = []
    for name in names:
        if name in params:
            out.append(params[name])
            continue
        base, _, index = name.rpartition("_")
        values = params.get(base)
        if not isinstance(values, list | tuple) or not index.isdigit():
            raise ShapeError(f"no value for parameter {name!r}")
        out.append(values[int(index) - 1])
    return tuple(out)


def _compile(session: Reader, stmt: Executable, params: Params) -> _Compiled:
    compiled = stmt.compile(  # type: ignore[attr-defined]
        dialect=dialect_of(session), compile_kwargs={"render_postcompile": True}
    )
    entry = _Compiled(compiled.string, tuple(compiled.positiontup or ()))
    used = {n if n in params else n.rpartition("_")[0] for n in entry.names}
    empty = {k for k, v in params.items() if isinstance(v, list | tuple) and not v}
    if unused := set(params) - used - empty:  # an empty IN list renders no placeholder
        raise ShapeError(f"parameters not in the statement: {sorted(unused)}")
    _args(entry.names, params)  # every placeholder has a value
    return entry


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing's statement as a shape (for its total: ``db.repositories.totals``):
    ``build(params)``, with ``inline`` what ``build`` writes into the text."""

    query: str
    build: Callable[[Params], Executable]
    params: Params
    inline: Hashable = None

    def statement(self) -> Executable:
        """The statement with its values bound, to run or compile the generic way."""
        return self.build(self.params)


async def fetch_all(
    session: Reader,
    query: str,
    build: Callable[[Params], Executable],
    params: Params,
    *,
    inline: Hashable = None,
    prefix: str = "",
) -> list[Any]:
    """Rows of ``build(params)``: built and compiled on a shape's first request only.

    ``query`` names the statement family; ``inline`` holds what ``build`` writes into the
    text besides ``params`` (page size, sort), as part of the shape. ``prefix`` goes before
    the compiled text (``EXPLAIN (FORMAT JSON)``)."""
    key = _shape(query, params, (inline, prefix))
    entry = _compiled.get(key)
    if entry is None:
        entry = _compile(session, build(params), params)
        if prefix:
            entry = _Compiled(f"{prefix} {entry.sql}", entry.names)
        if len(_compiled) >= MAX_SHAPES:  # a bound, not an LRU: shapes are few in practice
            _compiled.clear()
        _compiled[key] = entry
    conn = await connection_of(session)
    result = await conn.exec_driver_sql(entry.sql, _args(entry.names, params))
    return list(result.all())
