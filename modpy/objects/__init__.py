"""The objects handlers receive: views of Apache's request_rec, server_rec,
conn_rec, apr_table_t, filters and bucket brigades, reading and writing the
C structs through cffi on access."""
