"""PythonConnectionHandler: a virtual host's connections given to Python
instead of HTTP.  The shim's process_connection hook calls `handle` for a
server whose config names a connection handler."""
from __future__ import annotations

from modpy import constants as C
from modpy.core import log
from modpy.core.configs import server_config, server_dir_config
from modpy.devloop import debug
from modpy.objects.connection import Connection
from modpy.phases.placement import interpreter_name, load, log_failure


def handle(c) -> int:
    """Run the server's PythonConnectionHandler on a new connection; its
    return value (apache.OK ...) goes to Apache."""
    config = server_config(c.base_server)
    entry = config.connection if config is not None else None
    if entry is None:
        return C.DECLINED
    conn = Connection(c)
    settings = server_dir_config(c.base_server)       # the server's PythonPath, PythonInterpreter ...
    try:
        target = load(entry, settings, interpreter_name(settings, entry, c.base_server), conn)
        result = debug.call(target, conn) if settings.enable_pdb else target(conn)
    except Exception as e:
        log_failure("PythonConnectionHandler", entry, e)
        return C.OK                       # handled (badly): Apache closes the connection
    finally:
        conn.invalidate()
    if type(result) is not int:
        log.log_error(f"modpy: PythonConnectionHandler {entry.spec} returned {type(result).__name__}, "
                      "not an int", C.APLOG_ERR, c.base_server)
        return C.OK
    return result
