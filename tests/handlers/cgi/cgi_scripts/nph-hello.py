#!/usr/bin/env python3
import sys

out = sys.stdout.buffer
out.write(b"HTTP/1.1 299 Very Custom\r\n")
out.write(b"Content-Type: text/plain\r\n")
out.write(b"X-Nph: raw\r\n")
out.write(b"Connection: close\r\n")
out.write(b"\r\n")
out.write(b"nph body\n")
