"""The cffi declarations of modpy: what Python sees of Apache and APR, and the
entry points the C shim calls.  One place, compiled in API mode against
httpd.h and apr.h, so the cdef names only the fields modpy uses (``...;``)
and the compiler supplies every offset.

Built by setup.py into ``modpy/_modpy_ffi*.so``; loaded by the shim, never
imported outside Apache (it needs Apache's symbols).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM_DIR = os.path.join(os.path.dirname(HERE), "shim")

CDEF = r"""
typedef int... apr_status_t;
typedef int... apr_off_t;
typedef int... apr_size_t;
typedef int... apr_time_t;
typedef int... apr_port_t;
typedef int... apr_int64_t;
typedef int... apr_interval_time_t;
typedef struct apr_pool_t apr_pool_t;
typedef struct apr_table_t apr_table_t;
typedef struct apr_bucket_brigade apr_bucket_brigade;
typedef struct ap_conf_vector_t ap_conf_vector_t;
typedef int... apr_int32_t;
typedef int... apr_fileperms_t;
typedef int... apr_filetype_e;
typedef int... apr_uid_t;
typedef int... apr_gid_t;
typedef int... apr_ino_t;
typedef int... apr_dev_t;
typedef struct apr_file_t apr_file_t;
typedef struct apr_bucket_alloc_t apr_bucket_alloc_t;
typedef struct apr_bucket apr_bucket;
typedef struct {
    apr_int32_t valid;
    apr_fileperms_t protection;
    apr_filetype_e filetype;
    apr_uid_t user;
    apr_gid_t group;
    apr_ino_t inode;
    apr_dev_t device;
    apr_int32_t nlink;
    apr_off_t size;
    apr_off_t csize;
    apr_time_t atime;
    apr_time_t mtime;
    apr_time_t ctime;
    const char *fname;
    const char *name;
    ...;
} apr_finfo_t;
typedef struct {
    char *scheme;
    char *hostinfo;
    char *user;
    char *password;
    char *hostname;
    char *port_str;
    char *path;
    char *query;
    char *fragment;
    apr_port_t port;
    ...;
} apr_uri_t;

typedef struct {
    apr_pool_t *pool;
    int elt_size;
    int nelts;
    int nalloc;
    char *elts;
    ...;
} apr_array_header_t;

typedef struct {
    char *key;
    char *val;
    ...;
} apr_table_entry_t;

typedef struct cmd_parms_struct cmd_parms;
typedef union {
    const char *(*raw_args)(cmd_parms *parms, void *mconfig, const char *args);
    ...;
} cmd_func;
enum cmd_how { RAW_ARGS, ... };
typedef struct command_struct {
    const char *name;
    cmd_func func;
    void *cmd_data;
    int req_override;
    enum cmd_how args_how;
    const char *errmsg;
    ...;
} command_rec;
typedef struct module_struct {
    int version;
    int minor_version;
    int module_index;
    const char *name;
    struct module_struct *next;
    unsigned long magic;
    const command_rec *cmds;
    ...;
} module;

struct ap_logconf { signed char *module_levels; int level; ...; };
typedef struct ap_method_list_t { apr_int64_t method_mask; apr_array_header_t *method_list; ...; }
    ap_method_list_t;
typedef struct apr_sockaddr_t { apr_port_t port; ...; } apr_sockaddr_t;
apr_status_t apr_sockaddr_ip_get(char **addr, apr_sockaddr_t *sockaddr);
typedef struct process_rec { apr_pool_t *pool; apr_pool_t *pconf; const char *short_name; ...; } process_rec;

typedef struct server_rec {
    process_rec *process;
    struct server_rec *next;
    char *error_fname;
    char *server_admin;
    char *server_hostname;
    apr_port_t port;
    const char *defn_name;
    unsigned defn_line_number;
    char is_virtual;
    ap_conf_vector_t *module_config;
    ap_conf_vector_t *lookup_defaults;
    struct ap_logconf log;
    apr_interval_time_t timeout;
    apr_interval_time_t keep_alive_timeout;
    int keep_alive_max;
    int keep_alive;
    const char *path;
    int pathlen;
    apr_array_header_t *names;
    apr_array_header_t *wild_names;
    int limit_req_line;
    int limit_req_fieldsize;
    int limit_req_fields;
    ...;
} server_rec;

