"""The API for your own directives (`PythonDirectives`, docs/debugging.md):
`Directive` declares one, `value(req, name)` reads it in a handler.  The
rules live in modpy.config.userdirectives."""
from modpy.config.userdirectives import Directive, value  # noqa: F401
