/* Unit tests: notices (which outcomes need a person, the message text, no secrets, hostile
 * field values), de-duplication, the hourly limit and the state file, the command runner
 * (argv without a shell, exit status, timeout, a program that does not read), the
 * configuration keys (NotifyAddress, NotifyCommand, MetricsFile with file:line) and the
 * metrics text. */
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evaluate.h"
#include "metrics.h"
#include "msg.h"
#include "notify.h"
#include "stats.h"
#include "t.h"

static char dir[] = "/tmp/acm-test-notify-XXXXXX";

static const char *path_in(const char *name)
{
    static char p[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_in(name), "w");
    fputs(text, f);
    fclose(f);
}

static struct config *conf(const char *extra, const char *allowlist, struct strlist *errs)
{
    write_file("al", allowlist);
    char text[2000];
    snprintf(text, sizeof(text), "AllowList %s\nTrustedAuthservIDs mx.example.com\n%s",
             path_in("al"), extra);
    write_file("c.conf", text);
    return config_load(path_in("c.conf"), errs);
}

static bool has_error(const struct strlist *errs, const char *needle)
{
    for (size_t i = 0; i < errs->n; i++)
        if (strstr(errs->v[i], needle))
            return true;
    return false;
}

static void decide(const struct config *c, const struct tm_opts *o, const char *rcpt,
                   struct decision *d)
{
    char *raw = tm_build(o);
    struct envelope env = {.sender = "bounce@bounces.certificates.amazon.com"};
    strlist_add(&env.rcpts, rcpt);
    evaluate(c, &env, raw, strlen(raw), false, d);
    strlist_free(&env.rcpts);
    g_free(raw);
}

/* the header section of a message: up to the first blank line */
static char *headers_of(const char *msg)
{
    const char *end = strstr(msg, "\n\n");
    return g_strndup(msg, end ? (size_t)(end - msg) : strlen(msg));
}

static void no_secrets(const char *text)
{
    CHECK(strstr(text, T_CODE) == NULL);
    CHECK(strstr(text, T_CTX) == NULL);
    CHECK(strstr(text, "code=") == NULL);
    CHECK(strstr(text, "context=") == NULL);
    CHECK(strstr(text, "approvals?") == NULL);
    CHECK(strstr(text, "acm-certificates.amazon.com") == NULL);
    /* nor a part of them long enough to matter */
    CHECK(strstr(text, "11e23c40-7a2b") == NULL);
    CHECK(strstr(text, "40b961461df5") == NULL);
}

