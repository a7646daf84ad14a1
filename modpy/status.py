"""`PythonHandler modpy.status`: the name httpd.conf uses for the status page
(modpy.handlers.status)."""
from modpy.handlers.status import handler  # noqa: F401
