/*
 * log - see log.h for the contract.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static atomic_bool log_stderr;
static atomic_bool log_dbg;

void log_init(int facility, bool to_stderr)
{
    log_set_stderr(to_stderr);
    openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, facility);
}

/* Under systemd, stderr already goes to the journal, as does syslog: do not say it twice. */
void log_set_stderr(bool on)
{
    atomic_store(&log_stderr, on && !getenv("JOURNAL_STREAM"));
}

void log_set_facility(int facility)
{
    closelog();
    openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, facility);
}

void log_set_debug(bool on)
{
    atomic_store(&log_dbg, on);
}

bool log_debug_enabled(void)
{
    return atomic_load(&log_dbg);
}

void log_close(void)
{
    closelog();
}

static void vlog(int prio, const char *prefix, const char *fmt, va_list ap)
{
    char line[4096];
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    syslog(prio, "%s%s", prefix, line);
    if (atomic_load(&log_stderr)) {
        char out[4200];
        int m = snprintf(out, sizeof(out), "%s[%ld]: %s%s\n", LOG_IDENT, (long)getpid(), prefix,
                         line);
        if (m > 0) {
            size_t len = (size_t)m < sizeof(out) ? (size_t)m : sizeof(out) - 1;
            if (len && out[len - 1] != '\n')
                out[len - 1] = '\n';
            ssize_t w = write(STDERR_FILENO, out, len);
            (void)w;
        }
    }
}

#define LOG_FN(name, prio, prefix)                                                             \
    void name(const char *fmt, ...)                                                            \
    {                                                                                          \
        va_list ap;                                                                            \
        va_start(ap, fmt);                                                                     \
        vlog(prio, prefix, fmt, ap);                                                           \
        va_end(ap);                                                                            \
    }

LOG_FN(log_info, LOG_INFO, "")
LOG_FN(log_warn, LOG_WARNING, "warning: ")
LOG_FN(log_err, LOG_ERR, "error: ")

void log_debug(const char *fmt, ...)
{
    if (!atomic_load(&log_dbg))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_DEBUG, "", fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_ERR, "fatal: ", fmt, ap);
    va_end(ap);
    exit(1);
}

void log_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_CRIT, "panic: ", fmt, ap);
    va_end(ap);
    abort();
}

void kv_init(struct kvline *kv)
{
    kv->len = 0;
    kv->buf[0] = '\0';
}

static void kv_raw(struct kvline *kv, const char *s, size_t n)
{
    if (kv->len + n >= KV_MAX)
        n = KV_MAX - 1 - kv->len;
    memcpy(kv->buf + kv->len, s, n);
    kv->len += n;
    kv->buf[kv->len] = '\0';
}

void kv_append(struct kvline *kv, const char *text)
{
    if (kv->len)
        kv_raw(kv, " ", 1);
    kv_raw(kv, text, strlen(text));
}

void kv_add(struct kvline *kv, const char *key, const char *value)
{
    char clean[1024];
    str_sanitize(clean, sizeof(clean), value ? value : "", 1000);
    bool quote = clean[0] == '\0';
    for (const char *p = clean; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '\\')
            quote = true;
    if (kv->len)
        kv_raw(kv, " ", 1);
    kv_raw(kv, key, strlen(key));
    kv_raw(kv, "=", 1);
    if (!quote) {
        kv_raw(kv, clean, strlen(clean));
        return;
    }
    kv_raw(kv, "\"", 1);
    for (const char *p = clean; *p; p++) {
        if (*p == '"' || *p == '\\')
            kv_raw(kv, "\\", 1);
        kv_raw(kv, p, 1);
    }
    kv_raw(kv, "\"", 1);
}

void kv_addf(struct kvline *kv, const char *key, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    kv_add(kv, key, tmp);
}

int log_facility_from_name(const char *name)
{
    static const struct {
        const char *name;
        int fac;
    } tab[] = {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (str_ieq(name, tab[i].name))
            return tab[i].fac;
    return -1;
}
