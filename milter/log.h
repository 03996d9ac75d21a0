/*
 * log - syslog output (and stderr in the foreground), plus a key=value line builder.
 *
 * Contract: log_init() once before threads start; log_* are thread-safe afterwards
 * (syslog(3) is, and stderr lines are written with one write(2) each). Three kinds of
 * trouble are distinguished, as Postfix does: log_warn() for a recoverable problem,
 * log_fatal() for a configuration error that stops the program (exit 1), log_panic() for
 * a broken invariant (abort). Every per-message line starts with the MTA queue id and ": ".
 */
#ifndef ACM_LOG_H
#define ACM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#define LOG_IDENT "acm-milter"

void log_init(int facility, bool to_stderr);
void log_set_facility(int facility);
/* Whether lines also go to stderr (a background start stops once it has started). */
void log_set_stderr(bool on);
void log_set_debug(bool on);
bool log_debug_enabled(void);
void log_close(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Builder for one `key=value key=value` line. Values are sanitized (no control or 8-bit
 * bytes) and double-quoted when they contain a space, a quote or are empty. */
#define KV_MAX 2048
struct kvline {
    char buf[KV_MAX];
    size_t len;
};
void kv_init(struct kvline *kv);
void kv_add(struct kvline *kv, const char *key, const char *value);
/* text as it is (already key=value pairs), after a blank; cut at KV_MAX - 1 as the others */
void kv_append(struct kvline *kv, const char *text);
void kv_addf(struct kvline *kv, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Maps "mail", "daemon", "local0".."local7", "user" to a facility; -1 if unknown. */
int log_facility_from_name(const char *name);

#endif
