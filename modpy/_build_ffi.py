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

import cffi

from modpy.tools.libpython import find as find_libpython
from modpy.tools.libpython import why_not as libpython_missing

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
    const char *log_id;
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
    int no_file;
    int id;
    int merged;
    uint64_t joined;
    const struct modpy_dir_conf *base;
    const struct modpy_dir_conf *add;
    const char *dir;
} modpy_dir_conf;
typedef struct modpy_srv_conf { int id; int connection; } modpy_srv_conf;
typedef struct modpy_req_conf {
    unsigned int phases; const char *after; apr_size_t after_len; request_rec *r; int kept;
} modpy_req_conf;
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

/* APR */
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
apr_status_t apr_brigade_write(apr_bucket_brigade *bb, void *flush, void *ctx,
                               const char *str, apr_size_t nbyte);
int modpy_bb_empty(apr_bucket_brigade *bb);
int modpy_bb_next(apr_bucket_brigade *bb, const char **data, apr_size_t *len, apr_size_t max,
                  apr_bucket **taken);
void modpy_bucket_destroy(apr_bucket *b);
void modpy_bb_eos(apr_bucket_brigade *bb);
void modpy_bb_flush(apr_bucket_brigade *bb);
void modpy_bb_push_front(apr_bucket_brigade *bb, const char *data, apr_size_t len);
void modpy_register_filter(const char *name, int input);
int modpy_conn_aborted(conn_rec *c);
void modpy_conn_set_aborted(conn_rec *c);
const char *modpy_filter_name(ap_filter_t *f);

void *apr_pcalloc(apr_pool_t *p, apr_size_t size);
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
apr_time_t modpy_restart_time(void);
int modpy_table_values(const apr_table_t *t, const char *key, const char **out, int max);
const char *modpy_table_value(const apr_table_t *t, const char *key);
apr_size_t modpy_table_joined_length(const apr_table_t *t);
const char *modpy_cgi_environment(request_rec *r, apr_size_t *length);
void modpy_table_join(const apr_table_t *t, char *out);
const char *modpy_several_values(void);
int modpy_addhandler_exts(request_rec *r, const char **out, int max);
long modpy_read_block(request_rec *r, apr_bucket_brigade *bb, char *buf, apr_size_t size,
                      apr_status_t *rv);
int ap_map_http_request_error(apr_status_t rv, int status);
#define AP_FILTER_ERROR ...
int ap_discard_request_body(request_rec *r);
void modpy_add_common_vars(request_rec *r);
void modpy_add_cgi_vars(request_rec *r);
void modpy_add_handler_cgi_vars(request_rec *r);
void ap_internal_redirect(const char *new_uri, request_rec *r);
void ap_internal_redirect_handler(const char *new_uri, request_rec *r);
int modpy_scan_cgi_headers(request_rec *r, int module_index, const char *block);
int ap_rflush(request_rec *r);
int modpy_rwrite(request_rec *r, const char *buf, int nbyte, int flush);
void ap_set_content_type(request_rec *r, const char *ct);
const char *ap_get_server_banner(void);
void ap_add_version_component(apr_pool_t *pconf, const char *component);
char *ap_runtime_dir_relative(apr_pool_t *p, const char *fname);

/* mod_python's global locks (_apache._global_lock): across processes and threads */
typedef struct apr_global_mutex_t apr_global_mutex_t;
typedef enum { APR_LOCK_DEFAULT, ... } apr_lockmech_e;
apr_status_t apr_global_mutex_create(apr_global_mutex_t **mutex, const char *fname,
                                     apr_lockmech_e mech, apr_pool_t *pool);
apr_status_t apr_global_mutex_child_init(apr_global_mutex_t **mutex, const char *fname,
                                         apr_pool_t *pool);
apr_status_t apr_global_mutex_lock(apr_global_mutex_t *mutex);
apr_status_t apr_global_mutex_trylock(apr_global_mutex_t *mutex);
apr_status_t apr_global_mutex_unlock(apr_global_mutex_t *mutex);
apr_status_t ap_unixd_set_global_mutex_perms(apr_global_mutex_t *gmutex);
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
ap_filter_t *ap_add_input_filter(const char *name, void *ctx, request_rec *r, conn_rec *c);
ap_filter_t *ap_add_output_filter(const char *name, void *ctx, request_rec *r, conn_rec *c);
apr_status_t ap_get_brigade(ap_filter_t *filter, apr_bucket_brigade *bucket, int mode,
                            int block, apr_off_t readbytes);
apr_status_t ap_pass_brigade(ap_filter_t *filter, apr_bucket_brigade *bucket);
apr_status_t ap_fflush(ap_filter_t *f, apr_bucket_brigade *bb);
ap_directive_t *ap_conftree;
#define APR_FINFO_LINK ...

const char *ap_get_server_description(void);
const char *ap_server_root;
int ap_exists_config_define(const char *name);
int ap_mpm_query(int query_code, int *result);
void ap_log_error_(const char *file, int line, int module_index, int level,
                   apr_status_t status, const server_rec *s, const char *fmt, ...);
int ap_run_generate_log_id(const conn_rec *c, const request_rec *r, const char **id);
void ap_log_rerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const request_rec *r, const char *fmt, ...);
void ap_log_cerror_(const char *file, int line, int module_index, int level,
                    apr_status_t status, const conn_rec *c, const char *fmt, ...);

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

