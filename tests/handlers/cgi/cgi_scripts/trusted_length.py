#!/usr/bin/env python3
# SetEnv ap_trust_cgilike_cl is on for this script: its Content-Length stands
body = "a body of a length told in advance\n"
print("Content-Type: text/plain")
print("Content-Length: %d" % len(body))
print()
print(body, end="")
