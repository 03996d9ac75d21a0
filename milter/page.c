/*
 * page - see page.h for the contract.
 */
#include "page.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <string.h>
#include <strings.h>

#include "arn.h"
#include "html.h"

#define NAME_MAX_LEN 256
#define VALUE_MAX_LEN 4096
#define MAX_CANDIDATES 8

/* ------------------------------------------------------------------ the visible labels */

static const struct {
    const char *label;   /* lower case, single blanks */
    enum page_field f;
} labels[] = {
    {"domain name", PAGE_DOMAIN},
    {"domain", PAGE_DOMAIN},
    {"aws account number", PAGE_ACCOUNT},
    {"aws account", PAGE_ACCOUNT},
    {"amazon web services account", PAGE_ACCOUNT},
    {"aws account id", PAGE_ACCOUNT},
    {"amazon web services account number", PAGE_ACCOUNT},
    {"amazon web services account id", PAGE_ACCOUNT},
    {"account number", PAGE_ACCOUNT},
    {"account id", PAGE_ACCOUNT},
    {"aws region", PAGE_REGION},
    {"aws region name", PAGE_REGION},
    {"amazon web services region", PAGE_REGION},
    {"amazon web services region name", PAGE_REGION},
    {"region", PAGE_REGION},
    {"certificate identifier", PAGE_CERT},
    {"certificate id", PAGE_CERT},
    {"certificate arn", PAGE_CERT},
    {"arn", PAGE_CERT},
};

/* The form's field names, lower case with '_', '-', '.' and blanks removed. */
static const struct {
    const char *name;
    enum page_field f;
} names[] = {
    {"domainname", PAGE_DOMAIN},
    {"domain", PAGE_DOMAIN},
    {"accountid", PAGE_ACCOUNT},
    {"account", PAGE_ACCOUNT},
    {"accountnumber", PAGE_ACCOUNT},
    {"awsaccountid", PAGE_ACCOUNT},
    {"awsaccountnumber", PAGE_ACCOUNT},
    {"region", PAGE_REGION},
    {"awsregion", PAGE_REGION},
    {"regionname", PAGE_REGION},
    {"certificateidentifier", PAGE_CERT},
    {"certificateid", PAGE_CERT},
    {"certid", PAGE_CERT},
    {"certificate", PAGE_CERT},
    {"validationarn", PAGE_ARN},
    {"certificatearn", PAGE_ARN},
    {"arn", PAGE_ARN},
    {"validationtoken", PAGE_CODE},
    {"validationcode", PAGE_CODE},
    {"code", PAGE_CODE},
    {"context", PAGE_CONTEXT},
    {"validationcontext", PAGE_CONTEXT},
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

static int label_of(const char *s, size_t n)
{
    char l[64];
    if (n >= sizeof(l))
        return -1;
    norm_label(s, n, l, sizeof(l));
    size_t len = strlen(l);
    char *paren = len && l[len - 1] == ')' ? strrchr(l, '(') : NULL;
    if (paren) {   /* "Domain name (FQDN)": the label with a remark */
        *paren = '\0';
        for (len = strlen(l); len && (l[len - 1] == ' ' || l[len - 1] == ':');)
            l[--len] = '\0';
    }
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(l, labels[i].label) == 0)
            return (int)labels[i].f;
    return -1;
}

static int name_of(const char *s)
{
    char l[64];
    size_t o = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '_' || c == '-' || c == '.' || isspace(c))
            continue;
        if (o + 1 >= sizeof(l))
            return -1;
        l[o++] = (char)tolower(c);
    }
    l[o] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(l, names[i].name) == 0)
            return (int)names[i].f;
    return -1;
}

/* Records one statement of field f by a source: a second, different value is a conflict. */
static void state(struct page_source *src, enum page_field f, const char *v, size_t n)
{
    struct page_value *pv = &src->f[f];
    char val[PAGE_VALUE_MAX + 1];
    if (n > PAGE_VALUE_MAX || memchr(v, '\0', n)) {
        pv->seen = pv->conflict = true;   /* too long to be a real value */
        return;
    }
    memcpy(val, v, n);
    val[n] = '\0';
    if (pv->seen && strcmp(pv->v, val) != 0)
        pv->conflict = true;
    else if (!pv->seen) {
        pv->seen = true;
        memcpy(pv->v, val, n + 1);
    }
}

static void state_label(struct page_info *pi, enum page_field f, const char *v, size_t n)
{
    while (n && isspace((unsigned char)*v))
        v++, n--;
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    if (n)
        state(&pi->labels, f, v, n);
}

/* A label and its value on one line: "Label: value" (also a full-width colon, normalized
 * before), or "Label - value". */
static bool label_and_value(struct page_info *pi, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon) {
        int f = label_of(line, (size_t)(colon - line));
        if (f >= 0)
            state_label(pi, (enum page_field)f, colon + 1, n - (size_t)(colon - line) - 1);
        return f >= 0;
    }
    for (size_t i = 0; i + 3 <= n; i++)
        if (line[i] == ' ' && line[i + 1] == '-' && line[i + 2] == ' ') {
            int f = label_of(line, i);
            if (f >= 0)
                state_label(pi, (enum page_field)f, line + i + 3, n - i - 3);
            return f >= 0;
        }
    return false;
}

/* The words of a page's controls that stand by a label or a value: never a value. */
static bool chrome(const char *line, size_t n)
{
    static const char *const words[] = {"info", "learn more", "copy", "copied", "edit",
                                        "help", "?", "(?)", "\xe2\x93\x98", "more info"};
    char l[32];
    if (n >= sizeof(l))
        return false;
    norm_label(line, n, l, sizeof(l));
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(l, words[i]) == 0)
            return true;
    return false;
}

#define LABEL_QUEUE 8

/* A line that is one token shaped like a value of f: a host name for the domain, 12 digits
 * (or 4-4-4) for the account, a region code, an ARN or UUID for the certificate. */
static bool value_shaped(enum page_field f, const char *line, size_t n)
{
    while (n && isspace((unsigned char)*line))
        line++, n--;
    while (n && isspace((unsigned char)line[n - 1]))
        n--;
    char v[PAGE_VALUE_MAX + 1];
    if (!n || n > PAGE_VALUE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)line[i]))
            return false;
    memcpy(v, line, n);
    v[n] = '\0';
    switch (f) {
    case PAGE_DOMAIN: {
        bool dot = false, alpha = false;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v[i];
            dot |= c == '.';
            alpha |= isalpha(c) || c >= 0x80;
            if (!(isalnum(c) || c == '.' || c == '-' || c == '*' || c >= 0x80))
                return false;
        }
        return dot && alpha;
    }
    case PAGE_ACCOUNT: {
        size_t d = 0;
        for (size_t i = 0; i < n; i++)
            d += isdigit((unsigned char)v[i]) != 0;
        return d == 12 && (n == 12 || n == 14);
    }
    case PAGE_REGION:
        return region_valid(v);
    default:
        return strncmp(v, "arn:", 4) == 0 || (n == 36 && v[8] == '-' && v[13] == '-');
    }
}

/* Label/value pairs of a rendering, one cell a line: a label line is followed by its value
 * (rows, <dt>/<dd>), a run of label lines by their values in the same order (a table whose
 * first row holds the labels and the next one the values); "Label: value" lines. A line
 * right after a single label's value that is shaped like another value of that field (a
 * second <dd>, a value hidden by style and another shown after it) is a second statement. */
static void read_lines(struct page_info *pi, const char *text, size_t len)
{
    int queue[LABEL_QUEUE];
    size_t nq = 0, head = 0;
    int after = -1;   /* the field of the single label whose value the last line was */
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
        int f = label_of(line, n);
        int prev = after;
        after = -1;
        if (f >= 0) {
            bool again = false;
            for (size_t i = 0; i < nq; i++)
                again |= queue[i] == f;
            if (head > 0 || again || nq == LABEL_QUEUE)
                nq = head = 0;   /* a new run of labels (a heading repeating one restarts it) */
            queue[nq++] = f;
            continue;
        }
        if (head < nq && chrome(line, n))
            continue;   /* an "Info" link or a "Copy" button by the label is not its value */
        if (head < nq) {
            if (nq == 1)
                after = queue[0];
            state_label(pi, (enum page_field)queue[head++], line, n);
            if (head == nq)
                nq = head = 0;
            continue;
        }
        if (prev >= 0 && value_shaped((enum page_field)prev, line, n)) {
            state_label(pi, (enum page_field)prev, line, n);
            after = prev;   /* and a third, ... */
            continue;
        }
        label_and_value(pi, line, n);
    }
}

