/*
 * queue - see queue.h for the contract.
 *
 * Layout of SpoolDir: tmp/ (files being written), pending/KEY.req (work), done/KEY.req
 * (history: approved, already-approved, expired, failed, dry-run), pages/KEY-TIME.html
 * (approval pages kept for the operator). One mutex serializes the spool between the milter
 * threads (submit) and the worker; the network exchange runs without it.
 */
#include "queue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approver.h"
#include "log.h"
#include "notify.h"
#include "stats.h"

#define RETRY_CAP 3600L
#define WORKER_IDLE 5      /* seconds between spool scans when nothing is due */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

/* ---- entry files -------------------------------------------------------------------- */

static bool fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static bool write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* ---- submit ------------------------------------------------------------------------- */

/* `QID: approval=WHAT domain= arn= attempt= [mid] req= [extra]` */
static void approval_line2(const struct request *r, const char *what, const char *mid,
                           const char *extra)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "approval", what);
    kv_add(&kv, "domain", r->domain);
    kv_add(&kv, "arn", r->arn);
    if (r->attempts)
        kv_addf(&kv, "attempt", "%d", r->attempts);
    if (mid) {
        if (kv.len + strlen(mid) + 2 < KV_MAX) {
            kv.buf[kv.len++] = ' ';
            memcpy(kv.buf + kv.len, mid, strlen(mid) + 1);
            kv.len += strlen(mid);
        }
    }
    char req[9];
    digest8(r->code, r->context, req);
    kv_add(&kv, "req", req);
    char line[KV_MAX + 4900];
    snprintf(line, sizeof(line), "%s: %s%s%s", r->qid[0] ? r->qid : "NOQUEUE", kv.buf,
             extra ? " " : "", extra ? extra : "");
    log_info("%s", line);
    stats_approval(what);
    notify_approval(r, what, line);   /* failed, expired: a person must act */
}

static void approval_line(const struct request *r, const char *what, const char *extra)
{
    approval_line2(r, what, NULL, extra);
}

void queue_submit(const struct config *c, const char *qid, const struct decision *d)
{
    struct request r;
    memset(&r, 0, sizeof(r));
    request_key(d->f.code, d->f.context, r.key);
    bool dry = c->mode == MODE_DRY_RUN;
    str_copy(r.state, sizeof(r.state), dry ? "dry-run" : "pending");
    r.created = r.updated = r.next = (long)time(NULL);
    str_copy(r.qid, sizeof(r.qid), qid);
    str_copy(r.domain, sizeof(r.domain), d->f.fqdn);
    str_copy(r.requested_domain, sizeof(r.requested_domain), d->f.requested_domain);
    str_copy(r.account, sizeof(r.account), d->f.account);
    str_copy(r.region, sizeof(r.region), d->f.region);
    str_copy(r.arn, sizeof(r.arn), d->f.arn_text);
    str_copy(r.code, sizeof(r.code), d->f.code);
    str_copy(r.context, sizeof(r.context), d->f.context);

    char pend[4200], done[4200];
    spool_path(pend, sizeof(pend), c->spool_dir, SF_PENDING, r.key);
    spool_path(done, sizeof(done), c->spool_dir, SF_DONE, r.key);
    struct stat st;
    pthread_mutex_lock(&lock);
    if (lstat(pend, &st) == 0 || lstat(done, &st) == 0) {
        pthread_mutex_unlock(&lock);
        approval_line(&r, "duplicate", NULL);
        return;
    }
    bool ok = request_write(c->spool_dir, dry ? SF_DONE : SF_PENDING, &r);
    int saved = errno;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    if (!ok) {
        char e[160];
        snprintf(e, sizeof(e), "detail=spool-write error=\"%s\" action=\"approve by hand\"",
                 strerror(saved));
        approval_line(&r, "failed", e);
        log_err("%s: cannot write the approval queue in %s: %s", qid, c->spool_dir,
                strerror(saved));
        return;
    }
    approval_line(&r, "queued", dry ? "mode=dry-run" : NULL);
    memset(&r, 0, sizeof(r));
}

/* ---- worker ------------------------------------------------------------------------- */

static long backoff(const struct config *c, int attempts)
{
    long d = c->retry_interval;
    for (int i = 1; i < attempts && d < RETRY_CAP; i++)
        d *= 2;
    if (d > RETRY_CAP)
        d = RETRY_CAP;
    long jitter = d / 5;
    if (jitter > 0)
        d += g_random_int_range((gint32)-jitter, (gint32)jitter + 1);
    return d < 1 ? 1 : d;
}

