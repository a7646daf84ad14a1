"""Legacy CGI scripts run in-process, unchanged (`PythonHandler
mod_python.cgihandler`): the handler, the CGI environment and arguments, the
script's response, the per-thread process state it sees, and its code cache.
See docs/cgi.md."""