static void test_config(void)
{
    struct strlist errs = {0};
    const char *al = "arn:aws:acm:us-east-1:123456789012:certificate/*\n";
    struct config *c = conf("", al, &errs);
    CHECK(c && c->notify_address.n == 0 && !c->metrics_file);
    CHECK(c && strcmp(c->notify_command, "/usr/sbin/sendmail -t -i") == 0);
    CHECK(c && c->notify_argv.n == 3 && strcmp(c->notify_argv.v[1], "-t") == 0);
    config_unref(c);

    char text[1200];
    snprintf(text, sizeof(text),
             "NotifyAddress ops@example.com, Certs.Team+acm@sub.example.org\n"
             "NotifyCommand /bin/sh -c 'cat > \"$0\"' %s\n"
             "MetricsFile %s\n",
             path_in("out"), path_in("acm.prom"));
    c = conf(text, al, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    CHECK(c != NULL);
    if (c) {
        CHECK(c->notify_address.n == 2);
        CHECK_STR(c->notify_address.v[1], "Certs.Team+acm@sub.example.org");
        CHECK(c->notify_argv.n == 4);
        CHECK_STR(c->notify_argv.v[2], "cat > \"$0\"");
        CHECK_STR(c->metrics_file, path_in("acm.prom"));
        CHECK(c->loaded_at > 0);
    }
    config_unref(c);
    strlist_free(&errs);

    /* bad input: each with file:line */
    mkdir(path_in("plain"), 0755);
    write_file("noexec", "#!/bin/sh\n");
    chmod(path_in("noexec"), 0644);
    snprintf(text, sizeof(text),
             "NotifyAddress ops@example.com, not an address, x@-bad-.com, @example.com, a@b\n"
             "NotifyCommand %s -t\n"
             "MetricsFile %s/missing/acm.prom\n",
             path_in("noexec"), dir);
    c = conf(text, al, &errs);
    CHECK(c == NULL);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "  (expected) %s\n", errs.v[i]);
    CHECK(has_error(&errs, "c.conf:3: NotifyAddress: \"not\" is not an address"));
    CHECK(has_error(&errs, "c.conf:3: NotifyAddress: \"x@-bad-.com\" is not an address"));
    CHECK(has_error(&errs, "c.conf:3: NotifyAddress: \"@example.com\" is not an address"));
    CHECK(has_error(&errs, "c.conf:3: NotifyAddress: \"a@b\" is not an address"));
    strlist_free(&errs);
    /* with good addresses, the file-system checks speak */
    snprintf(text, sizeof(text),
             "NotifyAddress ops@example.com\n"
             "NotifyCommand %s -t\n"
             "MetricsFile %s/missing/acm.prom\n",
             path_in("noexec"), dir);
    c = conf(text, al, &errs);
    CHECK(c == NULL);
    CHECK(has_error(&errs, "c.conf:4: NotifyCommand: "));
    CHECK(has_error(&errs, "is not an executable file"));
    CHECK(has_error(&errs, "c.conf:5: MetricsFile: folder "));
    strlist_free(&errs);
    snprintf(text, sizeof(text), "NotifyAddress ops@example.com\nNotifyCommand sendmail -t\n"
                                 "MetricsFile %s/noexec/acm.prom\n", dir);
    c = conf(text, al, &errs);
    CHECK(c == NULL);
    CHECK(has_error(&errs, "c.conf:4: NotifyCommand: want the program's absolute path"));
    strlist_free(&errs);
    snprintf(text, sizeof(text), "NotifyAddress ops@example.com\nNotifyCommand /nonexistent/sm\n"
                                 "MetricsFile %s/noexec/acm.prom\n", dir);
    c = conf(text, al, &errs);
    CHECK(c == NULL);
    CHECK(has_error(&errs, "c.conf:4: NotifyCommand: /nonexistent/sm: No such file"));
    CHECK(has_error(&errs, "c.conf:5: MetricsFile: ") && has_error(&errs, "is not a folder"));
    strlist_free(&errs);
    snprintf(text, sizeof(text), "MetricsFile %s\n", path_in("plain"));
    c = conf(text, al, &errs);
    CHECK(c == NULL);
    CHECK(has_error(&errs, "c.conf:3: MetricsFile: ") && has_error(&errs, "not a regular file"));
    strlist_free(&errs);
    c = conf("MetricsFile relative.prom\nNotifyCommand /bin/true 'open\n", al, &errs);
    CHECK(c == NULL);
    CHECK(has_error(&errs, "c.conf:3: MetricsFile: want an absolute file path"));
    CHECK(has_error(&errs, "c.conf:4: NotifyCommand: unterminated quote"));
    strlist_free(&errs);
    /* the default command is checked only when notices are on */
    if (access("/usr/sbin/sendmail", X_OK) != 0) {
        c = conf("NotifyAddress ops@example.com\n", al, &errs);
        CHECK(c == NULL && has_error(&errs, "c.conf:3: NotifyCommand: /usr/sbin/sendmail"));
        strlist_free(&errs);
    }
}

