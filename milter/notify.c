/*
 * notify - see notify.h for the contract.
 *
 * The milter threads and the queue worker only append to `q` (a ring of pointers under one
 * mutex, held for a copy); the notify thread alone owns the state file and runs the command.
 */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stats.h"

/* ---- what needs a person ------------------------------------------------------------ */

static const struct {
    enum notify_what w;
    const char *outcome, *action;
} kinds[] = {
    {NW_APPROVAL_FAILED, "approval-failed", "approve by hand"},
    {NW_APPROVAL_EXPIRED, "approval-expired", "resend the validation e-mail"},
    {NW_DENY_NOT_ALLOWLISTED, "deny-not-allowlisted", "check a certificate request"},
    {NW_DENY_DOMAIN_MISMATCH, "deny-domain-mismatch", "check a certificate request"},
    {NW_DENY_DKIM_DNS_FAILURE, "deny-dkim-dns-failure", "approve by hand"},
};

const char *notify_outcome(enum notify_what w)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].w == w)
            return kinds[i].outcome;
    return "none";
}

const char *notify_action(enum notify_what w)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].w == w)
            return kinds[i].action;
    return "check";
}

/* Copies a value that came from a message or the MTA: no control or 8-bit bytes, so that
 * nothing can break a header line or the body's layout. */
static void clean(char *dst, size_t dstsz, const char *src)
{
    str_sanitize(dst, dstsz, src ? src : "", dstsz - 1);
}

bool notify_from_decision(const struct decision *d, const char *qid, struct notice *n)
{
    memset(n, 0, sizeof(*n));
    if (d->verdict != V_DENY || !d->reason || !d->f.fqdn[0])
        return false;
    if (strcmp(d->reason, "not-allowlisted") == 0 && d->authenticated)
        n->what = NW_DENY_NOT_ALLOWLISTED;
    else if (strcmp(d->reason, "domain-mismatch") == 0 && d->authenticated)
        n->what = NW_DENY_DOMAIN_MISMATCH;
    else if (strcmp(d->reason, "unauthenticated") == 0 &&
             strcmp(d->detail, "dkim-dns-failure") == 0)
        n->what = NW_DENY_DKIM_DNS_FAILURE;
    else
        return false;
    if (d->f.code[0] || d->f.context[0])
        digest_hex(d->f.code, d->f.context, n->key, sizeof(n->key));
    else
        digest_hex(qid, d->f.arn_text, n->key, sizeof(n->key));
    str_copy(n->req, sizeof(n->req), n->key);
    n->when = (long)time(NULL);
    clean(n->qid, sizeof(n->qid), qid);
    clean(n->domain, sizeof(n->domain), d->f.fqdn);
    clean(n->account, sizeof(n->account), d->f.account);
    clean(n->region, sizeof(n->region), d->f.region);
    clean(n->arn, sizeof(n->arn), d->f.arn_text);
    clean(n->rcpt, sizeof(n->rcpt), d->rcpt);
    clean(n->detail, sizeof(n->detail), d->detail);
    struct kvline kv;
    kv_init(&kv);
    decision_format(d, &kv);
    char line[sizeof(n->line)];
    snprintf(line, sizeof(line), "%s: %s", n->qid, kv.buf);
    clean(n->line, sizeof(n->line), line);
    return true;
}

bool notify_from_request(const struct request *r, const char *outcome, const char *line,
                         struct notice *n)
{
    memset(n, 0, sizeof(*n));
    if (strcmp(outcome, "failed") == 0)
        n->what = NW_APPROVAL_FAILED;
    else if (strcmp(outcome, "expired") == 0)
        n->what = NW_APPROVAL_EXPIRED;
    else
        return false;
    str_copy(n->key, sizeof(n->key), r->key);
    str_copy(n->req, sizeof(n->req), r->key);
    n->when = (long)time(NULL);
    clean(n->qid, sizeof(n->qid), r->qid[0] ? r->qid : "NOQUEUE");
    clean(n->domain, sizeof(n->domain), r->domain);
    clean(n->account, sizeof(n->account), r->account);
    clean(n->region, sizeof(n->region), r->region);
    clean(n->arn, sizeof(n->arn), r->arn);
    clean(n->detail, sizeof(n->detail), r->detail);
    clean(n->line, sizeof(n->line), line);
    return true;
}