typedef struct conn_rec {
    apr_pool_t *pool;
    server_rec *base_server;
    apr_sockaddr_t *local_addr;
    apr_sockaddr_t *client_addr;
    char *client_ip;
    char *remote_host;
    char *local_ip;
    char *local_host;
    long id;
    apr_table_t *notes;
    int keepalives;
    char *remote_logname;
    void *sbh;
    apr_bucket_alloc_t *bucket_alloc;
    struct ap_filter_t *input_filters;
    struct ap_filter_t *output_filters;
    int keepalive;
    const char *log_id;
    ...;
} conn_rec;

typedef struct ap_directive_t {
    const char *directive;
    const char *args;
    struct ap_directive_t *next;
    struct ap_directive_t *first_child;
    struct ap_directive_t *parent;
    const char *filename;
    int line_num;
    ...;
} ap_directive_t;

struct cmd_parms_struct {
    void *info;
    int override;
    apr_pool_t *pool;
    apr_pool_t *temp_pool;
    server_rec *server;
    char *path;
    const command_rec *cmd;
    const ap_directive_t *directive;
    ap_conf_vector_t *context;
    ...;
};

typedef struct request_rec {
    apr_pool_t *pool;
    conn_rec *connection;
    server_rec *server;
    struct request_rec *next;
    struct request_rec *prev;
    struct request_rec *main;
    char *the_request;
    int assbackwards;
    int proxyreq;
    int header_only;
    int proto_num;
    char *protocol;
    const char *hostname;
    apr_time_t request_time;
    const char *status_line;
    int status;
    int method_number;
    const char *method;
    apr_int64_t allowed;
    apr_off_t sent_bodyct;
    apr_off_t bytes_sent;
    apr_time_t mtime;
    const char *range;
    apr_off_t clength;
    int chunked;
    int read_body;
    int read_chunked;
    unsigned expecting_100;
    apr_off_t remaining;
    apr_off_t read_length;
    apr_table_t *headers_in;
    apr_table_t *headers_out;
    apr_table_t *err_headers_out;
    apr_table_t *subprocess_env;
    apr_table_t *notes;
    const char *content_type;
    const char *handler;
    const char *content_encoding;
    char *user;
    char *ap_auth_type;
    int no_cache;
    int no_local_copy;
    char *unparsed_uri;
    char *uri;
    char *filename;
    char *canonical_filename;
    char *path_info;
    char *args;
    apr_finfo_t finfo;
    apr_uri_t parsed_uri;
    ap_conf_vector_t *per_dir_config;
    ap_conf_vector_t *request_config;
    char *useragent_ip;
    apr_sockaddr_t *useragent_addr;
    ap_method_list_t *allowed_methods;
    apr_array_header_t *allowed_xmethods;
    apr_array_header_t *content_languages;
    char *vlist_validator;
    int used_path_info;
    int eos_sent;
    struct ap_filter_t *output_filters;
    struct ap_filter_t *input_filters;
    apr_table_t *trailers_in;
    apr_table_t *trailers_out;
    ...;
} request_rec;

typedef struct ap_filter_rec_t { const char *name; ...; } ap_filter_rec_t;
typedef struct ap_filter_t {
    ap_filter_rec_t *frec;
    void *ctx;
    struct ap_filter_t *next;
    request_rec *r;
    conn_rec *c;
    ...;
} ap_filter_t;

/* shared with the shim */
typedef struct modpy_dir_conf {
    unsigned int phases;
    int id;
    const struct modpy_dir_conf *base;
    const struct modpy_dir_conf *add;
    const char *dir;
} modpy_dir_conf;
typedef struct modpy_srv_conf { int id; int connection; } modpy_srv_conf;
typedef struct modpy_req_conf { unsigned int phases; const char *after; apr_size_t after_len; } modpy_req_conf;
#define MODPY_LAST_PHASE ...

#define OK ...
#define DECLINED ...
#define DONE ...

#define APR_SUCCESS ...
#define APR_EOF ...
#define APR_EGENERAL ...
#define APR_INCOMPLETE ...
#define MODULE_MAGIC_NUMBER_MAJOR ...
#define MODULE_MAGIC_NUMBER_MINOR ...
#define APR_FOPEN_READ ...
#define APR_FOPEN_BINARY ...
#define APR_FOPEN_SENDFILE_ENABLED ...
#define APR_OS_DEFAULT ...
#define APR_BLOCK_READ ...
#define AP_MODE_READBYTES ...
#define AP_MODE_GETLINE ...
#define AP_MODE_EXHAUSTIVE ...
#define AP_METHOD_BIT ...
#define APR_URI_UNP_OMITPASSWORD ...

/* APR */
char *apr_pstrcat(apr_pool_t *p, ...);
apr_status_t apr_file_open(apr_file_t **newf, const char *fname, apr_int32_t flag,
                           apr_fileperms_t perm, apr_pool_t *pool);