static void test_argv(void)
{
    struct strlist a = {0};
    char why[80];
    CHECK(config_split_argv("/usr/sbin/sendmail -t -i", &a, why, sizeof(why)));
    CHECK(a.n == 3 && strcmp(a.v[0], "/usr/sbin/sendmail") == 0 && strcmp(a.v[2], "-i") == 0);
    CHECK(config_split_argv("  /x  'a b'  \"c \\\"d\\\" \\\\\"  e\\ f g'h'\"i\"  ", &a, why,
                            sizeof(why)));
    CHECK(a.n == 5);
    if (a.n == 5) {
        CHECK_STR(a.v[1], "a b");
        CHECK_STR(a.v[2], "c \"d\" \\");
        CHECK_STR(a.v[3], "e f");
        CHECK_STR(a.v[4], "ghi");
    }
    /* shell syntax means nothing: no expansion, no pipes, no redirection */
    CHECK(config_split_argv("/bin/echo $HOME;id|cat>x `id` $(id)", &a, why, sizeof(why)));
    CHECK(a.n == 4 && strcmp(a.v[1], "$HOME;id|cat>x") == 0 && strcmp(a.v[3], "$(id)") == 0);
    CHECK(!config_split_argv("/x 'open", &a, why, sizeof(why)) && strstr(why, "unterminated"));
    CHECK(!config_split_argv("/x \"open", &a, why, sizeof(why)));
    CHECK(!config_split_argv("   ", &a, why, sizeof(why)) && strstr(why, "empty"));
    char many[400] = "/x";
    for (int i = 0; i < 40; i++)
        strcat(many, " a");
    CHECK(!config_split_argv(many, &a, why, sizeof(why)) && strstr(why, "more than 32"));
    CHECK(a.n == 0);
    strlist_free(&a);

    CHECK(config_address_valid("ops@example.com"));
    CHECK(config_address_valid("first.last+tag@mail.example.co.uk"));
    CHECK(!config_address_valid("ops"));
    CHECK(!config_address_valid("ops@"));
    CHECK(!config_address_valid("@example.com"));
    CHECK(!config_address_valid("a..b@example.com"));
    CHECK(!config_address_valid(".a@example.com"));
    CHECK(!config_address_valid("a.@example.com"));
    CHECK(!config_address_valid("a b@example.com"));
    CHECK(!config_address_valid("<ops@example.com>"));
    CHECK(!config_address_valid("Ops <ops@example.com>"));
    CHECK(!config_address_valid("ops@example.com\r\nBcc: x@evil.example"));
    CHECK(!config_address_valid("-oQ/tmp@example.com"));
    CHECK(!config_address_valid("ops@exa_mple.com"));
    CHECK(!config_address_valid("a@b@example.com"));
}

