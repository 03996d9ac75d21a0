/*
 * page - see page.h for the contract.
 */
#include "page.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <string.h>

#include "html.h"

enum field { F_NONE, F_DOMAIN, F_ACCOUNT, F_REGION, F_CERT };

static const struct {
    const char *label;   /* lower case, single blanks */
    enum field f;
} labels[] = {
    {"domain name", F_DOMAIN},
    {"domain", F_DOMAIN},
    {"aws account number", F_ACCOUNT},
    {"aws account id", F_ACCOUNT},
    {"amazon web services account number", F_ACCOUNT},
    {"amazon web services account id", F_ACCOUNT},
    {"account number", F_ACCOUNT},
    {"account id", F_ACCOUNT},
    {"aws region", F_REGION},
    {"aws region name", F_REGION},
    {"amazon web services region", F_REGION},
    {"amazon web services region name", F_REGION},
    {"region", F_REGION},
    {"certificate identifier", F_CERT},
    {"certificate id", F_CERT},
    {"certificate arn", F_CERT},
    {"arn", F_CERT},
};

/* Lower-cases, collapses blanks and drops a trailing ':' into out. */
static void norm_label(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            if (o && out[o - 1] != ' ')
                out[o++] = ' ';
            continue;
        }
        out[o++] = (char)tolower(c);
    }
    while (o && (out[o - 1] == ' ' || out[o - 1] == ':'))
        o--;
    out[o] = '\0';
}

static enum field label_of(const char *s, size_t n)
{
    char l[64];
    if (n >= sizeof(l))
        return F_NONE;
    norm_label(s, n, l, sizeof(l));
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(l, labels[i].label) == 0)
            return labels[i].f;
    return F_NONE;
}

static void set(struct page_info *pi, enum field f, const char *v, size_t n)
{
    while (n && isspace((unsigned char)*v))
        v++, n--;
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    if (!n)
        return;
    char *slot;
    size_t sz;
    switch (f) {
    case F_DOMAIN: slot = pi->domain; sz = sizeof(pi->domain); break;
    case F_ACCOUNT: slot = pi->account; sz = sizeof(pi->account); break;
    case F_REGION: slot = pi->region; sz = sizeof(pi->region); break;
    case F_CERT: slot = pi->cert; sz = sizeof(pi->cert); break;
    default: return;
    }
    char val[ARN_TEXT_MAX + 256];
    if (!str_ncopy(val, sizeof(val) < sz ? sizeof(val) : sz, v, n)) {
        pi->conflict = true;   /* too long to be a real value */
        return;
    }
    if (slot[0] && strcmp(slot, val) != 0)
        pi->conflict = true;
    else
        str_copy(slot, sz, val);
}

static void read_lines(struct page_info *pi, const char *text, size_t len)
{
    enum field pending = F_NONE;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *line = text + pos;
        pos += n + 1;
        size_t k = 0;
        while (k < n && isspace((unsigned char)line[k]))
            k++;
        if (k == n)
            continue;   /* blank line: keep waiting for the value */
        enum field f = label_of(line, n);
        if (f != F_NONE) {
            pending = f;
            continue;
        }
        if (pending != F_NONE) {
            set(pi, pending, line, n);
            pending = F_NONE;
            continue;
        }
        const char *colon = memchr(line, ':', n);
        if (colon) {
            f = label_of(line, (size_t)(colon - line));
            if (f != F_NONE)
                set(pi, f, colon + 1, n - (size_t)(colon - line) - 1);
        }
    }
}

static bool attr_has(xmlNodePtr n, const char *attr, const char *word)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    if (!v)
        return false;
    char low[256];
    str_copy(low, sizeof(low), (const char *)v);
    xmlFree(v);
    str_lower(low);
    return strstr(low, word) != NULL;
}

static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = str_dup((const char *)v);
    xmlFree(v);
    return s;
}

static bool is_approve_text(const char *s)
{
    if (!s)
        return false;
    char l[64];
    norm_label(s, strlen(s), l, sizeof(l));
    return strcmp(l, "i approve") == 0;
}

static bool is_elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

