"""Admission decisions recorded in the ledger, for ``compliance serve --ledger``: several server
replicas can share one PostgreSQL ledger, their appends serialised by the chain's head lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from compliance.ledger.store import Entry, Ledger, utc_text


class LedgerDecisions:
    """Appends decision records (``compliance.server.decide.record``) under one scope."""

    def __init__(self, url: str, scope: str) -> None:
        self.ledger = Ledger(url)
        self.scope = scope
        # appends are serialised by the chain's head lock anyway: one at a time per process
        # keeps waiting requests off the connection pool
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> Entry:
        try:
            moment = datetime.fromisoformat(str(record.get("time")))
        except ValueError:
            moment = datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self._lock:
            return self.ledger.append("decision", self.scope, utc_text(moment), record)

    def close(self) -> None:
        self.ledger.close()