/* ---- the queue between the milter and the thread ------------------------------------ */

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qwake = PTHREAD_COND_INITIALIZER;
static struct notice *q[NOTIFY_QUEUE_MAX];
static size_t qhead, qlen;
static bool running;

static void log_notice(const struct notice *n, const char *result, const char *detail,
                       const char *extra)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "notify", result);
    if (detail)
        kv_add(&kv, "detail", detail);
    kv_add(&kv, "outcome", notify_outcome(n->what));
    kv_add(&kv, "domain", n->domain);
    if (n->arn[0])
        kv_add(&kv, "arn", n->arn);
    kv_add(&kv, "req", n->req);
    log_info("%s: %s%s%s", n->qid, kv.buf, extra && *extra ? " " : "", extra ? extra : "");
    stats_notice(result);
}

static void enqueue(const struct notice *n)
{
    struct notice *copy = malloc(sizeof(*copy));
    pthread_mutex_lock(&qlock);
    bool ok = running && copy && qlen < NOTIFY_QUEUE_MAX;
    if (ok) {
        *copy = *n;
        q[(qhead + qlen) % NOTIFY_QUEUE_MAX] = copy;
        qlen++;
        pthread_cond_signal(&qwake);
    }
    const char *why = !running ? "not-started" : copy ? "queue-full" : "no-memory";
    pthread_mutex_unlock(&qlock);
    if (!ok) {
        free(copy);
        log_notice(n, "suppressed", why, NULL);
    }
}

void notify_decision(const struct config *c, const char *qid, const struct decision *d)
{
    if (!c->notify_address.n)
        return;
    struct notice n;
    if (notify_from_decision(d, qid, &n))
        enqueue(&n);
}

void notify_approval(const struct request *r, const char *outcome, const char *line)
{
    struct config *c = config_current();
    bool on = c && c->notify_address.n;
    config_unref(c);
    struct notice n;
    if (on && notify_from_request(r, outcome, line, &n))
        enqueue(&n);
}

/* ---- state -------------------------------------------------------------------------- */

void notify_state_init(struct notify_state *st)
{
    memset(st, 0, sizeof(*st));
}

void notify_state_free(struct notify_state *st)
{
    free(st->seen);
    strlist_free(&st->held_names);
    memset(st, 0, sizeof(*st));
}

static bool word_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n < max && strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz-") == n;
}

static void add_seen(struct notify_state *st, const char *key, const char *outcome, long when)
{
    if (st->nseen == NOTIFY_SEEN_MAX) {   /* forget the oldest */
        memmove(st->seen, st->seen + 1, (st->nseen - 1) * sizeof(st->seen[0]));
        st->nseen--;
    }
    if (st->nseen == st->aseen) {
        struct notify_seen *p = grow_array(st->seen, &st->aseen, sizeof(*p), 64);
        if (!p)
            return;   /* a forgotten pair only risks a second notice */
        st->seen = p;
    }
    struct notify_seen *e = &st->seen[st->nseen++];
    str_copy(e->key, sizeof(e->key), key);
    str_copy(e->outcome, sizeof(e->outcome), outcome);
    e->when = when;
}

static void add_sent(struct notify_state *st, long t)
{
    if (st->nsent == NOTIFY_PER_HOUR) {
        memmove(st->sent, st->sent + 1, (NOTIFY_PER_HOUR - 1) * sizeof(st->sent[0]));
        st->nsent--;
    }
    st->sent[st->nsent++] = t;
}

