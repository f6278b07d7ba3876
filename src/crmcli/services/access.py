"""Who sees which customers on a server (seed 000 第九条 访问权限控制): ``crm db grant``.

A salesperson or a manager is a PostgreSQL LOGIN role, member of one of two group roles
made on first use: ``crm_sales`` and ``crm_manager``. The groups hold the privileges on
the crmcli tables and sequences (the schema revision is read-only to them); row-level
security decides which rows:

- ``customer``: a salesperson sees and changes the customers whose ``owner`` is its role
  name (``current_user``); a customer it adds or edits must stay its own.
- the records of a customer (contact, followup, plan, sale, greeting, campaignnotice,
  history, complaint, survey, project): the rows whose customer it can see, ``customer_id IN
  (SELECT id FROM customer)`` — the policy of ``customer`` applies inside that query;
  the steps of a complaint and the stages and documents of a project, those of the
  complaints and projects it can see.
- import batches and their items (which keep the fields an import overwrote): its own.
- a manager sees and changes every row.

Row-level security is switched on here, by the table owner granting the first role, not
by a migration: the migrations and ``crmcli.schema`` stay the same on both engines, a
server without roles behaves exactly as before, and every grant re-applies the
privileges and policies, so a table added by a later schema is covered by running it
again (until then the roles have no privilege on it at all). The table owner is not
subject to row-level security: the admin who connects as the owner keeps full access.

Roles are the server's, not one database's: a role made a salesperson in one database
is one in every database where ``crm db grant`` ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmcli.errors import InvalidInput
from crmcli.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from crmcli.db import Database

ROLES = {"sales": "crm_sales", "manager": "crm_manager"}
ROLE_LABELS = {"sales": "sales", "销售": "sales", "manager": "manager", "经理": "manager"}

MINE = "owner = current_user"
ITS_CUSTOMERS = "customer_id IN (SELECT id FROM customer)"
# Each protected table and the rows a salesperson may see and write there.
SALES_ROWS: dict[str, str] = {
    "customer": MINE,
    "contact": ITS_CUSTOMERS,
    "followup": ITS_CUSTOMERS,
    "plan": ITS_CUSTOMERS,
    "sale": ITS_CUSTOMERS,
    "greeting": ITS_CUSTOMERS,
    "campaignnotice": ITS_CUSTOMERS,
    "history": ITS_CUSTOMERS,
    "complaint": ITS_CUSTOMERS,
    "complaintstep": "complaint_id IN (SELECT id FROM complaint)",
    "survey": ITS_CUSTOMERS,
    "project": ITS_CUSTOMERS,
    "projectstage": "project_id IN (SELECT id FROM project)",
    "projectdoc": "project_id IN (SELECT id FROM project)",
    "importbatch": '"user" = current_user',
    "importitem": "batch_id IN (SELECT id FROM importbatch)",
}
# The tables every crmcli role reads whole: they hold no customer's data. Every other
# table of the schema must be in SALES_ROWS (a test holds the two lists to the schema).
UNGUARDED = {
    "meta": "facts about the database (the cadence policy it was computed with)",
    "campaign": "the team's campaigns and their days; who was told is campaignnotice",
}
GROUP_ROWS = {"crm_sales": SALES_ROWS, "crm_manager": dict.fromkeys(SALES_ROWS, "true")}
POLICY = "{group}_rows"
READ_ONLY = ("alembic_version",)
MAX_NAME_BYTES = 63


@dataclass
class Granted:
    user: str
    role: str  # sales | manager
    group: str
    created: bool
    password: bool
    before: str | None  # the group it was in before, when it changed


def parse_role(value: str | None) -> str:
    if value is None:
        raise InvalidInput(_("db grant needs --role sales or --role manager"))
    role = ROLE_LABELS.get(value.strip().lower())
    if role is None:
        raise InvalidInput(
            _("unknown role {value!r}; expected sales or manager").format(value=value)
        )
    return role


def check_user_name(user: str) -> str:
    """A role name crmcli may make a salesperson or manager of."""
    name = user.strip()
    if not name:
        raise InvalidInput(_("db grant needs a user name"))
    if name != user or any(ch.isspace() or ord(ch) < 32 for ch in name):
        raise InvalidInput(
            _("user name {user!r} may not contain spaces or control characters").format(user=user)
        )
    if len(name.encode()) > MAX_NAME_BYTES:
        raise InvalidInput(
            _("user name {user!r} is longer than {MAX_NAME_BYTES} bytes").format(
                user=user, MAX_NAME_BYTES=MAX_NAME_BYTES
            )
        )
    if name.lower().startswith("pg_") or name in ROLES.values() or name.lower() == "public":
        raise InvalidInput(
            _("{name!r} is a reserved role name; choose another user name").format(name=name)
        )
    return name


def _sql(conn: Connection, statement: Any) -> Any:
    """Run a psycopg ``sql.Composed`` statement on a Core connection (its errors are
    SQLAlchemy's, so the CLI reports them in one line)."""
    raw = conn.connection.driver_connection
    plain = conn.execution_options(no_parameters=True)
    return plain.exec_driver_sql(statement.as_string(raw))


def _existing_groups(conn: Connection) -> list[str]:
    from sqlalchemy import text

    rows = conn.execute(
        text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names) ORDER BY rolname"),
        {"names": list(ROLES.values())},
    )
    return [r[0] for r in rows]


