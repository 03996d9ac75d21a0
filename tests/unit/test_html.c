/* Unit tests: html_extract_all() read from libxml2's SAX events reads what a walk of the
 * tree libxml2's own builder makes would read, where that tree is not the events' nesting
 * (html.c's reading contract): text after </html> goes into the first element (so an
 * <html hidden> hides it too) unless a DOCTYPE, a comment or a processing instruction is
 * the document's first node; the first element's end and the top-level comments after it
 * come after such late content; top-level comments before the first element count only
 * when an element follows; nesting beyond the builder's limit stops the reading there; an
 * element's name is the part after a namespace prefix, as the builder splits it. (One
 * difference is deliberate: a single text node over 10,000,000 bytes stopped the builder
 * without a word; the SAX reading goes on, and its own bounds name any limit.)
 * Each expected reading was checked against the tree walk this reader replaced, on the
 * corpus's HTML parts and some 7,000 generated documents. */
#include <glib.h>

#include "html.h"
#include "t.h"

static int cases;

/* The reading of html: main is the first section (where links stand), rest the other two. */
static void expect(const char *html, const char *main, const char *rest, const char *limit)
{
    struct html_text t;
    cases++;
    CHECK(html_extract_all(html, strlen(html), &t));
    const char *d = t.text.data ? t.text.data : "";
    bool ok = t.main_len == strlen(main) && memcmp(d, main, t.main_len) == 0 &&
              t.text.len - t.main_len == strlen(rest) && strcmp(d + t.main_len, rest) == 0 &&
              ((!limit && !t.limit) || (limit && t.limit && strcmp(limit, t.limit) == 0));
    t_count++;
    if (!ok) {
        t_fail++;
        fprintf(stderr, "FAIL reading of [%s]: main [%.*s] rest [%s] limit %s\n", html,
                (int)t.main_len, d, d + t.main_len, t.limit ? t.limit : "-");
    }
    html_text_free(&t);
}

int main(void)
{
    html_init();
    /* late text goes into the first element: hidden with it */
    expect("<html hidden><body><p>a</p></body></html>late", "\n\n\na\n\n\n\nlate\n\n\n",
           "\n\n", NULL);
    /* ... unless a DOCTYPE is the document's first node: a top-level element of its own */
    expect("<!DOCTYPE html><html hidden><body><p>a</p></body></html>late",
           "\n\n\na\n\n\n\n\nlate\n\n", "\n\n\nlate\n\n\n", NULL);
    /* a comment before the first element counts when an element follows, not alone */
    expect("<!--c1--><p>x</p>", "\n\n\nx\n\n\n", "\n\n\n\nx\n\n\n\n\nc1\n", NULL);
    expect("<!--only-->", "", "\n\n", NULL);
    /* top-level comments after the first element come after the late content, which may
     * hold comments of its own */
    expect("<p>x</p></html><!--mid--><b>late</b><!--end-->", "\n\n\nx\n\n\nlate\n\n",
           "\n\n\n\nx\n\n\nlate\n\n\n\nend\n\nmid\n", NULL);
    expect("<!--c0--><p>x</p></html><!--mid--><b>late</b>", "\n\n\nx\n\n\n\nlate\n",
           "\n\n\n\nx\n\n\n\nlate\n\n\nc0\n\nmid\n", NULL);
    /* text events under one element are one node, each script its own */
    expect("<p>x<script>s1</script><script>s2</script></p>", "\n\n\nx\n\n\n",
           "\n\n\n\nx\n\n\n\n\ns1\n\ns2\n", NULL);

    /* an element's name is the builder's: the part after a prefix ("x:script" is a script,
     * "o:p" a paragraph, "x:iframe" a frame whose src is a link); not for ":div" or "a:" */
    expect("<x:script>SECRET</x:script><p>hi</p>", "\n\n\nhi\n\n\n",
           "\n\n\n\nhi\n\n\n\n\nSECRET\n", NULL);
    expect("<p>To approve<o:p></o:p></p>", "\n\n\nTo approve\n\n\n\n\n",
           "\n\n\n\nTo approve\n\n\n\n\n\n", NULL);
    expect("<a:b:div>q</a:b:div><:div>r</:div><a:>s</a:>", "\n\nq<:div>rs\n\n",
           "\n\n\nq<:div>rs\n\n\n", NULL);
    {
        const char *h = "<p>To approve this request</p><x:iframe src=\"https://evil.example/\">"
                        "</x:iframe><a href=\"https://x/\">y</a>";
        struct html_text t;
        CHECK(html_extract_all(h, strlen(h), &t));
        CHECK(t.hrefs.n == 2 && strcmp(t.hrefs.v[0], "https://evil.example/") == 0 &&
              strcmp(t.hrefs.v[1], "https://x/") == 0);
        html_text_free(&t);
    }

    /* nesting: the limit is reported, and past the builder's limit the reading stops (the
     * text inside is not read, the elements open end there) */
    /* <b> elements inside html and body: the 255th is at depth 256, the deepest the tree
     * builder takes; a 256th stops the reading */
    struct html_text t;
    GString *g;
    for (int n = 255; n <= 256; n++) {
        g = g_string_new(NULL);
        for (int i = 0; i < n; i++)
            g_string_append(g, "<b>");
        g_string_append(g, "Domain: deep");
        for (int i = 0; i < n; i++)
            g_string_append(g, "</b>");
        CHECK(html_extract_all(g->str, g->len, &t));
        CHECK(t.limit && strcmp(t.limit, "html-depth") == 0);
        CHECK(t.text.data && (strstr(t.text.data, "deep") != NULL) == (n == 255));
        html_text_free(&t);
        g_string_free(g, TRUE);
    }
    /* a long text in one element is one node whatever chunks the parser hands over */
    g = g_string_new("<script>");
    for (int i = 0; i < 600; i++)
        g_string_append(g, "var a = 1; ");
    g_string_append(g, "</script>");
    CHECK(html_extract_all(g->str, g->len, &t));
    size_t lines = 0;
    for (size_t i = t.main_len; t.text.data && i < t.text.len; i++)
        lines += t.text.data[i] == '\n';
    CHECK(lines == 6);   /* the sections' separators, the empty reader's block lines, one node */
    html_text_free(&t);
    g_string_free(g, TRUE);

    printf("test_html: %d documents read\n", cases);
    return t_done("test_html");
}