bool notify_state_load(struct notify_state *st, const char *path)
{
    notify_state_free(st);
    /* only what it must be: no link followed, a regular file, at most NOTIFY_STATE_MAX */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > NOTIFY_STATE_MAX) {
        close(fd);
        errno = EINVAL;
        return false;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return false;
    }
    char line[600];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char key[80], out[40];
        long t, v;
        if (sscanf(line, "seen %79s %39s %ld", key, out, &t) == 3) {
            if (strlen(key) == 64 && word_ok(key, 65) && word_ok(out, 32))
                add_seen(st, key, out, t);
        } else if (sscanf(line, "sent %ld", &t) == 1) {
            add_sent(st, t);
        } else if (sscanf(line, "held %ld", &v) == 1) {
            st->held = v < 0 ? 0 : v;
        } else if (strncmp(line, "name ", 5) == 0) {
            if (st->held_names.n < NOTIFY_HELD_NAMES) {
                char c2[512];
                clean(c2, sizeof(c2), line + 5);
                strlist_add(&st->held_names, c2);
            }
        }
    }
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

bool notify_state_save(const struct notify_state *st, const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return false;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return false;
    }
    fprintf(f, "acm-milter-notify 1\n");
    for (size_t i = 0; i < st->nseen; i++)
        fprintf(f, "seen %s %s %ld\n", st->seen[i].key, st->seen[i].outcome, st->seen[i].when);
    for (size_t i = 0; i < st->nsent; i++)
        fprintf(f, "sent %ld\n", st->sent[i]);
    fprintf(f, "held %ld\n", st->held);
    for (size_t i = 0; i < st->held_names.n; i++)
        fprintf(f, "name %s\n", st->held_names.v[i]);
    bool ok = fflush(f) == 0 && fsync(fd) == 0;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return false;
    }
    char dir[4200];
    str_copy(dir, sizeof(dir), path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return true;
}

static bool is_seen(const struct notify_state *st, const struct notice *n)
{
    const char *o = notify_outcome(n->what);
    for (size_t i = 0; i < st->nseen; i++)
        if (strcmp(st->seen[i].key, n->key) == 0 && strcmp(st->seen[i].outcome, o) == 0)
            return true;
    return false;
}

static void iso_time(long t, char *out, size_t sz)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, sz, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

enum notify_admit notify_state_admit(struct notify_state *st, const struct notice *n, long now)
{
    if (is_seen(st, n))
        return NA_DUPLICATE;
    size_t recent = 0;
    for (size_t i = 0; i < st->nsent; i++)
        if (now - st->sent[i] < 3600 && st->sent[i] <= now)
            recent++;
    if (recent >= NOTIFY_PER_HOUR) {
        st->held++;
        if (st->held_names.n < NOTIFY_HELD_NAMES) {
            char when[40], name[600];
            iso_time(n->when, when, sizeof(when));
            snprintf(name, sizeof(name), "%s: %s for %s (queue id %s, %s)", when,
                     notify_outcome(n->what), n->domain, n->qid, n->arn[0] ? n->arn : "no ARN");
            char c2[600];
            clean(c2, sizeof(c2), name);
            strlist_add(&st->held_names, c2);
        }
        add_seen(st, n->key, notify_outcome(n->what), now);   /* named in the next one */
        return NA_HELD;
    }
    add_sent(st, now);
    return NA_SEND;
}

void notify_state_done(struct notify_state *st, const struct notice *n, long now, bool sent)
{
    if (!sent)
        return;
    add_seen(st, n->key, notify_outcome(n->what), now);
    st->held = 0;
    strlist_free(&st->held_names);
}

/* ---- the message -------------------------------------------------------------------- */