static void test_triggers(void)
{
    struct strlist errs = {0};
    struct config *c = conf("SenderAuth authres\n",
                            "arn:aws:acm:eu-west-1:123456789012:certificate/*\n", &errs);
    CHECK(c != NULL);
    if (!c)
        return;
    struct tm_opts o = tm_default();
    struct decision d;
    struct notice n;

    /* authenticated, not allowlisted: a notice, with the rule to add */
    decide(c, &o, "admin@example.com", &d);
    CHECK(d.verdict == V_DENY && strcmp(d.reason, "not-allowlisted") == 0 && d.authenticated);
    CHECK(notify_from_decision(&d, "4Xb2kq1ZQnz9sb", &n));
    CHECK(n.what == NW_DENY_NOT_ALLOWLISTED);
    CHECK_STR(n.domain, "www.example.com");
    CHECK_STR(n.account, "123456789012");
    CHECK_STR(n.region, "us-east-1");
    CHECK_STR(n.arn, T_CERT);
    CHECK_STR(n.rcpt, "admin@example.com");
    CHECK_STR(n.qid, "4Xb2kq1ZQnz9sb");
    char key[65];
    digest_hex(T_CODE, T_CTX, key, sizeof(key));
    CHECK_STR(n.key, key);
    CHECK(strncmp(n.line, "4Xb2kq1ZQnz9sb: decision=deny reason=not-allowlisted ", 53) == 0);
    no_secrets(n.line);
    no_secrets(n.key);

    struct strlist to = {0};
    strlist_add(&to, "ops@example.com");
    strlist_add(&to, "certs@example.org");
    struct sbuf m;
    sbuf_init(&m, 0);
    CHECK(notify_format(&n, &to, "mx.example.com", 1764547200L, NULL, &m));
    char *h = headers_of(m.data);
    CHECK(strstr(h, "Subject: acm-milter: check a certificate request for www.example.com\n"));
    CHECK(strstr(h, "\nAuto-Submitted: auto-generated"));
    CHECK(strstr(h, "From: acm-milter <acm-milter@mx.example.com>\n") == h);
    CHECK(strstr(h, "\nTo: ops@example.com, certs@example.org\n"));
    CHECK(strstr(h, "\nDate: Mon, 01 Dec 2025 00:00:00 +0000\n"));
    CHECK(strstr(h, "\nMessage-ID: <acm-milter.1764547200.") && strstr(h, "@mx.example.com>"));
    g_free(h);
    CHECK(strstr(m.data, "Account:     123456789012"));
    CHECK(strstr(m.data, "Region:      us-east-1"));
    CHECK(strstr(m.data, "Certificate: " T_CERT));
    CHECK(strstr(m.data, "Queue id:    4Xb2kq1ZQnz9sb"));
    CHECK(strstr(m.data, "approve it by hand from\nthe message delivered to admin@example.com"));
    CHECK(strstr(m.data, "  " T_CERT " www.example.com\n"));   /* the rule to add */
    CHECK(strstr(m.data, "Log line:    4Xb2kq1ZQnz9sb: decision=deny reason=not-allowlisted"));
    no_secrets(m.data);
    printf("---- a notice as sent ----\n%s---- end ----\n", m.data);
    sbuf_free(&m);

    /* not authenticated and not allowlisted: a forged look-alike, no notice (anyone could
     * send those to flood the operator) */
    struct tm_opts forged = o;
    forged.authres = "mx.example.com; dkim=fail header.d=certificates.amazon.com";
    decide(c, &forged, "admin@example.com", &d);
    CHECK(d.verdict == V_DENY && strcmp(d.reason, "unauthenticated") == 0);
    CHECK(!notify_from_decision(&d, "Q1", &n));

    /* domain-mismatch: a notice only when the sender is genuine */
    decide(c, &o, "admin@example.net", &d);
    CHECK(strcmp(d.reason, "domain-mismatch") == 0 && d.authenticated);
    CHECK(notify_from_decision(&d, "Q2", &n) && n.what == NW_DENY_DOMAIN_MISMATCH);
    sbuf_init(&m, 0);
    CHECK(notify_format(&n, &to, "mx", 1764547200L, NULL, &m));
    CHECK(strstr(m.data, "Subject: acm-milter: check a certificate request for www.example.com"));
    CHECK(strncmp(m.data, "From: acm-milter <acm-milter>\n", 30) == 0);   /* the MTA qualifies it */
    no_secrets(m.data);
    sbuf_free(&m);
    decide(c, &forged, "admin@example.net", &d);
    CHECK(strcmp(d.reason, "domain-mismatch") == 0 && !d.authenticated);
    CHECK(!notify_from_decision(&d, "Q3", &n));

    /* approve, ignore, other denies: nothing */
    config_unref(c);
    c = conf("SenderAuth authres\n", "arn:aws:acm:us-east-1:123456789012:certificate/*\n", &errs);
    decide(c, &o, "admin@example.com", &d);
    CHECK(d.verdict == V_APPROVE && !notify_from_decision(&d, "Q4", &n));
    struct tm_opts bad = o;
    bad.html_domain = "evil.example.com";
    decide(c, &bad, "admin@example.com", &d);
    CHECK(d.verdict == V_DENY && !notify_from_decision(&d, "Q5", &n));
    struct decision dd;
    memset(&dd, 0, sizeof(dd));
    dd.verdict = V_DENY;
    dd.reason = "unauthenticated";
    str_copy(dd.detail, sizeof(dd.detail), "dkim-dns-failure");
    str_copy(dd.f.fqdn, sizeof(dd.f.fqdn), "www.example.com");
    str_copy(dd.f.code, sizeof(dd.f.code), T_CODE);
    str_copy(dd.f.context, sizeof(dd.f.context), T_CTX);
    CHECK(notify_from_decision(&dd, "Q6", &n) && n.what == NW_DENY_DKIM_DNS_FAILURE);
    CHECK_STR(n.key, key);
    sbuf_init(&m, 0);
    CHECK(notify_format(&n, &to, "mx", 1764547200L, NULL, &m));
    CHECK(strstr(m.data, "Subject: acm-milter: approve by hand for www.example.com\n"));
    CHECK(strstr(m.data, "DKIM"));
    no_secrets(m.data);
    sbuf_free(&m);
    str_copy(dd.detail, sizeof(dd.detail), "dkim-fail");
    CHECK(!notify_from_decision(&dd, "Q7", &n));
    config_unref(c);

    /* approval outcomes from the queue */
    struct request r;
    memset(&r, 0, sizeof(r));
    str_copy(r.key, sizeof(r.key), key);
    str_copy(r.qid, sizeof(r.qid), "4Xb2kq1ZQnz9sb");
    str_copy(r.domain, sizeof(r.domain), "www.example.com");
    str_copy(r.account, sizeof(r.account), "123456789012");
    str_copy(r.region, sizeof(r.region), "us-east-1");
    str_copy(r.arn, sizeof(r.arn), T_CERT);
    str_copy(r.code, sizeof(r.code), T_CODE);
    str_copy(r.context, sizeof(r.context), T_CTX);
    str_copy(r.detail, sizeof(r.detail), "page-mismatch");
    CHECK(!notify_from_request(&r, "approved", "x", &n));
    CHECK(!notify_from_request(&r, "retry", "x", &n));
    CHECK(notify_from_request(&r, "failed", "4Xb2kq1ZQnz9sb: approval=failed domain=www.example.com "
                                            "arn=" T_CERT " attempt=1 req=11223344 detail=page-mismatch", &n));
    CHECK(n.what == NW_APPROVAL_FAILED && strcmp(n.key, key) == 0);
    sbuf_init(&m, 0);
    CHECK(notify_format(&n, &to, "mx", 1764547200L, NULL, &m));
    CHECK(strstr(m.data, "Subject: acm-milter: approve by hand for www.example.com\n"));
    CHECK(strstr(m.data, "approval=failed domain=www.example.com"));
    CHECK(strstr(m.data, "(page-mismatch)"));
    no_secrets(m.data);
    sbuf_free(&m);
    CHECK(notify_from_request(&r, "expired", "Q: approval=expired detail=max-age", &n));
    sbuf_init(&m, 0);
    CHECK(notify_format(&n, &to, "mx", 1764547200L, NULL, &m));
    CHECK(strstr(m.data, "Subject: acm-milter: resend the validation e-mail for www.example.com\n"));
    CHECK(strstr(m.data, "aws acm resend-validation-email --region us-east-1"));
    no_secrets(m.data);
    sbuf_free(&m);

    /* hostile values (from a message or the MTA) cannot add header fields or lines */
    str_copy(n.domain, sizeof(n.domain), "www.example.com\r\nBcc: victim@example.org");
    str_copy(n.qid, sizeof(n.qid), "Q\nX-Evil: 1");
    str_copy(n.line, sizeof(n.line), "line\n\nSubject: forged");
    struct notice n2;
    CHECK(notify_from_request(&r, "failed", n.line, &n2));
    str_copy(r.domain, sizeof(r.domain), "www.example.com\r\nBcc: victim@example.org");
    str_copy(r.qid, sizeof(r.qid), "Q\nX-Evil: 1");
    CHECK(notify_from_request(&r, "failed", "line\n\nSubject: forged", &n2));
    sbuf_init(&m, 0);
    CHECK(notify_format(&n2, &to, "mx\nBcc: x@y", 1764547200L, NULL, &m));
    h = headers_of(m.data);
    CHECK(strstr(h, "\nBcc:") == NULL);
    CHECK(strstr(h, "\nX-Evil") == NULL);
    CHECK(strstr(m.data, "\nSubject: forged") == NULL);
    CHECK(strstr(m.data, "\nBcc:") == NULL);
    CHECK(strchr(m.data, '\r') == NULL);
    g_free(h);
    sbuf_free(&m);
    strlist_free(&to);
    strlist_free(&errs);
}

