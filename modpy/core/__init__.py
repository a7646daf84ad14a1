"""The boundary to C: the cffi library (ffi), the process's runtime state,
pool cleanups, the error log, errors, and the configs behind Apache's C
records.  Above modpy.config; below everything that serves requests."""