static void keep_page(const struct config *c, const struct request *r, const struct sbuf *page,
                      char *path, size_t pathsz)
{
    path[0] = '\0';
    if (!page->len)
        return;
    snprintf(path, pathsz, "%s/pages/%s-%ld.html", c->spool_dir, r->key, (long)time(NULL));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || !write_all(fd, page->data, page->len)) {
        log_warn("%s: cannot keep the approval page in %s: %s", r->qid, path, strerror(errno));
        path[0] = '\0';
    }
    if (fd >= 0)
        close(fd);
}

/* Moves a finished entry to done/ (write there, then remove from pending/). */
static void finish(const struct config *c, struct request *r, const char *state)
{
    char dir[4200], pend[4200];
    str_copy(r->state, sizeof(r->state), state);
    r->updated = (long)time(NULL);
    r->next = 0;
    spool_path(pend, sizeof(pend), c->spool_dir, SF_PENDING, r->key);
    pthread_mutex_lock(&lock);
    if (!request_write(c->spool_dir, SF_DONE, r))
        log_err("%s: cannot record the end of an approval in %s/done: %s", r->qid,
                c->spool_dir, strerror(errno));
    else {
        unlink(pend);
        spool_path(dir, sizeof(dir), c->spool_dir, SF_PENDING, NULL);
        fsync_dir(dir);
    }
    pthread_mutex_unlock(&lock);
}

/* Works one entry; returns when it is due again (0: finished). */
static long work_one(const struct config *c, struct request *r)
{
    long now = (long)time(NULL);
    if (now - r->created > c->max_age) {
        str_copy(r->detail, sizeof(r->detail), "max-age");
        finish(c, r, "expired");
        approval_line(r, "expired", "detail=max-age");
        return 0;
    }
    r->attempts++;
    struct approval_outcome o;
    approver_run(c, r, &o);
    str_copy(r->detail, sizeof(r->detail), o.detail);
    char extra[4800];
    switch (o.v) {
    case AV_APPROVED:
        finish(c, r, "approved");
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line(r, "approved", o.detail[0] ? extra : NULL);
        break;
    case AV_ALREADY:
        finish(c, r, "already-approved");
        approval_line(r, "already-approved", NULL);
        break;
    case AV_EXPIRED:
        finish(c, r, "expired");
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line(r, "expired", extra);
        break;
    case AV_FAILED: {
        char page[4300];
        keep_page(c, r, &o.page, page, sizeof(page));
        finish(c, r, "failed");
        snprintf(extra, sizeof(extra),
                 "detail=%s%s%s action=\"%s\"", o.detail, page[0] ? " page=" : "", page,
                 o.action ? o.action : "a human must check this request in the ACM console");
        approval_line(r, "failed", extra);
        break;
    }
    case AV_RETRY: {
        long wait = backoff(c, r->attempts);
        r->next = now + wait;
        r->updated = now;
        if (r->next - r->created > c->max_age)
            r->next = r->created + c->max_age + 1;
        pthread_mutex_lock(&lock);
        bool ok = request_write(c->spool_dir, SF_PENDING, r);
        pthread_mutex_unlock(&lock);
        if (!ok)
            log_err("%s: cannot update the approval queue: %s", r->qid, strerror(errno));
        char mid[32];
        snprintf(mid, sizeof(mid), "next=%ld", wait);
        snprintf(extra, sizeof(extra), "detail=%s", o.detail);
        approval_line2(r, "retry", mid, extra);
        break;
    }
    }
    approval_outcome_free(&o);
    memset(r->code, 0, sizeof(r->code));
    memset(r->context, 0, sizeof(r->context));
    return o.v == AV_RETRY ? r->next : 0;
}

static void prune(const struct config *c)
{
    long now = (long)time(NULL);
    for (int k = 0; k < 2; k++) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/%s", c->spool_dir, k ? "pages" : "done");
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[4500];
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            struct stat st;
            if (stat(p, &st) == 0 && now - (long)st.st_mtime > QUEUE_HISTORY)
                unlink(p);
        }
        closedir(d);
    }
}

