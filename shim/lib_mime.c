/*
 * What mod_mime's AddHandler maps to mod_python in a request's directory
 * context, for req.get_addhandler_exts() (and so the publisher).  mod_mime
 * offers no API for it: the mappings live in its private per-directory
 * config, whose layout is declared here.
 */
#include "modpy_lib.h"
#include "apr_hash.h"

/* mod_mime's per-extension record and per-directory config, declared here
 * after the layout of modules/http/mod_mime.c (extension_info,
 * mime_dir_config) in Apache 2.4: 2.4.0 to today's 2.4.x.  Why reading a
 * module's private struct is safe here: that layout has been stable since
 * 2.0 (2.4 only appended use_path_info to mime_dir_config); only the
 * leading fields, up to the ones read, are declared, so a field appended
 * later changes nothing read; and nothing is written.  The module magic
 * number does not cover a private struct: a future Apache that reorders
 * these would need this declaration changed (the tests under
 * tests/objects read real AddHandler lines back through it). */
struct modpy_mime_extension_info {
    char *forced_type;          /* AddType */
    char *encoding_type;        /* AddEncoding */
    char *language_type;        /* AddLanguage */
    char *handler;              /* AddHandler (lower case: mod_mime folds it) */
    char *charset_type;         /* AddCharset */
    char *input_filters;        /* AddInputFilter */
    char *output_filters;       /* AddOutputFilter */
};

struct modpy_mime_dir_config {
    apr_hash_t *extension_mappings;     /* extension (lower case, no dot) -> extension_info */
    /* remove_mappings, default_language, multimatch, use_path_info: not read */
};

/* The extensions (lower case, without the dot) that AddHandler maps to
 * mod_python in r's merged directory config, in the hash's order: up to
 * `max` of them into out[]; returns how many there are.  None when
 * mod_mime is not loaded. */
int modpy_addhandler_exts(request_rec *r, const char **out, int max)
{
    module *mime = ap_find_linked_module("mod_mime.c");
    const struct modpy_mime_dir_config *conf;
    apr_hash_index_t *hi;
    int n = 0;
    if (!mime)
        return 0;
    conf = ap_get_module_config(r->per_dir_config, mime);
    if (!conf || !conf->extension_mappings)
        return 0;
    /* an iterator of our own (in r->pool): the hash may be shared by threads */
    for (hi = apr_hash_first(r->pool, conf->extension_mappings); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *value;
        apr_hash_this(hi, &key, NULL, &value);
        if (modpy_is_python_handler(((const struct modpy_mime_extension_info *)value)->handler)) {
            if (n < max)
                out[n] = key;
            n++;
        }
    }
    return n;
}
