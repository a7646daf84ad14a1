"""The development loop's runtime side: pdb inside Apache and per-phase
timing.  (The status page is a handler: modpy.handlers.status.)"""