static struct notice mknotice(int i)
{
    struct notice n;
    memset(&n, 0, sizeof(n));
    n.what = NW_DENY_NOT_ALLOWLISTED;
    char a[16];
    snprintf(a, sizeof(a), "%d", i);
    digest_hex("code", a, n.key, sizeof(n.key));
    str_copy(n.req, sizeof(n.req), n.key);
    snprintf(n.domain, sizeof(n.domain), "host%d.example.com", i);
    snprintf(n.qid, sizeof(n.qid), "QID%d", i);
    str_copy(n.arn, sizeof(n.arn), T_CERT);
    n.when = 1000000 + i;
    return n;
}

static void test_state(void)
{
    struct notify_state st;
    notify_state_init(&st);
    long t0 = 1000000;
    struct notice a = mknotice(0);

    /* the copies of one request give one notice */
    CHECK(notify_state_admit(&st, &a, t0) == NA_SEND);
    notify_state_done(&st, &a, t0, true);
    for (int k = 0; k < 7; k++)
        CHECK(notify_state_admit(&st, &a, t0 + k) == NA_DUPLICATE);
    /* the same request with another outcome is another notice */
    struct notice a2 = a;
    a2.what = NW_APPROVAL_FAILED;
    CHECK(notify_state_admit(&st, &a2, t0 + 1) == NA_SEND);
    notify_state_done(&st, &a2, t0 + 1, true);
    CHECK(notify_state_admit(&st, &a2, t0 + 2) == NA_DUPLICATE);
    /* a failed attempt is not remembered: the next copy tries again */
    struct notice b = mknotice(1);
    CHECK(notify_state_admit(&st, &b, t0 + 2) == NA_SEND);
    notify_state_done(&st, &b, t0 + 2, false);
    CHECK(notify_state_admit(&st, &b, t0 + 3) == NA_SEND);
    notify_state_done(&st, &b, t0 + 3, true);
    /* 4 attempts so far; 16 more fit in the hour, then they are held back */
    for (int i = 2; i < 18; i++) {
        struct notice x = mknotice(i);
        CHECK(notify_state_admit(&st, &x, t0 + 10) == NA_SEND);
        notify_state_done(&st, &x, t0 + 10, true);
    }
    for (int i = 18; i < 25; i++) {
        struct notice x = mknotice(i);
        CHECK(notify_state_admit(&st, &x, t0 + 20) == NA_HELD);
    }
    CHECK(st.held == 7 && st.held_names.n == 7);
    CHECK(strstr(st.held_names.v[0], "deny-not-allowlisted for host18.example.com"));
    CHECK(strstr(st.held_names.v[0], "queue id QID18"));
    /* a held one's copies are duplicates: it is named in the next notice instead */
    struct notice h18 = mknotice(18);
    CHECK(notify_state_admit(&st, &h18, t0 + 30) == NA_DUPLICATE);

    /* the state survives a restart */
    CHECK(notify_state_save(&st, path_in("state")));
    struct notify_state st2;
    notify_state_init(&st2);
    CHECK(notify_state_load(&st2, path_in("state")));
    CHECK(st2.nseen == st.nseen && st2.nsent == st.nsent && st2.held == 7);
    CHECK(st2.held_names.n == 7 && strcmp(st2.held_names.v[6], st.held_names.v[6]) == 0);
    CHECK(notify_state_admit(&st2, &a, t0 + 40) == NA_DUPLICATE);
    struct notice y = mknotice(30);
    CHECK(notify_state_admit(&st2, &y, t0 + 40) == NA_HELD);
    CHECK(st2.held == 8);

    /* an hour after the first ones, the next goes out and names the held ones */
    struct notice z = mknotice(31);
    CHECK(notify_state_admit(&st2, &z, t0 + 3600 + 11) == NA_SEND);
    struct strlist to = {0};
    strlist_add(&to, "ops@example.com");
    struct sbuf m;
    sbuf_init(&m, 0);
    CHECK(notify_format(&z, &to, "mx", t0 + 3611, &st2, &m));
    CHECK(strstr(m.data, "8 more notices were held back by the limit of 20 an hour:"));
    CHECK(strstr(m.data, "deny-not-allowlisted for host18.example.com (queue id QID18"));
    CHECK(strstr(m.data, "deny-not-allowlisted for host30.example.com (queue id QID30"));
    sbuf_free(&m);
    notify_state_done(&st2, &z, t0 + 3611, true);
    CHECK(st2.held == 0 && st2.held_names.n == 0);
    sbuf_init(&m, 0);
    CHECK(notify_format(&z, &to, "mx", t0 + 3611, &st2, &m));
    CHECK(strstr(m.data, "held back") == NULL);
    sbuf_free(&m);

    /* more held back than named: counted all the same */
    for (int i = 100; i < 100 + NOTIFY_HELD_NAMES + 30; i++) {
        struct notice x = mknotice(i);
        notify_state_admit(&st2, &x, t0 + 3612);
    }
    CHECK(st2.held_names.n == NOTIFY_HELD_NAMES);
    sbuf_init(&m, 0);
    CHECK(notify_format(&z, &to, "mx", t0 + 3611, &st2, &m));
    char want[120];
    snprintf(want, sizeof(want), "... and %ld more", st2.held - NOTIFY_HELD_NAMES);
    CHECK(strstr(m.data, want));
    sbuf_free(&m);

    /* a damaged state file is read as far as it makes sense, never trusted blindly */
    write_file("state2", "acm-milter-notify 1\nseen short x 1\nseen "
                         "0000000000000000000000000000000000000000000000000000000000000000 "
                         "deny-not-allowlisted 5\nname line\x01with control\ngarbage\n"
                         "held -4\n");
    CHECK(notify_state_load(&st2, path_in("state2")));
    CHECK(st2.nseen == 1 && st2.held == 0 && st2.held_names.n == 1);
    CHECK(strchr(st2.held_names.v[0], '\x01') == NULL);
    CHECK(notify_state_load(&st2, path_in("no-such-state")) && st2.nseen == 0);
    /* a link, a FIFO or an oversized file is refused, never followed or read half */
    CHECK(symlink(path_in("state"), path_in("state-link")) == 0);
    CHECK(!notify_state_load(&st2, path_in("state-link")) && st2.nseen == 0);
    CHECK(mkfifo(path_in("state-fifo"), 0600) == 0);
    CHECK(!notify_state_load(&st2, path_in("state-fifo")));
    FILE *big = fopen(path_in("state-big"), "w");
    for (long i = 0; big && i < NOTIFY_STATE_MAX / 10 + 10; i++)
        fputs("sent 1234\n", big);
    if (big)
        fclose(big);
    CHECK(!notify_state_load(&st2, path_in("state-big")));
    /* the state never holds more than NOTIFY_SEEN_MAX pairs, and its file stays small */
    for (int i = 0; i < NOTIFY_SEEN_MAX + 100; i++) {
        struct notice x = mknotice(1000 + i);
        notify_state_done(&st2, &x, t0, true);
    }
    CHECK(st2.nseen == NOTIFY_SEEN_MAX);
    struct notice first = mknotice(1000), last = mknotice(1000 + NOTIFY_SEEN_MAX + 99);
    CHECK(notify_state_admit(&st2, &last, t0) == NA_DUPLICATE);
    CHECK(notify_state_admit(&st2, &first, t0 + 5000) != NA_DUPLICATE);   /* the oldest went */
    CHECK(notify_state_save(&st2, path_in("state3")));
    struct stat sb;
    CHECK(stat(path_in("state3"), &sb) == 0 && sb.st_size < NOTIFY_STATE_MAX);
    CHECK(notify_state_load(&st2, path_in("state3")) && st2.nseen == NOTIFY_SEEN_MAX);
    strlist_free(&to);
    notify_state_free(&st);
    notify_state_free(&st2);
}

