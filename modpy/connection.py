"""The connection object (req.connection): a view of conn_rec."""
from __future__ import annotations

from ._ffi import text


class Connection:
    __slots__ = ("_c",)

    def __init__(self, c) -> None:
        self._c = c

    @property
    def base_server(self):
        from .server import Server
        return Server(self._c.base_server)

    @property
    def remote_ip(self) -> str:
        return text(self._c.client_ip)

    client_ip = remote_ip

    @property
    def remote_host(self):
        return text(self._c.remote_host)

    @property
    def local_ip(self) -> str:
        return text(self._c.local_ip)

    @property
    def local_host(self):
        return text(self._c.local_host)

    @property
    def id(self) -> int:
        return int(self._c.id)

    @property
    def keepalives(self) -> int:
        return int(self._c.keepalives)

    def __repr__(self) -> str:
        return f"<modpy.connection {self.remote_ip} #{self.id}>"
