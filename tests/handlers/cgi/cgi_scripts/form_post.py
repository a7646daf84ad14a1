#!/usr/bin/env python3
import cgi

form = cgi.FieldStorage()
print("Content-Type: text/plain")
print()
print("method", form.type if hasattr(form, "type") else None)
for name in sorted(form.keys()):
    print(name, "=", form.getlist(name))
