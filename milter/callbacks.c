/*
 * callbacks - see callbacks.h for the contract (fail open: safety rule 8).
 *
 * Round trips: only the steps that can decide something are answered. When the MTA offers
 * them, acm-milter asks it not to send the connect, HELO, MAIL FROM and unknown-command steps
 * (SMFIP_NOCONNECT, NOHELO, NOMAIL, NOUNKNOWN: nothing there is used; a message's state
 * starts at its first recipient) and not to wait for a reply to RCPT and each header
 * (SMFIP_NR_RCPT, NR_HDR: they only record what they see and would always answer CONTINUE;
 * NR_MAIL too, for an MTA that sends MAIL FROM anyway). DATA is answered (ACCEPT when no
 * recipient is watched), so is end of headers (ACCEPT when the headers rule the message out),
 * each body chunk (SKIP once over MaxMessageSize) and end of message. A failure of our own
 * at a message's start (no memory, no configuration) is answered at DATA, which accepts the
 * message unfiltered.
 * Measured with Postfix 3.7 over inet and unix sockets (bench/run.sh, one SMTP session of
 * 200 messages): no message waits for a delayed ACK.
 */
#include "callbacks.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evaluate.h"
#include "log.h"
#include "mem.h"
#include "mime.h"
#include "notify.h"
#include "policy.h"
#include "queue.h"
#include "stats.h"
#include "util.h"

#define HDR_NAME "X-ACM-Milter"
#define MAX_RCPTS 1000

struct msg {
    struct config *cfg;
    struct envelope env;
    bool watched;
    struct sbuf raw;
    size_t charged;          /* bytes of the process-wide budget held by raw (mem.h) */
    bool too_large;
    bool busy;               /* the budget was full: not buffered (too-large detail=busy) */
    bool rcpt_limit;         /* a recipient not noted (over MAX_RCPTS, or too long): the
                              * message is not examined, and says so (too-large
                              * detail=recipients), since the one not noted may be watched */
    size_t nhdrs;
    int existing;            /* X-ACM-Milter fields that came with the message */
    struct mime_from from;   /* the From list read at end of headers, for end of message */
    char qid[64];            /* the MTA's queue id when the message started, if it had one */
};

struct conn {
    struct msg *msg;
    bool unfiltered_msg;     /* this message could not be given state: accepted at DATA */
    unsigned long actions;   /* negotiated */
    unsigned long steps;
};

static const char *qid_of(SMFICTX *ctx)
{
    const char *q = smfi_getsymval(ctx, "i");
    return q && *q ? q : "NOQUEUE";
}

static atomic_int in_progress;   /* messages between their start and their end */

int callbacks_in_progress(void)
{
    return atomic_load(&in_progress);
}

static void msg_free(struct msg *m)
{
    if (!m)
        return;
    atomic_fetch_sub(&in_progress, 1);
    config_unref(m->cfg);
    strlist_free(&m->env.rcpts);
    sbuf_free(&m->raw);
    mime_from_free(&m->from);
    mem_release(m->charged);
    free(m);
}

/* Stops buffering a message that will not be evaluated (too large, or the budget is full):
 * its buffer is given back now, not at end of message. */
static void drop_buffer(struct msg *m, bool busy)
{
    m->too_large = true;
    m->busy = m->busy || busy;
    sbuf_free(&m->raw);
    sbuf_init(&m->raw, 1);
    mem_release(m->charged);
    m->charged = 0;
}

/* Appends to the message buffer, charged against the process-wide budget (in steps of
 * 64 KiB). False when the message is no longer buffered. */
static bool buffer(struct msg *m, const char *s, size_t n)
{
    if (m->too_large)
        return false;
    size_t need = (m->raw.len + n) * MEM_CHARGE;
    if (need > m->charged) {
        size_t step = (size_t)64 << 10;
        size_t want = (need + step - 1) / step * step - m->charged;
        if (!mem_reserve(want, mem_budget((size_t)m->cfg->max_message_size))) {
            drop_buffer(m, true);
            return false;
        }
        m->charged += want;
    }
    if (!sbuf_append(&m->raw, s, n)) {
        drop_buffer(m, false);
        return false;
    }
    return true;
}

/* The private data of a connection negotiated without the memory for its own: that
 * connection is accepted unfiltered at connect, and conn_of() never returns it. */
static struct conn unfiltered;

static struct conn *conn_of(SMFICTX *ctx)
{
    struct conn *c = smfi_getpriv(ctx);
    return c == &unfiltered ? NULL : c;
}

/* Steps and replies asked for when the MTA offers them: see the comment at the top. */
#define STEPS_WANTED                                                                        \
    (SMFIP_SKIP | SMFIP_HDR_LEADSPC | SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |    \
     SMFIP_NOMAIL | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR)

