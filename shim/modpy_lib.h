/*
 * The C half of the cffi library (modpy/_modpy_ffi*.so): the functions
 * modpy's Python calls through cffi that Apache and APR do not offer as
 * functions (macros, several calls in one, calls that release the GIL only
 * when they may wait).  Defined in shim/lib_*.c, declared to cffi in
 * modpy/_build_ffi.py; the generated module includes this header.
 */
#ifndef MODPY_LIB_H
#define MODPY_LIB_H

#include <Python.h>

#include "modpy.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_main.h"
#include "util_script.h"
#include "ap_mpm.h"
#include "unixd.h"
#include "apr_global_mutex.h"
#include "apr_strings.h"
#include "apr_tables.h"
#include "apr_buckets.h"
#include "apr_optional.h"
#include "apr_uri.h"
#include "apr_file_io.h"
#include "ap_mmn.h"

/* Entry points whose bodies are Python (modpy/entry.py, modpy/core/cleanups.py). */
apr_status_t modpy_filter(ap_filter_t *f, apr_bucket_brigade *bb, int mode,
                          int block, apr_off_t readbytes);
apr_status_t modpy_pool_cleanup(void *ticket);
apr_status_t modpy_request_done(request_rec *r);

/* lib_process.c */
extern modpy_python_calls modpy_python_calls_now;
apr_status_t modpy_guarded_pool_cleanup(void *ticket);
modpy_req_conf *modpy_keep_request(request_rec *r, void **slot);
void modpy_register_filter(const char *name, int input);
long long modpy_mtime_ns(const char *path);
apr_time_t modpy_restart_time(void);

/* lib_buckets.c */
int modpy_bb_empty(apr_bucket_brigade *bb);
int modpy_bb_next(apr_bucket_brigade *bb, const char **data, apr_size_t *len,
                  apr_size_t max, apr_bucket **taken);
void modpy_bucket_destroy(apr_bucket *b);
void modpy_bb_eos(apr_bucket_brigade *bb);
void modpy_bb_flush(apr_bucket_brigade *bb);
void modpy_bb_push_front(apr_bucket_brigade *bb, const char *data, apr_size_t len);
int modpy_conn_aborted(conn_rec *c);
void modpy_conn_set_aborted(conn_rec *c);
const char *modpy_filter_name(ap_filter_t *f);

/* lib_tables.c */
int modpy_table_values(const apr_table_t *t, const char *key, const char **out, int max);
const char *modpy_table_value(const apr_table_t *t, const char *key);
const char *modpy_several_values(void);
apr_size_t modpy_table_joined_length(const apr_table_t *t);
void modpy_table_join(const apr_table_t *t, char *out);
const char *modpy_cgi_environment(request_rec *r, apr_size_t *length);

/* lib_request.c */
long modpy_read_block(request_rec *r, apr_bucket_brigade *bb, char *buf, apr_size_t size,
                      apr_status_t *rv);
int modpy_rwrite(request_rec *r, const char *buf, int nbyte, int flush);
void modpy_add_common_vars(request_rec *r);
void modpy_add_cgi_vars(request_rec *r);
void modpy_add_handler_cgi_vars(request_rec *r);
int modpy_scan_cgi_headers(request_rec *r, int module_index, const char *block);

/* lib_mime.c */
int modpy_addhandler_exts(request_rec *r, const char **out, int max);

#endif