/* The text as a reader sees it, into a new buffer: Unicode blanks (no-break, thin, ideographic
 * spaces, line and paragraph separators) as a blank, invisible format characters (zero-width
 * spaces and joiners, bidirectional marks and embeddings, the word joiner, soft hyphen, BOM)
 * dropped, a full-width colon as ':'. NULL when out of memory. */
static char *norm_text(const char *s, size_t n, size_t *outlen)
{
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        unsigned cp = 0;
        size_t w = 1;
        if (c >= 0xc2 && c <= 0xdf && i + 1 < n && ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
            cp = ((c & 0x1fu) << 6) | ((unsigned char)s[i + 1] & 0x3fu);
            w = 2;
        } else if (c >= 0xe0 && c <= 0xef && i + 2 < n &&
                   ((unsigned char)s[i + 1] & 0xc0) == 0x80 &&
                   ((unsigned char)s[i + 2] & 0xc0) == 0x80) {
            cp = ((c & 0x0fu) << 12) | (((unsigned char)s[i + 1] & 0x3fu) << 6) |
                 ((unsigned char)s[i + 2] & 0x3fu);
            w = 3;
        }
        bool blank = cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
                     cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
        bool invisible = cp == 0xad || cp == 0x61c || cp == 0x180e ||
                         (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
                         (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) ||
                         cp == 0xfeff;
        if (blank)
            o[k++] = ' ';
        else if (cp == 0xff1a)
            o[k++] = ':';
        else if (!invisible)
            for (size_t j = 0; j < w; j++)
                o[k++] = s[i + j];
        i += w;
    }
    o[k] = '\0';
    *outlen = k;
    return o;
}

static void note_id(struct page_info *pi, const char *s, size_t n)
{
    if (pi->text_ids.n >= PAGE_MAX_FIELDS || n > ARN_TEXT_MAX) {
        pi->text_ids_overflow = true;
        return;
    }
    char v[ARN_TEXT_MAX + 1];
    memcpy(v, s, n);
    v[n] = '\0';
    for (size_t i = 0; i < pi->text_ids.n; i++)
        if (strcmp(pi->text_ids.v[i], v) == 0)
            return;
    if (!strlist_add(&pi->text_ids, v))
        pi->text_ids_overflow = true;
}

static bool arn_char(char c)
{
    return isalnum((unsigned char)c) || c == ':' || c == '/' || c == '-' || c == '_' || c == '.' ||
           c == '*';
}

/* Every ARN and account number of the visible text, wherever it stands. */
static void read_ids(struct page_info *pi, const char *t, size_t len)
{
    for (size_t i = 0; i < len;) {
        bool start = i == 0 || !isalnum((unsigned char)t[i - 1]);
        if (start && i + 4 <= len && strncasecmp(t + i, "arn:", 4) == 0) {
            size_t e = i;
            while (e < len && arn_char(t[e]))
                e++;
            size_t n = e - i;
            while (n && t[i + n - 1] == '.')   /* a sentence's full stop */
                n--;
            size_t colons = 0;
            for (size_t k = 0; k < n; k++)
                colons += t[i + k] == ':';
            if (colons >= 5)   /* arn:PARTITION:SERVICE:REGION:ACCOUNT:..., not "Arn:" */
                note_id(pi, t + i, n);
            i = e;
            continue;
        }
        if (isdigit((unsigned char)t[i]) && (i == 0 || (!isalnum((unsigned char)t[i - 1]) &&
                                                        t[i - 1] != '-'))) {
            size_t e = i;
            while (e < len && (isdigit((unsigned char)t[e]) || t[e] == '-'))
                e++;
            size_t n = e - i;
            while (n && t[i + n - 1] == '-')
                n--;
            bool glued = e < len && isalpha((unsigned char)t[e]);
            size_t digits = 0;
            for (size_t k = 0; k < n; k++)
                digits += isdigit((unsigned char)t[i + k]) != 0;
            bool shaped = !glued && digits == 12 &&
                          (n == 12 || (n == 14 && t[i + 4] == '-' && t[i + 9] == '-'));
            if (shaped)
                note_id(pi, t + i, n);
            i = e;
            continue;
        }
        i++;
    }
}

/* ------------------------------------------------------------------ the DOM */

static bool is_elem(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->name &&
           strcmp((const char *)n->name, name) == 0;
}

static bool has_prop(xmlNodePtr n, const char *name)
{
    return xmlHasProp(n, (const xmlChar *)name) != NULL;
}

/* The attribute's value (malloc'd, NULL when absent). */
static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = str_dup((const char *)v);
    xmlFree(v);
    return s;
}

/* The attribute's value lower-cased into out ("" when absent); false when absent. */
static bool prop_lower(xmlNodePtr n, const char *name, char *out, size_t outsz)
{
    out[0] = '\0';
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return false;
    str_copy(out, outsz, (const char *)v);
    xmlFree(v);
    str_lower(out);
    return true;
}

/* Next node in document order under root (pre-order), or NULL after root's last one. */
static xmlNodePtr next_under(xmlNodePtr n, xmlNodePtr root)
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

/* Next node in document order (pre-order); descend=false skips n's subtree. */
static xmlNodePtr next_node(xmlNodePtr n, bool descend)
{
    if (descend && n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n) {
        if (n->next)
            return n->next;
        n = n->parent;
        if (n && n->type != XML_ELEMENT_NODE)
            return NULL;
    }
    return NULL;
}

/* ------------------------------------------------------------------ renderings of the DOM */

/* Elements that run within a line of text (no cell or paragraph of their own). */
static bool inline_elem(xmlNodePtr n)
{
    static const char *const inl[] = {"a",    "abbr", "b",    "bdi",  "bdo",   "big",
                                        "cite", "code", "data", "em",   "font",  "i",
                                        "kbd",  "mark", "q",    "s",    "samp",  "small",
                                        "span", "strong", "sub", "sup", "time",  "tt",
                                        "u",    "var",  "wbr",  "label", "nobr", "strike",
                                        "ins",  "del",  "dfn",  "acronym", "ruby", "rt",
                                        "rp",   "output", "meter", "progress", "slot"};
    for (size_t i = 0; i < sizeof(inl) / sizeof(inl[0]); i++)
        if (strcmp((const char *)n->name, inl[i]) == 0)
            return true;
    /* a custom element (a '-' in its name) is inline until a style says otherwise */
    return strchr((const char *)n->name, '-') != NULL;
}

/* An inline style that hides the element (blanks and case ignored). */
static bool style_hides(xmlNodePtr n)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)"style");
    if (!v)
        return false;
    size_t len = strlen((const char *)v), k = 0;
    char *c = malloc(len + 1);
    bool hides = true;   /* no memory: hidden (a marker is then not seen: stricter) */
    if (c) {
        for (const char *p = (const char *)v; *p; p++)
            if (!isspace((unsigned char)*p))
                c[k++] = (char)tolower((unsigned char)*p);
        c[k] = '\0';
        hides = strstr(c, "display:none") || strstr(c, "visibility:hidden") ||
                strstr(c, "visibility:collapse");
        static const char *const zero[] = {"font-size:0", "opacity:0", "max-height:0",
                                           "height:0"};
        for (size_t i = 0; !hides && i < sizeof(zero) / sizeof(zero[0]); i++)
            for (const char *h = strstr(c, zero[i]); h && !hides; h = strstr(h + 1, zero[i])) {
                char next = h[strlen(zero[i])];
                bool prefixed = h > c && (isalnum((unsigned char)h[-1]) || h[-1] == '-');
                hides = !prefixed && next != '.' && !isdigit((unsigned char)next);
            }
        free(c);
    }
    xmlFree(v);
    return hides;
}

