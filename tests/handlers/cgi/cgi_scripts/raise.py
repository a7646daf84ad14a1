#!/usr/bin/env python3
raise ValueError("boom before headers")