/* Next node in document order under root (pre-order), or NULL. */
static xmlNodePtr next_in(xmlNodePtr n, xmlNodePtr root)
{
    if (n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

static bool is_approval_form(xmlNodePtr form)
{
    for (xmlNodePtr n = form->children ? form->children : NULL; n; n = next_in(n, form)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (attr_has(n, "class", "approve-button") || attr_has(n, "id", "approve-button") ||
            attr_has(n, "name", "approve-button") || attr_has(n, "class", "approval_button"))
            return true;
        if (is_elem(n, "input") && attr_has(n, "type", "submit")) {
            char *v = prop(n, "value");
            bool yes = is_approve_text(v);
            free(v);
            if (yes)
                return true;
        }
        if (is_elem(n, "button")) {
            xmlChar *t = xmlNodeGetContent(n);
            bool yes = t && is_approve_text((const char *)t);
            xmlFree(t);
            if (yes)
                return true;
        }
    }
    return false;
}

static void add_field(struct page_form *f, const char *name, const char *value)
{
    if (!name || !*name || f->names.n >= PAGE_MAX_FIELDS || strlen(name) > 256 ||
        strlen(value ? value : "") > 4096)
        return;
    strlist_add(&f->names, name);
    strlist_add(&f->values, value ? value : "");
}

static void read_form(xmlNodePtr form, struct page_form *f)
{
    f->found = true;
    char *action = prop(form, "action"), *method = prop(form, "method");
    str_copy(f->action, sizeof(f->action), action ? action : "");
    str_copy(f->method, sizeof(f->method), method ? method : "get");
    str_lower(f->method);
    free(action);
    free(method);
    for (xmlNodePtr n = form->children; n; n = next_in(n, form)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        char *name = prop(n, "name");
        if (is_elem(n, "input")) {
            char *type = prop(n, "type"), *value = prop(n, "value");
            if (type)
                str_lower(type);
            const char *t = type ? type : "text";
            if (!strcmp(t, "submit") || !strcmp(t, "image") || !strcmp(t, "button") ||
                !strcmp(t, "reset")) {
                if (!strcmp(t, "submit") && is_approve_text(value))
                    add_field(f, name, value);   /* the button we click, when named */
            } else if (!strcmp(t, "checkbox") || !strcmp(t, "radio")) {
                xmlChar *checked = xmlGetProp(n, (const xmlChar *)"checked");
                if (checked)
                    add_field(f, name, value ? value : "on");
                xmlFree(checked);
            } else if (strcmp(t, "file") != 0) {
                add_field(f, name, value);
            }
            free(type);
            free(value);
        } else if (is_elem(n, "textarea")) {
            xmlChar *t = xmlNodeGetContent(n);
            add_field(f, name, t ? (const char *)t : "");
            xmlFree(t);
        } else if (is_elem(n, "button") && name) {
            xmlChar *t = xmlNodeGetContent(n);
            char *value = prop(n, "value");
            if (t && is_approve_text((const char *)t))
                add_field(f, name, value ? value : "");
            free(value);
            xmlFree(t);
        }
        free(name);
    }
}

void page_read(const char *html, size_t len, struct page_info *pi)
{
    memset(pi, 0, sizeof(*pi));
    struct html_text ht;
    if (html_extract(html, len, &ht) && ht.text.data) {
        read_lines(pi, ht.text.data, ht.text.len);
        char *low = str_ndup(ht.text.data, ht.text.len);
        if (low) {
            str_lower(low);
            pi->already = strstr(low, "already been approved") || strstr(low, "already approved");
            pi->success = strstr(low, "you have approved") || strstr(low, "success!");
            free(low);
        }
    }
    html_text_free(&ht);
    if (len > 0x7fffffff)
        return;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!doc)
        return;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root; n; n = next_in(n, NULL)) {
        if (is_elem(n, "form") && is_approval_form(n)) {
            read_form(n, &pi->form);
            break;
        }
    }
    xmlFreeDoc(doc);
}

void page_free(struct page_info *pi)
{
    strlist_free(&pi->form.names);
    strlist_free(&pi->form.values);
}
