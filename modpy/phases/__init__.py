"""Routing: each request phase, filter and connection handler from the
shim's call to the handler and back.  `stack` has the manual's rules for a
stack of handlers, `placement` the one way every handler is placed (its
interpreter, sys.path, import, failure report)."""