char *apr_strerror(apr_status_t statcode, char *buf, apr_size_t bufsize);
typedef void (*apr_opt_fn_t)(void);
apr_opt_fn_t apr_dynamic_fn_retrieve(const char *szName);
apr_status_t apr_stat(apr_finfo_t *finfo, const char *fname, apr_int32_t wanted, apr_pool_t *pool);
#define APR_FINFO_NORM ...
#define APR_FINFO_MIN ...

/* brigades and buckets (modpy_* are small C helpers over APR's macros) */
apr_bucket_brigade *apr_brigade_create(apr_pool_t *p, apr_bucket_alloc_t *list);
apr_status_t apr_brigade_cleanup(void *data);
apr_status_t apr_brigade_destroy(apr_bucket_brigade *b);
apr_status_t apr_brigade_write(apr_bucket_brigade *bb, void *flush, void *ctx,
                               const char *str, apr_size_t nbyte);
apr_status_t apr_brigade_length(apr_bucket_brigade *bb, int read_all, apr_off_t *length);
int modpy_bb_empty(apr_bucket_brigade *bb);
apr_bucket_alloc_t *modpy_bb_alloc(apr_bucket_brigade *bb);
int modpy_bb_next(apr_bucket_brigade *bb, const char **data, apr_size_t *len, apr_size_t max,
                  apr_bucket **taken);
void modpy_bucket_destroy(apr_bucket *b);
void modpy_bb_eos(apr_bucket_brigade *bb);
void modpy_bb_flush(apr_bucket_brigade *bb);
void modpy_bb_move(apr_bucket_brigade *to, apr_bucket_brigade *from);
void modpy_bb_push_front(apr_bucket_brigade *bb, const char *data, apr_size_t len);
void modpy_register_filter(const char *name, int input);
int modpy_conn_aborted(conn_rec *c);
void modpy_conn_set_aborted(conn_rec *c);
const char *modpy_filter_name(ap_filter_t *f);

void *apr_palloc(apr_pool_t *p, apr_size_t size);
void *apr_pcalloc(apr_pool_t *p, apr_size_t size);
char *apr_pstrdup(apr_pool_t *p, const char *s);
char *apr_pstrmemdup(apr_pool_t *p, const char *s, apr_size_t n);
typedef int (*apr_abortfunc_t)(int retcode);
typedef struct apr_allocator_t apr_allocator_t;
apr_status_t apr_pool_create_ex(apr_pool_t **newpool, apr_pool_t *parent,
                                apr_abortfunc_t abort_fn, apr_allocator_t *allocator);
void apr_pool_destroy(apr_pool_t *p);
void apr_pool_cleanup_register(apr_pool_t *p, const void *data,
                               apr_status_t (*plain_cleanup)(void *),
                               apr_status_t (*child_cleanup)(void *));
apr_status_t apr_pool_cleanup_null(void *data);

apr_table_t *apr_table_make(apr_pool_t *p, int nelts);
const apr_array_header_t *apr_table_elts(const apr_table_t *t);
const char *apr_table_get(const apr_table_t *t, const char *key);
void apr_table_set(apr_table_t *t, const char *key, const char *val);
void apr_table_add(apr_table_t *t, const char *key, const char *val);
void apr_table_unset(apr_table_t *t, const char *key);
void apr_table_clear(apr_table_t *t);

/* httpd */
#define REQUEST_CHUNKED_ERROR ...
#define REQUEST_CHUNKED_DECHUNK ...
int ap_setup_client_block(request_rec *r, int read_policy);
int ap_should_client_block(request_rec *r);
long long modpy_mtime_ns(const char *path);
int modpy_table_values(const apr_table_t *t, const char *key, const char **out, int max);
const char *modpy_table_value(const apr_table_t *t, const char *key);
apr_size_t modpy_table_joined_length(const apr_table_t *t);
const char *modpy_cgi_environment(request_rec *r, apr_size_t *length);
void modpy_table_join(const apr_table_t *t, char *out);
const char *modpy_several_values(void);
long modpy_read_block(request_rec *r, apr_bucket_brigade *bb, char *buf, apr_size_t size,
                      apr_status_t *rv);
