#!/usr/bin/env python3
print("Content-Type: text/plain")
print()
print("hello from a CGI script")