/* Not seen by a reader: hidden by attribute or style, or not rendered at all. */
static bool unseen_elem(xmlNodePtr n)
{
    static const char *const unrendered[] = {"head",     "title",  "template", "script",
                                        "style",    "noscript", "select", "textarea",
                                        "datalist", "option"};
    for (size_t i = 0; i < sizeof(unrendered) / sizeof(unrendered[0]); i++)
        if (strcmp((const char *)n->name, unrendered[i]) == 0)
            return true;
    char v[16];
    if (xmlHasProp(n, (const xmlChar *)"hidden"))
        return true;
    xmlChar *a = xmlGetProp(n, (const xmlChar *)"aria-hidden");
    if (a) {
        str_copy(v, sizeof(v), (const char *)a);
        xmlFree(a);
        str_lower(v);
        if (strcmp(v, "true") == 0)
            return true;
    }
    if (is_elem(n, "input")) {
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"type");
        bool hidden_input = t && str_ieq((const char *)t, "hidden");
        xmlFree(t);
        if (hidden_input)
            return true;
    }
    return style_hides(n);
}

/* A button no human can click: it or an element around it is hidden (the hidden attribute,
 * an inline style that hides it, <template>, <noscript>, <head>). */
static bool button_unseen(xmlNodePtr b)
{
    for (xmlNodePtr p = b; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (xmlHasProp(p, (const xmlChar *)"hidden") || style_hides(p) ||
            is_elem(p, "template") || is_elem(p, "noscript") || is_elem(p, "head"))
            return true;
    return false;
}

/* An <input> that shows its value as text in a box (text, search, url, email, tel). */
static bool shows_value(xmlNodePtr n)
{
    if (!is_elem(n, "input"))
        return false;
    char t[16];
    if (!prop_lower(n, "type", t, sizeof(t)))
        return true;
    return !strcmp(t, "text") || !strcmp(t, "search") || !strcmp(t, "url") ||
           !strcmp(t, "email") || !strcmp(t, "tel") || !t[0];
}

/* Three renderings of the document, in one walk (no recursion):
 *  - flow: every text, a line break at the boundaries of every element that is not inline
 *    (blocks, but also buttons, controls, images: a "Copy" button after an ARN is not part
 *    of it), scripts and styles left out, hidden elements kept;
 *  - cells: every text with a line break at every element boundary but <wbr> (a label in
 *    an element of its own, <label>, <b>, <span>, is a line of its own, whatever the markup),
 *    an aria-label on a line of its own; scripts and styles left out, hidden elements kept
 *    (what the page states anywhere);
 *  - seen: what a reader sees, a '\x1e' at the boundaries of non-inline elements: without
 *    hidden elements, <template>, <noscript>, head and title (markers count only there). */
static void render(xmlNodePtr root, struct sbuf *flow, struct sbuf *cells, struct sbuf *seen)
{
    xmlNodePtr n = root;
    int depth = 0, unseen_at = -1;
    while (n) {
        bool descend = true;
        if (n->type == XML_ELEMENT_NODE && n->name) {
            if (is_elem(n, "script") || is_elem(n, "style"))
                descend = false;
            if (unseen_at < 0 && unseen_elem(n))
                unseen_at = depth;
            if (!is_elem(n, "wbr")) {
                sbuf_putc(cells, '\n');
                xmlChar *al = xmlGetProp(n, (const xmlChar *)"aria-label");
                if (al) {
                    sbuf_puts(cells, (const char *)al);
                    sbuf_putc(cells, '\n');
                    xmlFree(al);
                }
                if (shows_value(n)) {   /* a text box shows its value where it stands */
                    xmlChar *v = xmlGetProp(n, (const xmlChar *)"value");
                    if (v) {
                        sbuf_puts(cells, (const char *)v);
                        sbuf_putc(cells, '\n');
                        sbuf_putc(flow, '\n');
                        sbuf_puts(flow, (const char *)v);
                        xmlFree(v);
                    }
                }
            }
            if (unseen_at < 0 && !inline_elem(n))
                sbuf_putc(seen, '\x1e');
            if (!inline_elem(n))
                sbuf_putc(flow, '\n');
        } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            sbuf_puts(flow, (const char *)n->content);
            sbuf_puts(cells, (const char *)n->content);
            if (unseen_at < 0)
                sbuf_puts(seen, (const char *)n->content);
        }
        if (descend && n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            depth++;
            continue;
        }
        while (n) {
            if (n->type == XML_ELEMENT_NODE && n->name) {
                if (!is_elem(n, "wbr"))
                    sbuf_putc(cells, '\n');
                if (unseen_at < 0 && !inline_elem(n))
                    sbuf_putc(seen, '\x1e');
                if (!inline_elem(n))
                    sbuf_putc(flow, '\n');
                if (depth == unseen_at)
                    unseen_at = -1;
            }
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
}

/* A word of a sentence that makes a marker conditional or negated ("If you have already
 * approved ...", "has not been approved"). */
static bool hedged(const char *s, size_t n)
{
    static const char *const words[] = {"if",     "not",    "whether", "unless", "when",
                                        "once",   "until",  "never",   "cannot", "can't",
                                        "don't",  "didn't", "isn't",   "wasn't", "hasn't",
                                        "haven't", "or",    "after",   "before", "expired",
                                        "invalid"};
    for (size_t i = 0; i < n;) {
        while (i < n && !isalpha((unsigned char)s[i]))
            i++;
        size_t b = i;
        while (i < n && (isalpha((unsigned char)s[i]) || s[i] == '\''))
            i++;
        for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
            if (strlen(words[k]) == i - b && strncmp(s + b, words[k], i - b) == 0)
                return true;
    }
    return false;
}

static bool sentence_end(char c)
{
    return c == '.' || c == '!' || c == '?' || c == '\x1e';
}

/* phrase stated plainly in low (lower case, blanks collapsed): in a sentence that is neither
 * a question nor hedged. */
#define MARKER_TRIES 64     /* occurrences looked at; beyond, no marker (never approved) */
#define SENTENCE_REACH 400  /* a sentence is read this far around the phrase */

static bool says(const char *low, const char *phrase)
{
    size_t tries = 0;
    for (const char *h = strstr(low, phrase); h && tries < MARKER_TRIES;
         h = strstr(h + 1, phrase), tries++) {
        const char *b = h, *e = h + strlen(phrase);
        while (b > low && !sentence_end(b[-1]) && h - b < SENTENCE_REACH)
            b--;
        while (*e && !sentence_end(*e) && e - h < SENTENCE_REACH)
            e++;
        if (*e != '?' && !hedged(b, (size_t)(e - b)))
            return true;
    }
    return false;
}

/* The success and "already approved" markers, read from what a reader sees only. */
static void read_markers(struct page_info *pi, const char *seen, size_t len)
{
    char *low = malloc(len + 1);
    if (!low)
        return;   /* no marker: never an approval by mistake */
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)seen[i];
        if (isspace(c)) {
            if (k && low[k - 1] != ' ')
                low[k++] = ' ';
        } else
            low[k++] = (char)tolower(c);
    }
    low[k] = '\0';
    pi->already = says(low, "already been approved") || says(low, "already approved");
    pi->success = says(low, "you have approved") || strstr(low, "success!") != NULL;
    free(low);
}

/* Walks every element outside <template> content (not part of the document a browser shows). */
#define FOR_EACH_ELEMENT(n, root)                                                              \
    for (xmlNodePtr n = (root); n; n = next_node(n, !is_elem(n, "template")))                  \
        if (n->type == XML_ELEMENT_NODE)

struct forms {
    xmlNodePtr form[PAGE_MAX_FORMS];
    char *id[PAGE_MAX_FORMS];
    bool first[PAGE_MAX_FORMS];   /* the first element of the page with that id */
    size_t n;
    bool too_many;
};

static void forms_free(struct forms *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        free(fs->id[i]);
}

