/* Unit tests: a MIME structure that readers disagree on, or that GMime itself reads otherwise
 * where its buffer reads fall, is a defect of the view (mime.c, ambiguous()), the same
 * defect whatever the lengths before it. Each sweep puts an X-Pad field of 0 to 4,200 bytes
 * before the message, which moves every read end of GMime's 4 KB buffer across the lines
 * that matter, and asks for the same defect from mime_parse() and mime_parse_split() at
 * every length; the controls show that GMime's own reading of the parts does move there
 * (without ambiguous(), the defect would come and go with it). */
#include <glib.h>

#include "mime.h"
#include "t.h"

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const char *defect_of(const char *raw)
{
    struct mime_view *mv = mime_parse(raw, strlen(raw));
    const char *d = mv ? mv->defect : "no-view";
    mime_free(mv);
    return d;
}

/* msg under every pad of step bytes up to max: the defect is want (or, want NULL, the one at
 * pad 0, which must not be NULL), the split view is the whole one; returns how many
 * different lengths GMime gave the first text part (the control) */
static int sweep(const char *what, const char *msg, size_t len, const char *want, int max,
                 int step)
{
    int bad = 0;
    size_t lens[8];
    int nlens = 0;
    for (int pad = 0; pad <= max; pad += step) {
        GString *g = g_string_new(NULL);
        if (pad) {
            g_string_append(g, "X-Pad: ");
            for (int i = 0; i < pad; i++)
                g_string_append_c(g, 'a');
            g_string_append(g, "\r\n");
        }
        g_string_append_len(g, msg, (gssize)len);
        struct mime_view *a = mime_parse(g->str, g->len);
        struct mime_view *b = mime_parse_split(g->str, g->len, NULL);
        if (!want && a && pad == 0)
            want = a->defect;
        const char *diff = a && b ? mime_view_differs(a, b) : "no view";
        if (!a || !want || !same_str(a->defect, want) || diff) {
            if (bad++ < 3)
                fprintf(stderr, "%s, pad %d: defect %s (want %s), split view: %s\n", what, pad,
                        a && a->defect ? a->defect : "(none)", want ? want : "(none)",
                        diff ? diff : "same");
        }
        size_t l = a && a->nparts ? a->parts[0].len : 0;
        bool seen = false;
        for (int i = 0; i < nlens; i++)
            seen = seen || lens[i] == l;
        if (!seen && nlens < 8)
            lens[nlens++] = l;
        mime_free(a);
        mime_free(b);
        g_string_free(g, TRUE);
    }
    CHECK(bad == 0);
    return nlens;
}

#define TOP "From: no-reply@certificates.amazon.com\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
#define MIXED TOP "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"

static GString *lines(const char *head, int n)
{
    GString *g = g_string_new(head);
    g_string_append(g, "--b1\r\nContent-Type: text/plain\r\n\r\n");
    for (int i = 0; i < n; i++)
        g_string_append(g, "Domain: www.example.com and some more text on the line\r\n");
    return g;
}

/* lines(MIXED, 30), then prefix, n copies of c and suffix, swept from 0 to 4,200 bytes of
 * pad as sweep() does; returns sweep()'s count of first-part lengths */
static int sweep_run(const char *what, const char *prefix, char c, int n, const char *suffix,
                     const char *want)
{
    GString *g = lines(MIXED, 30);
    g_string_append(g, prefix);
    for (int i = 0; i < n; i++)
        g_string_append_c(g, c);
    g_string_append(g, suffix);
    int r = sweep(what, g->str, g->len, want, 4200, 1);
    g_string_free(g, TRUE);
    return r;
}

