/*
 * html - see html.h for the contract.
 */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

void html_init(void)
{
    xmlInitParser();
}

static bool is_block(const char *name)
{
    static const char *const blocks[] = {
        "address", "blockquote", "body", "br",  "center", "dd", "div",   "dl",    "dt",
        "form",    "h1",         "h2",   "h3",  "h4",     "h5", "h6",    "head",  "hr",
        "html",    "li",         "ol",   "p",   "pre",    "section", "table", "tbody", "td",
        "tfoot",   "th",         "thead", "title", "tr",  "ul",
    };
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
        if (strcmp(name, blocks[i]) == 0)
            return true;
    return false;
}

/* In the reading of a mail part, what a reader does not see stands on lines of its own. */
static bool is_block_all(const char *name, bool all)
{
    return is_block(name) || (all && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
                                      strcmp(name, "noscript") == 0 ||
                                      strcmp(name, "textarea") == 0));
}

static void set_limit(struct html_text *out, const char *what)
{
    if (!out->limit)
        out->limit = what;
}

static void add_href(struct html_text *out, const char *v)
{
    if (out->hrefs.n >= HTML_MAX_HREFS) {
        set_limit(out, "html-links");
        return;
    }
    size_t n = strlen(v);
    char *c = malloc(n + 1);
    size_t *pos = realloc(out->href_pos, (out->hrefs.n + 1) * sizeof(*pos));
    if (pos)
        out->href_pos = pos;
    if (!c || !pos) {
        free(c);
        set_limit(out, "html-links");
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
            c[o++] = v[i];
    c[o] = '\0';
    char *t = str_trim(c);
    out->href_pos[out->hrefs.n] = out->text.len;
    if (!strlist_add(&out->hrefs, t))
        set_limit(out, "html-links");
    free(c);
}

static void add_attr_link(struct html_text *out, xmlNodePtr n, const char *attr)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    if (v) {
        add_href(out, (const char *)v);
        xmlFree(v);
    }
}

static bool read_html(const char *html, size_t len, bool all, struct html_text *out)
{
    memset(out, 0, sizeof(*out));
    sbuf_init(&out->text, len * 2 + 1024);
    if (len > (size_t)0x7fffffff)
        return false;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!doc)
        return !out->text.overflow;
    /* Iterative pre-order walk (no recursion, so nesting depth costs no stack). */
    xmlNodePtr n = xmlDocGetRootElement(doc);
    /* the root's siblings (comments before <html>) are read too: start at the first */
    if (all)
        while (n && n->prev)
            n = n->prev;
    int depth = 0;
    while (n) {
        bool descend = true;
        if (depth > HTML_MAX_DEPTH)
            set_limit(out, "html-depth");
        if (n->type == XML_ELEMENT_NODE && n->name) {
            const char *name = (const char *)n->name;
            if (!all && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0))
                descend = false;
            if (is_block_all(name, all))
                sbuf_putc(&out->text, '\n');
            if (!all) {
                if (strcmp(name, "a") == 0)
                    add_attr_link(out, n, "href");
            } else {
                if (xmlHasProp(n, (const xmlChar *)"href"))
                    add_attr_link(out, n, "href");
                if (strcmp(name, "form") == 0)
                    add_attr_link(out, n, "action");
                if (strcmp(name, "iframe") == 0 || strcmp(name, "frame") == 0)
                    add_attr_link(out, n, "src");
            }
        } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                sbuf_puts(&out->text, (const char *)n->content);
        } else if (all && n->type == XML_COMMENT_NODE && n->content) {
            sbuf_putc(&out->text, '\n');
            sbuf_puts(&out->text, (const char *)n->content);
            sbuf_putc(&out->text, '\n');
        }
        if (descend && n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            depth++;
            continue;
        }
        /* go to next sibling, climbing up as needed; emit block-close newlines */
        while (n) {
            if (n->type == XML_ELEMENT_NODE && n->name && is_block_all((const char *)n->name, all))
                sbuf_putc(&out->text, '\n');
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            depth--;
            if (n && n->type != XML_ELEMENT_NODE)
                n = NULL;
        }
    }
    xmlFreeDoc(doc);
    if (out->text.overflow)
        set_limit(out, "html-text");
    return true;
}

bool html_extract(const char *html, size_t len, struct html_text *out)
{
    return read_html(html, len, false, out);
}

bool html_extract_all(const char *html, size_t len, struct html_text *out)
{
    return read_html(html, len, true, out);
}

void html_text_free(struct html_text *t)
{
    sbuf_free(&t->text);
    strlist_free(&t->hrefs);
    free(t->href_pos);
    t->href_pos = NULL;
}
