/*
 * fuzz_url - the strict approval-URL check and the ARN/region helpers on the input as a
 * string (NUL-terminated; an embedded NUL ends it), then recognize() on a minimal decoded
 * view holding it: one text/plain part with the input as the link line of the template, and
 * one text/html part with it as an <a href> and as the link text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "evaluate.h"
#include "mime.h"
#include "recognizer.h"
#include "util.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!evaluate_init())
        abort();
    return 0;
}

static const char text_head[] =
    "Domain: www.example.com\r\nAWS account ID: 123456789012\r\nAWS Region name: us-east-1\r\n"
    "Certificate Identifier: arn:aws:acm:us-east-1:123456789012:certificate/"
    "3b4d78e1-0882-4f51-954a-298ee44ff369\r\n \r\n"
    "To approve this request, go to Amazon Certificate Approvals\r\n(";
static const char text_tail[] = ")\r\nand follow the instructions on the page.\r\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;

    char host[128], region[32], code[40], ctx[128];
    if (approval_url_parse(s, host, sizeof(host), region, sizeof(region), code, sizeof(code),
                           ctx, sizeof(ctx))) {
        fuzz_check_str(host, sizeof(host));
        fuzz_check_str(region, sizeof(region));
        fuzz_check_str(code, sizeof(code));
        fuzz_check_str(ctx, sizeof(ctx));
        if (!region_valid(region) || !uuid_valid(code, strlen(code)))
            abort();   /* an accepted URL names a known region and a canonical code */
    }
    struct arn a;
    if (arn_parse(s, false, &a)) {
        char txt[ARN_TEXT_MAX];
        arn_format(&a, txt, sizeof(txt));
        struct arn b;
        if (!arn_parse(txt, false, &b) || strcmp(a.partition, b.partition) != 0 ||
            strcmp(a.region, b.region) != 0 || strcmp(a.account, b.account) != 0 ||
            strcmp(a.certid, b.certid) != 0)
            abort();   /* format(parse(x)) parses back to the same ARN */
    }
    if (arn_parse(s, true, &a)) {
        char txt[ARN_TEXT_MAX];
        arn_format(&a, txt, sizeof(txt));
    }
    if (region_valid(s)) {
        const char *p = region_partition(s);
        if (p)
            (void)partition_approval_suffix(p);
    }
    (void)uuid_valid(s, strlen(s));
    (void)partition_approval_suffix(s);

    /* recognize() over a decoded view that carries the input as the link */
    struct sbuf t, h;
    sbuf_init(&t, 0);
    sbuf_init(&h, 0);
    sbuf_puts(&t, text_head);
    sbuf_puts(&t, s);
    sbuf_puts(&t, text_tail);
    sbuf_puts(&h, "<p>Domain: <b>www.example.com</b></p><p><a href=\"");
    sbuf_puts(&h, s);
    sbuf_puts(&h, "\">");
    sbuf_puts(&h, s);
    sbuf_puts(&h, "</a></p>");
    if (!t.overflow && !h.overflow) {
        struct mime_text parts[2] = {
            {.html = false, .text = t.data, .len = t.len},
            {.html = true, .text = h.data, .len = h.len},
        };
        struct mime_view mv;
        memset(&mv, 0, sizeof(mv));
        mv.subject = "Certificate request for www.example.com";
        struct acm_fields f;
        for (size_t n = 1; n <= 2; n++) {   /* text part alone, then both */
            mv.parts = parts;
            mv.nparts = n;
            enum recog_status st = recognize(&mv, &f);
            fuzz_check_str(f.detail, sizeof(f.detail));
            fuzz_check_str(f.host, sizeof(f.host));
            if (st == RECOG_OK && (!f.have_url || !f.code[0] || !f.host[0]))
                abort();
            if (!recog_status_name(st))
                abort();
        }
        /* the html part alone */
        mv.parts = parts + 1;
        mv.nparts = 1;
        (void)recognize(&mv, &f);
    }
    sbuf_free(&t);
    sbuf_free(&h);
    free(s);
    return 0;
}