/* The form that owns a control, as a browser decides it: form="ID", else the nearest form. */
static xmlNodePtr owner_of(xmlNodePtr el, const struct forms *fs)
{
    xmlChar *f = xmlGetProp(el, (const xmlChar *)"form");
    if (f) {
        xmlNodePtr o = NULL;
        for (size_t i = 0; i < fs->n && !o; i++)
            if (fs->id[i] && fs->first[i] && strcmp(fs->id[i], (const char *)f) == 0)
                o = fs->form[i];
        xmlFree(f);
        return o;
    }
    for (xmlNodePtr p = el->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (is_elem(p, "form"))
            return p;
    return NULL;
}

/* Disabled as a browser sees it: its own attribute or a disabled fieldset around it (outside
 * that fieldset's first legend). */
static bool disabled(xmlNodePtr el)
{
    if (has_prop(el, "disabled"))
        return true;
    xmlNodePtr child = el;
    for (xmlNodePtr p = el->parent; p && p->type == XML_ELEMENT_NODE; child = p, p = p->parent) {
        if (!is_elem(p, "fieldset") || !has_prop(p, "disabled"))
            continue;
        xmlNodePtr legend = NULL;
        for (xmlNodePtr c = p->children; c && !legend; c = c->next)
            if (is_elem(c, "legend"))
                legend = c;
        if (child != legend)
            return true;
    }
    return false;
}

static bool is_submit_button(xmlNodePtr n)
{
    char t[32];
    if (is_elem(n, "input"))
        return prop_lower(n, "type", t, sizeof(t)) && strcmp(t, "submit") == 0;
    if (is_elem(n, "button"))   /* a missing or invalid type is "submit" */
        return !prop_lower(n, "type", t, sizeof(t)) ||
               (strcmp(t, "button") != 0 && strcmp(t, "reset") != 0);
    return false;
}

static bool word_in(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        const char *e = p;
        while (*e && !isspace((unsigned char)*e))
            e++;
        if ((size_t)(e - p) == wl && strncmp(p, word, wl) == 0)
            return true;
        p = e;
    }
    return false;
}

static bool approve_container(xmlNodePtr n)
{
    static const char *const words[] = {"approve-button", "approval_button", "approve_button",
                                        "approval-button"};
    char c[512], id[512], name[512];
    bool hc = prop_lower(n, "class", c, sizeof(c)), hi = prop_lower(n, "id", id, sizeof(id)),
         hn = prop_lower(n, "name", name, sizeof(name));
    for (size_t i = 0; (hc || hi || hn) && i < sizeof(words) / sizeof(words[0]); i++)
        if ((hc && word_in(c, words[i])) || (hi && strcmp(id, words[i]) == 0) ||
            (hn && strcmp(name, words[i]) == 0))
            return true;
    return false;
}

static bool says_no(const char *s)
{
    static const char *const no[] = {"reject", "deny", "denied", "decline", "cancel",
                                     "disapprove", "refuse", "not approve", "don't approve"};
    char l[128];
    if (!s)
        return false;
    if (strlen(s) >= sizeof(l))
        return true;   /* too long to read whole: what it says past the cut is unknown */
    norm_label(s, strlen(s), l, sizeof(l));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strstr(l, no[i]))
            return true;
    return false;
}

/* A value that says no by itself ("no", "false", "0", ...). */
static bool says_false(const char *s)
{
    static const char *const no[] = {"no", "n", "false", "off", "0"};
    char l[16];
    if (!s || strlen(s) >= sizeof(l))
        return false;
    norm_label(s, strlen(s), l, sizeof(l));
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcmp(l, no[i]) == 0)
            return true;
    return false;
}

/* The button or an element around it is a reject (deny, decline) one by its class or id. */
static bool reject_container(xmlNodePtr b)
{
    static const char *const words[] = {"reject", "decline", "deny", "disapprove"};
    static const char *const attrs[] = {"class", "id"};
    for (xmlNodePtr p = b; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
            char *v = prop(p, attrs[a]);   /* the whole value, however long */
            if (!v)
                continue;
            str_lower(v);
            bool no = false;
            for (size_t i = 0; !no && i < sizeof(words) / sizeof(words[0]); i++)
                no = strstr(v, words[i]) != NULL;
            free(v);
            if (no)
                return true;
        }
    return false;
}

static bool says_approve(const char *s)
{
    char l[64];
    if (!s)
        return false;
    norm_label(s, strlen(s), l, sizeof(l));
    return strcmp(l, "i approve") == 0 || strcmp(l, "approve") == 0 ||
           strcmp(l, "approved") == 0;
}

/* A submit button a click on which approves: identified positively, and nothing says no. */
static bool is_approve_button(xmlNodePtr b)
{
    char *value = prop(b, "value");
    char *text = NULL;
    if (is_elem(b, "button")) {
        xmlChar *t = xmlNodeGetContent(b);
        text = t ? str_dup((const char *)t) : NULL;
        xmlFree(t);
    }
    char *aria = prop(b, "aria-label"), *title = prop(b, "title");
    bool yes = false;
    if (!says_no(value) && !says_no(text) && !says_no(aria) && !says_no(title) &&
        !says_false(value)) {
        yes = says_approve(value) || says_approve(text);
        for (xmlNodePtr p = b; !yes && p && p->type == XML_ELEMENT_NODE; p = p->parent)
            yes = approve_container(p);
        yes = yes && !reject_container(b);   /* last: it walks every element around */
    }
    free(value);
    free(text);
    free(aria);
    free(title);
    return yes;
}

/* Same click: same form, same name, value and overrides. */
static bool same_click(xmlNodePtr a, xmlNodePtr b, const struct forms *fs)
{
    static const char *const attrs[] = {"name", "value", "formaction", "formmethod",
                                        "formenctype"};
    if (owner_of(a, fs) != owner_of(b, fs))
        return false;
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        char *x = prop(a, attrs[i]), *y = prop(b, attrs[i]);
        bool same = (!x && !y) || (x && y && strcmp(x, y) == 0);
        free(x);
        free(y);
        if (!same)
            return false;
    }
    return true;
}

static void add_field(struct page_form *f, const char *name, const char *value)
{
    if (f->names.n >= PAGE_MAX_FIELDS || strlen(name) > NAME_MAX_LEN ||
        strlen(value) > VALUE_MAX_LEN) {
        f->too_large = true;
        return;
    }
    if (!strlist_add(&f->names, name)) {
        f->too_large = true;   /* out of memory: refuse rather than post less */
        return;
    }
    if (!strlist_add(&f->values, value)) {
        free(f->names.v[--f->names.n]);   /* names and values stay in step */
        f->too_large = true;
        return;
    }
    int k = name_of(name);
    if (k >= 0)
        state(&f->fields, (enum page_field)k, value, strlen(value));
}

/* value with CR and LF removed (and blanks trimmed when trim), as a browser sanitizes it. */
static char *sanitized(const char *value, bool trim)
{
    char *s = str_dup(value ? value : "");
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != '\r' && s[i] != '\n')
            s[o++] = s[i];
    s[o] = '\0';
    if (trim) {
        char *t = str_trim(s);
        memmove(s, t, strlen(t) + 1);
    }
    return s;
}

/* A textarea's value: its text, a first newline dropped, line breaks sent as CRLF. */
static char *textarea_value(xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = t ? (const char *)t : "";
    if (s[0] == '\r' && s[1] == '\n')
        s += 2;
    else if (s[0] == '\n' || s[0] == '\r')
        s++;
    size_t len = strlen(s);
    char *out = malloc(len * 2 + 1);
    if (out) {
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] == '\r' || s[i] == '\n') {
                out[o++] = '\r';
                out[o++] = '\n';
                if (s[i] == '\r' && s[i + 1] == '\n')
                    i++;
            } else
                out[o++] = s[i];
        }
        out[o] = '\0';
    }
    xmlFree(t);
    return out;
}

