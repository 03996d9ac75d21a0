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
 * usage: floor SOCKET          (libmilter's smfi_setconn syntax: unix:PATH, inet:PORT@HOST)
 *        floor [-f] -x FILE    the socket from FILE's "Socket SPEC" line (the command line of
 *                              acm-milter and opendkim, so one test harness starts all three)
 * Runs in the foreground until SIGTERM/SIGINT/SIGHUP; exits 0 when libmilter stops cleanly.
 * A unix socket gets mode 0660 (umask 007): the MTA connects through its group.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* the value of the first "Socket SPEC" line of path, in buf */
static int socket_of(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[600];
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        char spec[512];
        if (sscanf(line, "Socket %511s", spec) == 1 && strlen(spec) < size) {
            strcpy(buf, spec);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    char spec[512];
    int i = 1;
    if (i < argc && strcmp(argv[i], "-f") == 0)
        i++;
    if (argc == i + 2 && strcmp(argv[i], "-x") == 0) {
        if (!socket_of(argv[i + 1], spec, sizeof(spec))) {
            fprintf(stderr, "floor: no Socket line in %s\n", argv[i + 1]);
            return 2;
        }
    } else if (argc == 2 && argv[1][0] && argv[1][0] != '-' && strlen(argv[1]) < sizeof(spec)) {
        strcpy(spec, argv[1]);
    } else {
        fprintf(stderr, "usage: floor SOCKET | floor [-f] -x FILE\n");
        return 2;
    }
    umask(007);
    if (smfi_setconn(spec) != MI_SUCCESS || smfi_register(floor_desc) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot set up libmilter on %s\n", spec);
        return 2;
    }
    if (smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "floor: cannot open %s\n", spec);
        return 2;
    }
    fprintf(stderr, "floor: listening on %s\n", spec);
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
