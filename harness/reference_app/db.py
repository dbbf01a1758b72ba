"""The reference app's database: one in-memory SQLite connection shared by all request threads.

Takes rows the webhook and portal routes produce, gives them back per customer. Every access
holds one lock; writes happen inside `transaction()`, which commits or rolls back as a whole.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass


@dataclass(frozen=True)
class SubscriptionRow:
    stripe_subscription_id: str
    stripe_customer_id: str
    status: str
    stripe_price_id: str | None
    current_period_end: int | None
    cancel_at_period_end: bool
    cancel_at: int | None
    paused: bool
    collection_paused: bool
    updated_at: int
    quantity: int = 1
    cancellation_feedback: str | None = None
    coupon: str | None = None


@dataclass(frozen=True)
class InvoiceRow:
    stripe_invoice_id: str
    stripe_customer_id: str
    stripe_subscription_id: str | None
    status: str
    amount_paid: int | None
    recorded_at: int


@dataclass(frozen=True)
class User:
    id: str
    email: str
    stripe_customer_id: str | None
    plan: str


class Database:
    """Tables users, subscriptions, invoices and processed_events, behind one lock."""

    USERS_TABLE = """
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            stripe_customer_id TEXT UNIQUE,
            plan TEXT NOT NULL DEFAULT 'free'
        )"""
    SUBSCRIPTIONS_TABLE = """
        CREATE TABLE subscriptions (
            stripe_subscription_id TEXT PRIMARY KEY,
            stripe_customer_id TEXT NOT NULL,
            status TEXT NOT NULL,
            stripe_price_id TEXT,
            current_period_end INTEGER,
            cancel_at_period_end INTEGER NOT NULL,
            cancel_at INTEGER,
            paused INTEGER NOT NULL,
            collection_paused INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            quantity INTEGER NOT NULL DEFAULT 1,
            cancellation_feedback TEXT,
            coupon TEXT
        )"""
    # The UNIQUE constraint is the last line of defence against recording a payment twice:
    # invoice.paid and invoice.payment_succeeded are two events about the same invoice.
    INVOICES_TABLE = """
        CREATE TABLE invoices (
            stripe_invoice_id TEXT NOT NULL UNIQUE,
            stripe_customer_id TEXT NOT NULL,
            stripe_subscription_id TEXT,
            status TEXT NOT NULL,
            amount_paid INTEGER,
            recorded_at INTEGER NOT NULL
        )"""
    PROCESSED_EVENTS_TABLE = """
        CREATE TABLE processed_events (
            event_id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            processed_at INTEGER NOT NULL
        )"""

    def __init__(self) -> None:
        # isolation_level=None: no implicit transactions; transaction() issues BEGIN itself.
        self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.lock = threading.Lock()
        # An empty database is copied from one made once per class (SQLite's backup API): a
        # test suite makes one per test, and four CREATE TABLEs cost six times the copy.
        _copy_empty_schema(type(self), self.conn)

    def _create_tables(self) -> None:
        for statement in (
            self.USERS_TABLE,
            self.SUBSCRIPTIONS_TABLE,
            self.INVOICES_TABLE,
            self.PROCESSED_EVENTS_TABLE,
        ):
            self.conn.execute(statement)

    @classmethod
    def _schema_template(cls) -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db = object.__new__(cls)
        db.conn = conn
        db._create_tables()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Hold the lock and one SQLite transaction; commit on success, roll back on any error."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Database]:
        """Hold the lock for a consistent read."""
        with self.lock:
            yield self

    def reset(self) -> None:
        with self.transaction():
            for table in ("users", "subscriptions", "invoices", "processed_events"):
                self.conn.execute(f"DELETE FROM {table}")

    # Users. The methods below expect the caller to hold transaction() or reading().

    def save_user(self, user_id: str, email: str, stripe_customer_id: str | None) -> None:
        self.conn.execute(
            "INSERT INTO users (id, email, stripe_customer_id) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET email = excluded.email, "
            "stripe_customer_id = excluded.stripe_customer_id, "
            # A new billing account starts on the free plan until its subscriptions say more.
            "plan = CASE WHEN users.stripe_customer_id IS excluded.stripe_customer_id "
            "THEN users.plan ELSE 'free' END",
            (user_id, email, stripe_customer_id),
        )

    def user(self, user_id: str) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return User(**dict(row)) if row else None

    def user_by_customer(self, stripe_customer_id: str) -> User | None:
        row = self.conn.execute(
            "SELECT * FROM users WHERE stripe_customer_id = ?", (stripe_customer_id,)
        ).fetchone()
        return User(**dict(row)) if row else None

    def link_customer(self, user_id: str, stripe_customer_id: str) -> None:
        self.conn.execute(
            "UPDATE users SET stripe_customer_id = ? WHERE id = ?", (stripe_customer_id, user_id)
        )

    def set_plan(self, stripe_customer_id: str, plan: str) -> None:
        self.conn.execute(
            "UPDATE users SET plan = ? WHERE stripe_customer_id = ?", (plan, stripe_customer_id)
        )

    # Subscriptions.

    def upsert_subscription(self, row: SubscriptionRow) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO subscriptions (stripe_subscription_id, stripe_customer_id, "
            "status, stripe_price_id, current_period_end, cancel_at_period_end, cancel_at, "
            "paused, collection_paused, updated_at, quantity, cancellation_feedback, coupon) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            astuple(row),
        )

    def subscription(self, stripe_subscription_id: str) -> SubscriptionRow | None:
        row = self.conn.execute(
            "SELECT * FROM subscriptions WHERE stripe_subscription_id = ?",
            (stripe_subscription_id,),
        ).fetchone()
        return _subscription_row(row) if row else None

    def subscriptions_of(self, stripe_customer_id: str) -> list[SubscriptionRow]:
        rows = self.conn.execute(
            "SELECT * FROM subscriptions WHERE stripe_customer_id = ? "
            "ORDER BY stripe_subscription_id",
            (stripe_customer_id,),
        ).fetchall()
        return [_subscription_row(row) for row in rows]

    # Invoices and processed events.

    def record_invoice(self, row: InvoiceRow) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO invoices (stripe_invoice_id, stripe_customer_id, "
            "stripe_subscription_id, status, amount_paid, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            astuple(row),
        )

    def paid_invoice_ids(self, stripe_customer_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT stripe_invoice_id FROM invoices WHERE stripe_customer_id = ? "
            "AND status = 'paid' ORDER BY rowid",
            (stripe_customer_id,),
        ).fetchall()
        return [row[0] for row in rows]

    def is_processed(self, event_id: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,)
        ).fetchone()
        return row is not None

    def mark_processed(self, event_id: str, event_type: str, now: int) -> None:
        self.conn.execute(
            "INSERT INTO processed_events (event_id, type, processed_at) VALUES (?, ?, ?)",
            (event_id, event_type, now),
        )


def _subscription_row(row: sqlite3.Row) -> SubscriptionRow:
    values = dict(row)
    for flag in ("cancel_at_period_end", "paused", "collection_paused"):
        values[flag] = bool(values[flag])
    return SubscriptionRow(**values)


_TEMPLATES: dict[tuple[int, type[Database]], sqlite3.Connection] = {}
_TEMPLATES_LOCK = threading.Lock()


def _copy_empty_schema(cls: type[Database], into: sqlite3.Connection) -> None:
    """Copy the empty database of `cls` (its own tables: a subclass may change them) into
    `into`. One template per process: an SQLite connection must not cross a fork."""
    key = (os.getpid(), cls)
    with _TEMPLATES_LOCK:
        if key not in _TEMPLATES:
            _TEMPLATES[key] = cls._schema_template()
        _TEMPLATES[key].backup(into)