/* A URL attribute as a browser reads it: tabs and line breaks removed, blanks trimmed. */
static bool copy_url(char *out, size_t outsz, const char *v)
{
    size_t o = 0;
    const char *s = v ? v : "";
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
        s++;
    for (; *s; s++) {
        if (*s == '\t' || *s == '\n' || *s == '\r')
            continue;
        if (o + 1 >= outsz)
            return false;
        out[o++] = *s;
    }
    while (o && (out[o - 1] == ' ' || out[o - 1] == '\f'))
        o--;
    out[o] = '\0';
    return true;
}

/* A URL attribute read the same by a browser and by libcurl: no backslash (a browser reads
 * it as '/', "\\\\host" being another host), no scheme but https (javascript:, data:). */
static bool url_understood(const char *u)
{
    if (strchr(u, '\\'))
        return false;
    size_t i = 0;
    if (isalpha((unsigned char)u[0]))
        while (isalnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.')
            i++;
    return !(i && u[i] == ':') || (i == 5 && strncasecmp(u, "https", 5) == 0);
}

/* A checked radio button: the last checked one of its group is what a browser sends. */
static void drop_earlier_radio(struct page_form *f, bool *radio, const char *name)
{
    for (size_t i = 0; i < f->names.n; i++) {
        if (!radio[i] || strcmp(f->names.v[i], name) != 0)
            continue;
        free(f->names.v[i]);
        free(f->values.v[i]);
        size_t rest = f->names.n - i - 1;
        memmove(&f->names.v[i], &f->names.v[i + 1], rest * sizeof(char *));
        memmove(&f->values.v[i], &f->values.v[i + 1], rest * sizeof(char *));
        memmove(&radio[i], &radio[i + 1], rest * sizeof(bool));
        f->names.n--;
        f->values.n--;
        radio[f->names.n] = false;
        if (f->button <= PAGE_MAX_FIELDS && f->button > i)
            f->button--;   /* the approve button's pair moved up */
        return;   /* at most one earlier checked radio per group is kept */
    }
}

/* One control of the approval form: adds what a click sends; false when it cannot say. */
static bool read_control(struct page_form *f, xmlNodePtr n, xmlNodePtr submitter, bool *radio)
{
    char *name = prop(n, "name");
    bool ok = true;
    if (is_elem(n, "select")) {
        ok = false;   /* which option a browser sends is not worth guessing */
    } else if (!name || !*name) {
        /* nothing sent */
    } else if (is_elem(n, "button")) {
        if (n == submitter) {
            char *v = prop(n, "value");
            add_field(f, name, v ? v : "");
            free(v);
        }
    } else if (is_elem(n, "textarea")) {
        char *v = textarea_value(n);
        if (v)
            add_field(f, name, v);
        else
            f->too_large = true;
        free(v);
    } else if (is_elem(n, "input")) {
        char t[32];
        if (!prop_lower(n, "type", t, sizeof(t)))
            strcpy(t, "text");
        char *v = prop(n, "value");
        static const char *const unknown[] = {"file", "number", "range", "color", "date",
                                              "datetime-local", "month", "week", "time"};
        for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
            if (strcmp(t, unknown[i]) == 0)
                ok = false;
        if (!ok) {
            /* refused below */
        } else if (!strcmp(t, "submit") || !strcmp(t, "image") || !strcmp(t, "button") ||
                   !strcmp(t, "reset")) {
            if (n == submitter)
                add_field(f, name, v ? v : "");
        } else if (!strcmp(t, "checkbox") || !strcmp(t, "radio")) {
            if (has_prop(n, "checked")) {
                bool is_radio = !strcmp(t, "radio");
                if (is_radio)
                    drop_earlier_radio(f, radio, name);
                size_t before = f->names.n;
                add_field(f, name, v ? v : "on");
                if (f->names.n > before)
                    radio[before] = is_radio;
            }
        } else if (!strcmp(t, "hidden")) {
            add_field(f, name, str_ieq(name, "_charset_") ? "UTF-8" : v ? v : "");
        } else {
            bool trim = !strcmp(t, "email") || !strcmp(t, "url");
            char *s = sanitized(v, trim);
            if (s)
                add_field(f, name, s);
            else
                f->too_large = true;
            free(s);
        }
        free(v);
    }
    free(name);
    return ok;
}

/* A select's value as a reader sees it: its selected option's (the last one selected),
 * else its first option's; an option's value is its value attribute, else its text. */
static char *select_value(xmlNodePtr sel)
{
    xmlNodePtr first = NULL, chosen = NULL;
    for (xmlNodePtr n = sel->children; n; n = next_under(n, sel)) {
        if (is_elem(n, "option")) {
            if (!first)
                first = n;
            if (has_prop(n, "selected"))
                chosen = n;
        }
    }
    xmlNodePtr o = chosen ? chosen : first;
    if (!o)
        return NULL;
    if (has_prop(o, "value"))
        return prop(o, "value");
    xmlChar *t = xmlNodeGetContent(o);
    char *v = t ? str_dup(str_trim((char *)t)) : NULL;
    xmlFree(t);
    return v;
}

/* n bytes of a url-encoded name or value, decoded ('+' a blank, %XX) into out; false when
 * it does not fit or a %XX is broken. */
static bool pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]))
                return false;
            char hex[3] = {s[i + 1], s[i + 2], '\0'};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (c == '\0' || o + 1 >= outsz)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

/* The pairs of the action's query (up to a '#'): a POST sends them too. */
static bool read_query(struct page_form *f)
{
    const char *q = strchr(f->action, '?');
    if (!q)
        return true;
    q++;
    size_t end = strcspn(q, "#");
    for (size_t i = 0; i < end;) {
        size_t n = strcspn(q + i, "&");
        if (n > end - i)
            n = end - i;
        const char *eq = memchr(q + i, '=', n);
        size_t nl = eq ? (size_t)(eq - (q + i)) : n;
        char name[NAME_MAX_LEN + 1], value[VALUE_MAX_LEN + 1];
        if (n && (!pct_decode(q + i, nl, name, sizeof(name)) ||
                  !pct_decode(eq ? eq + 1 : "", eq ? n - nl - 1 : 0, value, sizeof(value))))
            return false;
        if (n) {
            if (f->qnames.n >= PAGE_MAX_FIELDS || !strlist_add(&f->qnames, name))
                return false;
            if (!strlist_add(&f->qvalues, value)) {
                free(f->qnames.v[--f->qnames.n]);
                return false;
            }
            int k = name_of(name);
            if (k >= 0)
                state(&f->fields, (enum page_field)k, value, strlen(value));
        }
        i += n + 1;
    }
    return true;
}

/* A required control that a click would find unfilled: an unchecked box, a radio group
 * with nothing sent, an empty text box or textarea (hidden inputs and buttons are never
 * checked). */
static bool unfilled(const struct page_form *f, xmlNodePtr n)
{
    char t[32];
    if (is_elem(n, "button"))
        return false;
    if (is_elem(n, "textarea")) {
        char *v = textarea_value(n);
        bool empty = !v || !*v;
        free(v);
        return empty;
    }
    if (!is_elem(n, "input"))
        return false;   /* a select: refused already */
    if (!prop_lower(n, "type", t, sizeof(t)))
        strcpy(t, "text");
    if (!strcmp(t, "hidden") || !strcmp(t, "submit") || !strcmp(t, "image") ||
        !strcmp(t, "reset") || !strcmp(t, "button"))
        return false;
    if (!strcmp(t, "checkbox"))
        return !has_prop(n, "checked");
    char *name = prop(n, "name");
    bool empty;
    if (!strcmp(t, "radio")) {
        empty = true;
        for (size_t i = 0; name && i < f->names.n; i++)
            empty &= strcmp(f->names.v[i], name) != 0;
    } else {
        char *v = prop(n, "value");
        empty = !v || !*v;
        free(v);
    }
    free(name);
    return empty;
}

static bool has_form_inside(xmlNodePtr form)
{
    for (xmlNodePtr n = form->children; n; n = next_under(n, form))
        if (is_elem(n, "form"))
            return true;
    return false;
}

static bool is_control(xmlNodePtr n)
{
    return is_elem(n, "input") || is_elem(n, "button") || is_elem(n, "select") ||
           is_elem(n, "textarea");
}

