/*
 * config - see config.h for the contract.
 */
#include "config.h"

#include <ctype.h>
#include <glib.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dkimv.h"
#include "fileio.h"
#include "log.h"

#define CONF_MAX_LINE 4096

struct ctx {
    const char *file;
    unsigned line;
    struct strlist *errors;
};

static void cerr(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cerr(struct ctx *x, const char *fmt, ...)
{
    char msg[600], full[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s:%u: %s", x->file, x->line, msg);
    if (x->errors)
        strlist_add(x->errors, full);
}

typedef bool (*setter)(struct config *c, struct ctx *x, const char *key, char *value,
                       size_t off);

static bool set_string(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    (void)x;
    (void)key;
    char **slot = (char **)((char *)c + off);
    free(*slot);
    *slot = strdup(value);
    return *slot != NULL;
}

static bool set_path(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    if (strlen(value) >= PATH_MAX) {
        cerr(x, "%s: path too long", key);
        return false;
    }
    return set_string(c, x, key, value, off);
}

static bool set_bool(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    bool *slot = (bool *)((char *)c + off);
    if (str_ieq(value, "yes") || str_ieq(value, "true") || str_ieq(value, "on") ||
        strcmp(value, "1") == 0)
        *slot = true;
    else if (str_ieq(value, "no") || str_ieq(value, "false") || str_ieq(value, "off") ||
             strcmp(value, "0") == 0)
        *slot = false;
    else {
        cerr(x, "%s: want yes or no, not \"%s\"", key, value);
        return false;
    }
    return true;
}

static bool parse_long(const char *s, long *out)
{
    if (!*s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool set_seconds(struct config *c, struct ctx *x, const char *key, char *value,
                        size_t off)
{
    long *slot = (long *)((char *)c + off);
    long v;
    if (!parse_long(value, &v) || v < 1 || v > 600) {
        cerr(x, "%s: want a number of seconds from 1 to 600, not \"%s\"", key, value);
        return false;
    }
    *slot = v;
    return true;
}

/* A number with an optional one-character unit: value without the unit into num (31
 * characters at most), *mult the factor of the unit (units[i] -> mults[i]), 1 without one.
 * false for an empty or too long value. */
static bool number_unit(const char *value, char num[32], const char *units, const long *mults,
                        long *mult)
{
    size_t n = strlen(value);
    if (n == 0 || n >= 32)
        return false;
    str_copy(num, 32, value);
    const char *u = strchr(units, num[n - 1]);
    *mult = 1;
    if (u) {
        *mult = mults[u - units];
        num[n - 1] = '\0';
    }
    return true;
}

static bool set_duration(struct config *c, struct ctx *x, const char *key, char *value,
                         size_t off)
{
    long *slot = (long *)((char *)c + off);
    static const long mults[] = {1, 60, 3600, 86400};
    char num[32];
    long mult, v;
    if (!number_unit(value, num, "smhd", mults, &mult) || !parse_long(num, &v) || v < 1 ||
        v > 365L * 86400 / mult) {
        cerr(x, "%s: want a duration such as 3600, 90m, 72h or 3d, not \"%s\"", key, value);
        return false;
    }
    *slot = v * mult;
    return true;
}

static bool set_size(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    long *slot = (long *)((char *)c + off);
    static const long mults[] = {1024, 1024, 1024 * 1024, 1024 * 1024};
    char num[32];
    long mult, v;
    if (!number_unit(value, num, "kKmM", mults, &mult) || !parse_long(num, &v) || v < 1 ||
        v > (64L << 20) / mult || v * mult < 65536) {
        cerr(x, "%s: want a size from 64k to 64m, not \"%s\"", key, value);
        return false;
    }
    *slot = v * mult;
    return true;
}

/* Comma and/or space separated list. */
static bool split_list(struct ctx *x, const char *key, char *value, struct strlist *out)
{
    strlist_free(out);
    char *save = NULL;
    for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        if (strlen(t) > 255) {
            cerr(x, "%s: item too long", key);
            return false;
        }
        if (!strlist_add(out, t))
            return false;
    }
    if (out->n == 0) {
        cerr(x, "%s: empty list", key);
        return false;
    }
    return true;
}

static bool set_recipients(struct config *c, struct ctx *x, const char *key, char *value,
                           size_t off)
{
    (void)off;
    if (!split_list(x, key, value, &c->recipients))
        return false;
    bool ok = true;
    for (size_t i = 0; i < c->recipients.n; i++) {
        char *r = c->recipients.v[i];
        str_lower(r);
        char *at = strchr(r, '@');
        if (at ? (at == r || !dns_name_valid(at + 1, false) || strchr(at + 1, '@'))
               : strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789._+-") != strlen(r)) {
            cerr(x, "%s: \"%s\" is neither a local part nor an address", key, r);
            ok = false;
        }
    }
    return ok;
}

static bool set_domains(struct config *c, struct ctx *x, const char *key, char *value,
                        size_t off)
{
    struct strlist *l = (struct strlist *)((char *)c + off);
    if (!split_list(x, key, value, l))
        return false;
    bool ok = true;
    for (size_t i = 0; i < l->n; i++) {
        str_lower(l->v[i]);
        if (!dns_name_valid(l->v[i], false)) {
            cerr(x, "%s: \"%s\" is not a domain name", key, l->v[i]);
            ok = false;
        }
    }
    return ok;
}

static bool set_ids(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    struct strlist *l = (struct strlist *)((char *)c + off);
    if (!split_list(x, key, value, l))
        return false;
    for (size_t i = 0; i < l->n; i++) {
        for (const char *p = l->v[i]; *p; p++)
            if (!(isalnum((unsigned char)*p) || strchr(".-_", *p))) {
                cerr(x, "%s: \"%s\" is not an authserv-id", key, l->v[i]);
                return false;
            }
    }
    return true;
}

/* value as one of two words (case-insensitive): 0 for w0, 1 for w1, else -1 (the error
 * line "KEY: want W0 or W1"). */
static int one_of_two(struct ctx *x, const char *key, const char *value, const char *w0,
                      const char *w1)
{
    if (str_ieq(value, w0))
        return 0;
    if (str_ieq(value, w1))
        return 1;
    cerr(x, "%s: want %s or %s, not \"%s\"", key, w0, w1, value);
    return -1;
}

static bool set_mode(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    (void)off;
    int w = one_of_two(x, key, value, "approve", "dry-run");
    if (w >= 0)
        c->mode = w ? MODE_DRY_RUN : MODE_APPROVE;
    return w >= 0;
}

static bool set_sender_auth(struct config *c, struct ctx *x, const char *key, char *value,
                            size_t off)
{
    (void)off;
    struct strlist l = {0};
    if (!split_list(x, key, value, &l)) {
        strlist_free(&l);
        return false;
    }
    unsigned bits = 0;
    bool ok = true;
    for (size_t i = 0; i < l.n; i++) {
        if (str_ieq(l.v[i], "none"))
            bits |= SA_NONE;
        else if (str_ieq(l.v[i], "authres"))
            bits |= SA_AUTHRES;
        else if (str_ieq(l.v[i], "dkim"))
            bits |= SA_DKIM;
        else {
            cerr(x, "%s: unknown method \"%s\" (want none, authres or dkim)", key, l.v[i]);
            ok = false;
        }
    }
    strlist_free(&l);
    if (ok && (bits & SA_NONE) && (bits & ~SA_NONE)) {
        cerr(x, "%s: none cannot be combined with other methods", key);
        ok = false;
    }
    if (ok)
        c->sender_auth = bits;
    return ok;
}

static bool set_facility(struct config *c, struct ctx *x, const char *key, char *value,
                         size_t off)
{
    (void)off;
    int f = log_facility_from_name(value);
    if (f < 0) {
        cerr(x, "%s: unknown syslog facility \"%s\"", key, value);
        return false;
    }
    c->facility = f;
    free(c->facility_name);
    c->facility_name = strdup(value);
    return true;
}

static bool set_loglevel(struct config *c, struct ctx *x, const char *key, char *value,
                         size_t off)
{
    (void)off;
    int w = one_of_two(x, key, value, "info", "debug");
    if (w >= 0)
        c->log_debug = w == 1;
    return w >= 0;
}

static bool set_endpoint(struct config *c, struct ctx *x, const char *key, char *value,
                         size_t off)
{
    if (strncmp(value, "https://", 8) != 0 || strlen(value) < 9 || strlen(value) > 200 ||
        value[strlen(value) - 1] == '/') {
        cerr(x, "%s: want a base URL https://HOST[:PORT] without a trailing slash", key);
        return false;
    }
    return set_string(c, x, key, value, off);
}

static bool set_socket(struct config *c, struct ctx *x, const char *key, char *value,
                       size_t off)
{
    const char *path = strncmp(value, "unix:", 5) == 0    ? value + 5
                       : strncmp(value, "local:", 6) == 0 ? value + 6
                                                          : NULL;
    const char *port = strncmp(value, "inet:", 5) == 0    ? value + 5
                       : strncmp(value, "inet6:", 6) == 0 ? value + 6
                                                          : NULL;
    char clean[120];
    str_sanitize(clean, sizeof(clean), value, 100);
    if (path) {
        /* sun_path holds 108 bytes with the NUL; relative paths would depend on the cwd */
        if (path[0] != '/' || strlen(path) > 107) {
            cerr(x, "%s: want an absolute socket path of at most 107 bytes, not \"%s\"", key,
                 clean);
            return false;
        }
    } else if (port) {
        size_t n = strcspn(port, "@");
        long v = 0;
        char num[8];
        bool ok = n > 0 && n < sizeof(num);
        if (ok) {
            str_ncopy(num, sizeof(num), port, n);
            ok = parse_long(num, &v) && v >= 1 && v <= 65535;
        }
        if (ok && port[n] == '@')
            ok = port[n + 1] != '\0' && !strchr(port + n + 1, '@');
        if (!ok) {
            cerr(x, "%s: want inet:PORT or inet:PORT@HOST with PORT from 1 to 65535, not \"%s\"",
                 key, clean);
            return false;
        }
    } else {
        cerr(x, "%s: want unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST", key);
        return false;
    }
    return set_string(c, x, key, value, off);
}

bool config_address_valid(const char *s)
{
    const char *at = strrchr(s, '@');
    if (!at || at == s || (size_t)(at - s) > 64 || strlen(at + 1) > 253)
        return false;
    /* dot-atom local part: atext, single dots, not first or last */
    for (const char *p = s; p < at; p++) {
        if (*p == '.') {
            if (p == s || p + 1 == at || p[1] == '.')
                return false;
        } else if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+/=?^_`{|}~-", *p)) {
            return false;
        }
    }
    if (s[0] == '-')
        return false;
    return dns_name_valid(at + 1, false);
}

static bool set_notify_address(struct config *c, struct ctx *x, const char *key, char *value,
                               size_t off)
{
    (void)off;
    if (!split_list(x, key, value, &c->notify_address))
        return false;
    bool ok = true;
    if (c->notify_address.n > 20) {
        cerr(x, "%s: at most 20 addresses, not %zu", key, c->notify_address.n);
        ok = false;
    }
    for (size_t i = 0; i < c->notify_address.n; i++) {
        if (!config_address_valid(c->notify_address.v[i])) {
            char clean[300];
            str_sanitize(clean, sizeof(clean), c->notify_address.v[i], 255);
            cerr(x, "%s: \"%s\" is not an address (want local@domain, comma-separated)", key,
                 clean);
            ok = false;
        }
    }
    return ok;
}

#define ARGV_MAX 32
bool config_split_argv(const char *cmd, struct strlist *argv, char *why, size_t whysz)
{
    strlist_free(argv);
    char arg[4096];
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t n = 0;
        char quote = 0;
        for (; *p; p++) {
            char ch = *p;
            if (quote == '\'') {
                if (ch == '\'') {
                    quote = 0;
                    continue;
                }
            } else if (quote == '"') {
                if (ch == '"') {
                    quote = 0;
                    continue;
                }
                if (ch == '\\' && (p[1] == '"' || p[1] == '\\'))
                    ch = *++p;
            } else {
                if (ch == ' ' || ch == '\t')
                    break;
                if (ch == '\'' || ch == '"') {
                    quote = ch;
                    continue;
                }
                if (ch == '\\' && p[1])
                    ch = *++p;
            }
            if (n + 1 >= sizeof(arg)) {
                str_copy(why, whysz, "argument too long");
                strlist_free(argv);
                return false;
            }
            arg[n++] = ch;
        }
        if (quote) {
            str_copy(why, whysz, "unterminated quote");
            strlist_free(argv);
            return false;
        }
        arg[n] = '\0';
        if (argv->n >= ARGV_MAX) {
            snprintf(why, whysz, "more than %d arguments", ARGV_MAX);
            strlist_free(argv);
            return false;
        }
        if (!strlist_add(argv, arg)) {
            str_copy(why, whysz, "out of memory");
            strlist_free(argv);
            return false;
        }
    }
    if (argv->n == 0) {
        str_copy(why, whysz, "empty command");
        return false;
    }
    return true;
}

static bool set_notify_command(struct config *c, struct ctx *x, const char *key, char *value,
                               size_t off)
{
    char why[80];
    if (!config_split_argv(value, &c->notify_argv, why, sizeof(why))) {
        cerr(x, "%s: %s", key, why);
        return false;
    }
    if (c->notify_argv.v[0][0] != '/') {
        cerr(x, "%s: want the program's absolute path (it runs without a shell or PATH), not "
                "\"%s\"", key, c->notify_argv.v[0]);
        return false;
    }
    return set_string(c, x, key, value, off);
}

/* user[:group], names as useradd(8) takes them (resolved later: config_resolve_user()). */
static bool account_name(const char *s, size_t n)
{
    if (n == 0 || n > 32 || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr("._-", s[i]) || (s[i] == '$' && i == n - 1)))
            return false;
    return true;
}

static bool set_user(struct config *c, struct ctx *x, const char *key, char *value, size_t off)
{
    const char *colon = strchr(value, ':');
    size_t un = colon ? (size_t)(colon - value) : strlen(value);
    if (!account_name(value, un) || (colon && !account_name(colon + 1, strlen(colon + 1)))) {
        char clean[100];
        str_sanitize(clean, sizeof(clean), value, 64);
        cerr(x, "%s: want user or user:group, not \"%s\"", key, clean);
        return false;
    }
    return set_string(c, x, key, value, off);
}

static bool set_metrics_file(struct config *c, struct ctx *x, const char *key, char *value,
                             size_t off)
{
    if (value[0] != '/' || value[strlen(value) - 1] == '/') {
        cerr(x, "%s: want an absolute file path, not \"%s\"", key, value);
        return false;
    }
    return set_path(c, x, key, value, off);
}

/* TrustedAuthservIDs' default: this host's name (gethostname(), else localhost). */
static const char host_name[] = "(host name)";

/* Every key: its setter, the field it sets, its default (applied by the same setter before
 * the file is read; NULL: unset) and whether it takes effect only at restart (a reload that
 * changes it keeps the running value and says so: config_restart_changes()). */
#define OFF(f) offsetof(struct config, f)
static const struct key {
    const char *name;
    setter set;
    size_t off;
    const char *def;
    bool restart;
} keys[] = {
    {"AllowList", set_path, OFF(allowlist_path), "/etc/acm-milter/allowlist", false},
    {"ApprovalEndpoint", set_endpoint, OFF(approval_endpoint), NULL, false},
    {"ApprovalTimeout", set_seconds, OFF(approval_timeout), "30", false},
    {"AddHeader", set_bool, OFF(add_header), "yes", false},
    {"CAFile", set_path, OFF(ca_file), NULL, false},
    {"DKIMTestKeys", set_path, OFF(dkim_test_keys), NULL, false},
    {"DNSTimeout", set_seconds, OFF(dns_timeout), "10", false},
    {"HTTPSProxy", set_string, OFF(https_proxy), NULL, false},
    {"LogLevel", set_loglevel, 0, "info", false},
    {"MaxAge", set_duration, OFF(max_age), "72h", false},
    {"MaxMessageSize", set_size, OFF(max_message_size), "1m", false},
    {"MetricsFile", set_metrics_file, OFF(metrics_file), NULL, false},
    {"Mode", set_mode, 0, "approve", false},
    {"NotifyAddress", set_notify_address, 0, NULL, false},
    {"NotifyCommand", set_notify_command, OFF(notify_command), "/usr/sbin/sendmail -t -i",
     false},
    {"PidFile", set_path, OFF(pidfile), NULL, true},
    {"Recipients", set_recipients, 0, "admin,administrator,hostmaster,postmaster,webmaster",
     false},
    {"RetryInterval", set_seconds, OFF(retry_interval), "60", false},
    {"SenderAuth", set_sender_auth, 0, "dkim", false},
    {"SenderDomains", set_domains, OFF(sender_domains), "certificates.amazon.com", false},
    {"Socket", set_socket, OFF(socket), "unix:/run/acm-milter/acm-milter.sock", true},
    {"SpoolDir", set_path, OFF(spool_dir), "/var/spool/acm-milter", true},
    {"SyslogFacility", set_facility, 0, "mail", false},
    {"TrustedAuthservIDs", set_ids, OFF(authserv_ids), host_name, false},
    {"UserID", set_user, OFF(user), "acm-milter", true},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The value text of each key (after defaults) and the line that gave it (0: the default). */
struct config_given {
    char *text[NKEYS];
    unsigned line[NKEYS];
};

static bool set_key(struct config *c, struct ctx *x, size_t k, const char *value)
{
    char buf[CONF_MAX_LINE];
    str_copy(buf, sizeof(buf), value);
    free(c->given->text[k]);
    c->given->text[k] = strdup(value);
    c->given->line[k] = x->line;
    if (!c->given->text[k]) {
        cerr(x, "out of memory");
        return false;
    }
    return keys[k].set(c, x, keys[k].name, buf, keys[k].off);
}

static struct config *config_new(struct ctx *x)
{
    struct config *c = calloc(1, sizeof(*c));
    if (!c || !(c->given = calloc(1, sizeof(*c->given))) || !(c->path = strdup(x->file))) {
        if (c)
            free(c->given);
        free(c);
        cerr(x, "out of memory");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    c->loaded_at = (long)time(NULL);
    return c;
}

/* The defaults, through the setters: a default is checked like a value from the file. */
static bool apply_defaults(struct config *c, struct ctx *x)
{
    x->line = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        if (!keys[k].def)
            continue;
        char host[256] = "localhost";
        const char *v = keys[k].def;
        if (v == host_name) {
            if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
                str_copy(host, sizeof(host), "localhost");
            host[sizeof(host) - 1] = '\0';
            v = host;
        }
        if (!set_key(c, x, k, v)) {
            cerr(x, "%s: bad default \"%s\"", keys[k].name, v);
            return false;
        }
    }
    return true;
}

bool config_keep_restart_keys(struct config *nc, const struct config *old,
                              struct strlist *changed)
{
    bool ok = true;
    for (size_t k = 0; k < NKEYS; k++) {
        if (!keys[k].restart)
            continue;
        const char *was = old->given->text[k], *now = nc->given->text[k];
        if (!!was == !!now && (!was || strcmp(was, now) == 0))
            continue;
        strlist_add(changed, keys[k].name);
        struct ctx x = {old->path, old->given->line[k], NULL};
        if (was) {
            ok = set_key(nc, &x, k, was) && ok;
        } else {
            /* restart-only keys are strings (see the table): unset is NULL */
            char **slot = (char **)((char *)nc + keys[k].off);
            free(*slot);
            *slot = NULL;
            free(nc->given->text[k]);
            nc->given->text[k] = NULL;
            nc->given->line[k] = 0;
        }
    }
    return ok;
}

const char *config_given(const struct config *c, const char *key, unsigned *line)
{
    for (size_t k = 0; k < NKEYS; k++)
        if (str_ieq(key, keys[k].name)) {
            if (line)
                *line = c->given->line[k];
            return c->given->text[k];
        }
    if (line)
        *line = 0;
    return NULL;
}

static void config_free(struct config *c)
{
    if (!c)
        return;
    dkimv_lib_free(c->dkim);
    free(c->path);
    free(c->socket);
    free(c->allowlist_path);
    allowlist_free(c->allowlist);
    strlist_free(&c->recipients);
    strlist_free(&c->authserv_ids);
    strlist_free(&c->sender_domains);
    free(c->dkim_test_keys);
    free(c->spool_dir);
    free(c->user);
    free(c->pidfile);
    free(c->facility_name);
    free(c->ca_file);
    free(c->https_proxy);
    free(c->approval_endpoint);
    strlist_free(&c->notify_address);
    free(c->notify_command);
    strlist_free(&c->notify_argv);
    free(c->metrics_file);
    if (c->given)
        for (size_t k = 0; k < NKEYS; k++)
            free(c->given->text[k]);
    free(c->given);
    free(c);
}

static bool parse_text(struct config *c, struct ctx *x, const char *text, size_t len)
{
    bool ok = true;
    bool seen[NKEYS] = {0};
    size_t pos = 0;
    x->line = 0;
    while (pos < len) {
        x->line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char line[CONF_MAX_LINE];
        if (l >= sizeof(line)) {
            cerr(x, "line too long");
            ok = false;
            pos += l + 1;
            continue;
        }
        if (memchr(text + pos, '\0', l)) {
            cerr(x, "NUL byte in line");
            ok = false;
            pos += l + 1;
            continue;
        }
        memcpy(line, text + pos, l);
        line[l] = '\0';
        pos += l + 1;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = str_trim(line);
        if (!*s)
            continue;
        char *key = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (*s)
            *s++ = '\0';
        char *value = str_trim(s);
        size_t k;
        for (k = 0; k < NKEYS; k++)
            if (str_ieq(key, keys[k].name))
                break;
        if (k == NKEYS) {
            char clean[100];
            str_sanitize(clean, sizeof(clean), key, 64);
            cerr(x, "unknown key \"%s\"", clean);
            ok = false;
            continue;
        }
        if (seen[k]) {
            cerr(x, "%s given twice", keys[k].name);
            ok = false;
            continue;
        }
        seen[k] = true;
        if (!*value) {
            cerr(x, "%s: missing value", keys[k].name);
            ok = false;
            continue;
        }
        if (!set_key(c, x, k, value))
            ok = false;
    }
    return ok;
}

/* Tamper guard: the file and every folder above it must be writable only by root or by
 * their owner (no group- or other-write bit). A sticky folder such
 * as /tmp is fine when the entry below it belongs to root or to us. A writable allowlist
 * is a way in: refuse it, naming the path. */
static bool path_guard(struct ctx *x, const char *what, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return true;   /* the open that follows reports it */
    struct stat st, below;
    memset(&below, 0, sizeof(below));
    bool have_below = false;
    for (;;) {
        if (stat(real, &st) != 0)
            return true;
        bool by_group = (st.st_mode & S_IWGRP) != 0;
        bool by_other = (st.st_mode & S_IWOTH) != 0;
        if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && have_below &&
            (below.st_uid == 0 || below.st_uid == geteuid()))
            by_group = by_other = false;
        if (by_group || by_other) {
            cerr(x, "refusing %s %s: %s is writable by %s (mode %04o); make it writable only "
                    "by root or its owner",
                 what, path, real, by_other ? "everyone" : "its group",
                 (unsigned)(st.st_mode & 07777));
            return false;
        }
        if (strcmp(real, "/") == 0)
            return true;
        below = st;
        have_below = true;
        char *slash = strrchr(real, '/');
        if (slash == real)
            real[1] = '\0';
        else
            *slash = '\0';
    }
}

/* What the notices and the metrics need from the file system: an executable NotifyCommand
 * (when NotifyAddress is set) and a writable MetricsFile folder, reported at their lines. */
static bool check_outputs(const struct config *c, const char *path, struct strlist *errors)
{
    bool ok = true;
    if (c->notify_address.n) {
        unsigned line = 0;
        config_given(c, "NotifyCommand", &line);
        if (!line)   /* the default command: report at the NotifyAddress line */
            config_given(c, "NotifyAddress", &line);
        struct ctx x = {path, line, errors};
        const char *prog = c->notify_argv.v[0];
        struct stat st;
        if (stat(prog, &st) != 0) {
            cerr(&x, "NotifyCommand: %s: %s", prog, strerror(errno));
            ok = false;
        } else if (!S_ISREG(st.st_mode) || access(prog, X_OK) != 0) {
            cerr(&x, "NotifyCommand: %s is not an executable file", prog);
            ok = false;
        }
    }
    if (c->metrics_file) {
        unsigned line = 0;
        config_given(c, "MetricsFile", &line);
        struct ctx x = {path, line, errors};
        char dir[PATH_MAX];
        str_copy(dir, sizeof(dir), c->metrics_file);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            dir[1] = '\0';
        else if (slash)
            *slash = '\0';
        struct stat st;
        if (stat(dir, &st) != 0) {
            cerr(&x, "MetricsFile: folder %s: %s", dir, strerror(errno));
            ok = false;
        } else if (!S_ISDIR(st.st_mode)) {
            cerr(&x, "MetricsFile: %s is not a folder", dir);
            ok = false;
        } else if (access(dir, W_OK | X_OK) != 0) {
            cerr(&x, "MetricsFile: folder %s is not writable by uid %ld: %s", dir,
                 (long)geteuid(), strerror(errno));
            ok = false;
        } else if (stat(c->metrics_file, &st) == 0 && !S_ISREG(st.st_mode)) {
            cerr(&x, "MetricsFile: %s is not a regular file", c->metrics_file);
            ok = false;
        }
    }
    return ok;
}

struct config *config_parse(const char *name, const char *text, size_t len,
                            struct strlist *errors)
{
    struct ctx x = {name, 0, errors};
    struct config *c = config_new(&x);
    if (!c)
        return NULL;
    if (!apply_defaults(c, &x) || !parse_text(c, &x, text, len)) {
        config_free(c);
        return NULL;
    }
    return c;
}

/* A file another library reads later (libcurl, libopendkim): readable, and a regular file
 * (a FIFO would block the thread that reads it); errno says why not (EINVAL: not regular). */
static bool readable_file(const char *path)
{
    struct stat st;
    if (access(path, R_OK) != 0 || stat(path, &st) != 0)
        return false;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return false;
    }
    return true;
}

struct config *config_load(const char *path, struct strlist *errors)
{
    struct ctx x = {path, 0, errors};
    struct config *c = config_new(&x);
    if (!c)
        return NULL;
    if (!apply_defaults(c, &x) || !path_guard(&x, "configuration", path)) {
        config_free(c);
        return NULL;
    }
    struct sbuf b;
    enum file_read_status st = file_read(path, 1u << 20, &b);
    if (st == FILE_OPEN_ERROR) {
        cerr(&x, "cannot open: %s", errno == EINVAL ? "not a regular file" : strerror(errno));
        config_free(c);
        return NULL;
    }
    bool rerr = st != FILE_OK;
    bool ok = !rerr;
    if (rerr)
        cerr(&x, "read error or file larger than 1 MiB");
    else {
        ok = parse_text(c, &x, b.data ? b.data : "", b.len);
        sbuf_free(&b);
    }
    if (!ok && !rerr) {
        /* report the allowlist's problems too, so one -n run shows everything */
        struct allowlist *al = allowlist_load(c->allowlist_path, errors);
        allowlist_free(al);
    }
    if (ok) {
        struct ctx a = {c->allowlist_path, 0, errors};
        ok = path_guard(&a, "allowlist", c->allowlist_path);
    }
    if (ok) {
        c->allowlist = allowlist_load(c->allowlist_path, errors);
        if (!c->allowlist)
            ok = false;
    }
    if (ok && c->ca_file && !readable_file(c->ca_file)) {
        unsigned line = 0;
        config_given(c, "CAFile", &line);
        struct ctx k = {path, line, errors};
        cerr(&k, "CAFile %s: cannot read: %s", c->ca_file,
             errno == EINVAL ? "not a regular file" : strerror(errno));
        ok = false;
    }
    if (ok && c->dkim_test_keys && !readable_file(c->dkim_test_keys)) {
        struct ctx k = {c->dkim_test_keys, 0, errors};
        cerr(&k, "DKIMTestKeys: cannot read: %s",
             errno == EINVAL ? "not a regular file" : strerror(errno));
        ok = false;
    }
    if (ok)
        ok = check_outputs(c, path, errors);
    if (ok && (c->sender_auth & SA_DKIM)) {
        char why[160] = "";
        c->dkim = dkimv_lib_new(c->dkim_test_keys, c->dns_timeout, why, sizeof(why));
        if (!c->dkim) {
            cerr(&x, "SenderAuth dkim: %s", why);
            ok = false;
        }
    }
    if (!ok) {
        config_free(c);
        return NULL;
    }
    return c;
}

bool config_resolve_user(const struct config *c, bool as_root, struct config_user *u,
                         struct strlist *errors)
{
    memset(u, 0, sizeof(*u));
    unsigned line = 0;
    config_given(c, "UserID", &line);
    struct ctx x = {c->path, line, errors};
    char what[80] = "";
    if (line == 0)
        snprintf(what, sizeof(what), " (the default)");
    str_copy(u->name, sizeof(u->name), c->user);
    char *g = strchr(u->name, ':');
    if (g)
        *g++ = '\0';
    errno = 0;
    struct passwd *pw = getpwnam(u->name);
    if (!pw) {
        if (!as_root)
            return true;   /* UserID is applied only when started as root */
        if (errno)
            cerr(&x, "UserID %s%s: cannot look up the user: %s", u->name, what, strerror(errno));
        else
            cerr(&x, "UserID %s%s: no such user (create it, e.g. with systemd-sysusers, or "
                     "name another)", u->name, what);
        return false;
    }
    if (pw->pw_uid == 0) {
        cerr(&x, "UserID %s%s: that user has uid 0, so privileges would never be dropped; name "
                 "an unprivileged user", u->name, what);
        return false;
    }
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    u->found = true;
    if (g) {
        errno = 0;
        struct group *gr = getgrnam(g);
        if (!gr) {
            if (!as_root)
                return true;
            cerr(&x, "UserID %s%s: no such group %s", c->user, what, g);
            return false;
        }
        u->gid = gr->gr_gid;
    }
    if (u->gid == 0) {
        cerr(&x, "UserID %s%s: that group has gid 0 (root's group); name an unprivileged group",
             c->user, what);
        return false;
    }
    return true;
}

struct config *config_ref(struct config *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void config_unref(struct config *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        config_free(c);
}

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config *live;

struct config *config_current(void)
{
    pthread_mutex_lock(&live_lock);
    struct config *c = config_ref(live);
    pthread_mutex_unlock(&live_lock);
    return c;
}

void config_install(struct config *c)
{
    pthread_mutex_lock(&live_lock);
    struct config *old = live;
    live = c;
    pthread_mutex_unlock(&live_lock);
    config_unref(old);
}

bool config_watched_rcpt(const struct config *c, const char *addr)
{
    const char *at = strrchr(addr, '@');
    if (!at || at == addr)
        return false;
    for (size_t i = 0; i < c->recipients.n; i++) {
        const char *r = c->recipients.v[i];
        if (strchr(r, '@')) {
            if (str_ieq(r, addr))
                return true;
        } else if (strlen(r) == (size_t)(at - addr) &&
                   g_ascii_strncasecmp(r, addr, (size_t)(at - addr)) == 0) {
            return true;
        }
    }
    return false;
}

const char *config_first_watched(const struct config *c, const struct strlist *rcpts)
{
    for (size_t i = 0; i < rcpts->n; i++)
        if (config_watched_rcpt(c, rcpts->v[i]))
            return rcpts->v[i];
    return NULL;
}

const char *config_mode_name(enum acm_mode m)
{
    return m == MODE_DRY_RUN ? "dry-run" : "approve";
}