int ap_map_http_request_error(apr_status_t rv, int status);
#define AP_FILTER_ERROR ...
int ap_discard_request_body(request_rec *r);
void modpy_add_common_vars(request_rec *r);
void modpy_add_cgi_vars(request_rec *r);
void ap_internal_redirect(const char *new_uri, request_rec *r);
void ap_internal_redirect_handler(const char *new_uri, request_rec *r);
int modpy_scan_cgi_headers(request_rec *r, int module_index, const char *block);
int ap_rwrite(const void *buf, int nbyte, request_rec *r);
int ap_rflush(request_rec *r);
int modpy_rwrite(request_rec *r, const char *buf, int nbyte, int flush);
void ap_set_content_type(request_rec *r, const char *ct);
const char *ap_get_server_banner(void);
const char *ap_get_server_built(void);
apr_status_t ap_send_fd(apr_file_t *fd, request_rec *r, apr_off_t offset, apr_size_t length,
                        apr_size_t *nbytes);
int ap_meets_conditions(request_rec *r);
void ap_set_etag(request_rec *r);
void ap_set_last_modified(request_rec *r);
void ap_update_mtime(request_rec *r, apr_time_t dependency_mtime);
void ap_set_content_length(request_rec *r, apr_off_t length);
int ap_get_basic_auth_pw(request_rec *r, const char **pw);
const char *ap_auth_type(request_rec *r);
const char *ap_auth_name(request_rec *r);
char *ap_construct_url(apr_pool_t *p, const char *uri, request_rec *r);
const char *ap_get_remote_host(conn_rec *conn, void *dir_config, int type, int *str_is_ip);
const char *ap_document_root(request_rec *r);
void ap_allow_methods(request_rec *r, int reset, ...);
int ap_method_number_of(const char *method);
char *apr_uri_unparse(apr_pool_t *p, const apr_uri_t *uptr, unsigned flags);
ap_filter_t *ap_add_input_filter(const char *name, void *ctx, request_rec *r, conn_rec *c);
ap_filter_t *ap_add_output_filter(const char *name, void *ctx, request_rec *r, conn_rec *c);
void ap_remove_input_filter(ap_filter_t *f);
void ap_remove_output_filter(ap_filter_t *f);
apr_status_t ap_get_brigade(ap_filter_t *filter, apr_bucket_brigade *bucket, int mode,
                            int block, apr_off_t readbytes);
apr_status_t ap_pass_brigade(ap_filter_t *filter, apr_bucket_brigade *bucket);
apr_status_t ap_fflush(ap_filter_t *f, apr_bucket_brigade *bb);
int ap_is_initial_req(request_rec *r);
ap_directive_t *ap_conftree;
#define APR_FINFO_LINK ...

const char *ap_get_server_description(void);
const char *ap_server_root;
int ap_exists_config_define(const char *name);
int ap_mpm_query(int query_code, int *result);
void ap_log_error_(const char *file, int line, int module_index, int level,
                   apr_status_t status, const server_rec *s, const char *fmt, ...);
void ap_log_rerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const request_rec *r, const char *fmt, ...);

/* directives declared in Python (modpy/directive_module.py) */
#define MODULE_MAGIC_NUMBER_MAJOR ...
#define MODULE_MAGIC_NUMBER_MINOR ...
#define MODULE_MAGIC_COOKIE ...
module *ap_top_module;
const char *ap_add_loaded_module(module *mod, apr_pool_t *p, const char *s);
void ap_remove_loaded_module(module *mod);
void *ap_set_config_vectors(server_rec *server, ap_conf_vector_t *section_vector,
                            const char *section, module *mod, apr_pool_t *pconf);
const command_rec *ap_find_command_in_modules(const char *cmd_name, module **mod);

/* entry points the shim calls (bodies are Python: modpy/embed.py) */
extern "Python" apr_status_t modpy_pool_cleanup(void *);
apr_status_t modpy_guarded_pool_cleanup(void *);
extern "Python" const char *modpy_user_directive(cmd_parms *, void *, const char *);
"""

EMBEDDING_API = r"""
int modpy_boot(int module_index);
const char *modpy_directive(cmd_parms *cmd, modpy_dir_conf *dconf,
                            modpy_srv_conf *sconf, const char *args);
int modpy_phase(request_rec *r, int phase, const modpy_dir_conf *dconf, void **rslot);
int modpy_post_config(apr_pool_t *pconf, server_rec *s);
void modpy_child_init(apr_pool_t *pchild, server_rec *s);
apr_status_t modpy_filter(ap_filter_t *f, apr_bucket_brigade *bb, int mode,
                          int block, apr_off_t readbytes);
int modpy_connection(conn_rec *c, const modpy_srv_conf *sconf);
"""

SOURCE = r"""
#include "modpy.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_main.h"
#include "util_script.h"
#include "ap_mpm.h"
#include "apr_strings.h"
#include "apr_tables.h"
#include "apr_buckets.h"
#include "apr_optional.h"
#include "apr_uri.h"
#include "apr_file_io.h"
#include "ap_mmn.h"
#include <sys/stat.h>