#define REFRESH_SOON 30   /* seconds: a meta refresh sooner leaves no time for a click */

/* A refresh's content names a target: "url=" anywhere, or anything after the delay's ';'
 * or ',' (HTML reads "0;https://elsewhere/" as a target too). */
static bool refresh_target(const char *content)
{
    if (strstr(content, "url"))
        return true;
    const char *p = content + strspn(content, " \t\n\r0123456789.");
    if (*p != ';' && *p != ',')
        return false;
    p++;
    return p[strspn(p, " \t\n\r")] != '\0';
}

/* Markup that libxml2's HTML parser (not an HTML5 one) reads otherwise than a browser, so that
 * what the reading takes for hidden text a browser shows, or the other way round: NULL, or
 * why the page is refused. <noembed>, <noframes>, <xmp> and <plaintext> (a browser shows
 * their content as text, or the rest of the page as text, or nothing); a <style> or <script>
 * inside <svg> or <math> (a browser ends them at the first tag it does not expect there, and
 * shows the rest); a <title> or <textarea> holding elements or a comment (a browser reads its
 * content as text up to its end tag only). */
static const char *misread_markup(xmlNodePtr n)
{
    static const char *const as_text[] = {"noembed", "noframes", "xmp", "plaintext"};
    for (size_t i = 0; i < sizeof(as_text) / sizeof(as_text[0]); i++)
        if (is_elem(n, as_text[i]))
            return "markup a browser shows otherwise (noembed, noframes, xmp, plaintext)";
    if (is_elem(n, "style") || is_elem(n, "script"))
        for (xmlNodePtr p = n->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
            if (is_elem(p, "svg") || is_elem(p, "math"))
                return "a style or script inside svg or math";
    if (is_elem(n, "title") || is_elem(n, "textarea"))
        for (xmlNodePtr c = n->children; c; c = c->next)
            if (c->type != XML_TEXT_NODE)   /* an element, or a comment libxml2 opened there */
                return "a title or textarea holding markup";
    return NULL;
}

static void read_dom(struct page_info *pi, xmlNodePtr root)
{
    struct forms fs;
    memset(&fs, 0, sizeof(fs));
    struct page_form *f = &pi->form;
    bool have_base = false;
    const char *refuse = NULL;
    FOR_EACH_ELEMENT(n, root) {
        if (is_elem(n, "script") || is_elem(n, "noscript"))
            pi->scripted = true;
        if (is_elem(n, "base") && !have_base && has_prop(n, "href")) {
            char *b = prop(n, "href");
            have_base = true;
            if (!b || !copy_url(f->base, sizeof(f->base), b))
                fs.too_many = true;   /* cannot resolve the action as a browser would */
            free(b);
        }
        if (is_elem(n, "form")) {
            if (fs.n == PAGE_MAX_FORMS) {
                fs.too_many = true;
                continue;
            }
            fs.form[fs.n] = n;
            fs.id[fs.n] = prop(n, "id");
            fs.n++;
        }
    }
    /* what the page states, <template> content included (a script may show it) */
    for (xmlNodePtr n = root; n; n = next_node(n, true)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_elem(n, "meta") && !refuse) {
            char he[32], content[1024];
            prop_lower(n, "http-equiv", he, sizeof(he));
            prop_lower(n, "content", content, sizeof(content));
            /* at once, before a human could click (a session timeout of minutes is not) */
            if (strcmp(he, "refresh") == 0 && refresh_target(content) &&
                strtol(content + strspn(content, " \t\n\r"), NULL, 10) < REFRESH_SOON)
                refuse = "a meta refresh sends a browser elsewhere";
        }
        if ((is_elem(n, "iframe") || is_elem(n, "frame")) && has_prop(n, "srcdoc") && !refuse)
            refuse = "a frame with a document of its own";
        if (!refuse)
            refuse = misread_markup(n);
        static const char *const said[] = {"title", "aria-label", "alt", "placeholder"};
        for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
            char *v = prop(n, said[i]);   /* what a tooltip or a screen reader says */
            if (v)
                read_ids(pi, v, strlen(v));
            free(v);
        }
        if (is_control(n)) {   /* every source the page offers, whatever is posted */
            char *name = prop(n, "name");
            char *value = is_elem(n, "textarea") ? textarea_value(n)
                          : is_elem(n, "select")   ? select_value(n)
                                                   : prop(n, "value");
            const char *v = value ? value : "";
            int k = name ? name_of(name) : -1;
            if (k >= 0 && *v)   /* an empty field elsewhere (a search box) states nothing */
                state(&pi->elsewhere, (enum page_field)k, v, strlen(v));
            read_ids(pi, v, strlen(v));
            free(name);
            free(value);
        }
    }
    /* form="ID" names the first element of the page with that id, if it is a form */
    for (size_t i = 0; i < fs.n; i++) {
        if (!fs.id[i])
            continue;
        FOR_EACH_ELEMENT(n, root) {
            xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
            bool hit = id && strcmp((const char *)id, fs.id[i]) == 0;
            xmlFree(id);
            if (hit) {
                fs.first[i] = n == fs.form[i];
                break;
            }
        }
    }
    if (fs.too_many) {
        pi->layout = "too many forms";
        goto out;
    }
    if (refuse) {
        pi->layout = refuse;
        goto out;
    }
    /* the approve button */
    xmlNodePtr cand[MAX_CANDIDATES];
    size_t nc = 0;
    FOR_EACH_ELEMENT(n, root) {
        if (!is_submit_button(n) || disabled(n) || !owner_of(n, &fs) || !is_approve_button(n) ||
            button_unseen(n))
            continue;
        if (nc == MAX_CANDIDATES) {
            pi->layout = "too many approve buttons";
            goto out;
        }
        cand[nc++] = n;
    }
    if (nc == 0) {
        pi->layout = "no approval form";
        goto out;
    }
    for (size_t i = 1; i < nc; i++)
        if (!same_click(cand[0], cand[i], &fs)) {
            pi->layout = "two different approve buttons";
            goto out;
        }
    xmlNodePtr button = cand[0], form = owner_of(button, &fs);
    for (xmlNodePtr p = form->parent; p && p->type == XML_ELEMENT_NODE; p = p->parent)
        if (is_elem(p, "form")) {
            pi->layout = "nested forms";
            goto out;
        }
    if (has_form_inside(form)) {
        pi->layout = "nested forms";
        goto out;
    }
    /* where and how a click on it posts */
    char method[16], enctype[64], *action;
    if (!prop_lower(button, "formmethod", method, sizeof(method)) &&
        !prop_lower(form, "method", method, sizeof(method)))
        strcpy(method, "get");
    if (!prop_lower(button, "formenctype", enctype, sizeof(enctype)))
        prop_lower(form, "enctype", enctype, sizeof(enctype));
    action = has_prop(button, "formaction") ? prop(button, "formaction") : prop(form, "action");
    bool action_ok = copy_url(f->action, sizeof(f->action), action);
    free(action);
    str_copy(f->method, sizeof(f->method), method);
    if (strcmp(method, "post") != 0) {
        pi->layout = "not a POST form";
        goto out;
    }
    if (!strcmp(enctype, "multipart/form-data") || !strcmp(enctype, "text/plain")) {
        pi->layout = "form encoding";
        goto out;
    }
    if (!action_ok) {
        pi->layout = "form action too long";
        goto out;
    }
    if (!url_understood(f->action) || !url_understood(f->base)) {
        pi->layout = "a form action a browser reads otherwise";
        goto out;
    }
    read_ids(pi, f->action, strlen(f->action));   /* an account or ARN in its path */
    if (!read_query(f)) {
        pi->layout = "a form action whose query cannot be read";
        goto out;
    }
    if (has_prop(form, "onsubmit") || has_prop(button, "onclick")) {
        pi->layout = "a script decides what the click sends";
        goto out;
    }
    /* the fields, in document order */
    f->button = PAGE_MAX_FIELDS + 1;
    bool radio[PAGE_MAX_FIELDS + 1];
    memset(radio, 0, sizeof(radio));
    FOR_EACH_ELEMENT(n, root) {
        if (!is_control(n) || disabled(n) || owner_of(n, &fs) != form)
            continue;
        size_t before = f->names.n;
        if (!read_control(f, n, button, radio)) {
            pi->layout = "a form control it does not know";
            goto out;
        }
        if (n == button && f->names.n > before)
            f->button = before;
    }
    /* a required control left empty: a browser does not send the click at all */
    if (!has_prop(form, "novalidate") && !has_prop(button, "formnovalidate")) {
        FOR_EACH_ELEMENT(n, root) {
            if (is_control(n) && has_prop(n, "required") && !disabled(n) &&
                owner_of(n, &fs) == form && unfilled(f, n)) {
                pi->layout = "a required field a human must fill";
                goto out;
            }
        }
    }
    if (f->button > f->names.n)
        f->button = f->names.n;   /* nameless button: sends nothing of its own */
    f->found = true;
    pi->layout = "";