static void rfc5322_date(long t, char *out, size_t sz)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, sz, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void what_happened(const struct notice *n, struct sbuf *b)
{
    switch (n->what) {
    case NW_APPROVAL_FAILED:
        sbuf_printf(b,
                    "acm-milter recognized and accepted an ACM validation request for %s,\n"
                    "but could not approve it (%s). The certificate stays pending\n"
                    "until a person approves it.\n",
                    n->domain, n->detail[0] ? n->detail : "failed");
        break;
    case NW_APPROVAL_EXPIRED:
        sbuf_printf(b,
                    "acm-milter accepted an ACM validation request for %s, but its\n"
                    "approval link expired before it could be used (%s). ACM will not\n"
                    "issue or renew the certificate until its domain is validated again.\n",
                    n->domain, n->detail[0] ? n->detail : "expired");
        break;
    case NW_DENY_NOT_ALLOWLISTED:
        sbuf_printf(b,
                    "An authenticated ACM validation request for %s arrived, but no\n"
                    "allowlist rule covers its certificate, so acm-milter did not approve it.\n"
                    "Either a rule is missing, or someone asked ACM for a certificate for\n"
                    "your domain from an account you do not list.\n",
                    n->domain);
        break;
    case NW_DENY_DOMAIN_MISMATCH:
        sbuf_printf(b,
                    "An authenticated ACM validation request for %s arrived for a\n"
                    "recipient whose domain it is not (%s), so acm-milter did not approve\n"
                    "it. Either the request is for a domain this host does not serve, or\n"
                    "someone is trying to validate a domain through the wrong mailbox.\n",
                    n->domain, n->rcpt[0] ? n->rcpt : "no watched recipient");
        break;
    case NW_DENY_DKIM_DNS_FAILURE:
        sbuf_printf(b,
                    "An ACM validation request for %s arrived, but the DNS look-up of\n"
                    "its DKIM key failed, so acm-milter could not tell that it comes from\n"
                    "Amazon and did not approve it.\n",
                    n->domain);
        break;
    case NW_NONE: break;
    }
}

static void what_to_do(const struct notice *n, struct sbuf *b)
{
    const char *to = n->rcpt[0] ? n->rcpt : "the watched address of the domain";
    switch (n->what) {
    case NW_APPROVAL_FAILED:
        sbuf_printf(b,
                    "Check in the ACM console (region %s) that you requested this\n"
                    "certificate. If you did, approve it by hand from the original message\n"
                    "(MTA queue id %s, delivered as usual to the domain's watched address):\n"
                    "open its approval link and confirm. If the line above names a page=,\n"
                    "that file is the approval page acm-milter saw.\n",
                    n->region[0] ? n->region : "?", n->qid);
        break;
    case NW_APPROVAL_EXPIRED:
        sbuf_printf(b,
                    "Ask ACM to send the validation e-mail again, then approve it (or let\n"
                    "acm-milter approve it, if the allowlist covers it):\n"
                    "  ACM console, certificate %s, \"Resend validation e-mail\", or\n"
                    "  aws acm resend-validation-email --region %s \\\n"
                    "      --certificate-arn %s \\\n"
                    "      --domain %s --validation-domain %s\n",
                    n->arn, n->region[0] ? n->region : "?", n->arn, n->domain, n->domain);
        break;
    case NW_DENY_NOT_ALLOWLISTED:
        sbuf_printf(b,
                    "If you (or your team) requested this certificate: approve it by hand from\n"
                    "the message delivered to %s (MTA queue id %s), and add this\n"
                    "rule to the allowlist so the next one is approved by itself:\n"
                    "  %s %s\n"
                    "If nobody did: do not approve it, and find out who controls AWS account\n"
                    "%s.\n",
                    to, n->qid, n->arn, n->domain, n->account[0] ? n->account : "?");
        break;
    case NW_DENY_DOMAIN_MISMATCH:
        sbuf_printf(b,
                    "Do not approve it unless you know why ACM sent it there. If it is\n"
                    "genuine, approve it by hand from the message delivered to %s\n"
                    "(MTA queue id %s), and check which addresses ACM uses for %s.\n",
                    to, n->qid, n->domain);
        break;
    case NW_DENY_DKIM_DNS_FAILURE:
        sbuf_printf(b,
                    "Check DNS resolution on the mail host (the look-up of the signer's\n"
                    "_domainkey record failed). Then approve the request by hand from the\n"
                    "message delivered to %s (MTA queue id %s) after checking\n"
                    "that it comes from Amazon, or ask ACM to send it again.\n",
                    to, n->qid);
        break;
    case NW_NONE: break;
    }
}