/* The answer of a step: none when its no-reply flag was negotiated, else r. */
static sfsistat reply(const struct conn *c, unsigned long nr_flag, sfsistat r)
{
    return c && (c->steps & nr_flag) ? SMFIS_NOREPLY : r;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    (void)f2, (void)f3;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        /* Fail open: anything but CONTINUE at negotiation makes libmilter abort the
         * connection, and the MTA then applies its default action for a failed milter
         * (Postfix: tempfail). So negotiate no action at all, and let cb_connect accept the
         * connection: its mail passes untouched. */
        log_err("out of memory at connect: this connection is not filtered");
        *pf0 = 0;
        *pf1 = 0;
        *pf2 = 0;
        *pf3 = 0;
        smfi_setpriv(ctx, &unfiltered);
        return SMFIS_CONTINUE;
    }
    c->actions = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS);
    c->steps = f1 & STEPS_WANTED;
    *pf0 = c->actions;
    *pf1 = c->steps;
    *pf2 = 0;
    *pf3 = 0;
    smfi_setpriv(ctx, c);
    return SMFIS_CONTINUE;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)host, (void)addr;   /* Postfix may pass NULL for local submissions */
    if (smfi_getpriv(ctx) == &unfiltered) {   /* negotiated without memory */
        smfi_setpriv(ctx, NULL);
        return SMFIS_ACCEPT;
    }
    if (!conn_of(ctx)) {      /* an MTA that skipped negotiation */
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
            log_err("out of memory at connect: this connection is not filtered");
            return SMFIS_ACCEPT;
        }
        smfi_setpriv(ctx, c);
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
    (void)helo;
    return reply(conn_of(ctx), SMFIP_NR_HELO, SMFIS_CONTINUE);
}

/* Starts the state of a new message: at MAIL FROM, or at its first recipient when the MTA
 * does not send MAIL FROM (SMFIP_NOMAIL). False after a failure of our own (logged): the
 * message then has no state and is accepted unfiltered at DATA. */
static bool msg_start(SMFICTX *ctx, struct conn *c)
{
    msg_free(c->msg);
    c->msg = calloc(1, sizeof(*c->msg));
    if (!c->msg) {
        log_err("%s: out of memory at the start of a message: message accepted unfiltered",
                qid_of(ctx));
        c->unfiltered_msg = true;
        return false;
    }
    atomic_fetch_add(&in_progress, 1);
    struct msg *m = c->msg;
    stats_seen();
    m->cfg = config_current();
    if (!m->cfg) {
        log_err("%s: no configuration loaded: message accepted unfiltered", qid_of(ctx));
        msg_free(m);
        c->msg = NULL;
        c->unfiltered_msg = true;
        return false;
    }
    const char *q = smfi_getsymval(ctx, "i");
    if (q && strlen(q) < sizeof(m->qid))
        str_copy(m->qid, sizeof(m->qid), q);
    return true;
}

/* Only when the MTA sends MAIL FROM after all (it did not grant SMFIP_NOMAIL): a new
 * message starts here. The sender is not used for any decision. */
static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    (void)argv;
    struct conn *c = conn_of(ctx);
    if (!c)
        return reply(c, SMFIP_NR_MAIL, SMFIS_ACCEPT);
    c->unfiltered_msg = false;
    if (!msg_start(ctx, c))
        return reply(c, SMFIP_NR_MAIL, SMFIS_ACCEPT);
    return reply(c, SMFIP_NR_MAIL, SMFIS_CONTINUE);
}

/* True when the recipient in progress belongs to another message than c->msg: the MTA's
 * queue id changed (a transaction that ended without an abort; both MTAs send one, this is
 * a second guard). A queue id that appears only now is recorded. */
