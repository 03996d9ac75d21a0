/* Unit tests: spool entry files (request.c): the one checked spool_path(), atomic write and
 * read back, and every kind of tampered entry read as bad with its reason, never worked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "queue.h"
#include "request.h"
#include "t.h"

#define ARN "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369"
#define CODE "11e23c40-7a2b-4754-a97c-1607e8e78a6c"
#define CONTEXT "111a222c-6e1d-4333-bbc4-40b961461df5-75732d656173742d31"

static char spool[] = "/tmp/acm-test-spool-XXXXXX";

static void sample(struct request *r)
{
    memset(r, 0, sizeof(*r));
    request_key(CODE, CONTEXT, r->key);
    strcpy(r->state, "pending");
    r->created = 1700000000;
    r->next = 1700000060;
    r->attempts = 2;
    strcpy(r->qid, "4Xb2kq1ZQnz9sb");
    strcpy(r->domain, "www.example.com");
    strcpy(r->account, "123456789012");
    strcpy(r->region, "us-east-1");
    strcpy(r->arn, ARN);
    strcpy(r->code, CODE);
    strcpy(r->context, CONTEXT);
}

/* The text request_write() would produce for r, with one line replaced (or added). */
static void entry_text(const struct request *r, const char *key, const char *value, char *out,
                       size_t outsz)
{
    char vals[16][300];
    const char *keys[16] = {"version", "key",    "state",  "created", "updated", "next",
                            "attempts", "qid",   "domain", "requested_domain", "account",
                            "region",  "arn",    "code",   "context", "detail"};
    snprintf(vals[0], 300, "1");
    snprintf(vals[1], 300, "%s", r->key);
    snprintf(vals[2], 300, "%s", r->state);
    snprintf(vals[3], 300, "%ld", r->created);
    snprintf(vals[4], 300, "%ld", r->updated);
    snprintf(vals[5], 300, "%ld", r->next);
    snprintf(vals[6], 300, "%d", r->attempts);
    snprintf(vals[7], 300, "%s", r->qid);
    snprintf(vals[8], 300, "%s", r->domain);
    snprintf(vals[9], 300, "%s", r->requested_domain);
    snprintf(vals[10], 300, "%s", r->account);
    snprintf(vals[11], 300, "%s", r->region);
    snprintf(vals[12], 300, "%s", r->arn);
    snprintf(vals[13], 300, "%s", r->code);
    snprintf(vals[14], 300, "%s", r->context);
    snprintf(vals[15], 300, "%s", r->detail);
    size_t n = 0;
    bool replaced = false;
    for (int i = 0; i < 16; i++) {
        const char *v = vals[i];
        if (key && strcmp(key, keys[i]) == 0) {
            replaced = true;
            if (!value)
                continue;   /* the line is left out */
            v = value;
        }
        n += (size_t)snprintf(out + n, outsz - n, "%s=%s\n", keys[i], v);
    }
    if (key && !replaced)
        snprintf(out + n, outsz - n, "%s=%s\n", key, value ? value : "");
}

static void put(const char *name, const char *data, size_t len)
{
    char p[400];
    snprintf(p, sizeof(p), "%s/pending/%s", spool, name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, data, len) == (ssize_t)len);
        close(fd);
    }
}

/* Loads pending/NAME; returns the reason ("ok" when valid). */
static const char *load(const char *name)
{
    struct request r;
    const char *why = NULL;
    enum load_result res = request_load(spool, SF_PENDING, name, &r, &why);
    if (res == LOAD_OK)
        return "ok";
    CHECK(r.code[0] == '\0' && r.context[0] == '\0');   /* wiped */
    return res == LOAD_ERROR ? "io" : why;
}

static void remove_pending(const char *name)
{
    char p[400];
    snprintf(p, sizeof(p), "%s/pending/%s", spool, name);
    if (unlink(p) != 0)
        rmdir(p);
}