def _owner_and_schema(conn: Connection) -> tuple[str, str]:
    from sqlalchemy import text

    row = conn.execute(
        text(
            "SELECT r.rolname, n.nspname FROM pg_class c "
            "JOIN pg_roles r ON r.oid = c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = 'customer'::regclass"
        )
    ).one()
    return row[0], row[1]


def _may_administer(conn: Connection, owner: str) -> bool:
    from sqlalchemy import text

    return bool(
        conn.execute(
            text(
                "SELECT pg_has_role(current_user, :owner, 'USAGE') OR rolsuper FROM pg_roles "
                "WHERE rolname = current_user"
            ),
            {"owner": owner},
        ).scalar()
    )


def _apply_group(conn: Connection, group: str, schema: str) -> None:
    """The group's privileges on every crmcli table and id sequence, and its policies."""
    from psycopg import sql
    from sqlalchemy import text

    from crmcli.schema import metadata

    ident = sql.Identifier(group)
    _sql(conn, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), ident))
    for table in metadata.sorted_tables:
        _sql(
            conn,
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {} TO {}").format(
                sql.Identifier(table.name), ident
            ),
        )
        if [c.name for c in table.primary_key.columns] != ["id"]:
            continue
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{table.name}"'}
        ).scalar()
        if sequence:
            # pg_get_serial_sequence returns the name quoted as SQL needs it.
            _sql(
                conn,
                sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(
                    sql.SQL(sequence), ident
                ),
            )
    for name in READ_ONLY:
        _sql(conn, sql.SQL("GRANT SELECT ON TABLE {} TO {}").format(sql.Identifier(name), ident))
    policy = sql.Identifier(POLICY.format(group=group))
    for table_name, rows in GROUP_ROWS[group].items():
        guarded = sql.Identifier(table_name)
        _sql(conn, sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(guarded))
        _sql(conn, sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(policy, guarded))
        _sql(
            conn,
            sql.SQL("CREATE POLICY {} ON {} FOR ALL TO {} USING ({}) WITH CHECK ({})").format(
                policy, guarded, ident, sql.SQL(rows), sql.SQL(rows)
            ),
        )


def grant(database: Database, user: str, role: str, *, password: str | None = None) -> Granted:
    """Make ``user`` a LOGIN role of the group of ``role`` (creating either as needed), with
    a password when given, and (re)apply every crmcli group's privileges and policies.
    One transaction: on any refusal or error nothing changes."""
    from psycopg import sql
    from sqlalchemy import text

    group = ROLES[role]
    with database.engine.connect() as conn, conn.begin():
        owner, schema = _owner_and_schema(conn)
        me = conn.execute(text("SELECT current_user")).scalar_one()
        if not _may_administer(conn, owner):
            raise InvalidInput(
                _(
                    "db grant is for the owner of the crmcli tables ({owner}); connected as {me}"
                ).format(owner=owner, me=me)
            )
        if user == owner:
            raise InvalidInput(
                _("{user} owns the crmcli tables and sees every row already").format(user=user)
            )
        found = conn.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = :u"), {"u": user}
        ).first()
        if found is not None and found[0]:
            raise InvalidInput(
                _("{user} is a superuser and sees every row already").format(user=user)
            )
        ident = sql.Identifier(user)
        if group not in _existing_groups(conn):
            _sql(conn, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
        _sql(
            conn,
            sql.SQL("{} ROLE {} LOGIN").format(
                sql.SQL("ALTER" if found is not None else "CREATE"), ident
            ),
        )
        if password is not None:
            raw = conn.connection.driver_connection
            hashed = raw.pgconn.encrypt_password(  # type: ignore[union-attr]
                password.encode(), user.encode(), b"scram-sha-256"
            )
            _sql(
                conn,
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(hashed.decode())),
            )
        before = None
        for other in ROLES.values():
            if other == group:
                continue
            member = conn.execute(
                text(
                    "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :u AND g.rolname = :g"
                ),
                {"u": user, "g": other},
            ).first()
            if member is not None:
                before = other
                _sql(conn, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(other), ident))
        _sql(conn, sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), ident))
        for name in _existing_groups(conn):
            _apply_group(conn, name, schema)
    return Granted(user, role, group, found is None, password is not None, before)


def unprotected_tables(conn: Connection) -> dict[str, list[str]]:
    """The tables that row-level security should guard but does not, each with the
    crmcli groups that may read it: what ``db check`` reports on a server."""
    from sqlalchemy import text

    groups = _existing_groups(conn)
    if not groups:
        return {}
    rows = conn.execute(
        text(
            "SELECT c.relname, g.name FROM pg_class c CROSS JOIN unnest(CAST(:groups AS text[])) AS g(name) "
            "WHERE c.relname = ANY(CAST(:tables AS text[])) AND c.relkind = 'r' "
            "AND pg_table_is_visible(c.oid) AND NOT c.relrowsecurity "
            "AND has_table_privilege(g.name, c.oid, 'SELECT') ORDER BY 1, 2"
        ),
        {"groups": groups, "tables": list(SALES_ROWS)},
    )
    found: dict[str, list[str]] = {}
    for table_name, group in rows:
        found.setdefault(table_name, []).append(group)
    return found
