/* dkimsign - TEST TOOL: signs a message read on stdin with libopendkim and writes it, with
 * the DKIM-Signature field prepended, on stdout. Used by the DKIM tests to make signatures
 * at test time with keys generated at test time.
 *   dkimsign -k KEY.pem -s SELECTOR -d DOMAIN [-l] [-x TTL] [-t SIGNTIME] [-h FIELDS]
 *   -l  add l= covering the body as it is now;  -x  add x= TTL seconds after t=;
 *   -t  sign as if at this UNIX time;  -h  colon-separated fields to sign (default: From,
 *       To, Subject, Date, Message-ID, MIME-Version, Content-Type). */
#include <opendkim/dkim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, r;
    char *b = malloc(cap);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            b = realloc(b, cap *= 2);
    }
    *len = n;
    return b;
}

int main(int argc, char **argv)
{
    const char *keyf = NULL, *sel = NULL, *dom = NULL, *fields = NULL;
    long ttl = 0, when = 0;
    int opt, want_l = 0;
    while ((opt = getopt(argc, argv, "k:s:d:lx:t:h:")) != -1) {
        switch (opt) {
        case 'k': keyf = optarg; break;
        case 's': sel = optarg; break;
        case 'd': dom = optarg; break;
        case 'l': want_l = 1; break;
        case 'x': ttl = atol(optarg); break;
        case 't': when = atol(optarg); break;
        case 'h': fields = optarg; break;
        default: return 2;
        }
    }
    if (!keyf || !sel || !dom)
        return 2;
    FILE *kf = fopen(keyf, "r");
    if (!kf)
        return 2;
    size_t klen, mlen;
    char *key = slurp(kf, &klen);
    fclose(kf);
    key[klen] = '\0';
    char *msg = slurp(stdin, &mlen);
    DKIM_LIB *lib = dkim_init(NULL, NULL);
    unsigned int fl = DKIM_LIBFLAGS_FIXCRLF;
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &fl, sizeof(fl));
    if (when) {
        uint64_t t = (uint64_t)when;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof(t));
    }
    if (ttl) {
        uint64_t t = (uint64_t)ttl;
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &t, sizeof(t));
    }
    static const char *def[] = {"from", "to", "subject", "date", "message-id", "mime-version",
                                "content-type", NULL};
    const char *list[32];
    char *fcopy = fields ? strdup(fields) : NULL;
    if (fcopy) {
        int n = 0;
        for (char *t = strtok(fcopy, ":"); t && n < 31; t = strtok(NULL, ":"))
            list[n++] = t;
        list[n] = NULL;
    }
    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, fcopy ? (void *)list : (void *)def,
                 sizeof(char **));
    /* find the body */
    size_t body = mlen;
    for (size_t i = 0; i + 1 < mlen; i++) {
        if (msg[i] == '\n' && msg[i + 1] == '\n') { body = i + 2; break; }
        if (msg[i] == '\n' && msg[i + 1] == '\r' && i + 2 < mlen && msg[i + 2] == '\n') { body = i + 3; break; }
    }
    DKIM_STAT st;
    DKIM *d = dkim_sign(lib, (u_char *)"test", NULL, (u_char *)key, (u_char *)sel, (u_char *)dom,
                        DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, DKIM_SIGN_RSASHA256,
                        want_l ? (ssize_t)(mlen - body) : (ssize_t)-1, &st);
    if (!d) {
        fprintf(stderr, "dkim_sign: %s\n", dkim_getresultstr(st));
        return 1;
    }
    size_t pos = 0;
    while (pos < body) {
        size_t end = pos;
        while (end < body) {
            char *nl = memchr(msg + end, '\n', body - end);
            end = nl ? (size_t)(nl - msg) + 1 : body;
            if (end >= body || (msg[end] != ' ' && msg[end] != '\t'))
                break;
        }
        size_t n = end - pos;
        while (n && (msg[pos + n - 1] == '\n' || msg[pos + n - 1] == '\r'))
            n--;
        if (n)
            dkim_header(d, (u_char *)msg + pos, n);
        pos = end;
        if (n == 0)
            break;
    }
    dkim_eoh(d);
    if (body < mlen)
        dkim_body(d, (u_char *)msg + body, mlen - body);
    if ((st = dkim_eom(d, NULL)) != DKIM_STAT_OK) {
        fprintf(stderr, "dkim_eom: %s %s\n", dkim_getresultstr(st), dkim_geterror(d));
        return 1;
    }
    u_char *sig;
    size_t slen;
    if (dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &sig, &slen) != DKIM_STAT_OK)
        return 1;
    printf("%s: %s\r\n", DKIM_SIGNHEADER, sig);
    fwrite(msg, 1, mlen, stdout);
    dkim_free(d);
    dkim_close(lib);
    free(msg);
    free(key);
    free(fcopy);
    return 0;
}
