/*
 * floor - the benchmark's floor filters: libmilter programs that do none of acm-milter's work.
 *
 * Two of them, chosen by a "Floor connect|protocol" line in the file given with -x (default
 * connect):
 *
 * connect   answers the connect step with SMFIS_ACCEPT and has no other callback and no
 *           xxfi_negotiate: libmilter negotiates its defaults, Postfix stops talking to it for
 *           the rest of the SMTP session. What it costs per message is the price of having any
 *           milter in the path: the option negotiation, the connect packet and its reply, a
 *           libmilter session and the MTA's work for all of it.
 *
 * protocol  the same exchange with the MTA as acm-milter, and none of its work: it negotiates
 *           the steps and replies acm-milter negotiates (milter/callbacks.c), takes the same
 *           turns with trivial rules that agree with acm-milter's decisions on the bench's
 *           three kinds of mail, and keeps its per-connection state in smfi_setpriv:
 *             DATA    ACCEPT unless a recipient's local part is one of the five ACM addresses
 *             EOH     ACCEPT unless a From field names amazon.com
 *             body    CONTINUE; end of message: one X-ACM-Milter header added, ACCEPT.
 *           Like acm-milter (milter/main.c) it sets TCP_NODELAY on an inet listening
 *           socket, so that the header and the verdict at end of message are not held by
 *           Nagle. Nothing is buffered, parsed or logged. acm-milter's cost over this floor is its
 *           own work (buffering, parsing, deciding, logging); this floor's cost over the
 *           connect floor is what any milter pays that must see the recipients (and, for
 *           watched mail, the headers and the body): packets the MTA sends in any case.
 *
 * usage: floor SOCKET          (libmilter's smfi_setconn syntax: unix:PATH, inet:PORT@HOST)
 *        floor [-f] -x FILE    the socket from FILE's "Socket SPEC" line and the kind from its
 *                              "Floor KIND" line (the command line of acm-milter and opendkim,
 *                              so one test harness starts all of them)
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP; exits 0 when libmilter stops cleanly.
 * A unix socket gets mode 0660 (umask 007): the MTA connects through its group. It never
 * rejects, discards or delays mail.
 */
#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

static sfsistat floor_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)ctx, (void)host, (void)addr;
    return SMFIS_ACCEPT;
}

static struct smfiDesc connect_desc = {
    .xxfi_name = "floor",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_connect = floor_connect,
};

/* ---- the protocol floor */

/* what acm-milter negotiates when the MTA offers it (milter/callbacks.c, STEPS_WANTED) */
#define PROTO_STEPS                                                                         \
    (SMFIP_SKIP | SMFIP_HDR_LEADSPC | SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN |    \
     SMFIP_NOMAIL | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR)

struct pconn {
    unsigned long steps;
    bool watched;   /* a recipient of the message in progress is watched */
    bool amazon;    /* its From field names amazon.com */
};

/* The message in progress is over (answered or aborted): the next one starts afresh. */
static void p_reset(SMFICTX *ctx)
{
    struct pconn *p = smfi_getpriv(ctx);
    if (p)
        p->watched = p->amazon = false;
}

