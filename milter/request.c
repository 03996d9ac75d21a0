/*
 * request - see request.h for the contract.
 */
#include "request.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

static const char *const folder_names[SF_COUNT] = {"tmp", "pending", "done", "pages", "bad"};

const char *spool_folder_name(enum spool_folder f)
{
    return (unsigned)f < SF_COUNT ? folder_names[f] : "?";
}

void request_key(const char *code, const char *context, char key[KEY_HEX + 1])
{
    digest_hex(code, context, key, KEY_HEX + 1);
}

bool key_valid(const char *s)
{
    if (!s)
        return false;
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= KEY_HEX || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == KEY_HEX;
}

bool spool_path(char *out, size_t outsz, const char *spool, enum spool_folder f,
                const char *key)
{
    if (!outsz)
        return false;
    out[0] = '\0';
    if (!spool || !spool[0] || (unsigned)f >= SF_COUNT || (key && !key_valid(key)))
        return false;
    int n = key ? snprintf(out, outsz, "%s/%s/%s.req", spool, folder_names[f], key)
                : snprintf(out, outsz, "%s/%s", spool, folder_names[f]);
    if (n < 0 || (size_t)n >= outsz) {
        out[0] = '\0';
        return false;
    }
    return true;
}

int spool_folder_fd(const char *spool, enum spool_folder f)
{
    char dir[4200];
    if (!spool_path(dir, sizeof(dir), spool, f, NULL)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

bool request_write(const char *spool, enum spool_folder f, const struct request *r)
{
    char name[KEY_HEX + 8], tmpname[KEY_HEX + 40];
    if (!key_valid(r->key) || (unsigned)f >= SF_COUNT) {
        errno = EINVAL;
        return false;
    }
    snprintf(name, sizeof(name), "%s.req", r->key);
    /* tmp/KEY.req.PID.tmp: the worker and the milter threads write under one lock */
    snprintf(tmpname, sizeof(tmpname), "%s.%ld.tmp", name, (long)getpid());
    struct sbuf b;
    sbuf_init(&b, REQUEST_MAX);
    sbuf_printf(&b,
                "version=1\nkey=%s\nstate=%s\ncreated=%ld\nupdated=%ld\nnext=%ld\nattempts=%d\n"
                "qid=%s\ndomain=%s\nrequested_domain=%s\naccount=%s\nregion=%s\narn=%s\n"
                "code=%s\ncontext=%s\ndetail=%s\n",
                r->key, r->state, r->created, r->updated, r->next, r->attempts, r->qid,
                r->domain, r->requested_domain, r->account, r->region, r->arn, r->code,
                r->context, r->detail);
    if (b.overflow) {
        sbuf_free(&b);
        errno = ENOMEM;
        return false;
    }
    /* Never write what request_load() would refuse: the entry must read back as itself. */
    struct request check;
    const char *why;
    enum load_result lr = request_parse(b.data, b.len, name, &check, &why);
    explicit_bzero(&check, sizeof(check));
    if (lr != LOAD_OK) {
        explicit_bzero(b.data, b.len);
        sbuf_free(&b);
        errno = EINVAL;
        return false;
    }
    int tfd = spool_folder_fd(spool, SF_TMP), dfd = tfd >= 0 ? spool_folder_fd(spool, f) : -1;
    int fd = -1;
    bool ok = tfd >= 0 && dfd >= 0;
    if (ok) {
        /* a file left at that name (or planted there: a link) is removed, never written
         * through: O_EXCL creates a new file or fails */
        unlinkat(tfd, tmpname, 0);
        fd = openat(tfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        ok = fd >= 0 && write_all(fd, b.data, b.len) && fsync(fd) == 0;
    }
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    explicit_bzero(b.data, b.len);
    sbuf_free(&b);
    if (ok && renameat(tfd, tmpname, dfd, name) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok && fd >= 0)
        unlinkat(tfd, tmpname, 0);
    if (ok)
        fsync(dfd);   /* the entry is in place; a failure here only weakens power-cut safety */
    if (tfd >= 0)
        close(tfd);
    if (dfd >= 0)
        close(dfd);
    errno = ok ? 0 : saved;
    return ok;
}

/* ---- reading ------------------------------------------------------------------------ */

static bool printable(const char *v, bool spaces)
{
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch < 0x20 || ch > 0x7e || (!spaces && ch == ' '))
            return false;
    }
    return true;
}

static bool only(const char *v, const char *set)
{
    return v[strspn(v, set)] == '\0';
}

static bool number(const char *v, long *out)
{
    if (!v[0] || strlen(v) > 18 || !only(v, "0123456789"))
        return false;
    *out = strtol(v, NULL, 10);
    return true;
}

static const char *const states[] = {"pending", "approved", "already-approved", "expired",
                                     "failed",  "dry-run"};

enum { F_VERSION, F_KEY, F_STATE, F_CREATED, F_UPDATED, F_NEXT, F_ATTEMPTS, F_QID, F_DOMAIN,
       F_RDOMAIN, F_ACCOUNT, F_REGION, F_ARN, F_CODE, F_CONTEXT, F_DETAIL, F_COUNT };
static const char *const fields[F_COUNT] = {
    "version", "key",    "state",  "created", "updated", "next", "attempts", "qid",
    "domain",  "requested_domain", "account", "region", "arn", "code", "context", "detail"};

#define HEXDASH "0123456789abcdef-"

/* One field; false when it is malformed or does not fit. */
static bool field(struct request *r, int k, const char *v)
{
    long n = 0;
    switch (k) {
    case F_VERSION: return strcmp(v, "1") == 0;
    case F_KEY: return key_valid(v) && str_copy(r->key, sizeof(r->key), v);
    case F_STATE:
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
            if (strcmp(v, states[i]) == 0)
                return str_copy(r->state, sizeof(r->state), v);
        return false;
    case F_CREATED: return number(v, &r->created);
    case F_UPDATED: return number(v, &r->updated);
    case F_NEXT: return number(v, &r->next);
    case F_ATTEMPTS:
        if (!number(v, &n) || n > 1000000)
            return false;
        r->attempts = (int)n;
        return true;
    case F_QID: return printable(v, false) && str_copy(r->qid, sizeof(r->qid), v);
    case F_DOMAIN:
        return dns_name_valid(v, true) && str_copy(r->domain, sizeof(r->domain), v);
    case F_RDOMAIN:
        return (!v[0] || dns_name_valid(v, true)) &&
               str_copy(r->requested_domain, sizeof(r->requested_domain), v);
    case F_ACCOUNT:
        return strlen(v) == 12 && only(v, "0123456789") &&
               str_copy(r->account, sizeof(r->account), v);
    case F_REGION:
        return v[0] && only(v, "abcdefghijklmnopqrstuvwxyz0123456789-") &&
               str_copy(r->region, sizeof(r->region), v);
    case F_ARN: return v[0] && printable(v, false) && str_copy(r->arn, sizeof(r->arn), v);
    case F_CODE: return strlen(v) == 36 && only(v, HEXDASH) && str_copy(r->code, sizeof(r->code), v);
    case F_CONTEXT:
        return v[0] && only(v, HEXDASH) && str_copy(r->context, sizeof(r->context), v);
    case F_DETAIL: return printable(v, false) && str_copy(r->detail, sizeof(r->detail), v);
    }
    return false;
}

static enum load_result bad(struct request *r, const char **why, const char *what)
{
    explicit_bzero(r, sizeof(*r));
    *why = what;
    return LOAD_BAD;
}

/* "KEY.req" -> true and the key; anything else false. */
static bool entry_name(const char *name, char key[KEY_HEX + 1])
{
    size_t n = strlen(name);
    if (n != KEY_HEX + 4 || strcmp(name + KEY_HEX, ".req") != 0)
        return false;
    memcpy(key, name, KEY_HEX);
    key[KEY_HEX] = '\0';
    return key_valid(key);
}

enum load_result request_parse(const char *data, size_t len, const char *name,
                               struct request *r, const char **why)
{
    memset(r, 0, sizeof(*r));
    char want[KEY_HEX + 1];
    if (!entry_name(name, want))
        return bad(r, why, "not-an-entry-name");
    if (len == 0)
        return bad(r, why, "empty");
    if (len > REQUEST_MAX)
        return bad(r, why, "too-large");
    if (memchr(data, '\0', len) || data[len - 1] != '\n')
        return bad(r, why, "garbage");
    bool seen[F_COUNT] = {0};
    const char *p = data, *end = data + len;
    char line[REQUEST_MAX + 1];
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));   /* always found: ends in \n */
        size_t ll = (size_t)(nl - p);
        memcpy(line, p, ll);
        line[ll] = '\0';
        p = nl + 1;
        char *eq = strchr(line, '=');
        if (!eq)
            return bad(r, why, "garbage");
        *eq = '\0';
        int k = 0;
        while (k < F_COUNT && strcmp(line, fields[k]) != 0)
            k++;
        if (k == F_COUNT || seen[k]) {
            explicit_bzero(line, sizeof(line));
            return bad(r, why, k == F_COUNT ? "garbage" : "field");
        }
        seen[k] = true;
        bool ok = field(r, k, eq + 1);
        explicit_bzero(line, ll + 1);
        if (!ok)
            return bad(r, why, "field");
    }
    for (int k = 0; k < F_COUNT; k++)
        if (!seen[k])
            return bad(r, why, "field");
    if (strcmp(r->key, want) != 0)
        return bad(r, why, "key-mismatch");
    char digest[KEY_HEX + 1];
    request_key(r->code, r->context, digest);
    if (strcmp(digest, r->key) != 0)
        return bad(r, why, "key-digest");
    *why = NULL;
    return LOAD_OK;
}