out:
    if (!f->found) {
        strlist_free(&f->names);
        strlist_free(&f->values);
        strlist_free(&f->qnames);
        strlist_free(&f->qvalues);
        f->button = 0;
    }
    forms_free(&fs);
}

/* Label/value pairs and ids of a rendering, read as a reader sees it (norm_text). */
static bool read_text(struct page_info *pi, const char *t, size_t len, bool ids)
{
    size_t n;
    char *norm = norm_text(t, len, &n);
    if (!norm)
        return false;
    read_lines(pi, norm, n);
    if (ids)
        read_ids(pi, norm, n);
    free(norm);
    return true;
}

/* A charset name the page is read as: UTF-8 or US-ASCII (page_read() reads UTF-8 only). */
bool page_charset_ok(const char *name, size_t n)
{
    static const char *const ok[] = {"utf-8", "utf8", "us-ascii", "ascii"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strlen(ok[i]) == n && strncasecmp(name, ok[i], n) == 0)
            return true;
    return false;
}

/* The page declares another charset than UTF-8 (a UTF-16 or UTF-32 byte order mark, a
 * <meta charset> or a <meta http-equiv=Content-Type> charset): a browser would decode other
 * characters than this reading does. */
static bool other_charset(const char *h, size_t len)
{
    if (len >= 2 && (((unsigned char)h[0] == 0xfe && (unsigned char)h[1] == 0xff) ||
                     ((unsigned char)h[0] == 0xff && (unsigned char)h[1] == 0xfe)))
        return true;
    if (len >= 4 && !h[0] && !h[1] && (unsigned char)h[2] == 0xfe && (unsigned char)h[3] == 0xff)
        return true;
    for (size_t i = 0; i + 5 <= len; i++) {
        if (h[i] != '<' || strncasecmp(h + i + 1, "meta", 4) != 0)
            continue;
        const char *end = memchr(h + i, '>', len - i);
        size_t tl = end ? (size_t)(end - (h + i)) : len - i;
        for (size_t k = i; k + 7 <= i + tl; k++) {
            if (strncasecmp(h + k, "charset", 7) != 0)
                continue;
            size_t p = k + 7;
            while (p < i + tl && (h[p] == ' ' || h[p] == '\t' || h[p] == '\n' || h[p] == '\r'))
                p++;
            if (p >= i + tl || h[p] != '=')
                continue;
            p++;
            while (p < i + tl && (h[p] == ' ' || h[p] == '\t' || h[p] == '"' || h[p] == '\''))
                p++;
            size_t b = p;
            while (p < i + tl && (isalnum((unsigned char)h[p]) || h[p] == '-' || h[p] == '_' ||
                                  h[p] == '.' || h[p] == ':'))
                p++;
            if (!page_charset_ok(h + b, p - b))
                return true;
        }
        i += tl;
    }
    return false;
}

/* U+202A-202E (embeddings, overrides) or U+2066-2069 (isolates) in UTF-8 text. */
static bool bidi_override(const char *t, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if ((unsigned char)t[i] == 0xe2 &&
            (((unsigned char)t[i + 1] == 0x80 && (unsigned char)t[i + 2] >= 0xaa &&
              (unsigned char)t[i + 2] <= 0xae) ||
             ((unsigned char)t[i + 1] == 0x81 && (unsigned char)t[i + 2] >= 0xa6 &&
              (unsigned char)t[i + 2] <= 0xa9)))
            return true;
    return false;
}

void page_read(const char *raw, size_t rawlen, struct page_info *pi)
{
    memset(pi, 0, sizeof(*pi));
    pi->layout = "no approval form";
    /* A NUL: a browser reads on (U+FFFD), libxml2 would stop there and miss the rest. */
    char *copy = NULL;
    const char *html = raw;
    size_t len = rawlen;
    if (rawlen && memchr(raw, '\0', rawlen)) {
        copy = rawlen < ((size_t)-1) / 3 ? malloc(rawlen * 3 + 1) : NULL;
        if (!copy) {
            pi->limit = "html-text";   /* not read: never posted */
            return;
        }
        len = 0;
        for (size_t i = 0; i < rawlen; i++) {
            if (raw[i])
                copy[len++] = raw[i];
            else {
                memcpy(copy + len, "\xef\xbf\xbd", 3);
                len += 3;
            }
        }
        copy[len] = '\0';
        html = copy;
    }
    struct html_text ht;   /* for its limits: elements nested deeper than libxml2 reads */
    if (html_extract(html, len, &ht) && ht.limit && strcmp(ht.limit, "html-links") != 0)
        pi->limit = ht.limit;   /* the labels may be cut: never posted */
    html_text_free(&ht);
    htmlDocPtr doc = len <= 0x7fffffff
                         ? htmlReadMemory(html, (int)len, NULL, "UTF-8",
                                          HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                              HTML_PARSE_NOWARNING | HTML_PARSE_NONET)
                         : NULL;
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root) {
        struct sbuf flow, cells, seen;
        sbuf_init(&flow, 3 * len + 1024);
        sbuf_init(&cells, 3 * len + 1024);
        sbuf_init(&seen, 3 * len + 1024);
        render(root, &flow, &cells, &seen);
        if (flow.overflow || cells.overflow || seen.overflow ||
            !read_text(pi, flow.data ? flow.data : "", flow.len, true) ||
            !read_text(pi, cells.data ? cells.data : "", cells.len, false))
            pi->limit = "html-text";
        sbuf_free(&flow);
        bool bidi = bidi_override(seen.data ? seen.data : "", seen.len);
        size_t n;
        char *vis = norm_text(seen.data ? seen.data : "", seen.len, &n);
        if (vis)
            read_markers(pi, vis, n);
        free(vis);
        sbuf_free(&cells);
        sbuf_free(&seen);
        read_dom(pi, root);
        /* what a reader sees, reordered (U+202A-202E, U+2066-2069: "123456789012" shown as
         * "210987654321"); a comment a browser ends at once ("<!-->", "<!--->": libxml2 reads
         * on to the next "-->", hiding what a browser shows) */
        const char *why = bidi ? "bidirectional overrides in the text" : NULL;
        if (!why && other_charset(raw, rawlen))
            why = "a charset other than UTF-8";
        if (!why && (memmem(html, len, "<!-->", 5) || memmem(html, len, "<!--->", 6)))
            why = "a comment a browser ends at once";
        if (why) {
            pi->form.found = false;
            pi->layout = why;
        }
    }
    if (doc)
        xmlFreeDoc(doc);
    free(copy);
}

void page_free(struct page_info *pi)
{
    strlist_free(&pi->text_ids);
    strlist_free(&pi->form.names);
    strlist_free(&pi->form.values);
    strlist_free(&pi->form.qnames);
    strlist_free(&pi->form.qvalues);
}

/* ------------------------------------------------------------------ the cross-check */

