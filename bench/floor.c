/*
 * floor - the benchmark's floor filter: the cheapest libmilter filter there is.
 *
 * It answers the connect step with SMFIS_ACCEPT and has no other callback and no
 * xxfi_negotiate: libmilter negotiates its defaults (every other step is marked as not
 * wanted because its callback is NULL), Postfix stops talking to it for the rest of the
 * SMTP session. What it costs per message is the price of having any milter in the path:
 * the option negotiation, the connect packet and its reply, a libmilter session (thread,
 * context) and the MTA's work for all of it. It never modifies, rejects or delays mail.
 *
 * usage: floor SOCKET        (libmilter's smfi_setconn syntax: unix:PATH, inet:PORT@HOST)
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP; exits 0 when libmilter stops cleanly.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>

static sfsistat floor_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
    (void)ctx, (void)host, (void)addr;
    return SMFIS_ACCEPT;
}

static struct smfiDesc floor_desc = {
    .xxfi_name = "floor",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_connect = floor_connect,
};

int main(int argc, char **argv)
{
    if (argc != 2 || !argv[1][0]) {
        fprintf(stderr, "usage: floor SOCKET\n");
        return 2;
    }
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(floor_desc) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot set up libmilter on %s\n", argv[1]);
        return 2;
    }
    if (smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot open %s\n", argv[1]);
        return 2;
    }
    fprintf(stderr, "floor: listening on %s\n", argv[1]);
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