bool notify_format(const struct notice *n, const struct strlist *to, const char *host,
                   long now, const struct notify_state *st, struct sbuf *out)
{
    char date[64], h[256];
    rfc5322_date(now, date, sizeof(date));
    clean(h, sizeof(h), host && *host ? host : "localhost");
    /* a host name without a dot is no mail domain: a bare local part, which the MTA
     * qualifies with its own domain (Postfix: myorigin) as for any local submission */
    if (strchr(h, '.'))
        sbuf_printf(out, "From: acm-milter <acm-milter@%s>\n", h);
    else
        sbuf_puts(out, "From: acm-milter <acm-milter>\n");
    sbuf_puts(out, "To: ");
    for (size_t i = 0; i < to->n; i++) {
        char a[300];
        clean(a, sizeof(a), to->v[i]);
        sbuf_printf(out, "%s%s", i ? ", " : "", a);
    }
    sbuf_puts(out, "\n");
    sbuf_printf(out, "Subject: acm-milter: %s for %s\n", notify_action(n->what), n->domain);
    sbuf_printf(out, "Date: %s\n", date);
    static atomic_uint counter;
    sbuf_printf(out, "Message-ID: <acm-milter.%ld.%.12s.%u@%s>\n", now, n->key,
                atomic_fetch_add(&counter, 1), h);
    sbuf_puts(out, "Auto-Submitted: auto-generated\n"
                   "Precedence: bulk\n"
                   "MIME-Version: 1.0\n"
                   "Content-Type: text/plain; charset=us-ascii\n"
                   "Content-Transfer-Encoding: 7bit\n"
                   "\n");
    sbuf_puts(out, "What happened\n-------------\n");
    what_happened(n, out);
    char when[40];
    iso_time(n->when, when, sizeof(when));
    sbuf_printf(out,
                "\n"
                "  Domain:      %s\n"
                "  Account:     %s\n"
                "  Region:      %s\n"
                "  Certificate: %s\n"
                "  Recipient:   %s\n"
                "  Queue id:    %s (the original message, delivered as usual)\n"
                "  Request:     req=%s\n"
                "  When:        %s\n"
                "  Log line:    %s\n",
                n->domain, n->account[0] ? n->account : "-", n->region[0] ? n->region : "-",
                n->arn[0] ? n->arn : "-", n->rcpt[0] ? n->rcpt : "-", n->qid, n->req, when,
                n->line);
    sbuf_puts(out, "\nWhat to do\n----------\n");
    what_to_do(n, out);
    if (st && st->held > 0) {
        sbuf_printf(out,
                    "\nHeld back\n---------\n"
                    "%ld more notice%s held back by the limit of %d an hour:\n",
                    st->held, st->held == 1 ? " was" : "s were", NOTIFY_PER_HOUR);
        for (size_t i = 0; i < st->held_names.n; i++)
            sbuf_printf(out, "  %s\n", st->held_names.v[i]);
        if ((size_t)st->held > st->held_names.n)
            sbuf_printf(out, "  ... and %ld more (see the notify=suppressed lines in the log)\n",
                        st->held - (long)st->held_names.n);
    }
    sbuf_puts(out, "\nThe validation code and the approval link are only in the original\n"
                   "message; this notice never carries them.\n"
                   "-- \nacm-milter on ");
    sbuf_printf(out, "%s\n", h);
    return !out->overflow;
}

/* ---- the command -------------------------------------------------------------------- */

extern char **environ;