/* Shared with the shim, which finds it by name (modpy.h). */
modpy_python_calls modpy_python_calls_now;

/* Every pool cleanup Python registers enters Python through here: not at
 * all when a dying signal struck inside Python (modpy.h). */
static apr_status_t modpy_pool_cleanup(void *ticket);
static apr_status_t modpy_guarded_pool_cleanup(void *ticket)
{
    apr_status_t rv;

    if (modpy_python_calls_now.interrupted)
        return APR_SUCCESS;
    modpy_call_begins(&modpy_python_calls_now);
    rv = modpy_pool_cleanup(ticket);
    modpy_call_ends(&modpy_python_calls_now);
    return rv;
}

/* APR's bucket API is macros; these give cffi functions to call. */
static int modpy_bb_empty(apr_bucket_brigade *bb) { return APR_BRIGADE_EMPTY(bb); }
static apr_bucket_alloc_t *modpy_bb_alloc(apr_bucket_brigade *bb) { return bb->bucket_alloc; }

/* Take the next data out of the front of `bb`.  Returns 1 with (*data,
 * *len) set -- at most `max` bytes, in bucket *taken, which the caller
 * destroys (modpy_bucket_destroy) once it has copied them, so a 1 GiB file
 * streams through a bounded buffer; 0 when `bb` is empty; 2 for an EOS and
 * 3 for a FLUSH bucket (removed); a negative APR status on error. */
static int modpy_bb_next(apr_bucket_brigade *bb, const char **data, apr_size_t *len,
                         apr_size_t max, apr_bucket **taken)
{
    apr_bucket *b;
    apr_status_t rv;

    while (!APR_BRIGADE_EMPTY(bb)) {
        b = APR_BRIGADE_FIRST(bb);
        if (APR_BUCKET_IS_EOS(b)) {
            apr_bucket_delete(b);
            return 2;
        }
        if (APR_BUCKET_IS_FLUSH(b)) {
            apr_bucket_delete(b);
            return 3;
        }
        rv = apr_bucket_read(b, data, len, APR_BLOCK_READ);
        if (rv != APR_SUCCESS)
            return -(int)rv;
        if (*len == 0) {
            apr_bucket_delete(b);
            continue;
        }
        if (*len > max) {
            apr_bucket_split(b, max);
            *len = max;
        }
        APR_BUCKET_REMOVE(b);
        *taken = b;
        return 1;
    }
    return 0;
}
static void modpy_bucket_destroy(apr_bucket *b) { apr_bucket_destroy(b); }
static void modpy_bb_eos(apr_bucket_brigade *bb)
{
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
}
static void modpy_bb_flush(apr_bucket_brigade *bb)
{
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(bb->bucket_alloc));
}
static void modpy_bb_move(apr_bucket_brigade *to, apr_bucket_brigade *from)
{
    APR_BRIGADE_CONCAT(to, from);
}
static void modpy_bb_push_front(apr_bucket_brigade *bb, const char *data, apr_size_t len)
{
    APR_BRIGADE_INSERT_HEAD(bb, apr_bucket_heap_create(data, len, NULL, bb->bucket_alloc));
}
static int modpy_conn_aborted(conn_rec *c) { return c->aborted; }
static void modpy_conn_set_aborted(conn_rec *c) { c->aborted = 1; }
static const char *modpy_filter_name(ap_filter_t *f) { return f->frec->name; }

/* Filters registered at run time (req.register_*_filter) enter Python the
 * way the shim's do. */
apr_status_t modpy_filter(ap_filter_t *, apr_bucket_brigade *, int, int, apr_off_t);
static apr_status_t modpy_out_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    return modpy_filter(f, bb, -1, 0, 0);
}
static apr_status_t modpy_in_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                    ap_input_mode_t mode, apr_read_type_e block,
                                    apr_off_t readbytes)
{
    return modpy_filter(f, bb, mode, block, readbytes);
}
static void modpy_register_filter(const char *name, int input)
{
    if (input)
        ap_register_input_filter(name, modpy_in_filter, NULL, AP_FTYPE_RESOURCE);
    else
        ap_register_output_filter(name, modpy_out_filter, NULL, AP_FTYPE_RESOURCE);
}

/* req.read(): one block of the request body, read as ap_get_client_block
 * reads it (same fields kept: remaining at the end, read_length), with two
 * differences: one brigade serves the whole request instead of a new one
 * in r->pool per block, and the APR status of a failed read reaches the
 * caller (ap_get_client_block loses it), so a timeout can be answered 408
 * and a body over LimitRequestBody 413, as Apache's own handlers answer.
 * The bytes copied into buf, 0 at the end of the body, -1 on error with
 * *rv set (the connection is then not kept alive). */