static sfsistat nr(SMFICTX *ctx, unsigned long flag)
{
    struct pconn *p = smfi_getpriv(ctx);
    return p && (p->steps & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat p_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                            unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                            unsigned long *pf2, unsigned long *pf3)
{
    (void)f2, (void)f3;
    struct pconn *p = calloc(1, sizeof(*p));
    *pf0 = f0 & SMFIF_ADDHDRS;
    *pf1 = p ? f1 & PROTO_STEPS : 0;
    *pf2 = 0;
    *pf3 = 0;
    if (p)
        p->steps = *pf1;
    smfi_setpriv(ctx, p);
    return SMFIS_CONTINUE;
}

static sfsistat p_envfrom(SMFICTX *ctx, char **argv)
{
    (void)argv;
    p_reset(ctx);
    return nr(ctx, SMFIP_NR_MAIL);
}

static sfsistat p_envrcpt(SMFICTX *ctx, char **argv)
{
    static const char *const watched[] = {"admin", "administrator", "hostmaster", "postmaster",
                                          "webmaster"};
    struct pconn *p = smfi_getpriv(ctx);
    const char *a = argv && argv[0] ? argv[0] : "";
    if (*a == '<')
        a++;
    const char *at = strrchr(a, '@');
    for (size_t i = 0; p && at && i < sizeof(watched) / sizeof(watched[0]); i++)
        if (strlen(watched[i]) == (size_t)(at - a) &&
            strncasecmp(watched[i], a, (size_t)(at - a)) == 0)
            p->watched = true;
    return nr(ctx, SMFIP_NR_RCPT);
}

/* acm-milter's answer where it may decide: ACCEPT (the message ends for it) unless it reads on. */
static sfsistat accept_unless(SMFICTX *ctx, bool read_on)
{
    if (!read_on) {
        p_reset(ctx);
        return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
}

static sfsistat p_data(SMFICTX *ctx)
{
    struct pconn *p = smfi_getpriv(ctx);
    return accept_unless(ctx, p && p->watched);
}

static sfsistat p_header(SMFICTX *ctx, char *name, char *value)
{
    struct pconn *p = smfi_getpriv(ctx);
    if (p && name && value && strcasecmp(name, "From") == 0 && strstr(value, "amazon.com"))
        p->amazon = true;
    return nr(ctx, SMFIP_NR_HDR);
}

static sfsistat p_eoh(SMFICTX *ctx)
{
    struct pconn *p = smfi_getpriv(ctx);
    return accept_unless(ctx, p && p->amazon);
}

static sfsistat p_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    (void)ctx, (void)chunk, (void)len;
    return SMFIS_CONTINUE;
}

static sfsistat p_eom(SMFICTX *ctx)
{
    (void)smfi_addheader(ctx, "X-ACM-Milter", " decision=floor");
    p_reset(ctx);
    return SMFIS_ACCEPT;
}

static sfsistat p_abort(SMFICTX *ctx)
{
    p_reset(ctx);
    return SMFIS_CONTINUE;
}

static sfsistat p_close(SMFICTX *ctx)
{
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

static struct smfiDesc protocol_desc = {
    .xxfi_name = "floor-protocol",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_envfrom = p_envfrom,
    .xxfi_envrcpt = p_envrcpt,
    .xxfi_header = p_header,
    .xxfi_eoh = p_eoh,
    .xxfi_body = p_body,
    .xxfi_eom = p_eom,
    .xxfi_abort = p_abort,
    .xxfi_close = p_close,
    .xxfi_data = p_data,
    .xxfi_negotiate = p_negotiate,
};

/* TCP_NODELAY on libmilter's listening socket if it is an inet one (accepted connections
 * inherit it): libmilter keeps the descriptor to itself, so look at each open one. */
static void nodelay(void)
{
    for (int fd = 3; fd < 256; fd++) {
        int on = 0, dom = 0, one = 1;
        socklen_t a = sizeof(on), b = sizeof(dom);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &a) == 0 && on &&
            getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &b) == 0 &&
            (dom == AF_INET || dom == AF_INET6))
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

/* The value of the first "KEY VALUE" line of path, in buf. */
static int value_of(const char *path, const char *key, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[600];
    int found = 0;
    size_t kl = strlen(key);
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char v[512];
        if (strncasecmp(line, key, kl) == 0 && (line[kl] == ' ' || line[kl] == '\t') &&
            sscanf(line + kl, " %511s", v) == 1 && strlen(v) < size) {
            strcpy(buf, v);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    char spec[512], kind[32] = "connect";
    int i = 1;
    if (i < argc && strcmp(argv[i], "-f") == 0)
        i++;
    if (argc == i + 2 && strcmp(argv[i], "-x") == 0) {
        if (!value_of(argv[i + 1], "Socket", spec, sizeof(spec))) {
            fprintf(stderr, "floor: no Socket line in %s\n", argv[i + 1]);
            return 2;
        }
        (void)value_of(argv[i + 1], "Floor", kind, sizeof(kind));
    } else if (argc == 2 && argv[1][0] && argv[1][0] != '-' && strlen(argv[1]) < sizeof(spec)) {
        strcpy(spec, argv[1]);
    } else {
        fprintf(stderr, "usage: floor SOCKET | floor [-f] -x FILE\n");
        return 2;
    }
    struct smfiDesc *desc;
    if (strcmp(kind, "connect") == 0)
        desc = &connect_desc;
    else if (strcmp(kind, "protocol") == 0)
        desc = &protocol_desc;
    else {
        fprintf(stderr, "floor: Floor %s: connect or protocol\n", kind);
        return 2;
    }
    umask(007);
    if (smfi_setconn(spec) != MI_SUCCESS || smfi_register(*desc) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot set up libmilter on %s\n", spec);
        return 2;
    }
    if (smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot open %s\n", spec);
        return 2;
    }
    if (desc == &protocol_desc)
        nodelay();
    fprintf(stderr, "floor: %s floor listening on %s\n", kind, spec);
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
