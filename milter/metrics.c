/*
 * metrics - see metrics.h for the contract.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "log.h"
#include "queue.h"
#include "stats.h"

#ifndef ACM_VERSION
#define ACM_VERSION "0.1.0"
#endif

static void head(struct sbuf *b, const char *name, const char *type, const char *help)
{
    sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A gauge without labels: its HELP and TYPE lines, then its one sample. */
static void gauge(struct sbuf *b, const char *name, const char *help, long v)
{
    head(b, name, "gauge", help);
    sbuf_printf(b, "%s %ld\n", name, v);
}

/* A counter with one label: its HELP and TYPE lines, then one sample per counter of sc. */
static void counter_by(struct sbuf *b, const char *name, const char *label, const char *help,
                       const struct stats_counter *sc, size_t n)
{
    head(b, name, "counter", help);
    for (size_t i = 0; i < n; i++)
        sbuf_printf(b, "%s{%s=\"%s\"} %lu\n", name, label, sc[i].a, sc[i].n);
}

bool metrics_format(const struct metrics_gauges *g, struct sbuf *b)
{
    struct stats_counter sc[32];
    size_t n = stats_messages(sc, 32);
    counter_by(b, "acm_milter_messages_total", "stage",
               "Messages by stage: seen (every message with a recipient), watched (a watched "
               "recipient), recognized (an ACM approval link found).",
               sc, n);
    n = stats_decisions(sc, 32);
    head(b, "acm_milter_decisions_total", "counter",
         "Decisions on watched messages, by decision and reason.");
    for (size_t i = 0; i < n; i++)
        sbuf_printf(b, "acm_milter_decisions_total{decision=\"%s\",reason=\"%s\"} %lu\n",
                    sc[i].a, sc[i].b, sc[i].n);

    n = stats_approvals(sc, 32);
    counter_by(b, "acm_milter_approvals_total", "outcome",
               "Approval queue outcomes (approval= lines), by outcome.", sc, n);
    n = stats_notices(sc, 32);
    counter_by(b, "acm_milter_notices_total", "result",
               "Notices to NotifyAddress (notify= lines), by result.", sc, n);

    if (g->pending >= 0) {
        gauge(b, "acm_milter_queue_pending",
              "Approval requests waiting in the spool (SpoolDir/pending).", g->pending);
        gauge(b, "acm_milter_queue_oldest_pending_seconds",
              "Age of the oldest pending approval request in seconds (0 when none).",
              g->oldest_pending_age);
    }
    gauge(b, "acm_milter_start_time_seconds",
          "Start time of the process since the Unix epoch in seconds.", g->start_time);
    gauge(b, "acm_milter_config_load_time_seconds",
          "Time the configuration in effect was loaded since the Unix epoch in seconds.",
          g->config_load_time);
    head(b, "acm_milter_info", "gauge", "Version of acm-milter (always 1).");
    char v[64];
    str_sanitize(v, sizeof(v), g->version ? g->version : ACM_VERSION, 60);
    for (char *p = v; *p; p++)
        if (*p == '"' || *p == '\\')
            *p = '?';
    sbuf_printf(b, "acm_milter_info{version=\"%s\"} 1\n", v);
    return !b->overflow;
}

bool metrics_write(const char *path, const struct metrics_gauges *g)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    if (!metrics_format(g, &b)) {
        sbuf_free(&b);
        errno = ENOMEM;
        return false;
    }
    /* a dot name: the textfile collector reads only *.prom, so it never sees the temp */
    char dir[4200], tmp[4400];
    str_copy(dir, sizeof(dir), path);
    char *slash = strrchr(dir, '/');
    const char *base = path;
    if (slash) {
        base = path + (slash - dir) + 1;
        if (slash == dir)
            dir[1] = '\0';
        else
            *slash = '\0';
    } else {
        str_copy(dir, sizeof(dir), ".");
    }
    snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", strcmp(dir, "/") ? dir : "", base,
             (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    /* readable by the collector's user */
    bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && write_all(fd, b.data, b.len);
    if (ok && fsync(fd) != 0)
        ok = false;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok && fd >= 0)
        unlink(tmp);
    sbuf_free(&b);
    if (!ok) {
        errno = saved;
        return false;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return true;
}

static long start_time;

void metrics_set_start_time(long t)
{
    start_time = t;
}

void metrics_gauges_now(struct metrics_gauges *g)
{
    memset(g, 0, sizeof(*g));
    g->start_time = start_time;
    g->version = ACM_VERSION;
    g->pending = -1;
    struct config *c = config_current();
    if (c) {
        g->config_load_time = c->loaded_at;
        g->pending = queue_pending_count(c->spool_dir, &g->oldest_pending_age);
    }
    config_unref(c);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static bool kicked;

void metrics_kick(void)
{
    pthread_mutex_lock(&lock);
    kicked = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

static void *thread(void *arg)
{
    (void)arg;
    bool failing = false;
    for (;;) {
        struct config *c = config_current();
        char *path = c && c->metrics_file ? str_dup(c->metrics_file) : NULL;
        config_unref(c);
        if (path) {
            struct metrics_gauges g;
            metrics_gauges_now(&g);
            if (!metrics_write(path, &g)) {
                if (!failing)
                    log_err("MetricsFile %s: cannot write: %s (retrying every %d s, quietly)",
                            path, strerror(errno), METRICS_INTERVAL);
                failing = true;
            } else if (failing) {
                log_info("MetricsFile %s: written again", path);
                failing = false;
            }
        }
        free(path);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += METRICS_INTERVAL;
        pthread_mutex_lock(&lock);
        while (!kicked)
            if (pthread_cond_timedwait(&wake, &lock, &ts) != 0)
                break;
        kicked = false;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

bool metrics_start(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, thread, NULL) != 0) {
        log_err("cannot start the metrics thread");
        return false;
    }
    pthread_detach(th);
    return true;
}
