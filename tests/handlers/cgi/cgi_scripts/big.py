#!/usr/bin/env python3
import sys

sys.stdout.write("Content-Type: application/octet-stream\n\n")
sys.stdout.flush()
line = bytes(range(256)) * 4
for i in range(5000):
    sys.stdout.buffer.write(line)
