/*
 * apr_table_t reads in one call each, for modpy/objects/table.py and the
 * CGI environment.
 */
#include "modpy_lib.h"

/* The values of `key` in `t` (ASCII case-insensitive, as APR compares), in
 * order: up to `max` of them into out[]; returns how many there are. */
int modpy_table_values(const apr_table_t *t, const char *key, const char **out, int max)
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
apr_size_t modpy_table_joined_length(const apr_table_t *t)
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

void modpy_table_join(const apr_table_t *t, char *out)
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
const char *modpy_cgi_environment(request_rec *r, apr_size_t *length)
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

/* The value of `key` in `t` when it has one; NULL when it has none; when it
 * has several, modpy_several_values() (then modpy_table_values gives them):
 * one call for the usual lookup. */
static const char modpy_several[] = "";
const char *modpy_several_values(void) { return modpy_several; }
const char *modpy_table_value(const apr_table_t *t, const char *key)
{
    const char *one;
    int n = modpy_table_values(t, key, &one, 1);
    return n == 0 ? NULL : n == 1 ? one : modpy_several;
}

