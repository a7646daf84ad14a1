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
typedef struct { ...; } apr_finfo_t;
typedef struct { ...; } apr_uri_t;

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

typedef struct module_struct { int module_index; const char *name; ...; } module;
typedef struct command_struct { const char *name; int req_override; ...; } command_rec;

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
    apr_interval_time_t timeout;
    int limit_req_line;
    ...;
} server_rec;

typedef struct conn_rec {
    apr_pool_t *pool;
    server_rec *base_server;
    char *client_ip;
    char *remote_host;
    char *local_ip;
    char *local_host;
    long id;
    apr_table_t *notes;
    int keepalives;
    ...;
} conn_rec;

typedef struct ap_directive_t {
    const char *directive;
    const char *args;
    const char *filename;
    int line_num;
    ...;
} ap_directive_t;

typedef struct cmd_parms_struct {
    void *info;
    int override;
    apr_pool_t *pool;
    apr_pool_t *temp_pool;
    server_rec *server;
    char *path;
    const command_rec *cmd;
    const ap_directive_t *directive;
    ...;
} cmd_parms;

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
    ...;
} request_rec;

typedef struct ap_filter_t { ...; } ap_filter_t;

/* shared with the shim */
typedef struct modpy_dir_conf {
    unsigned int phases;
    int id;
    const struct modpy_dir_conf *base;
    const struct modpy_dir_conf *add;
    const char *dir;
} modpy_dir_conf;
typedef struct modpy_srv_conf { int id; int connection; } modpy_srv_conf;
typedef struct modpy_req_conf { unsigned int phases; } modpy_req_conf;

#define OK ...
#define DECLINED ...
#define DONE ...

/* APR */
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
long ap_get_client_block(request_rec *r, char *buffer, apr_size_t bufsiz);
int ap_discard_request_body(request_rec *r);
void ap_add_common_vars(request_rec *r);
void ap_add_cgi_vars(request_rec *r);
void ap_internal_redirect(const char *new_uri, request_rec *r);
void ap_internal_redirect_handler(const char *new_uri, request_rec *r);
int ap_scan_script_header_err_strs_ex(request_rec *r, char *buffer, int module_index,
                                      const char **termch, int *termarg, ...);
int ap_rwrite(const void *buf, int nbyte, request_rec *r);
int ap_rflush(request_rec *r);
void ap_set_content_type(request_rec *r, const char *ct);
const char *ap_get_server_banner(void);
const char *ap_get_server_description(void);
const char *ap_server_root;
int ap_exists_config_define(const char *name);
int ap_mpm_query(int query_code, int *result);
void ap_log_error_(const char *file, int line, int module_index, int level,
                   apr_status_t status, const server_rec *s, const char *fmt, ...);
void ap_log_rerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const request_rec *r, const char *fmt, ...);

/* entry points the shim calls (bodies are Python: modpy/embed.py) */
extern "Python" apr_status_t modpy_pool_cleanup(void *);
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
"""

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
        SOURCE,
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
