#!/usr/bin/env python3
import os

code = os.environ.get("QUERY_STRING") or "404 Not Here"
print("Status: " + code.replace("+", " "))
print("Content-Type: text/html")
print("Location: /somewhere")
print()
print("<p>status", code, "</p>")
