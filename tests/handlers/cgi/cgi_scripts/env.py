#!/usr/bin/env python3
"""Everything a CGI process is started with."""
import os
import sys

print("Content-Type: text/plain; charset=utf-8")
print()
for key in sorted(os.environ):
    print(f"{key}={os.environ[key]}")
print("argv", sys.argv)
print("cwd", os.getcwd())
print("name", __name__)
print("getenv", os.getenv("REQUEST_METHOD"), os.environb.get(b"REQUEST_METHOD"))
