"""The connection object (req.connection, and the argument of a
PythonConnectionHandler): a view of conn_rec, plus reading and writing the
raw connection through its filters (for protocol handlers)."""
from __future__ import annotations

from typing import Optional, Union

from modpy import constants as C
from modpy.core import log
from modpy.core.ffi import data_bytes, lib, text
from modpy.objects import brigade, records
from modpy.objects import table as tables
from modpy.objects.typenames import mod_python_type

_LINE = 8192     # Apache's HUGE_STRING_LEN: what one GETLINE read asks for


@mod_python_type("mp_conn")
class Connection:
    __slots__ = ("_c", "_in", "_out", "_notes", "__weakref__")

    def __init__(self, c) -> None:
        self._c = c
        self._in = self._out = self._notes = None

    # members ---------------------------------------------------------
    @property
    def base_server(self):
        from modpy.objects.server import Server
        return Server(self._c.base_server)

    @property
    def local_addr(self) -> Optional[tuple]:
        return records.sockaddr(self._c.local_addr)

    @property
    def remote_addr(self) -> Optional[tuple]:
        return records.sockaddr(self._c.client_addr)

    client_addr = remote_addr

    @property
    def remote_ip(self) -> str:
        return text(self._c.client_ip)

    client_ip = remote_ip

    @property
    def remote_host(self) -> Optional[str]:
        return text(self._c.remote_host)

    @property
    def remote_logname(self) -> Optional[str]:
        return text(self._c.remote_logname)

    @property
    def aborted(self) -> int:
        """0 or 1, as mod_python gives it."""
        return int(bool(lib.modpy_conn_aborted(self._c)))

    @property
    def keepalive(self) -> int:
        return int(self._c.keepalive)

    @property
    def double_reverse(self) -> int:
        return 0   # conn_rec's is a bit-field; Apache 2.4 tracks it per request now

    @property
    def keepalives(self) -> int:
        return int(self._c.keepalives)

    @property
    def local_ip(self) -> str:
        return text(self._c.local_ip)

    @property
    def local_host(self) -> Optional[str]:
        return text(self._c.local_host)

    @property
    def id(self) -> int:
        return int(self._c.id)

    @property
    def notes(self) -> tables.Table:
        if self._notes is None:
            self._notes = tables.view(self._c.notes, self._c.pool)
        return self._notes

    # methods ---------------------------------------------------------
    def log_error(self, message, level: int = C.APLOG_ERR) -> None:
        """ap_log_cerror, as mod_python's: the line names the client."""
        log.log_cerror(self._c, message, level)

    def _brigade(self, attr: str):
        bb = getattr(self, attr)
        if bb is None:
            bb = lib.apr_brigade_create(self._c.pool, self._c.bucket_alloc)
            setattr(self, attr, bb)
        return bb

    def _get(self, mode: int, size: int) -> bool:
        """One read from the connection's input filters into our brigade;
        False at the end of the stream."""
        status = lib.ap_get_brigade(self._c.input_filters, self._brigade("_in"), mode,
                                    lib.APR_BLOCK_READ, size)
        if status == lib.APR_EOF:
            return False
        if status != 0:
            raise OSError(f"reading from the connection failed: {brigade.apr_error(status)}")
        return True

    def read(self, length: int = -1) -> bytes:
        """At most `length` bytes, waiting for at least one (b"" at the end);
        all until the client closes with length -1."""
        bb = self._brigade("_in")
        if length < 0:
            parts = []
            while True:
                data, _ = brigade.take_until(bb, -1)
                parts.append(data)
                if lib.modpy_bb_empty(bb) and not self._get(lib.AP_MODE_READBYTES, 65536):
                    return b"".join(parts)
        if length == 0:
            return b""
        while True:
            data, _ = brigade.take_until(bb, length)
            if data or not self._get(lib.AP_MODE_READBYTES, length):
                return data

    def readline(self, length: int = -1) -> bytes:
        """One line, with its newline (b"" at the end)."""
        bb = self._brigade("_in")
        parts: list[bytes] = []
        got = 0
        while length < 0 or got < length:
            data, _ = brigade.take_until(bb, length - got if length >= 0 else -1, stop_at_newline=True)
            parts.append(data)
            got += len(data)
            if data.endswith(b"\n"):
                break
            if lib.modpy_bb_empty(bb) and not self._get(lib.AP_MODE_GETLINE, _LINE):
                break
        return b"".join(parts)

    def write(self, data: Union[str, bytes]) -> None:
        """Send bytes (str as UTF-8) to the client, flushed."""
        bb = self._brigade("_out")
        brigade.append(bb, data_bytes(data, "conn.write() data"))
        status = lib.ap_fflush(self._c.output_filters, bb)
        lib.apr_brigade_cleanup(bb)
        if status != 0:
            raise OSError(f"writing to the connection failed: {brigade.apr_error(status)}")

    def invalidate(self) -> None:
        self._c = None

    def __repr__(self) -> str:
        return f"<modpy.connection {self.remote_ip} #{self.id}>"