static long modpy_read_block(request_rec *r, apr_bucket_brigade *bb, char *buf, apr_size_t size,
                             apr_status_t *rv)
{
    if (r->remaining < 0 || (!r->read_chunked && r->remaining == 0))
        return 0;
    *rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, size);
    if (*rv == APR_SUCCESS) {
        if (!APR_BRIGADE_EMPTY(bb) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb)))
            r->remaining = r->read_chunked ? -1 : 0;     /* the next call says: the end */
        *rv = apr_brigade_flatten(bb, buf, &size);
    }
    apr_brigade_cleanup(bb);
    if (*rv != APR_SUCCESS) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return -1;
    }
    r->read_length += size;
    return (long)size;
}

/* Calls that wait only in some configurations keep the GIL (QUICK_CALLS)
 * and release it themselves when they may wait. */
static PyThreadState *modpy_release_gil_if(int may_wait)
{
    return may_wait ? PyEval_SaveThread() : NULL;
}

static void modpy_retake_gil(PyThreadState *save)
{
    if (save)
        PyEval_RestoreThread(save);
}

/* req.add_common_vars(): waits on the network only for a reverse DNS
 * lookup (HostnameLookups On) or an ident query (mod_ident). */
static void modpy_add_common_vars(request_rec *r)
{
    core_dir_config *conf = ap_get_core_module_config(r->per_dir_config);
    PyThreadState *save = modpy_release_gil_if(
        conf->hostname_lookups == HOSTNAME_LOOKUP_ON || conf->hostname_lookups == HOSTNAME_LOOKUP_DOUBLE
        || ap_find_linked_module("mod_ident.c") != NULL);
    ap_add_common_vars(r);
    modpy_retake_gil(save);
}

/* req.add_cgi_vars(): with a PATH_INFO, PATH_TRANSLATED takes a sub-request
 * (other modules' hooks, the file system). */
static void modpy_add_cgi_vars(request_rec *r)
{
    PyThreadState *save = modpy_release_gil_if(r->path_info && *r->path_info);
    ap_add_cgi_vars(r);
    modpy_retake_gil(save);
}

/* The values of `key` in `t` (ASCII case-insensitive, as APR compares), in
 * order: up to `max` of them into out[]; returns how many there are. */
static int modpy_table_values(const apr_table_t *t, const char *key, const char **out, int max)
{
    const apr_array_header_t *h = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i, n = 0;
    for (i = 0; i < h->nelts; i++)
        if (e[i].key && strcasecmp(e[i].key, key) == 0) {
            if (n < max)
                out[n] = e[i].val;
            n++;
        }
    return n;
}

/* Every entry of `t` as "key\0value\0...", for Table.items(): one string
 * to decode and split, instead of two C strings per entry (the CGI
 * environment reads some twenty).  The length first, then the copy. */
static apr_size_t modpy_table_joined_length(const apr_table_t *t)
{
    const apr_array_header_t *h = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    apr_size_t n = 0;
    int i;
    for (i = 0; i < h->nelts; i++)
        if (e[i].key)
            n += strlen(e[i].key) + 1 + (e[i].val ? strlen(e[i].val) : 0) + 1;
    return n;
}

static char *modpy_put_field(char *out, const char *s)
{
    apr_size_t n = strlen(s) + 1;
    memcpy(out, s, n);
    return out + n;
}

static void modpy_table_join(const apr_table_t *t, char *out)
{
    const apr_array_header_t *h = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    int i;
    for (i = 0; i < h->nelts; i++)
        if (e[i].key) {
            out = modpy_put_field(out, e[i].key);
            out = modpy_put_field(out, e[i].val ? e[i].val : "");
        }
}

/* The environment mod_cgid gives a script, made by Apache's own
 * ap_create_environment (subprocess_env, names with each non-alphanumeric
 * turned into '_', TZ from Apache's environment), as one
 * "NAME\0value\0NAME\0value" string in the request pool (a name has no
 * '=': the first one ends it): one string for Python to decode and split. */
static const char *modpy_cgi_environment(request_rec *r, apr_size_t *length)
{
    char **env = ap_create_environment(r->pool, r->subprocess_env);
    char **e, *joined, *out, *equals;
    apr_size_t n = 0;
    for (e = env; *e; e++)
        n += strlen(*e) + 2;            /* room for a value of its own, always */
    out = joined = apr_palloc(r->pool, n + 1);
    for (e = env; *e; e++) {
        equals = strchr(*e, '=');       /* always there: "name=value" */
        if (equals) {
            memcpy(out, *e, equals - *e);
            out += equals - *e;
            *out++ = '\0';
            out = modpy_put_field(out, equals + 1);
        }
    }
    *length = out > joined ? (apr_size_t)(out - joined) - 1 : 0;   /* without the last NUL */
    return joined;
}