/* bodies in Python (modpy/entry.py); the pool cleanup is called from C too */
extern "Python+C" apr_status_t modpy_pool_cleanup(void *);
apr_status_t modpy_guarded_pool_cleanup(void *);
extern "Python+C" apr_status_t modpy_request_done(request_rec *);
modpy_req_conf *modpy_keep_request(request_rec *r, void **slot);
extern "Python" const char *modpy_user_directive(cmd_parms *, void *, const char *);
"""

EMBEDDING_API = r"""
int modpy_boot(int module_index);
const char *modpy_directive(cmd_parms *cmd, modpy_dir_conf *dconf,
                            modpy_srv_conf *sconf, const char *args);
int modpy_phase(request_rec *r, int phase, int config);
int modpy_post_config(apr_pool_t *pconf, server_rec *s);
void modpy_child_init(apr_pool_t *pchild, server_rec *s);
apr_status_t modpy_filter(ap_filter_t *f, apr_bucket_brigade *bb, int mode,
                          int block, apr_off_t readbytes);
int modpy_connection(conn_rec *c, const modpy_srv_conf *sconf);
int modpy_include(ap_filter_t *f, apr_bucket_brigade *bb, const char *tag, const char *value);
"""

# The library's own C: shim/lib_*.c, declared in shim/modpy_lib.h (paths
# relative to the project's root, where setup.py runs, as setuptools wants).
SOURCE = '#include "modpy_lib.h"\n'
C_FILES = sorted(f"shim/{name}" for name in os.listdir(SHIM_DIR)
                 if name.startswith("lib_") and name.endswith(".c"))

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
# modpy_add_common_vars, modpy_add_cgi_vars and modpy_add_handler_cgi_vars release it themselves when
# this request's configuration makes them wait (DNS, ident, a sub-request).
# A variadic function is called through cffi's generic path, which always
# releases the GIL: a quick one gets a plain C wrapper (modpy_scan_cgi_headers).
QUICK_CALLS = frozenset("""
    apr_table_get apr_table_set apr_table_add apr_table_unset apr_table_clear
    modpy_restart_time
    apr_table_elts apr_table_make apr_pcalloc apr_pstrmemdup
    apr_pool_cleanup_register apr_sockaddr_ip_get apr_strerror modpy_keep_request
    apr_dynamic_fn_retrieve
    ap_set_content_type ap_set_content_length ap_set_etag ap_set_last_modified
    ap_update_mtime ap_allow_methods ap_auth_name ap_auth_type
    ap_document_root ap_construct_url ap_get_basic_auth_pw
    ap_meets_conditions ap_map_http_request_error
    ap_get_server_built ap_get_server_description ap_mpm_query ap_exists_config_define
    ap_add_input_filter ap_add_output_filter
    modpy_bb_empty modpy_bb_eos modpy_bb_flush
    modpy_bb_push_front modpy_conn_aborted modpy_conn_set_aborted modpy_filter_name
    modpy_mtime_ns modpy_table_values modpy_table_value modpy_several_values modpy_table_joined_length modpy_table_join modpy_cgi_environment modpy_add_common_vars modpy_add_cgi_vars modpy_add_handler_cgi_vars modpy_scan_cgi_headers
    modpy_addhandler_exts
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
import modpy.entry
"""


def _apxs(var: str) -> str:
    apxs = shutil.which("apxs") or shutil.which("apxs2")
    if not apxs:
        raise SystemExit(
            "modpy: apxs not found. Install Apache's development files "
            "(Debian: apt-get install apache2-dev) and build again."
        )
    return subprocess.check_output([apxs, "-q", var], text=True).strip()


def apache_facts() -> dict[str, str]:
    """The Apache modpy is built against, as mod_python.version reports it."""
    return {"HTTPD": os.path.join(_apxs("SBINDIR"), _apxs("TARGET")),
            "HTTPD_VERSION": _apxs("HTTPD_VERSION"), "APR_VERSION": _apxs("APR_VERSION"),
            "LIBEXECDIR": _apxs("LIBEXECDIR"), "SYSCONFDIR": _apxs("SYSCONFDIR")}


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
    """(directory, file) of the shared libpython of this interpreter; a
    static-only build cannot be loaded into Apache, so say so rather than
    fail at link time."""
    found = find_libpython()
    if found is None:
        raise SystemExit(f"modpy: {libpython_missing()}")
    return found


def make_ffi() -> cffi.FFI:
    libdir, libname = libpython()
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.embedding_api(EMBEDDING_API)
    ffi.embedding_init_code(INIT_CODE)
    ffi.set_source(
        "modpy._modpy_ffi",
        SOURCE + _gil_policy(),
        sources=C_FILES,
        include_dirs=[SHIM_DIR] + apache_include_dirs(),
        depends=["shim/modpy.h", "shim/modpy_lib.h"],
        define_macros=[tuple(f[2:].split("=", 1)) if "=" in f else (f[2:], None)
                       for f in apache_cflags()],
        library_dirs=[libdir],
        runtime_library_dirs=[libdir],
    )
    return ffi


ffi = make_ffi()

if __name__ == "__main__":
    ffi.compile(tmpdir=os.path.join(os.path.dirname(HERE), "build", "cffi"), verbose=True)