int main(void)
{
    mime_init();

    /* the delimiter at a line's start, then text: RFC 2046 readers end the part there */
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r\n"
                              "--b1Domain: www.evil.example\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r\n"
                              "--b1 \tDomain: www.evil.example\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r\n"
                              "--b1-- the end\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r\n--b1--\r\n"
                              "--b1----\r\n"),
              "mime-boundary-line");   /* in the epilogue too */
    /* an outer boundary that starts the inner one: the inner delimiter is the outer one
     * with text */
    CHECK_STR(defect_of(TOP "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                            "--b\r\nContent-Type: multipart/alternative; boundary=\"bb\"\r\n\r\n"
                            "--bb\r\nContent-Type: text/plain\r\n\r\nx\r\n--bb--\r\n--b--\r\n"),
              "mime-boundary-line");
    /* what is not: transport padding after a delimiter, lines that only look alike */
    CHECK(defect_of(MIXED "--b1 \t \r\nContent-Type: text/plain\r\n\r\nok\r\n--b1-- \t\r\n") ==
          NULL);
    CHECK(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r\n--b\r\n-- b1x\r\n"
                          "--\r\n-- \r\n--b1\r\n\r\nmore\r\n--b1--\r\n") == NULL);
    /* the delimiter inside a line: where GMime's read ends before it, GMime reads it as a
     * line of its own; after a bare CR, a reader that takes the CR for a line end does */
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok x--b1\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\nok\r--b1\r\n"
                              "Content-Type: text/html\r\n\r\nx\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: text/plain\r\n\r\n---b1x\r\n--b1--\r\n"),
              "mime-boundary-line");
    CHECK_STR(defect_of(MIXED "--b1\r\nX-Note: see --b1--\r\n\r\nok\r\n--b1--\r\n"),
              "mime-boundary-line");
    /* a multipart without a boundary stays that defect (the recognizer's limit: the parts
     * were never told apart), whatever else is ambiguous */
    CHECK_STR(defect_of(TOP "X-Scanned-By : gw\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n"),
              "mime-no-boundary");
    CHECK(defect_of(TOP "--b1x: a field named so\r\nContent-Type: multipart/mixed; "
                        "boundary=\"b1\"\r\n\r\n--b1\r\n\r\nok\r\n--b1--\r\n") == NULL);
    /* a line that is not a field, in a part's header; a field with blanks before its
     * colon, in a part's header, the message's and an attached message's */
    CHECK_STR(defect_of(MIXED "--b1\r\nnot a field\r\nContent-Type: text/plain\r\n\r\nok\r\n"
                              "--b1--\r\n"),
              "mime-invalid-header");
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type : text/plain\r\n\r\nok\r\n--b1--\r\n"),
              "mime-invalid-header");
    /* but not in the message's own header: the MTA hands it over as name and value, and -t
     * decides as the daemon does */
    CHECK(defect_of("From: a@b.c\r\nSubject : x\r\n\r\nok\r\n") == NULL);
    /* a CR that ends no line, in a part's header and in the message's: a reader that takes
     * it for a line end reads another field after it */
    CHECK_STR(defect_of(MIXED "--b1\r\nX-Foo: a\rContent-Transfer-Encoding: quoted-printable\r\n"
                              "\r\nok=3D\r\n--b1--\r\n"),
              "mime-invalid-header");
    CHECK_STR(defect_of("From: a@b.c\r\nX-Foo: a\rSubject: other\r\n\r\nok\r\n"),
              "mime-invalid-header");
    /* a delimiter followed by a CR that ends no line: another line to some readers */
    CHECK_STR(defect_of(MIXED "--b1\r\r\nContent-Type: text/plain\r\n\r\nok\r\n--b1--\r\n"),
              "mime-boundary-line");
    /* a boundary parameter other readers may read otherwise: a blank at its end (stripped by
     * some), RFC 2231 continuations (joined otherwise by some), 8-bit bytes (GMime converts
     * them, a reader comparing bytes does not), an escape */
    static const char *const odd[] = {
        "boundary=\"b1 \"", "boundary*0=\"b\"; boundary*1=\"1\"", "boundary*=us-ascii''b1",
        "boundary=\"b\xe9\"", "boundary=\"b\\1\"",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        char m[512];
        snprintf(m, sizeof(m), TOP "Content-Type: multipart/mixed; %s\r\n\r\n--b1\r\n\r\nok\r\n"
                               "--b1--\r\n", odd[i]);
        const char *d = defect_of(m);
        CHECK(d && strcmp(d, "mime-boundary-parameter") == 0);
        if (!d || strcmp(d, "mime-boundary-parameter") != 0)
            fprintf(stderr, "  %s: %s\n", odd[i], d ? d : "(none)");
    }
    /* and plain ones: a token, a quoted value with a blank inside, after another parameter
     * whose quoted value holds ';' and "boundary=", after one whose name starts so */
    static const char *const plain[] = {
        "boundary=b1", "boundary=\"b 1\"", "x=\"a;boundary=zz\"; boundary=\"b1\"",
        "boundaryx=1; boundary=b1", "BOUNDARY = \"b1\" (a comment)",
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char m[512];
        const char *bnd = strstr(plain[i], "b 1") ? "b 1" : "b1";
        snprintf(m, sizeof(m), TOP "Content-Type: multipart/mixed; %s\r\n\r\n--%s\r\n\r\nok\r\n"
                               "--%s--\r\n", plain[i], bnd, bnd);
        const char *d = defect_of(m);
        CHECK(d == NULL);
        if (d)
            fprintf(stderr, "  %s: %s\n", plain[i], d);
    }
    CHECK_STR(defect_of(MIXED "--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.c\r\n"
                              "Subject\t: inner\r\n\r\nx\r\n--b1--\r\n"),
              "mime-invalid-header");
    /* the boundary line comes first, before GMime's own findings */
    CHECK_STR(defect_of(TOP "Subject: other\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n"
                            "\r\n--b1\r\nnot a field\r\n\r\nok\r\n--b1 x\r\n--b1--\r\n"),
              "mime-boundary-line");

    /* GMime takes "--b1" and 300 blanks for the delimiter where its read ends in the
     * blanks, and the text for the part's elsewhere */
    CHECK(sweep_run("long blanks after a delimiter", "--b1", ' ', 300,
                    "Domain: www.evil.example\r\nmore\r\n--b1\r\nContent-Type: text/plain"
                    "\r\n\r\nsecond\r\n--b1--\r\n",
                    "mime-boundary-line") > 1);
    /* and the close delimiter */
    CHECK(sweep_run("long blanks after a close delimiter", "--b1--", '\t', 300,
                    "x\r\nmore\r\n--b1--\r\n", "mime-boundary-line") > 1);
    /* a long line that ends with the delimiter: where GMime's read ends before the
     * delimiter, the rest of the line is a delimiter line to it, and the part after it one
     * more part */
    CHECK(sweep_run("a long line that ends with the delimiter", "", 'y', 200,
                    "--b1\r\nContent-Type: image/png\r\n\r\nDomain: www.evil.example\r\n"
                    "--b1--\r\n",
                    "mime-boundary-line") > 1);
    /* the same in a part's header: a field that ends with the delimiter ends the part's
     * header there, where a read ends before it */
    sweep_run("a part field that ends with the delimiter",
              "--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
              "X-Note: ",
              'y', 150, "--b1\r\n\r\nRG9tYWluOiB3d3cuZXZpbC5leGFtcGxl\r\n--b1--\r\n",
              "mime-boundary-line");
    /* more multiparts than MIME_MAX_PARTS: the limit (those past it are not looked for) */
    GString *g = g_string_new(TOP "Content-Type: multipart/mixed; boundary=\"r\"\r\n\r\n");
    for (int c = 0; c < 5; c++) {
        g_string_append(g, "--r\r\n");
        for (int d = 0; d < 14; d++)
            g_string_append_printf(g, "Content-Type: multipart/mixed; boundary=\"q%dx%d\"\r\n\r\n"
                                      "--q%dx%d\r\n", c, d, c, d);
        g_string_append(g, "Content-Type: text/plain\r\n\r\nleaf\r\n");
        for (int d = 13; d >= 0; d--)
            g_string_append_printf(g, "--q%dx%d--\r\n", c, d);
    }
    g_string_append(g, "--r--\r\n");
    struct mime_view *mv = mime_parse(g->str, g->len);
    CHECK(mv && mv->unread && strcmp(mv->unread, "mime-parts") == 0);
    mime_free(mv);
    g_string_free(g, TRUE);
    /* blanks before a part field's colon: GMime reads the field, or, where its read ends in
     * the blanks, a line that is not a field */
    sweep_run("blanks before a part field's colon", "--b1\r\nContent-Type", ' ', 300,
              ": text/plain\r\n\r\nsecond\r\n--b1--\r\n", "mime-invalid-header");
    /* a part whose header lines are not fields (the fuzzer's finding: GMime keeps a piece
     * of the line its read ends in, and reads the part otherwise) */
    g = lines(MIXED, 30);
    g_string_append(g, "--b1\r\n");
    for (int i = 0; i < 60; i++)
        g_string_append(g, "this line is no field, it holds blanks and a colon: later\r\n");
    g_string_append(g, "--b1--\r\n");
    sweep("lines that are no fields in a part's header", g->str, g->len, "mime-invalid-header",
          4200, 1);
    g_string_free(g, TRUE);
    /* the two messages that moved GMime's reads in test_fields */
    for (size_t i = 0; t_moved(i); i++) {
        size_t dl = 0;
        char *data = t_read_regression(t_moved(i), &dl);
        if (data)
            CHECK(sweep(t_moved(i), data, dl, "mime-invalid-header", 4200, 3) >= 1);
        free(data);
    }
    mime_shutdown();
    return t_done("test_ambiguity");
}
