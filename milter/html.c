/*
 * html - see html.h for the contract.
 */
#include "html.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#define HTML_MAX_HREFS 256

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

static void add_href(struct html_text *out, const char *v)
{
    if (out->hrefs.n >= HTML_MAX_HREFS)
        return;
    size_t n = strlen(v);
    char *c = malloc(n + 1);
    if (!c)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '\t' && v[i] != '\r' && v[i] != '\n')
            c[o++] = v[i];
    c[o] = '\0';
    char *t = str_trim(c);
    strlist_add(&out->hrefs, t);
    free(c);
}

bool html_extract(const char *html, size_t len, struct html_text *out)
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
    while (n) {
        bool descend = true;
        if (n->type == XML_ELEMENT_NODE && n->name) {
            const char *name = (const char *)n->name;
            if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0)
                descend = false;
            if (is_block(name))
                sbuf_putc(&out->text, '\n');
            if (strcmp(name, "a") == 0) {
                xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
                if (href) {
                    add_href(out, (const char *)href);
                    xmlFree(href);
                }
            }
        } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                sbuf_puts(&out->text, (const char *)n->content);
        }
        if (descend && n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        /* go to next sibling, climbing up as needed; emit block-close newlines */
        while (n) {
            if (n->type == XML_ELEMENT_NODE && n->name && is_block((const char *)n->name))
                sbuf_putc(&out->text, '\n');
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (n && n->type != XML_ELEMENT_NODE)
                n = NULL;
        }
    }
    xmlFreeDoc(doc);
    return true;
}

void html_text_free(struct html_text *t)
{
    sbuf_free(&t->text);
    strlist_free(&t->hrefs);
}
