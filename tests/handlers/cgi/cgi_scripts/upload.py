#!/usr/bin/env python3
import cgi
import hashlib

form = cgi.FieldStorage()
print("Content-Type: text/plain")
print()
print("title", form.getfirst("title"))
item = form["file"]
data = item.file.read()
print("file", item.filename, item.type, len(data), hashlib.sha256(data).hexdigest())
