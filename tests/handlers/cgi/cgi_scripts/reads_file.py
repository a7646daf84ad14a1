#!/usr/bin/env python3
"""Opens a file relative to its working directory and imports a helper."""
import cgihelper

with open("data.txt") as f:
    data = f.read().strip()
print("Content-Type: text/plain")
print()
print(data, cgihelper.greeting())
