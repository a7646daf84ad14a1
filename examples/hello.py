"""The smallest handler: answers every request it is given with plain text."""
from mod_python import apache


def handler(req):
    req.content_type = "text/plain; charset=utf-8"
    req.write(f"Hello from modpy: {req.method} {req.uri}\n")
    return apache.OK