enum load_result request_load(const char *spool, enum spool_folder f, const char *name,
                              struct request *r, const char **why)
{
    memset(r, 0, sizeof(*r));
    char key[KEY_HEX + 1];
    if (!entry_name(name, key))
        return bad(r, why, "not-an-entry-name");
    /* The folder itself must be a directory, not a link out of the spool. */
    int dfd = spool_folder_fd(spool, f);
    if (dfd < 0) {
        *why = "io";
        return LOAD_ERROR;
    }
    struct stat ls, st;
    if (fstatat(dfd, name, &ls, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        close(dfd);
        errno = e;
        *why = "io";   /* gone meanwhile (ENOENT) or the folder is not searchable */
        return LOAD_ERROR;
    }
    if (S_ISLNK(ls.st_mode)) {
        close(dfd);
        return bad(r, why, "symlink");
    }
    if (!S_ISREG(ls.st_mode)) {
        close(dfd);
        return bad(r, why, "not-a-file");
    }
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    int e = errno;
    close(dfd);
    if (fd < 0) {
        if (e == EACCES || e == EPERM || e == ELOOP)
            return bad(r, why, e == ELOOP ? "symlink" : "unreadable");
        errno = e;
        *why = "io";
        return LOAD_ERROR;
    }
    if (fstat(fd, &st) != 0 || st.st_dev != ls.st_dev || st.st_ino != ls.st_ino) {
        close(fd);
        return bad(r, why, "not-a-file");   /* replaced between the look and the open */
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return bad(r, why, "not-a-file");
    }
    if (st.st_nlink != 1) {
        close(fd);
        return bad(r, why, "hard-link");
    }
    if (st.st_size > REQUEST_MAX) {
        close(fd);
        return bad(r, why, "too-large");
    }
    char buf[REQUEST_MAX + 1];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = errno;
            close(fd);
            explicit_bzero(buf, len);
            errno = e;
            *why = "io";
            return LOAD_ERROR;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof(buf))
            break;
    }
    close(fd);
    enum load_result res = request_parse(buf, len, name, r, why);
    explicit_bzero(buf, len);
    return res;
}