/* A CGI script's header block through Apache's own parser, as mod_cgid
 * reads it, then the framing headers mod_cgid drops are dropped.  Not
 * variadic, unlike ap_scan_script_header_err_strs_ex: cffi calls a variadic
 * function through its generic path, which would release the GIL (see
 * QUICK_CALLS); getsfunc_STRING only reads the block. */
static int modpy_scan_cgi_headers(request_rec *r, int module_index, const char *block)
{
    int status = ap_scan_script_header_err_strs_ex(r, NULL, module_index, NULL, NULL, block, NULL);

    /* The body's length is what the script writes, not what it claims
     * (mod_cgid's rule; SetEnv ap_trust_cgilike_cl keeps the claim). */
    if (!apr_table_get(r->subprocess_env, "ap_trust_cgilike_cl"))
        apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Transfer-Encoding");
    return status;
}

/* The value of `key` in `t` when it has one; NULL when it has none; when it
 * has several, modpy_several_values() (then modpy_table_values gives them):
 * one call for the usual lookup. */
static const char modpy_several[] = "";
static const char *modpy_several_values(void) { return modpy_several; }
static const char *modpy_table_value(const apr_table_t *t, const char *key)
{
    const char *one;
    int n = modpy_table_values(t, key, &one, 1);
    return n == 0 ? NULL : n == 1 ? one : modpy_several;
}

/* The st_mtime of a file in nanoseconds, -1 when it cannot be stat()ed:
 * autoreload's check of a handler's files on every request. */
static long long modpy_mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* req.write(): write and flush in one call, so cffi drops and retakes the
 * GIL once instead of twice (a thread switch each under load).
 * 0, or -1 when the write failed, -2 when the flush did. */
static int modpy_rwrite(request_rec *r, const char *buf, int nbyte, int flush)
{
    if (nbyte > 0 && ap_rwrite(buf, nbyte, r) < 0)
        return -1;
    if (flush && ap_rflush(r) < 0)
        return -2;
    return 0;
}
"""

# C calls that keep the GIL.  cffi releases the GIL around every call to C,
# and under load each release hands it to one of the threads waiting for it:
# a context switch per call, for calls that take nanoseconds (bench/hello.py
# measured ~45 us of CPU per request for one such hand-off).  These never
# wait (no network, no locks, no DNS) and never run other modules' hooks, so
# holding the GIL through them costs nothing; every other call still
# releases it, as a call that can block must.  One exception is a file
# system call: modpy_mtime_ns, autoreload's stat of the handler's own files,
# which the kernel answers from its cache (a handler tree on a file system
# that can hang wants PythonAutoReload Off, as production does anyway).
# modpy_add_common_vars and modpy_add_cgi_vars release it themselves when
# this request's configuration makes them wait (DNS, ident, a sub-request).
# A variadic function is called through cffi's generic path, which always
# releases the GIL: a quick one gets a plain C wrapper (modpy_scan_cgi_headers).
QUICK_CALLS = frozenset("""
    apr_table_get apr_table_set apr_table_add apr_table_unset apr_table_clear
    apr_table_elts apr_table_make apr_palloc apr_pcalloc apr_pstrdup apr_pstrmemdup
    apr_pstrcat apr_pool_cleanup_register apr_sockaddr_ip_get apr_strerror
    apr_uri_unparse apr_dynamic_fn_retrieve
    ap_set_content_type ap_set_content_length ap_set_etag ap_set_last_modified
    ap_update_mtime ap_allow_methods ap_method_number_of ap_auth_name ap_auth_type
    ap_document_root ap_construct_url ap_is_initial_req ap_get_basic_auth_pw
    ap_meets_conditions ap_map_http_request_error ap_get_server_banner
    ap_get_server_built ap_get_server_description ap_mpm_query ap_exists_config_define
    ap_add_input_filter ap_add_output_filter ap_remove_input_filter ap_remove_output_filter
    modpy_bb_empty modpy_bb_alloc modpy_bb_eos modpy_bb_flush modpy_bb_move
    modpy_bb_push_front modpy_conn_aborted modpy_conn_set_aborted modpy_filter_name
    modpy_mtime_ns modpy_table_values modpy_table_value modpy_several_values modpy_table_joined_length modpy_table_join modpy_cgi_environment modpy_add_common_vars modpy_add_cgi_vars modpy_scan_cgi_headers
