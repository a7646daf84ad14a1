"""The server object (req.server, apache.main_server): a view of server_rec."""
from __future__ import annotations

from ._ffi import text


class Server:
    __slots__ = ("_s",)

    def __init__(self, s) -> None:
        self._s = s

    @property
    def server_hostname(self) -> str:
        return text(self._s.server_hostname)

    @property
    def port(self) -> int:
        return int(self._s.port)

    @property
    def is_virtual(self) -> bool:
        return bool(self._s.is_virtual)

    @property
    def defn_name(self) -> str:
        return text(self._s.defn_name)

    @property
    def defn_line_number(self) -> int:
        return int(self._s.defn_line_number)

    @property
    def server_admin(self) -> str:
        return text(self._s.server_admin)

    @property
    def error_fname(self) -> str:
        return text(self._s.error_fname)

    @property
    def timeout(self) -> int:
        return int(self._s.timeout)

    @property
    def limit_req_line(self) -> int:
        return int(self._s.limit_req_line)

    def register_cleanup(self, req, callable, data=None) -> None:
        """mod_python's server.register_cleanup(req, callable[, data]): run at
        the shutdown of the child process serving `req`."""
        from .cleanups import register_child
        register_child(callable, data)

    def __repr__(self) -> str:
        return f"<modpy.server {self.server_hostname}:{self.port}>"
