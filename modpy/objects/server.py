"""The server object (req.server, apache.main_server): a view of server_rec."""
from __future__ import annotations

from typing import Optional

from modpy import constants as C
from modpy.core import cleanups, log
from modpy.core.configs import server_dir_config
from modpy.core.ffi import NULL, ffi, lib, text
from modpy.objects import records
from modpy.objects.table import Table
from modpy.objects.typenames import mod_python_type

_USEC = records.USEC
_MPMQ_GENERATION = 15             # ap_mpm.h's AP_MPMQ_GENERATION


# server_rec address -> its options table (a child's server_recs live as long as it)
_options: dict[int, Table] = {}


@mod_python_type("mp_server")
class Server:
    __slots__ = ("_s",)

    def __init__(self, s) -> None:
        self._s = s

    # members, as the manual lists them
    defn_name = property(lambda self: text(self._s.defn_name))
    defn_line_number = property(lambda self: int(self._s.defn_line_number))
    server_admin = property(lambda self: text(self._s.server_admin))
    server_hostname = property(lambda self: text(self._s.server_hostname))
    names = property(lambda self: records.strings(self._s.names))
    wild_names = property(lambda self: records.strings(self._s.wild_names))
    port = property(lambda self: int(self._s.port))
    error_fname = property(lambda self: text(self._s.error_fname))
    loglevel = property(lambda self: int(self._s.log.level))
    # flags as ints (0/1), as mod_python gives its C members
    is_virtual = property(lambda self: int(self._s.is_virtual != b"\0"))   # a C char
    timeout = property(lambda self: self._s.timeout / _USEC)
    keep_alive_timeout = property(lambda self: self._s.keep_alive_timeout / _USEC)
    keep_alive_max = property(lambda self: int(self._s.keep_alive_max))
    keep_alive = property(lambda self: int(bool(self._s.keep_alive)))
    path = property(lambda self: text(self._s.path))
    pathlen = property(lambda self: int(self._s.pathlen))
    limit_req_line = property(lambda self: int(self._s.limit_req_line))
    limit_req_fieldsize = property(lambda self: int(self._s.limit_req_fieldsize))
    limit_req_fields = property(lambda self: int(self._s.limit_req_fields))
    # the process's, whichever server asks
    restart_time = property(lambda self: lib.modpy_restart_time() / _USEC)

    @property
    def my_generation(self) -> int:
        """This child's generation (the restarts it was started after)."""
        generation = ffi.new("int *")
        lib.ap_mpm_query(_MPMQ_GENERATION, generation)
        return generation[0]

    @property
    def next(self) -> Optional["Server"]:
        return Server(self._s.next) if self._s.next != NULL else None

    # methods
    def _dir_config(self):
        """The server-level (outside any section) Python config."""
        return server_dir_config(self._s)

    def get_config(self):
        return Table(self._dir_config().settings())

    def get_options(self):
        """The server's PythonOptions: one table per server for the life of
        the process, so what a handler or PythonImport writes there stays
        (mod_python's is the server config's own table)."""
        key = int(ffi.cast("uintptr_t", self._s))
        table = _options.get(key)
        if table is None:
            table = _options.setdefault(key, Table(self._dir_config().get_options()))
        return table

    def log_error(self, message, level: int = C.APLOG_ERR) -> None:
        log.log_error(message, level, self._s)

    def __eq__(self, other) -> bool:
        return isinstance(other, Server) and self._s == other._s

    def __hash__(self) -> int:
        return hash(int(ffi.cast("uintptr_t", self._s)))

    def register_cleanup(self, req, callable, data=None) -> None:
        """mod_python's server.register_cleanup(req, callable[, data]): run at
        the shutdown of the child process serving `req`."""
        cleanups.register_child(callable, data)

    def __repr__(self) -> str:
        return f"<modpy.server {self.server_hostname}:{self.port}>"