/* One pass over pending/: works every due entry; returns seconds until the next is due. */
static long pass(const struct config *c)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/pending", c->spool_dir);
    DIR *d = opendir(dir);
    if (!d)
        return WORKER_IDLE;
    struct strlist names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (g_str_has_suffix(e->d_name, ".req"))
            strlist_add(&names, e->d_name);
    closedir(d);
    long soonest = WORKER_IDLE;
    for (size_t i = 0; i < names.n; i++) {
        struct request r;
        const char *why;
        if (request_load(c->spool_dir, SF_PENDING, names.v[i], &r, &why) != LOAD_OK) {
            log_warn("unreadable approval queue entry %s/%s (%s): left for the operator", dir,
                     names.v[i], why);
            continue;
        }
        long now = (long)time(NULL);
        long due = r.next;
        if (r.next <= now || now - r.created > c->max_age)
            due = work_one(c, &r);   /* a retried entry counts with its new time */
        now = (long)time(NULL);
        if (due && due - now < soonest)
            soonest = due - now;
        memset(&r, 0, sizeof(r));
    }
    strlist_free(&names);
    return soonest < 1 ? 1 : soonest;
}

static void *worker(void *arg)
{
    (void)arg;
    time_t last_prune = 0;
    for (;;) {
        struct config *c = config_current();
        long wait = WORKER_IDLE;
        if (c && c->mode == MODE_APPROVE)
            wait = pass(c);
        if (c && time(NULL) - last_prune > 3600) {
            prune(c);
            last_prune = time(NULL);
        }
        config_unref(c);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait;
        pthread_mutex_lock(&lock);
        pthread_cond_timedwait(&wake, &lock, &ts);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

bool queue_prepare(const char *spool, bool give_to, uid_t uid, gid_t gid)
{
    for (int i = -1; i < SF_COUNT; i++) {
        char p[4200];
        if (i < 0)
            str_copy(p, sizeof(p), spool);
        else
            spool_path(p, sizeof(p), spool, (enum spool_folder)i, NULL);
        if ((mkdir(p, 0700) != 0 && errno != EEXIST) || (give_to && chown(p, uid, gid) != 0)) {
            log_err("SpoolDir %s: %s", p, strerror(errno));
            return false;
        }
    }
    return true;
}

bool queue_start(const struct config *c)
{
    if (!queue_prepare(c->spool_dir, false, 0, 0))
        return false;
    for (int i = 0; i < SF_COUNT; i++) {
        char p[4200];
        spool_path(p, sizeof(p), c->spool_dir, (enum spool_folder)i, NULL);
        if (access(p, W_OK) != 0) {
            log_err("SpoolDir %s is not writable: %s", p, strerror(errno));
            return false;
        }
    }
    pthread_t th;
    if (pthread_create(&th, NULL, worker, NULL) != 0)
        return false;
    pthread_detach(th);
    return true;
}

/* ---- operator view ------------------------------------------------------------------ */

static void iso(long t, char *out, size_t sz)
{
    if (!t) {
        str_copy(out, sz, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int queue_list(const char *spool, FILE *out)
{
    int n = 0;
    bool any_dir = false;
    for (int k = 0; k < 2; k++) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/%s", spool, k ? "done" : "pending");
        DIR *d = opendir(dir);
        if (!d)
            continue;
        any_dir = true;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!g_str_has_suffix(e->d_name, ".req"))
                continue;
            struct request r;
            const char *why;
            if (request_load(spool, k ? SF_DONE : SF_PENDING, e->d_name, &r, &why) != LOAD_OK) {
                fprintf(out, "unreadable %s/%s detail=%s\n", dir, e->d_name, why);
                continue;
            }
            char next[32], created[32], req[9];
            iso(strcmp(r.state, "pending") == 0 ? r.next : 0, next, sizeof(next));
            iso(r.created, created, sizeof(created));
            digest8(r.code, r.context, req);
            fprintf(out, "%s %s %s attempts=%d next=%s created=%s req=%s%s%s\n", r.state,
                    r.domain, r.arn, r.attempts, next, created, req, r.detail[0] ? " detail=" : "",
                    r.detail);
            memset(&r, 0, sizeof(r));
            n++;
        }
        closedir(d);
    }
    return any_dir ? n : -1;
}

long queue_pending_count(const char *spool, long *oldest)
{
    if (oldest)
        *oldest = 0;
    char dir[4200];
    if (!spool_path(dir, sizeof(dir), spool, SF_PENDING, NULL))
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0, first = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct request r;
        const char *why;
        if (request_load(spool, SF_PENDING, e->d_name, &r, &why) != LOAD_OK)
            continue;
        if (strcmp(r.state, "pending") == 0) {
            n++;
            if (!first || r.created < first)
                first = r.created;
        }
        explicit_bzero(&r, sizeof(r));
    }
    closedir(d);
    if (oldest && first) {
        long age = (long)time(NULL) - first;
        *oldest = age > 0 ? age : 0;
    }
    return n;
}
