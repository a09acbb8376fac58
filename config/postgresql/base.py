"""Django's PostgreSQL backend with a health check that costs no round trip while nothing is wrong.

CONN_HEALTH_CHECKS makes Django send `SELECT 1` before the first query of every request that
reuses a kept connection, a round trip on every API call. A server that ends a connection (a
restart, a failover, pg_terminate_backend, a proxy closing an idle link) says so on the socket:
a FATAL message, then end of file. An idle connection has nothing else to read, so a socket
with nothing to read is a live connection, and only one with something waiting gets the
`SELECT 1` (which then fails, and Django reconnects). A link that dies in silence would leave
`SELECT 1` waiting just as long as the request's own first query does.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


def has_input(fd: int) -> bool:
    """Whether the socket `fd` has something to read (or hang-up news) right now."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        idle = self.connection.info.transaction_status == pq.TransactionStatus.IDLE
        if idle and not has_input(self.connection.pgconn.socket):
            return True
        return bool(super().is_usable())
