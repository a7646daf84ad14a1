#!/usr/bin/env python3
import hashlib
import os
import sys
import urllib.parse

length = int(os.environ.get("CONTENT_LENGTH") or 0)
body = sys.stdin.buffer.read(length) if length else sys.stdin.buffer.read()   # chunked: to EOF
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
print("length", length, len(body), hashlib.sha256(body).hexdigest())
print(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