static char *slurp(const char *p)
{
    gchar *s = NULL;
    if (!g_file_get_contents(p, &s, NULL, NULL))
        return NULL;
    return s;
}

static void test_run(void)
{
    struct strlist a = {0};
    char why[80], detail[40], extra[400];
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "/bin/sh -c 'cat > \"$0\"; printf \"%%s|\" \"$@\" > \"$0.args\"; "
                               "env > \"$0.env\"' %s 'two words' \"$HOME\"",
             path_in("got"));
    CHECK(config_split_argv(cmd, &a, why, sizeof(why)));
    const char *data = "Subject: x\n\nhello\n";
    CHECK(notify_run(&a, data, strlen(data), 10, detail, sizeof(detail), extra, sizeof(extra)));
    char *got = slurp(path_in("got"));
    CHECK(got && strcmp(got, data) == 0);
    g_free(got);
    char args_path[700];
    snprintf(args_path, sizeof(args_path), "%s.args", path_in("got"));
    got = slurp(args_path);
    CHECK(got && strcmp(got, "two words|$HOME|") == 0);   /* no shell ran on our side */
    g_free(got);
    snprintf(args_path, sizeof(args_path), "%s.env", path_in("got"));
    got = slurp(args_path);
    CHECK(got && strstr(got, "PATH=/usr/sbin:/usr/bin:/sbin:/bin") && !strstr(got, "HOME="));
    g_free(got);

    CHECK(config_split_argv("/bin/sh -c 'cat >/dev/null; echo \"mail system down\" >&2; exit 75'",
                            &a, why, sizeof(why)));
    CHECK(!notify_run(&a, data, strlen(data), 10, detail, sizeof(detail), extra, sizeof(extra)));
    CHECK_STR(detail, "exit-status");
    CHECK(strstr(extra, "status=75") && strstr(extra, "output=\"mail system down\""));

    CHECK(config_split_argv("/nonexistent/sendmail -t", &a, why, sizeof(why)));
    CHECK(!notify_run(&a, data, strlen(data), 10, detail, sizeof(detail), extra, sizeof(extra)));
    CHECK_STR(detail, "cannot-run");
    CHECK(strstr(extra, "No such file"));

    /* a command that hangs is killed, with its children */
    CHECK(config_split_argv("/bin/sh -c 'sleep 600 & sleep 600'", &a, why, sizeof(why)));
    CHECK(!notify_run(&a, data, strlen(data), 1, detail, sizeof(detail), extra, sizeof(extra)));
    CHECK_STR(detail, "timeout");

    CHECK(config_split_argv("/bin/sh -c 'kill -9 $$'", &a, why, sizeof(why)));
    CHECK(!notify_run(&a, data, strlen(data), 10, detail, sizeof(detail), extra, sizeof(extra)));
    CHECK_STR(detail, "killed-by-signal");

    /* exit 0 without reading the notice is not "sent" */
    char *big = g_malloc(1 << 20);
    memset(big, 'x', 1 << 20);
    CHECK(config_split_argv("/bin/true", &a, why, sizeof(why)));
    CHECK(!notify_run(&a, big, 1 << 20, 10, detail, sizeof(detail), extra, sizeof(extra)));
    CHECK_STR(detail, "stdin-closed");
    g_free(big);
    strlist_free(&a);
}