static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool notify_run(const struct strlist *argv, const char *data, size_t len, int timeout,
                char *detail, size_t detailsz, char *extra, size_t extrasz)
{
    detail[0] = extra[0] = '\0';
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        str_copy(detail, detailsz, "cannot-run");
        snprintf(extra, extrasz, "error=\"pipe: %s\"", strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0)
                close(in[i]);
            if (out[i] >= 0)
                close(out[i]);
        }
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);   /* milter sockets stay ours */
    posix_spawnattr_init(&at);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigfillset(&dfl);
    sigdelset(&dfl, SIGKILL);
    sigdelset(&dfl, SIGSTOP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    char **av = calloc(argv->n + 1, sizeof(char *));
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
    pid_t pid = -1;
    int rc = av ? 0 : ENOMEM;
    if (av) {
        for (size_t i = 0; i < argv->n; i++)
            av[i] = argv->v[i];
        rc = posix_spawn(&pid, av[0], &fa, &at, av, envp);
    }
    free(av);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        str_copy(detail, detailsz, "cannot-run");
        char e[200];
        snprintf(e, sizeof(e), "%s: %s", argv->v[0], strerror(rc));
        struct kvline kv;
        kv_init(&kv);
        kv_add(&kv, "error", e);
        str_copy(extra, extrasz, kv.buf);
        return false;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    size_t done = 0;
    bool write_failed = false, timed_out = false;
    char output[200];
    size_t olen = 0;
    long deadline = ms_now() + (long)timeout * 1000;
    int wfd = in[1], rfd = out[0];
    if (len == 0) {
        close(wfd);
        wfd = -1;
    }
    while (wfd >= 0 || rfd >= 0) {
        long left = deadline - ms_now();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p[2];
        int np = 0, wi = -1, ri = -1;
        if (wfd >= 0) {
            p[np] = (struct pollfd){.fd = wfd, .events = POLLOUT};
            wi = np++;
        }
        if (rfd >= 0) {
            p[np] = (struct pollfd){.fd = rfd, .events = POLLIN};
            ri = np++;
        }
        int r = poll(p, (nfds_t)np, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if (wi >= 0 && p[wi].revents) {
            ssize_t w = write(wfd, data + done, len - done);
            if (w > 0)
                done += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                write_failed = true;
            if (done == len || write_failed) {
                close(wfd);
                wfd = -1;
            }
        }
        if (ri >= 0 && p[ri].revents) {
            char buf[512];
            ssize_t n = read(rfd, buf, sizeof(buf));
            if (n > 0) {
                size_t k = (size_t)n < sizeof(output) - 1 - olen ? (size_t)n
                                                                 : sizeof(output) - 1 - olen;
                memcpy(output + olen, buf, k);
                olen += k;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(rfd);
                rfd = -1;
            }
        }
    }
    if (wfd >= 0)
        close(wfd);
    if (rfd >= 0)
        close(rfd);
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && !timed_out) {
        if (ms_now() >= deadline) {
            timed_out = true;
            break;
        }
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    output[olen] = '\0';
    char first[200];
    str_copy(first, sizeof(first), output);
    first[strcspn(first, "\r\n")] = '\0';
    char shown[200];
    str_sanitize(shown, sizeof(shown), first, 160);
    struct kvline kv;
    kv_init(&kv);
    bool ok = false;
    if (timed_out) {
        str_copy(detail, detailsz, "timeout");
        kv_addf(&kv, "timeout", "%d", timeout);
    } else if (WIFSIGNALED(status)) {
        str_copy(detail, detailsz, "killed-by-signal");
        kv_addf(&kv, "signal", "%d", WTERMSIG(status));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        str_copy(detail, detailsz, "exit-status");
        kv_addf(&kv, "status", "%d", WEXITSTATUS(status));
    } else if (write_failed || done < len) {
        str_copy(detail, detailsz, "stdin-closed");
    } else {
        ok = true;
    }
    if (!ok && shown[0])
        kv_add(&kv, "output", shown);
    str_copy(extra, extrasz, kv.buf);
    return ok;
}

/* ---- the thread --------------------------------------------------------------------- */

static char state_path[4300];
static char from_host[256] = "localhost";

/* The host name of From: and Message-ID: gethostname(), once, in the notice thread (no DNS
 * look-up). */
static void find_host(void)
{
    char h[256] = "";
    if (gethostname(h, sizeof(h) - 1) != 0 || !h[0])
        return;
    h[sizeof(h) - 1] = '\0';
    str_copy(from_host, sizeof(from_host), h);
}

static void handle(struct notify_state *st, struct notice *n)
{
    struct config *c = config_current();
    if (!c || !c->notify_address.n) {   /* turned off by a reload meanwhile */
        log_notice(n, "suppressed", "notify-off", NULL);
        config_unref(c);
        return;
    }
    long now = (long)time(NULL);
    enum notify_admit a = notify_state_admit(st, n, now);
    if (a == NA_DUPLICATE) {
        log_notice(n, "suppressed", "duplicate", NULL);
    } else if (a == NA_HELD) {
        char extra[64];
        snprintf(extra, sizeof(extra), "limit=%d/hour held=%ld", NOTIFY_PER_HOUR, st->held);
        log_notice(n, "suppressed", "hourly-limit", extra);
    } else {
        struct sbuf msg;
        sbuf_init(&msg, 256 * 1024);
        bool ok = notify_format(n, &c->notify_address, from_host, now, st, &msg);
        char detail[40] = "no-memory", extra[400] = "";
        long held = st->held;
        if (ok)
            ok = notify_run(&c->notify_argv, msg.data, msg.len, NOTIFY_TIMEOUT, detail,
                            sizeof(detail), extra, sizeof(extra));
        sbuf_free(&msg);
        notify_state_done(st, n, (long)time(NULL), ok);
        struct kvline kv;
        kv_init(&kv);
        kv_add(&kv, "to", c->notify_address.v[0]);
        if (c->notify_address.n > 1)
            kv_addf(&kv, "more", "%zu", c->notify_address.n - 1);
        if (ok && held)
            kv_addf(&kv, "held", "%ld", held);
        if (!ok && extra[0])
            kv_append(&kv, extra);
        log_notice(n, ok ? "sent" : "failed", ok ? NULL : detail, kv.buf);
    }
    if (!notify_state_save(st, state_path)) {
        static bool said;
        if (!said)
            log_warn("notify: cannot save %s: %s (notices may repeat after a restart)",
                     state_path, strerror(errno));
        said = true;
    }
    config_unref(c);
}

static void *thread(void *arg)
{
    (void)arg;
    find_host();
    struct notify_state st;
    notify_state_init(&st);
    if (!notify_state_load(&st, state_path))
        log_warn("notify: cannot read %s: %s (starting with an empty state)", state_path,
                 strerror(errno));
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qlen == 0)
            pthread_cond_wait(&qwake, &qlock);
        struct notice *n = q[qhead];
        qhead = (qhead + 1) % NOTIFY_QUEUE_MAX;
        qlen--;
        pthread_mutex_unlock(&qlock);
        handle(&st, n);
        free(n);
    }
    return NULL;
}

bool notify_prepare(const char *spool_dir, bool give_to, uid_t uid, gid_t gid)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/notify", spool_dir);
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || (give_to && chown(dir, uid, gid) != 0)) {
        log_err("SpoolDir %s: %s", dir, strerror(errno));
        return false;
    }
    return true;
}

bool notify_start(const char *spool_dir)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/notify", spool_dir);
    if (!notify_prepare(spool_dir, false, 0, 0))
        return false;
    if (access(dir, W_OK) != 0) {
        log_err("SpoolDir %s is not writable: %s", dir, strerror(errno));
        return false;
    }
    snprintf(state_path, sizeof(state_path), "%s/state", dir);
    pthread_t th;
    pthread_mutex_lock(&qlock);
    running = pthread_create(&th, NULL, thread, NULL) == 0;
    bool ok = running;
    pthread_mutex_unlock(&qlock);
    if (!ok) {
        log_err("notify: cannot start the notice thread");
        return false;
    }
    pthread_detach(th);
    return true;
}