int main(void)
{
    CHECK(mkdtemp(spool) != NULL);
    CHECK(queue_prepare(spool, false, 0, 0));
    struct request r, back;
    sample(&r);
    char key[KEY_HEX + 1], name[80];
    str_copy(key, sizeof(key), r.key);
    snprintf(name, sizeof(name), "%s.req", key);

    /* the key and spool_path(): 64 lowercase hex digits, nothing else */
    CHECK(key_valid(key));
    CHECK(strlen(key) == 64);
    char p[4200];
    CHECK(spool_path(p, sizeof(p), spool, SF_PENDING, key));
    char want[4300];
    snprintf(want, sizeof(want), "%s/pending/%s.req", spool, key);
    CHECK_STR(p, want);
    CHECK(spool_path(p, sizeof(p), spool, SF_BAD, NULL));
    snprintf(want, sizeof(want), "%s/bad", spool);
    CHECK_STR(p, want);
    const char *bad_keys[] = {"",
                              "abc123",
                              "../../outside/escaped",
                              "../../../../../../../../../../../../../../../../../../etc/passwd",
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeF",
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abc/ef",
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd.."};
    for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
        CHECK(!key_valid(bad_keys[i]));
        strcpy(p, "x");
        CHECK(!spool_path(p, sizeof(p), spool, SF_PENDING, bad_keys[i]) && p[0] == '\0');
    }
    CHECK(!spool_path(p, sizeof(p), spool, SF_COUNT, key));
    CHECK(!spool_path(p, 20, spool, SF_PENDING, key));   /* does not fit: refused, not cut */
    CHECK(!spool_path(p, sizeof(p), "", SF_PENDING, key));

    /* atomic write, read back, mode 0600, nothing left in tmp/ */
    CHECK(request_write(spool, SF_PENDING, &r));
    spool_path(p, sizeof(p), spool, SF_PENDING, key);
    struct stat st;
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
    const char *why = "x";
    CHECK(request_load(spool, SF_PENDING, name, &back, &why) == LOAD_OK && why == NULL);
    CHECK_STR(back.state, "pending");
    CHECK_STR(back.code, CODE);
    CHECK_STR(back.context, CONTEXT);
    CHECK_STR(back.arn, ARN);
    CHECK_STR(back.key, key);
    CHECK(back.created == 1700000000 && back.next == 1700000060 && back.attempts == 2);
    CHECK(queue_pending_count(spool, NULL) == 1);
    long oldest = -1;
    CHECK(queue_pending_count(spool, &oldest) == 1 && oldest > 0);
    char tmpdir[400];
    snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", spool);
    CHECK(rmdir(tmpdir) == 0 && mkdir(tmpdir, 0700) == 0);   /* empty */
    /* a request whose key is not valid is never written anywhere */
    struct request evil = r;
    strcpy(evil.key, "../../outside/escaped");
    errno = 0;
    CHECK(!request_write(spool, SF_PENDING, &evil) && errno == EINVAL);
    CHECK(!request_write("/nonexistent-dir", SF_PENDING, &r));
    /* the wildcard and requested domain survive */
    struct request wild = r;
    strcpy(wild.domain, "*.example.com");
    strcpy(wild.requested_domain, "*.example.com");
    CHECK(request_write(spool, SF_DONE, &wild));
    CHECK(request_load(spool, SF_DONE, name, &back, &why) == LOAD_OK);
    CHECK_STR(back.domain, "*.example.com");

    /* tampered entries, each bad with its reason */
    char text[8192];
    entry_text(&r, NULL, NULL, text, sizeof(text));
    CHECK_STR(load(name), "ok");
    /* the same valid content under another name (a copy of the entry) */
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000.req";
    put(other, text, strlen(text));
    CHECK_STR(load(other), "key-mismatch");
    remove_pending(other);
    put("copy-of-entry.req", text, strlen(text));
    CHECK_STR(load("copy-of-entry.req"), "not-an-entry-name");
    remove_pending("copy-of-entry.req");
    put("notes.txt", text, strlen(text));
    CHECK_STR(load("notes.txt"), "not-an-entry-name");
    remove_pending("notes.txt");
    char upper[80];
    str_copy(upper, sizeof(upper), name);
    upper[0] = upper[0] >= 'a' ? (char)(upper[0] - 32) : upper[0];
    if (upper[0] == name[0])
        upper[0] = 'G';
    put(upper, text, strlen(text));
    CHECK_STR(load(upper), "not-an-entry-name");
    remove_pending(upper);
    /* key= with a path in it, key= uppercase, key= differing from the name */
    const char *keyvals[] = {"../../outside/escaped", "../../../../../../tmp/x", ""};
    for (size_t i = 0; i < 3; i++) {
        entry_text(&r, "key", keyvals[i], text, sizeof(text));
        put(name, text, strlen(text));
        CHECK_STR(load(name), "field");
    }
    /* a valid key of other content: the key is not the digest of code|context */
    struct request r2 = r;
    r2.code[0] = r2.code[0] == '1' ? '2' : '1';
    char key2[KEY_HEX + 1], name2[80];
    request_key(r2.code, r2.context, key2);
    snprintf(name2, sizeof(name2), "%s.req", key2);
    entry_text(&r2, "key", key, text, sizeof(text));
    put(name, text, strlen(text));
    CHECK_STR(load(name), "key-digest");
    /* fields: malformed, missing, repeated, unknown, too long for its slot */
    struct { const char *k, *v, *why; } fv[] = {
        {"code", "11e23c40-7a2b-4754-a97c-1607e8e78a6c&x=1", "field"},
        {"code", NULL, "field"},
        {"context", "a b", "field"},
        {"state", "approved-by-me", "field"},
        {"attempts", "-1", "field"},
        {"attempts", "99999999999999999999", "field"},
        {"created", "12ab", "field"},
        {"account", "12345678901", "field"},
        {"domain", "www.example.com/../x", "field"},
        {"domain", "", "field"},
        {"version", "2", "field"},
        {"qid", "a\tb", "field"},
        {"arn", "", "field"},
        {"key", NULL, "field"},
        {"state", NULL, "field"},
        {"colour", "red", "garbage"},
        {"detail",
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxx",
         "field"},
    };
    for (size_t i = 0; i < sizeof(fv) / sizeof(fv[0]); i++) {
        entry_text(&r, fv[i].k, fv[i].v, text, sizeof(text));
        put(name, text, strlen(text));
        const char *got = load(name);
        CHECK_STR(got, fv[i].why);
        if (strcmp(got, fv[i].why) != 0)
            fprintf(stderr, "  case %s=%s\n", fv[i].k, fv[i].v ? fv[i].v : "(missing)");
    }
    entry_text(&r, NULL, NULL, text, sizeof(text));
    size_t tl = strlen(text);
    memcpy(text + tl, "state=approved\n", 16);   /* the same field twice */
    put(name, text, strlen(text));
    CHECK_STR(load(name), "field");
    put(name, "", 0);
    CHECK_STR(load(name), "empty");
    put(name, "\x7f" "ELF\x02\x01\x01\0\0\0garbage", 17);
    CHECK_STR(load(name), "garbage");
    put(name, "no equals sign here\n", 20);
    CHECK_STR(load(name), "garbage");
    entry_text(&r, NULL, NULL, text, sizeof(text));
    put(name, text, strlen(text) - 1);   /* no final newline: cut short */
    CHECK_STR(load(name), "garbage");
    text[10] = '\0';   /* a NUL inside */
    put(name, text, tl);
    CHECK_STR(load(name), "garbage");
    static char big[REQUEST_MAX + 100];
    entry_text(&r, NULL, NULL, big, sizeof(big));
    memset(big + strlen(big), '\n', sizeof(big) - strlen(big));
    put(name, big, sizeof(big));
    CHECK_STR(load(name), "too-large");
    remove_pending(name);

    /* not regular files: symlinks (to /etc/passwd, to a valid entry outside), a directory,
     * a FIFO (must not block), a hard link to an entry */
    spool_path(p, sizeof(p), spool, SF_PENDING, key);
    CHECK(symlink("/etc/passwd", p) == 0);
    CHECK_STR(load(name), "symlink");
    unlink(p);
    char outside[400];
    snprintf(outside, sizeof(outside), "%s/outside.req", spool);
    entry_text(&r, NULL, NULL, text, sizeof(text));
    int fd = open(outside, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    if (fd >= 0)
        close(fd);
    CHECK(symlink(outside, p) == 0);
    CHECK_STR(load(name), "symlink");
    unlink(p);
    CHECK(mkdir(p, 0700) == 0);
    CHECK_STR(load(name), "not-a-file");
    rmdir(p);
    CHECK(mkfifo(p, 0600) == 0);
    CHECK_STR(load(name), "not-a-file");
    unlink(p);
    CHECK(link(outside, p) == 0);
    CHECK_STR(load(name), "hard-link");
    unlink(p);
    unlink(outside);
    CHECK_STR(load(name), "io");   /* gone: an error, not a bad entry */
    CHECK(queue_pending_count(spool, NULL) == 0);

    /* pending/ replaced by a link out of the spool: the spool is not usable (an error) */
    CHECK(request_write(spool, SF_PENDING, &r));
    char pend[400], moved[400];
    snprintf(pend, sizeof(pend), "%s/pending", spool);
    snprintf(moved, sizeof(moved), "%s/pending.real", spool);
    CHECK(rename(pend, moved) == 0 && symlink(moved, pend) == 0);
    CHECK_STR(load(name), "io");
    errno = 0;
    CHECK(!request_write(spool, SF_PENDING, &r) && (errno == ELOOP || errno == ENOTDIR));
    unlink(pend);
    CHECK(rename(moved, pend) == 0);
    CHECK_STR(load(name), "ok");

    /* a link or a hard link planted at the temporary name is never written through */
    char planted[400], victim[400];
    snprintf(planted, sizeof(planted), "%s/tmp/%s.%ld.tmp", spool, name, (long)getpid());
    snprintf(victim, sizeof(victim), "%s/victim", spool);
    fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "keep", 4) == 4);
    if (fd >= 0)
        close(fd);
    CHECK(symlink(victim, planted) == 0);
    CHECK(request_write(spool, SF_PENDING, &r));
    CHECK(stat(victim, &st) == 0 && st.st_size == 4);
    CHECK(link(victim, planted) == 0);
    CHECK(request_write(spool, SF_PENDING, &r));
    CHECK(stat(victim, &st) == 0 && st.st_size == 4 && st.st_nlink == 1);
    CHECK_STR(load(name), "ok");
    unlink(victim);

    /* request_parse() is the same check from bytes */
    entry_text(&r, NULL, NULL, text, sizeof(text));
    CHECK(request_parse(text, strlen(text), name, &back, &why) == LOAD_OK);
    CHECK(request_parse(text, strlen(text), name2, &back, &why) == LOAD_BAD &&
          strcmp(why, "key-mismatch") == 0);

    /* -q: valid entries by state, anything else as bad, unreadable folders named */
    CHECK(request_write(spool, SF_DONE, &r));
    put("stray name.req", "x", 1);
    char bad1[400];
    snprintf(bad1, sizeof(bad1), "%s/bad/evil\nname.req", spool);
    fd = open(bad1, O_WRONLY | O_CREAT, 0600);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    char *lbuf = NULL, *ebuf = NULL;
    size_t llen = 0, elen = 0;
    FILE *lo = open_memstream(&lbuf, &llen), *le = open_memstream(&ebuf, &elen);
    CHECK(queue_list(spool, lo, le) == 4);
    fclose(lo);
    fclose(le);
    CHECK(lbuf && strstr(lbuf, "pending www.example.com " ARN " attempts=2 "));
    CHECK(lbuf && strstr(lbuf, "bad pending/stray name.req detail=not-an-entry-name\n"));
    CHECK(lbuf && strstr(lbuf, "bad bad/evil?name.req\n"));   /* one line, sanitized */
    CHECK(ebuf && elen == 0);
    free(lbuf);
    free(ebuf);
    remove_pending("stray name.req");
    unlink(bad1);
    lo = open_memstream(&lbuf, &llen);
    le = open_memstream(&ebuf, &elen);
    CHECK(queue_list("/nonexistent-spool", lo, le) == -1);
    fclose(lo);
    fclose(le);
    CHECK(ebuf && strstr(ebuf, "no approval queue in /nonexistent-spool"));
    free(lbuf);
    free(ebuf);

    /* clean up */
    remove_pending(name);
    CHECK(t_rmtree(spool) == 0);
    return t_done("test_spool");
}