/* the milter side only enqueues: without the thread a notice is counted as suppressed */
static void test_enqueue(void)
{
    struct strlist errs = {0};
    struct config *c = conf("SenderAuth authres\nNotifyAddress ops@example.com\nNotifyCommand /bin/true\n",
                            "arn:aws:acm:eu-west-1:123456789012:certificate/*\n", &errs);
    CHECK(c != NULL);
    if (!c)
        return;
    struct tm_opts o = tm_default();
    struct decision d;
    decide(c, &o, "admin@example.com", &d);
    struct stats_counter sc[8];
    size_t n = stats_notices(sc, 8);
    unsigned long before = n == 3 ? sc[2].n : 0;
    notify_decision(c, "Q9", &d);   /* not started: one notify=suppressed detail=not-started */
    n = stats_notices(sc, 8);
    CHECK(n == 3 && strcmp(sc[2].a, "suppressed") == 0 && sc[2].n == before + 1);
    /* an outcome that needs nobody is not even counted */
    struct tm_opts forged = o;
    forged.authres = "mx.example.com; dkim=fail header.d=certificates.amazon.com";
    decide(c, &forged, "admin@example.com", &d);
    notify_decision(c, "Q10", &d);
    n = stats_notices(sc, 8);
    CHECK(sc[2].n == before + 1);
    config_unref(c);
    strlist_free(&errs);
}

