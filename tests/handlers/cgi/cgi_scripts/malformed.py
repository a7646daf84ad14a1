#!/usr/bin/env python3
print("hello there, no headers")
