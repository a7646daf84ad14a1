#!/usr/bin/env python3
"""Module-level state must not survive to the next request."""
try:
    counter += 1
except NameError:
    counter = 1
print("Content-Type: text/plain")
print()
print("counter", counter)
