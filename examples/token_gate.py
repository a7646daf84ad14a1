"""An access-phase handler (PythonAccessHandler): lets a request through
only with the right token, as `?token=...` or an `X-Token` header.  Whatever
content handler the location has runs only after this returns OK."""
import hmac
from urllib.parse import parse_qs

from mod_python import apache

TOKEN = "let-me-in"      # an example: a real site reads its secret from its config


def accesshandler(req):
    offered = req.headers_in.get("X-Token") or parse_qs(req.args or "").get("token", [""])[0]
    if hmac.compare_digest(offered.encode(), TOKEN.encode()):
        return apache.OK
    req.log_error(f"token_gate: refused {req.uri}", apache.APLOG_INFO)
    return apache.HTTP_FORBIDDEN
