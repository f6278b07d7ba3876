"""The tables as SQLAlchemy Core objects, read from the open database.

Building the SQLModel classes of ``crmcli.models`` costs a process about a quarter of a
second, more than the query of a reading command such as ``crm overdue`` or
``crm remind``. Queries and set-based updates therefore use these Core tables: each is
described by the database itself (one ``get_columns`` per table, about a millisecond)
the first time it is used through an engine. The schema was brought to HEAD by the
migrations before any query runs, so the columns and types are the ones the models
declare, and the statements compile for SQLite and PostgreSQL alike. The models stay
the definition of the schema and serve the commands that create and edit records.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine


class Tables:
    """The tables of one database (one engine), each read from it on first use."""

    def __init__(self) -> None:
        from sqlalchemy import MetaData

        self._metadata = MetaData()

    def get(self, connection: Connection, name: str) -> Table:
        found = self._metadata.tables.get(name)
        if found is not None:
            return found
        from sqlalchemy import Column, Table, inspect

        columns = inspect(connection).get_columns(name)
        if not columns:
            raise LookupError(f"no table {name!r} in the database")
        return Table(
            name,
            self._metadata,
            *(
                Column(col["name"], col["type"], primary_key=bool(col.get("primary_key")))
                for col in columns
            ),
        )


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, Tables] = weakref.WeakKeyDictionary()


class _Bound:
    """``tables(bind).customer.c.code``: a table by its name, through one connection."""

    def __init__(self, connection: Connection, known: Tables) -> None:
        self._connection = connection
        self._known = known

    def __getattr__(self, name: str) -> Table:
        return self._known.get(self._connection, name)


def tables(bind: Any) -> _Bound:
    """The tables of the database behind a Core connection or an ORM session."""
    connection = bind if hasattr(bind, "exec_driver_sql") else bind.connection()
    engine = connection.engine
    known = _BY_ENGINE.get(engine)
    if known is None:
        known = _BY_ENGINE[engine] = Tables()
    return _Bound(connection, known)
