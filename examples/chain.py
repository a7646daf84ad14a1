"""Two content handlers stacked on one location (two PythonHandler lines):
each writes its part; the second runs because the first returned OK."""
from mod_python import apache


def header(req):
    req.content_type = "text/plain; charset=utf-8"
    req.write("part 1: written by chain::header\n")
    return apache.OK


def body(req):
    req.write("part 2: written by chain::body\n")
    return apache.OK