static void test_metrics(void)
{
    struct metrics_gauges g = {.start_time = 1764547200, .config_load_time = 1764547260,
                               .pending = 2, .oldest_pending_age = 90, .version = "0.1.0"};
    stats_seen();
    stats_notice("sent");
    struct sbuf b;
    sbuf_init(&b, 0);
    CHECK(metrics_format(&g, &b));
    static const char *const names[] = {
        "acm_milter_messages_total", "acm_milter_decisions_total", "acm_milter_approvals_total",
        "acm_milter_notices_total", "acm_milter_queue_pending",
        "acm_milter_queue_oldest_pending_seconds", "acm_milter_start_time_seconds",
        "acm_milter_config_load_time_seconds", "acm_milter_info"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char help[120], type[120];
        snprintf(help, sizeof(help), "# HELP %s ", names[i]);
        snprintf(type, sizeof(type), "# TYPE %s ", names[i]);
        CHECK(strstr(b.data, help) && strstr(b.data, type));
    }
    CHECK(strstr(b.data, "acm_milter_messages_total{stage=\"seen\"} "));
    CHECK(strstr(b.data, "acm_milter_decisions_total{decision=\"deny\",reason=\"not-allowlisted\"} 0\n"));
    CHECK(strstr(b.data, "acm_milter_notices_total{result=\"sent\"} "));
    CHECK(strstr(b.data, "acm_milter_queue_pending 2\n"));
    CHECK(strstr(b.data, "acm_milter_queue_oldest_pending_seconds 90\n"));
    CHECK(strstr(b.data, "acm_milter_start_time_seconds 1764547200\n"));
    CHECK(strstr(b.data, "acm_milter_info{version=\"0.1.0\"} 1\n"));
    sbuf_free(&b);
    CHECK(metrics_write(path_in("m.prom"), &g));
    char *got = slurp(path_in("m.prom"));
    CHECK(got && strstr(got, "acm_milter_queue_pending 2\n"));
    g_free(got);
    struct stat st;
    CHECK(stat(path_in("m.prom"), &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK(!metrics_write("/nonexistent-dir/m.prom", &g));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);   /* as the daemon does */
    if (!mkdtemp(dir))
        return 1;
    CHECK(evaluate_init());
    test_config();
    test_argv();
    test_triggers();
    test_state();
    test_run();
    test_enqueue();
    test_metrics();
    CHECK(t_rmtree(dir) == 0);
    evaluate_shutdown();
    return t_done("test_notify");
}
