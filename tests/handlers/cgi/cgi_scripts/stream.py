#!/usr/bin/env python3
"""Writes a first part, then waits for the client to have seen it."""
import os
import sys
import time

print("Content-Type: text/plain")
print()
print("first part")
sys.stdout.flush()
flag = os.environ["QUERY_STRING"]
deadline = time.time() + 10
while not os.path.exists(flag) and time.time() < deadline:
    time.sleep(0.02)
print("second part", os.path.exists(flag))