const char *page_field_name(enum page_field f)
{
    switch (f) {
    case PAGE_DOMAIN: return "domain";
    case PAGE_ACCOUNT: return "account";
    case PAGE_REGION: return "region";
    case PAGE_CERT:
    case PAGE_ARN: return "certificate";
    case PAGE_CODE: return "code";
    case PAGE_CONTEXT: return "context";
    case PAGE_NFIELDS: break;
    }
    return "?";
}

static const char *mismatch(enum page_field f)
{
    switch (f) {
    case PAGE_DOMAIN: return "page-mismatch-domain";
    case PAGE_ACCOUNT: return "page-mismatch-account";
    case PAGE_REGION: return "page-mismatch-region";
    case PAGE_CERT:
    case PAGE_ARN: return "page-mismatch-certificate";
    case PAGE_CODE: return "page-mismatch-code";
    case PAGE_CONTEXT: return "page-mismatch-context";
    case PAGE_NFIELDS: break;
    }
    return "page-mismatch";
}

/* Equal strings, in a time that does not depend on where they differ (secrets). */
static bool ct_eq(const char *page, const char *secret)
{
    size_t np = strlen(page), ns = strlen(secret);
    unsigned char d = np != ns;
    for (size_t i = 0; i < ns; i++)
        d |= (unsigned char)((i < np ? page[i] : 0) ^ secret[i]);
    return d == 0;
}

static bool value_eq(enum page_field f, const char *v, const struct page_want *w,
                     const char *certid)
{
    char acct[PAGE_VALUE_MAX + 1];
    size_t k = 0;
    switch (f) {
    case PAGE_DOMAIN:
        return (w->domain && str_ieq(v, w->domain)) ||
               (w->requested && w->requested[0] && str_ieq(v, w->requested));
    case PAGE_ACCOUNT:
        for (const char *p = v; *p; p++)
            if (*p != '-' && *p != ' ')
                acct[k++] = *p;
        acct[k] = '\0';
        return w->account && strcmp(acct, w->account) == 0;
    case PAGE_REGION: return w->region && str_ieq(v, w->region);
    case PAGE_CERT: return (w->arn && str_ieq(v, w->arn)) || (certid && str_ieq(v, certid));
    case PAGE_ARN: return w->arn && str_ieq(v, w->arn);
    case PAGE_CODE: return w->code && ct_eq(v, w->code);
    case PAGE_CONTEXT: return w->context && ct_eq(v, w->context);
    case PAGE_NFIELDS: break;
    }
    return false;
}

/* A word of v (its runs of letters: "REJECTED ", "REJECT_REQUEST", "reject-all") that says no;
 * a domain's labels are words too, so a request whose domain has a label "deny" is refused,
 * never approved by mistake. */
static bool says_reject(const char *v)
{
    static const char *const no[] = {"reject", "rejected", "rejection", "deny", "denied",
                                     "decline", "declined", "disapprove", "disapproved"};
    for (const char *p = v; *p;) {
        while (*p && !isalpha((unsigned char)*p))
            p++;
        const char *b = p;
        while (isalpha((unsigned char)*p))
            p++;
        for (size_t i = 0; p > b && i < sizeof(no) / sizeof(no[0]); i++)
            if (strlen(no[i]) == (size_t)(p - b) && strncasecmp(b, no[i], (size_t)(p - b)) == 0)
                return true;
    }
    return false;
}

/* The action's path or query says no anywhere ("/rejectvalidation"): its host is the pinned
 * one (approver.c), whose name says nothing of the kind. */
static bool action_says_no(const char *action)
{
    static const char *const no[] = {"reject", "deny", "denied", "declin", "disapprov"};
    for (const char *p = action; *p; p++)
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
            if (strncasecmp(p, no[i], strlen(no[i])) == 0)
                return true;
    return false;
}

/* A field name about the decision ("approve", "approvalStatus", "decision"). */
static bool approval_name(const char *name)
{
    char l[NAME_MAX_LEN + 1];
    str_copy(l, sizeof(l), name);
    str_lower(l);
    return strstr(l, "approv") || strstr(l, "decision") || strstr(l, "status");
}

/* A value shaped like an account number: 12 digits, or dddd-dddd-dddd. */
static bool account_shaped(const char *v, char out[13])
{
    size_t n = strlen(v), k = 0;
    if (n != 12 && n != 14)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (n == 14 && (i == 4 || i == 9)) {
            if (v[i] != '-')
                return false;
            continue;
        }
        if (!isdigit((unsigned char)v[i]))
            return false;
        out[k++] = v[i];
    }
    out[k] = '\0';
    return true;
}

/* An ARN or an account number stated anywhere: NULL when it is the request's, else the
 * mismatch. */
static const char *id_check(const char *v, const struct page_want *w)
{
    if (strncasecmp(v, "arn:", 4) == 0)
        return w->arn && str_ieq(v, w->arn) ? NULL : "page-mismatch-certificate";
    char acct[13];
    if (account_shaped(v, acct) && !(w->account && strcmp(acct, w->account) == 0))
        return "page-mismatch-account";
    return NULL;
}

/* One pair a click sends (not the approve button's own): NULL, or the mismatch. */
static const char *posted_check(const char *name, const char *v, const struct page_want *w,
                                const char *bname, const char *bvalue)
{
    if (bname && strcmp(name, bname) == 0 && strcmp(v, bvalue) != 0)
        return "page-mismatch-button";   /* a second value for the approve button's name */
    if (says_reject(v) || says_reject(name) || (approval_name(name) && says_false(v)))
        return "page-mismatch-button";
    /* whatever its name, a posted ARN, account number or region is the request's */
    const char *why = id_check(v, w);
    if (why)
        return why;
    if (region_valid(v) && region_partition(v) && !(w->region && str_ieq(v, w->region)))
        return "page-mismatch-region";
    return NULL;
}

const char *page_check(const struct page_info *pi, const struct page_want *w)
{
    struct arn a;
    const char *certid = w->arn && arn_parse(w->arn, false, &a) ? a.certid : NULL;
    const struct page_source *src[3] = {&pi->labels, &pi->form.fields, &pi->elsewhere};
    for (int f = 0; f < PAGE_NFIELDS; f++)
        for (size_t s = 0; s < 3; s++) {
            const struct page_value *pv = &src[s]->f[f];
            if (pv->conflict || (pv->seen && !value_eq((enum page_field)f, pv->v, w, certid)))
                return mismatch((enum page_field)f);
        }
    if (pi->text_ids_overflow)
        return "page-mismatch-account";
    for (size_t i = 0; i < pi->text_ids.n; i++) {
        const char *why = id_check(pi->text_ids.v[i], w);
        if (why)
            return why;
    }
    const struct page_form *fm = &pi->form;
    if (fm->found && action_says_no(fm->action))
        return "page-mismatch-button";   /* the click goes to /rejectvalidation or the like */
    const char *bname = fm->button < fm->names.n ? fm->names.v[fm->button] : NULL;
    const char *bvalue = bname ? fm->values.v[fm->button] : NULL;
    for (size_t i = 0; i < fm->names.n; i++) {
        const char *why = i == fm->button ? NULL
                                          : posted_check(fm->names.v[i], fm->values.v[i], w,
                                                         bname, bvalue);
        if (why)
            return why;
    }
    for (size_t i = 0; i < fm->qnames.n; i++) {
        const char *why = posted_check(fm->qnames.v[i], fm->qvalues.v[i], w, bname, bvalue);
        if (why)
            return why;
    }
    if (pi->limit)
        return strcmp(pi->limit, "html-depth") == 0 ? "page-too-deep" : "page-too-large";
    if (fm->too_large)
        return "page-form-too-large";
    if (!fm->found)
        return "page-unknown-layout";
    static const enum page_field needed[] = {PAGE_DOMAIN, PAGE_ACCOUNT, PAGE_REGION, PAGE_CERT};
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        enum page_field f = needed[i];
        bool seen = pi->labels.f[f].seen || fm->fields.f[f].seen ||
                    (f == PAGE_CERT && fm->fields.f[PAGE_ARN].seen);
        if (!seen)   /* a page with scripts that states nothing: it needs JavaScript */
            return pi->scripted ? "page-unknown-layout" : "page-incomplete";
    }
    return NULL;
}