""".split())


def _gil_policy() -> str:
    """C for the end of SOURCE: cffi's wrappers (`_cffi_f_<name>`) bracket
    each call with Py_BEGIN/END_ALLOW_THREADS; redefined here, they ask once
    per wrapper whether <name> is one of QUICK_CALLS and release the GIL
    only when it is not."""
    names = ", ".join(f'"{name}"' for name in sorted(QUICK_CALLS))
    return r"""
static const char *const modpy_quick_calls[] = { %s, NULL };

static int modpy_releases_gil(const char *wrapper)
{
    const char *const *quick;
    const char *name = strncmp(wrapper, "_cffi_f_", 8) == 0 ? wrapper + 8 : wrapper;
    for (quick = modpy_quick_calls; *quick; quick++)
        if (strcmp(name, *quick) == 0)
            return 0;
    return 1;
}

#undef Py_BEGIN_ALLOW_THREADS
#undef Py_END_ALLOW_THREADS
#define Py_BEGIN_ALLOW_THREADS {                                   \
    static int releases_ = -1;                                     \
    PyThreadState *save_ = NULL;                                   \
    if (releases_ < 0)                                             \
        releases_ = modpy_releases_gil(__func__);                  \
    if (releases_)                                                 \
        save_ = PyEval_SaveThread();
#define Py_END_ALLOW_THREADS                                       \
    if (save_)                                                     \
        PyEval_RestoreThread(save_);                               \
}
""" % names


# Runs once, inside Apache, the first time the shim calls an entry point.
INIT_CODE = r"""
import modpy.embed
"""


def _apxs(var: str) -> str:
    apxs = shutil.which("apxs") or shutil.which("apxs2")
    if not apxs:
        raise SystemExit(
            "modpy: apxs not found. Install Apache's development files "
            "(Debian: apt-get install apache2-dev) and build again."
        )
    return subprocess.check_output([apxs, "-q", var], text=True).strip()


def apache_include_dirs() -> list[str]:
    """Apache's and APR's header directories, as apxs reports them."""
    dirs = [_apxs("INCLUDEDIR")]
    for var in ("APR_INCLUDEDIR", "APU_INCLUDEDIR"):
        d = _apxs(var)
        if d and d not in dirs:
            dirs.append(d)
    return dirs


def apache_cflags() -> list[str]:
    """Preprocessor flags Apache modules are compiled with (-D_REENTRANT ...)."""
    return [f for f in _apxs("EXTRA_CPPFLAGS").split() + _apxs("EXTRA_CFLAGS").split()
            if f.startswith("-D")]


def libpython() -> tuple[str, str]:
    """(directory, file) of the shared libpython of this interpreter.

    An embedded interpreter must be a shared library; a static-only build
    cannot be loaded into Apache, so say so rather than fail at link time.
    """
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    names = [sysconfig.get_config_var("INSTSONAME") or "",
             f"libpython{version}.so.1.0", f"libpython{version}.so"]
    dirs = [sysconfig.get_config_var(v) or "" for v in ("LIBDIR", "LIBPL")]
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        dirs.append(os.path.join("/usr/lib", multiarch))
    for d in dirs:
        for name in names:
            if d and name.endswith((".so", ".so.1.0")) and os.path.exists(os.path.join(d, name)):
                return d, name
    raise SystemExit(
        f"modpy: no shared libpython{version} found for {sys.executable} "
        f"(looked in {', '.join(d for d in dirs if d)}).\n"
        "modpy embeds Python in Apache, which needs libpython as a shared library. "
        "Use an interpreter built with --enable-shared (pyenv: "
        "PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ...; "
        "Debian: apt-get install libpython3-dev)."
    )


def make_ffi() -> cffi.FFI:
    libdir, libname = libpython()
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.embedding_api(EMBEDDING_API)
    ffi.embedding_init_code(INIT_CODE)
    ffi.set_source(
        "modpy._modpy_ffi",
        SOURCE + _gil_policy(),
        include_dirs=[SHIM_DIR] + apache_include_dirs(),
        define_macros=[tuple(f[2:].split("=", 1)) if "=" in f else (f[2:], None)
                       for f in apache_cflags()],
        library_dirs=[libdir],
        runtime_library_dirs=[libdir],
    )
    return ffi


ffi = make_ffi()

if __name__ == "__main__":
    ffi.compile(tmpdir=os.path.join(os.path.dirname(HERE), "build", "cffi"), verbose=True)