static bool another_message(SMFICTX *ctx, struct msg *m)
{
    const char *q = smfi_getsymval(ctx, "i");
    if (!q || !*q || strlen(q) >= sizeof(m->qid))
        return false;
    if (!m->qid[0]) {
        str_copy(m->qid, sizeof(m->qid), q);
        return false;
    }
    return strcmp(q, m->qid) != 0;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct conn *c = conn_of(ctx);
    if (!c || c->unfiltered_msg || !argv || !argv[0])
        return reply(c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
    if ((!c->msg || another_message(ctx, c->msg)) && !msg_start(ctx, c))
        return reply(c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
    struct msg *m = c->msg;
    char tmp[512];
    if (strlen(argv[0]) >= sizeof(tmp) || m->env.rcpts.n >= MAX_RCPTS) {
        m->rcpt_limit = true;   /* a limit is a refusal: one line at end of message */
        m->watched = true;
        return reply(c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
    }
    str_copy(tmp, sizeof(tmp), argv[0]);
    char *s = tmp;
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
        s[n - 1] = '\0';
        s++;
    }
    if (!strlist_add(&m->env.rcpts, s))
        log_err("%s: out of memory noting a recipient", qid_of(ctx));
    else if (config_watched_rcpt(m->cfg, s))
        m->watched = true;
    /* Never ACCEPT here: that would accept the whole message for every recipient. */
    return reply(c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
}

static void finish(SMFICTX *ctx, struct conn *c)
{
    (void)ctx;
    msg_free(c->msg);
    c->msg = NULL;
    c->unfiltered_msg = false;
}

static sfsistat cb_data(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    if (!c || !c->msg || !c->msg->watched) {
        if (c && c->msg && c->msg->cfg->log_debug)
            log_debug("%s: decision=ignore reason=not-watched", qid_of(ctx));
        if (c)
            finish(ctx, c);   /* the message ends here for us: the next one starts afresh */
        return SMFIS_ACCEPT;
    }
    sbuf_init(&c->msg->raw, (size_t)c->msg->cfg->max_message_size);
    if (c->msg->rcpt_limit)
        drop_buffer(c->msg, false);   /* not examined: nothing to buffer */
    stats_watched();
    return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    struct conn *c = conn_of(ctx);
    if (!c || !c->msg || !name || !value)
        return reply(c, SMFIP_NR_HDR, SMFIS_CONTINUE);
    struct msg *m = c->msg;
    m->nhdrs++;
    if (str_ieq(name, HDR_NAME))
        m->existing++;
    if (m->nhdrs > MIME_MAX_HEADERS && !m->too_large)
        drop_buffer(m, false);
    if (!m->too_large) {
        const char *sep = (c->steps & SMFIP_HDR_LEADSPC) ? ":" : ": ";
        (void)(buffer(m, name, strlen(name)) && buffer(m, sep, strlen(sep)) &&
               buffer(m, value, strlen(value)) && buffer(m, "\r\n", 2));
    }
    return reply(c, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

static void log_decision(const char *qid, const struct decision *d)
{
    struct kvline kv;
    kv_init(&kv);
    decision_format(d, &kv);
    log_info("%s: %s", qid, kv.buf);
}

static sfsistat cb_eoh(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    if (!c || !c->msg)
        return SMFIS_ACCEPT;
    struct msg *m = c->msg;
    buffer(m, "\r\n", 2);
    /* The decision evaluate() would take first, on the same header fields (so the log line
     * is the one of `-t`). Not when X-ACM-Milter fields came with the message: they are
     * removed at end of message. Not when too large: end of message says so. */
    struct decision d;
    if (m->existing == 0 && !m->too_large &&
        evaluate_headers_from(m->cfg, &m->env, m->raw.data, m->raw.len, &d, &m->from)) {
        log_decision(qid_of(ctx), &d);
        stats_decision(&d);
        finish(ctx, c);
        return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct conn *c = conn_of(ctx);
    if (!c || !c->msg)
        return SMFIS_CONTINUE;
    struct msg *m = c->msg;
    if (m->too_large || !buffer(m, (const char *)chunk, len))
        return (c->steps & SMFIP_SKIP) ? SMFIS_SKIP : SMFIS_CONTINUE;
    return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    if (!c || !c->msg)
        return SMFIS_ACCEPT;
    struct msg *m = c->msg;
    const char *qid = qid_of(ctx);   /* looked up again: Postfix assigns it late */

    /* Never trust an X-ACM-Milter field that came with the message. */
    if (m->existing && (c->actions & SMFIF_CHGHDRS)) {
        for (int i = m->existing; i >= 1; i--)
            if (smfi_chgheader(ctx, HDR_NAME, i, NULL) != MI_SUCCESS)
                log_warn("%s: could not remove an incoming %s field", qid, HDR_NAME);
    }
    struct decision d;
    evaluate_from(m->cfg, &m->env, m->raw.data ? m->raw.data : "", m->raw.len, m->too_large,
                  &m->from, &d);
    if (m->rcpt_limit)
        str_copy(d.detail, sizeof(d.detail), "recipients");   /* too-large: see rcpt_limit */
    else if (m->busy)
        str_copy(d.detail, sizeof(d.detail), "busy");   /* too-large: the budget was full */
    log_decision(qid, &d);
    stats_decision(&d);
    notify_decision(m->cfg, qid, &d);   /* only enqueues: the notice is sent elsewhere */
    if (d.recognized && m->cfg->add_header && (c->actions & SMFIF_ADDHDRS)) {
        struct kvline kv;
        kv_init(&kv);
        decision_header(&d, &kv);
        char value[KV_MAX + 2];
        /* with SMFIP_HDR_LEADSPC the MTA adds no space after the colon: we do */
        snprintf(value, sizeof(value), "%s%s", (c->steps & SMFIP_HDR_LEADSPC) ? " " : "",
                 kv.buf);
        if (smfi_addheader(ctx, HDR_NAME, value) != MI_SUCCESS)
            log_warn("%s: could not add the %s field", qid, HDR_NAME);
    }
    if (d.verdict == V_APPROVE)
        queue_submit(m->cfg, qid, &d);
    memset(&d.f.code, 0, sizeof(d.f.code));
    memset(&d.f.context, 0, sizeof(d.f.context));
    finish(ctx, c);
    return SMFIS_ACCEPT;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    if (c)
        finish(ctx, c);
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct conn *c = conn_of(ctx);
    if (c) {
        msg_free(c->msg);
        free(c);
    }
    smfi_setpriv(ctx, NULL);   /* also the unfiltered mark */
    return SMFIS_CONTINUE;
}

static sfsistat cb_unknown(SMFICTX *ctx, const char *cmd)
{
    (void)cmd;
    return reply(conn_of(ctx), SMFIP_NR_UNKN, SMFIS_CONTINUE);
}

struct smfiDesc acm_milter_desc = {
    .xxfi_name = "acm-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_unknown = cb_unknown,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};
