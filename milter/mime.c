/*
 * mime - see mime.h for the contract. GMime does the MIME work; this file only walks the
 * tree, bounds it, and copies the results out so no GObject escapes.
 */
#include "mime.h"

#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void mime_init(void)
{
    g_mime_init();
}

void mime_shutdown(void)
{
    g_mime_shutdown();
}

static char *unfold_n(const char *v, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '\r' && v[i] != '\n')
            out[o++] = v[i];
    out[o] = '\0';
    return out;
}

static char *unfold(const char *v)
{
    return unfold_n(v, strlen(v));
}

static bool is_utf8_name(const char *cs)
{
    return !cs || str_ieq(cs, "utf-8") || str_ieq(cs, "utf8") || str_ieq(cs, "us-ascii") ||
           str_ieq(cs, "ascii");
}

/* RFC 2045 6.7 (3): white space before a line end of quoted-printable text is transport
 * padding, added by relays, and must be deleted before decoding; "=" followed by padding
 * and the line end is still a soft line break. GMime keeps the padding, so a padded soft
 * break inside a URL would decode as "= " and cut the URL. Works in place on the encoded
 * bytes; returns the new length. */
size_t mime_qp_strip_padding(char *s, size_t len)
{
    size_t o = 0, i = 0;
    while (i < len) {
        char *nl = memchr(s + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - s) : len;   /* the line's LF, or the end */
        size_t c = e;                              /* where its padding would end: at the CR of CR LF */
        if (nl && c > i && s[c - 1] == '\r')
            c--;
        size_t k = c;
        while (k > i && (s[k - 1] == ' ' || s[k - 1] == '\t'))
            k--;
        /* [i, k) stays, [k, c) is padding, [c, the LF] stays */
        size_t next = nl ? e + 1 : len;
        if (k == c) {   /* no padding (most lines): the line as it is */
            if (o != i)
                memmove(s + o, s + i, next - i);
            o += next - i;
        } else {
            memmove(s + o, s + i, k - i);
            o += k - i;
            memmove(s + o, s + c, next - c);
            o += next - c;
        }
        i = next;
    }
    return o;
}

/* Writes the part's content, Content-Transfer-Encoding undone, to out (a filter stream that
 * may convert the charset). Quoted-printable is decoded here, after its transport padding
 * is deleted; every other encoding is left to GMime. */
static bool write_decoded(GMimeDataWrapper *w, GMimeStream *out)
{
    if (g_mime_data_wrapper_get_encoding(w) != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return g_mime_data_wrapper_write_to_stream(w, out) >= 0;
    GMimeStream *src = g_mime_data_wrapper_get_stream(w);
    if (!src || g_mime_stream_reset(src) < 0)
        return false;
    GByteArray *raw = g_byte_array_new();
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(raw);   /* owns raw */
    bool ok = g_mime_stream_write_to_stream(src, mem) >= 0;
    if (ok) {
        g_byte_array_set_size(raw, (guint)mime_qp_strip_padding((char *)raw->data, raw->len));
        GMimeStream *qp = g_mime_stream_filter_new(out);
        GMimeFilter *dec = g_mime_filter_basic_new(GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(qp), dec);
        g_object_unref(dec);
        ok = g_mime_stream_reset(mem) >= 0 && g_mime_stream_write_to_stream(mem, qp) >= 0 &&
             g_mime_stream_flush(qp) >= 0;
        g_object_unref(qp);
    }
    g_object_unref(mem);
    return ok;
}

static void unread(struct mime_view *mv, const char *why)
{
    if (!mv->unread)
        mv->unread = why;
}

static void add_part(struct mime_view *mv, GMimePart *part, bool html, char *text, size_t len);

/* The part's content with its Content-Transfer-Encoding undone, without GMime's streams and
 * filters (objects made and freed for each part were a tenth of the parse): the encoded
 * bytes read at once, quoted-printable padding deleted as in write_decoded(), and GMime's
 * own decoder (the one its filters step through) run over all of them. For no charset
 * conversion and an encoding other than uuencode (whose filter first looks for a begin
 * line); false when it cannot be used, and the caller takes the streams. */
static bool read_direct(GMimeDataWrapper *w, char **text, size_t *len)
{
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
    if (enc == GMIME_CONTENT_ENCODING_UUENCODE)
        return false;
    GMimeStream *src = g_mime_data_wrapper_get_stream(w);
    gint64 n = src ? g_mime_stream_length(src) : -1;
    if (n < 0 || (guint64)n > SIZE_MAX - 8 || g_mime_stream_reset(src) < 0)
        return false;
    char *raw = malloc((size_t)n + 1);
    if (!raw)
        return false;
    size_t got = 0;
    while (got < (size_t)n) {
        gssize r = g_mime_stream_read(src, raw + got, (size_t)n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    g_mime_stream_reset(src);
    if (got != (size_t)n) {
        free(raw);
        return false;
    }
    if (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        raw[got] = '\0';   /* 7bit, 8bit, binary, none: the bytes as they are */
        *text = raw;
        *len = got;
        return true;
    }
    if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        got = mime_qp_strip_padding(raw, got);
    GMimeEncoding st;
    g_mime_encoding_init_decode(&st, enc);
    char *out = malloc(g_mime_encoding_outlen(&st, got) + 1);
    if (!out) {
        free(raw);
        return false;
    }
    size_t k = g_mime_encoding_flush(&st, raw, got, out);
    free(raw);
    out[k] = '\0';
    *text = out;
    *len = k;
    return true;
}

static void add_text(struct mime_view *mv, GMimePart *part, bool html)
{
    if (mv->nparts >= MIME_MAX_PARTS) {
        unread(mv, "mime-parts");
        return;
    }
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    if (!w)
        return;
    const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    size_t len = 0;
    char *text = NULL;
    if (is_utf8_name(cs) && read_direct(w, &text, &len)) {
        add_part(mv, part, html, text, len);
        return;
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeStream *filt = g_mime_stream_filter_new(mem);
    if (!is_utf8_name(cs)) {
        GMimeFilter *f = g_mime_filter_charset_new(cs, "UTF-8");
        if (f) {
            g_mime_stream_filter_add(GMIME_STREAM_FILTER(filt), f);
            g_object_unref(f);
        } else {
            unread(mv, "mime-charset");   /* unknown charset: match on the raw bytes */
        }
    }
    if (!write_decoded(w, filt))
        unread(mv, "mime-decode");
    g_mime_stream_flush(filt);
    g_object_unref(filt);
    /* The decoded text is taken from the stream's array, not copied (GLib allocates with
     * malloc(): free() releases it). */
    GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    if (!arr)
        return;
    len = arr->len;
    g_byte_array_append(arr, (const guint8 *)"", 1);   /* NUL-terminated */
    text = (char *)g_byte_array_free(arr, FALSE);
    add_part(mv, part, html, text, len);
}

/* text (malloc'ed, NUL-terminated, len bytes before the NUL) as the view's next part */
static void add_part(struct mime_view *mv, GMimePart *part, bool html, char *text, size_t len)
{
    struct mime_text *p = realloc(mv->parts, (mv->nparts + 1) * sizeof(*p));
    if (!p) {
        free(text);
        return;
    }
    mv->parts = p;
    const char *fmt = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "format");
    const char *dsp = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "delsp");
    p[mv->nparts].html = html;
    p[mv->nparts].flowed = !html && fmt && str_ieq(fmt, "flowed");
    p[mv->nparts].delsp = dsp && str_ieq(dsp, "yes");
    p[mv->nparts].len = len;
    p[mv->nparts].text = text;
    mv->nparts++;
}

/* A multipart's preamble or epilogue: no reader shows it, but what it says counts (it is
 * where text appended past a DKIM l= body length lands). Blank ones are left out. */
static void add_raw_text(struct mime_view *mv, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    size_t k = 0;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r' || s[k] == '\n'))
        k++;
    if (k == n)
        return;
    if (mv->nparts >= MIME_MAX_PARTS) {
        unread(mv, "mime-parts");
        return;
    }
    struct mime_text *p = realloc(mv->parts, (mv->nparts + 1) * sizeof(*p));
    if (!p) {
        unread(mv, "mime-decode");
        return;
    }
    mv->parts = p;
    memset(&p[mv->nparts], 0, sizeof(p[mv->nparts]));
    p[mv->nparts].len = n;
    p[mv->nparts].text = str_ndup(s, n);
    if (p[mv->nparts].text)
        mv->nparts++;
    else
        unread(mv, "mime-decode");
}

/* One GMime reading of a message: its view; what makes its structure one that readers
 * disagree on, or that GMime itself reads otherwise where its buffer reads fall
 * (ambiguous(), at the end of the reading); and the boundaries its multiparts declare
 * (GMime's strings, valid while the message lives), each once, for delimiter_lines(). More
 * multiparts than MIME_MAX_PARTS is the mime-parts limit: those past it are not looked for. */
struct reading {
    struct mime_view *mv;
    bool invalid_header;   /* a line in a header section that is not a field */
    bool odd_boundary;     /* a boundary parameter readers may read otherwise than GMime */
    const char *b[MIME_MAX_PARTS];
    size_t bl[MIME_MAX_PARTS];
    size_t n, multiparts;
};

/* The header fields of obj: one whose name is followed by blanks before the colon (RFC
 * 5322's obsolete syntax: GMime takes the line for a field, unless its buffer ends between
 * the blanks and the colon, where it takes it for a line that is not a field; other readers
 * end the header section there), unless top (the message's own section, which the MTA hands
 * over as name and value, blanks dropped: -t decides as the daemon does); and, anywhere, a
 * CR that does not end a line (GMime reads it as part of the value, a reader that takes it
 * for a line end reads a field after it). */
static void header_lines(struct reading *rd, GMimeObject *obj, bool top)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    for (int i = 0; i < n && !rd->invalid_header; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *raw = g_mime_header_get_raw_name(h), *name = g_mime_header_get_name(h);
        const char *v = g_mime_header_get_raw_value(h);
        if (!top && raw && name && strcmp(raw, name) != 0)
            rd->invalid_header = true;
        for (const char *cr = v ? strchr(v, '\r') : NULL; cr && !rd->invalid_header;
             cr = strchr(cr + 1, '\r'))
            if (cr[1] != '\n' && cr[1] != '\0')
                rd->invalid_header = true;
    }
}

/* RFC 2046 5.1.1's bchars: what a boundary may be made of (a space, but not last). */
static bool bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c && strchr("'()+_,-./:=? ", c));
}

/* p past blanks and line ends (a folded field's value) */
static const char *skip_fws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* Does obj's Content-Type field give GMime's boundary b plainly: one boundary parameter, no
 * RFC 2231 form of it (boundary*0=, boundary*=), its value the same bytes as b, quoted or
 * not, of RFC 2046 bchars and not ending in a space? Otherwise readers may take another
 * boundary than GMime's (one that strips a trailing blank, joins continuations otherwise,
 * or compares the raw bytes GMime has converted), and then other delimiter lines. */
static bool plain_boundary(GMimeObject *obj, const char *b, size_t bl)
{
    if (!bl || b[bl - 1] == ' ')
        return false;
    for (size_t i = 0; i < bl; i++)
        if (!bchar((unsigned char)b[i]))
            return false;
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    const char *v = NULL;
    for (int i = 0; i < n && !v; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        if (name && g_ascii_strcasecmp(name, "Content-Type") == 0)
            v = g_mime_header_get_raw_value(h);
    }
    if (!v)
        return false;
    int found = 0;
    bool same = false;
    for (const char *p = v; *p;) {
        if (*p == '"') {   /* another parameter's quoted value: its ';' and '=' are text */
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
            continue;
        }
        if (*p != ';') {
            p++;
            continue;
        }
        p = skip_fws(p + 1);
        if (g_ascii_strncasecmp(p, "boundary", 8) != 0)
            continue;
        const char *q = skip_fws(p + 8);
        if (*q == '*')
            return false;   /* RFC 2231 */
        if (*q != '=')
            continue;   /* another parameter whose name starts so */
        found++;
        q = skip_fws(q + 1);
        const char *val = q, *vend;
        if (*q == '"') {
            val = ++q;
            while (*q && *q != '"' && *q != '\\')
                q++;
            if (*q != '"')
                return false;   /* an escape, or no closing quote */
            vend = q++;
        } else {
            while (*q && *q != ';' && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n' &&
                   *q != '(')
                q++;
            vend = q;
        }
        same = (size_t)(vend - val) == bl && memcmp(val, b, bl) == 0;
        p = q;
    }
    return found == 1 && same;
}

static void walk(struct reading *rd, GMimeObject *obj, int depth)
{
    struct mime_view *mv = rd->mv;
    if (!obj)
        return;
    header_lines(rd, obj, depth == 0);
    if (depth > MIME_MAX_DEPTH) {
        mv->too_deep = true;
        unread(mv, "mime-depth");
        if (!mv->defect)
            mv->defect = "mime-depth";
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        /* the boundary the multipart declares (g_mime_multipart_get_boundary() would make
         * one up where there is none) */
        const char *b = g_mime_object_get_content_type_parameter(obj, "boundary");
        if (++rd->multiparts > MIME_MAX_PARTS) {
            unread(mv, "mime-parts");
        } else if (b && *b) {
            size_t bl = strlen(b), k = 0;
            if (!plain_boundary(obj, b, bl))
                rd->odd_boundary = true;
            while (k < rd->n && (rd->bl[k] != bl || memcmp(rd->b[k], b, bl) != 0))
                k++;
            if (k == rd->n) {
                rd->b[rd->n] = b;
                rd->bl[rd->n++] = bl;
            }
        }
        add_raw_text(mv, g_mime_multipart_get_prologue(mp));
        for (int i = 0; i < n; i++)
            walk(rd, g_mime_multipart_get_part(mp, i), depth + 1);
        add_raw_text(mv, g_mime_multipart_get_epilogue(mp));
        return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        /* an attached message is read too: what it says counts like any other part */
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (inner) {
            header_lines(rd, GMIME_OBJECT(inner), false);
            walk(rd, g_mime_message_get_mime_part(inner), depth + 1);
        }
        return;
    }
    if (!GMIME_IS_PART(obj))
        return;
    /* every leaf counts toward the limit, text or not: past it nothing is looked at */
    if (++mv->nleaves > MIME_MAX_PARTS) {
        unread(mv, "mime-parts");
        return;
    }
    /* every text leaf, inline or attachment: a field or link anywhere counts */
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    if (!ct)
        return;
    /* a generic type with a text file name is shown as text by many readers: read it too */
    const char *fn = g_mime_part_get_filename(GMIME_PART(obj));
    size_t fl = fn ? strlen(fn) : 0;
    bool generic = g_mime_content_type_is_type(ct, "application", "octet-stream");
    bool html_name = generic && ((fl > 4 && g_ascii_strcasecmp(fn + fl - 4, ".htm") == 0) ||
                                 (fl > 5 && g_ascii_strcasecmp(fn + fl - 5, ".html") == 0));
    bool text_name = generic && fl > 4 && g_ascii_strcasecmp(fn + fl - 4, ".txt") == 0;
    if (g_mime_content_type_is_type(ct, "text", "html") ||
        g_mime_content_type_is_type(ct, "application", "xhtml+xml") || html_name)
        add_text(mv, GMIME_PART(obj), true);
    else if (g_mime_content_type_is_type(ct, "text", "*") || text_name)
        add_text(mv, GMIME_PART(obj), false);
}

/* A boundary delimiter ("--" and a boundary the message's multiparts declare) anywhere in
 * the body but as a delimiter line ("--" and the boundary, "--" after it for the close
 * delimiter, then blanks only, at a line's start). RFC 2046 5.1.1 has readers match the
 * delimiter at a line's start whatever follows it, so a line "--BOUNDARY text" ends the part
 * for many readers and not for GMime, and a boundary that starts another one makes the inner
 * multipart's delimiter lines the outer one's with text after them. GMime itself, where its
 * buffer read ends inside a line of more than 128 bytes, reads what follows the end as a line
 * of its own, and a delimiter there ends the part ("x...x--BOUNDARY", or "--BOUNDARY" and
 * blanks); which read ends fall inside which lines depends on the lengths of everything
 * before, header fields a sender chooses included. The boundary must not occur in the
 * content at all (RFC 2046 5.1.1; generators pick it so), so wherever it occurs otherwise it
 * is the defect, whatever GMime made of it. */
static bool delimiter_lines(const struct reading *rd, const char *raw, size_t len)
{
    /* from the body on: the message's header fields are not in any multipart (and a field
     * named --something is blanked in mime_parse_split()'s copy, whose lines are otherwise
     * the same, blank line included) */
    size_t body = 0;
    while (body < len) {
        const char *nl = memchr(raw + body, '\n', len - body);
        size_t ll = nl ? (size_t)(nl - (raw + body)) : len - body;
        body += ll + 1;
        if (ll == 0 || (ll == 1 && raw[body - 2] == '\r'))
            break;
    }
    for (size_t k = 0; k < rd->n && body < len; k++) {
        size_t bl = rd->bl[k];
        const char *start = raw + body, *end = raw + len, *p = start + 2;
        bool found = false;
        /* each occurrence of the boundary after "--" */
        while (!found && p < end && (p = memmem(p, (size_t)(end - p), rd->b[k], bl)) != NULL) {
            if (p[-1] != '-' || p[-2] != '-') {
                p++;
                continue;
            }
            const char *d = p - 2, *q = p + bl;   /* the delimiter, and what follows it */
            if (d > start && d[-1] != '\n') {
                found = true;   /* inside a line */
                break;
            }
            if (end - q >= 2 && q[0] == '-' && q[1] == '-')
                q += 2;
            while (q < end && (*q == ' ' || *q == '\t'))
                q++;
            if (q < end && *q == '\r')
                q++;   /* the CR of CR LF; any other is a line end to some readers */
            found = q < end && *q != '\n';   /* text after the delimiter */
            p = q + 2;   /* the next "--" cannot start before q */
        }
        if (found)
            return true;
    }
    return false;
}

/* The reading is over: what makes its structure ambiguous is its defect, before anything
 * GMime reported (which, for such a structure, may depend on where its reads fell) but a
 * multipart without a boundary: a boundary where no delimiter line is first (found in the
 * raw bytes, wherever the reads fell), then a line in a header section that is not a
 * field. */
static void ambiguous(struct reading *rd, const char *raw, size_t len)
{
    /* a multipart without a boundary keeps its defect: the recognizer takes it for a
     * limit (the parts were never told apart) */
    if (rd->mv->defect && strcmp(rd->mv->defect, "mime-no-boundary") == 0)
        return;
    if (rd->odd_boundary)
        rd->mv->defect = "mime-boundary-parameter";
    else if (delimiter_lines(rd, raw, len))
        rd->mv->defect = "mime-boundary-line";
    else if (rd->invalid_header)
        rd->mv->defect = "mime-invalid-header";
}

/* Does the raw (undecoded) header value hold a NUL, or an RFC 2047 encoded word whose
 * decoded bytes do (or whose charset is a wide one, where a NUL cannot be told apart)? */
static bool value_has_nul(const char *v, size_t n)
{
    if (memchr(v, '\0', n))
        return true;
    for (size_t i = 0; i + 1 < n; i++) {
        if (v[i] != '=' || v[i + 1] != '?')
            continue;
        const char *cs = v + i + 2;
        const char *q1 = memchr(cs, '?', n - (size_t)(cs - v));
        if (!q1 || (size_t)(q1 - v) + 3 >= n || q1[2] != '?')
            continue;
        const char *data = q1 + 3;
        const char *end = g_strstr_len(data, (gssize)(n - (size_t)(data - v)), "?=");
        if (!end)
            continue;
        char csname[32];
        str_ncopy(csname, sizeof(csname), cs, (size_t)(q1 - cs));
        str_lower(csname);
        if (strstr(csname, "16") || strstr(csname, "32") || strstr(csname, "ucs"))
            return true;
        char enc = (char)(q1[1] | 0x20);
        size_t dl = (size_t)(end - data);
        if (enc == 'q') {
            for (size_t k = 0; k + 2 < dl; k++)
                if (data[k] == '=' && data[k + 1] == '0' && data[k + 2] == '0')
                    return true;
        } else if (enc == 'b') {
            char *tmp = str_ndup(data, dl);
            if (tmp) {
                gsize ol = 0;
                guchar *dec = g_base64_decode(tmp, &ol);
                bool nul = dec && memchr(dec, '\0', ol);
                g_free(dec);
                free(tmp);
                if (nul)
                    return true;
            }
        }
        i = (size_t)(end - v) + 1;
    }
    return false;
}

/* The header section of raw, field by field (folded lines joined), for the NUL check: GMime
 * hands header values out as C strings, so a NUL is looked for in the raw bytes. */
static void header_nuls(struct mime_view *mv, const char *raw, size_t len)
{
    static const char *const names[] = {"From", "Subject", "Authentication-Results", "To",
                                        "Cc", "Content-Type", "Content-Transfer-Encoding",
                                        "Content-Disposition", "MIME-Version"};
    size_t p = 0;
    while (p < len && !mv->nul_header) {
        size_t eol = p;
        while (eol < len && raw[eol] != '\n')
            eol++;
        size_t lend = eol > p && raw[eol - 1] == '\r' ? eol - 1 : eol;
        if (lend == p)
            break;   /* the blank line: end of the header section */
        /* extend over continuation lines */
        size_t fend = eol;
        while (fend + 1 < len && (raw[fend + 1] == ' ' || raw[fend + 1] == '\t')) {
            fend++;
            while (fend < len && raw[fend] != '\n')
                fend++;
        }
        const char *colon = memchr(raw + p, ':', lend - p);
        if (colon) {
            size_t nl = (size_t)(colon - (raw + p));
            while (nl && (raw[p + nl - 1] == ' ' || raw[p + nl - 1] == '\t'))
                nl--;
            for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                if (nl == strlen(names[k]) && g_ascii_strncasecmp(raw + p, names[k], nl) == 0 &&
                    value_has_nul(colon + 1, (fend < len ? fend : len) - (size_t)(colon + 1 - raw)))
                    mv->nul_header = names[k];
        }
        p = fend + 1;
    }
}

/* GMime's parser warnings that mean the structure itself is broken (a validation request
 * with any of them is not approved: a part that would contradict the others may be lost). */
static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    (void)offset, (void)item;
    struct reading *rd = data;
    struct mime_view *mv = rd->mv;
    const char *what = NULL;
    switch (code) {
    case GMIME_WARN_TRUNCATED_MESSAGE: what = "mime-truncated"; break;
    case GMIME_WARN_MALFORMED_MESSAGE: what = "mime-malformed"; break;
    case GMIME_WARN_MALFORMED_MULTIPART: what = "mime-empty-multipart"; break;
    case GMIME_WARN_INVALID_CONTENT_TYPE: what = "mime-content-type"; break;
    case GMIME_CRIT_CONFLICTING_HEADER: what = "mime-conflicting-header"; break;
    case GMIME_CRIT_CONFLICTING_PARAMETER: what = "mime-conflicting-parameter"; break;
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: what = "mime-no-boundary"; break;
    case GMIME_CRIT_NESTING_OVERFLOW: what = "mime-depth"; break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: what = "mime-empty-part"; break;
    /* a line in a header section that is not a field: GMime drops it, and where one stands
     * in a part's header GMime's reading of what follows depends on where its reads fall
     * (see ambiguous()) */
    case GMIME_CRIT_INVALID_HEADER_NAME: rd->invalid_header = true; break;
    default: break;
    }
    if (what && !mv->defect)
        mv->defect = what;
}

/* from_addr and from_count, from every From field in hdrs */
static void view_from(struct mime_view *mv)
{
    struct strlist from = {0};
    for (size_t i = 0; i < mv->nhdrs; i++)
        if (str_ieq(mv->hdrs[i].name, "From"))
            mv->from_count += mime_addresses(mv->hdrs[i].value, &from);
    if (mv->from_count == 1 && from.n == 1)
        mv->from_addr = str_dup(from.v[0]);
    strlist_free(&from);
}

size_t mime_header_fields(const char *raw, size_t len, mime_field_fn fn, void *arg)
{
    size_t i = 0, nfields = 0, fstart = 0, nlen = 0;
    bool open = false;   /* a field started at fstart, its name nlen bytes long */
    while (i < len) {
        const char *line = raw + i;
        const char *nl = memchr(line, '\n', len - i);
        if (!nl)
            return 0;   /* no blank line */
        size_t ll = (size_t)(nl - line) + 1;
        if (memchr(line, '\0', ll))
            return 0;
        bool blank = ll == 1 || (ll == 2 && line[0] == '\r');
        if (!blank && (line[0] == ' ' || line[0] == '\t')) {
            if (!open)
                return 0;   /* a continuation with no field before it */
            i += ll;
            continue;
        }
        if (open)
            fn(arg, raw + fstart, nlen, i - fstart);
        if (blank)
            return i + ll;
        size_t n = 0;
        while (n < ll && line[n] != ':' && line[n] > 32 && line[n] < 127)
            n++;
        if (n == 0 || line[n] != ':' || ++nfields > MIME_MAX_HEADERS)
            return 0;
        open = true;
        fstart = i;
        nlen = n;
        i += ll;
    }
    return 0;
}

struct fields_view {
    struct mime_view *mv;
    bool (*want)(const char *name, size_t n);
    size_t cap;
    bool failed;
};

static void view_field(void *arg, const char *field, size_t nlen, size_t flen)
{
    struct fields_view *fv = arg;
    struct mime_view *mv = fv->mv;
    const char *v = field + nlen + 1;
    size_t vl = flen - nlen - 1;
    /* GMime keeps the Content-* fields with the top-level part, not in the message's */
    if (nlen >= 8 && g_ascii_strncasecmp(field, "Content-", 8) == 0) {
        if (nlen == 12 && g_ascii_strncasecmp(field, "Content-Type", 12) == 0 &&
            !mv->content_type && !(mv->content_type = unfold_n(v, vl)))
            fv->failed = true;
        return;
    }
    if (fv->want && !fv->want(field, nlen))
        return;
    if (mv->nhdrs == fv->cap) {
        struct mime_header *h = grow_array(mv->hdrs, &fv->cap, sizeof(*h), 8);
        if (!h) {
            fv->failed = true;
            return;
        }
        mv->hdrs = h;
    }
    char *name = str_ndup(field, nlen), *value = unfold_n(v, vl);
    if (!name || !value) {
        free(name);
        free(value);
        fv->failed = true;
        return;
    }
    mv->hdrs[mv->nhdrs].name = name;
    mv->hdrs[mv->nhdrs].value = value;
    mv->nhdrs++;
}

struct mime_view *mime_parse_fields(const char *raw, size_t len,
                                    bool (*want)(const char *name, size_t n))
{
    struct mime_view *mv = calloc(1, sizeof(*mv));
    if (!mv)
        return NULL;
    struct fields_view fv = {.mv = mv, .want = want};
    if (!mime_header_fields(raw, len, view_field, &fv) || fv.failed) {
        mime_free(mv);
        return NULL;
    }
    view_from(mv);
    return mv;
}

static void gmime_read(const char *raw, size_t len, struct mime_view *mv, bool fields);

/* The parser options of every GMime reading here: RFC 2047 words read loosely. */
static GMimeParserOptions *loose_options(void)
{
    GMimeParserOptions *opts = g_mime_parser_options_new();
    g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    return opts;
}

/* nul_header over the raw message: the fields header_nuls() names, then any NUL at all.
 * RFC 2045 allows NUL only in binary content, which no validation request has: a raw NUL
 * anywhere else (another header field, a part's header, a 7bit, 8bit or quoted-printable
 * body) would be cut or skipped by some reader. */
static void nul_checks(struct mime_view *mv, const char *raw, size_t len)
{
    header_nuls(mv, raw, len);
    if (!mv->nul_header && memchr(raw, '\0', len))
        mv->nul_header = "message";
}

/* The fields RFC 5322 allows once: GMime reports a second one with another value as a
 * conflicting header (GMIME_CRIT_CONFLICTING_HEADER), the same check as here. */
static const char *const single_fields[] = {
    "Bcc", "Cc", "Date", "From", "In-Reply-To", "Message-ID", "References", "Reply-To",
    "Sender", "Subject", "To",
};
#define NSINGLE (sizeof(single_fields) / sizeof(single_fields[0]))

struct split {
    struct fields_view fv;   /* every field but the Content-* ones, as mime_parse() gives */
    const char *raw;
    char *copy;              /* raw, with the fields GMime need not read overwritten in
                              * place (the same layout for its parser) */
    const char *first[NSINGLE];   /* the raw value of each single field's first copy */
    size_t first_len[NSINGLE];
    bool conflict;
    const char *subject;     /* the raw value of the last Subject field */
    size_t subject_len;
};

static void split_field(void *arg, const char *field, size_t nlen, size_t flen)
{
    struct split *sp = arg;
    view_field(&sp->fv, field, nlen, flen);
    const char *v = field + nlen + 1;
    size_t vl = flen - nlen - 1;
    if ((nlen >= 8 && g_ascii_strncasecmp(field, "Content-", 8) == 0) ||
        (nlen == 12 && g_ascii_strncasecmp(field, "MIME-Version", 12) == 0))
        return;   /* GMime reads these: the MIME structure */
    /* A field GMime does nothing with (no address, date or value to decode), in the same
     * layout: every byte X but the colon, the line ends and the blank that starts each
     * folded line. GMime's reading of the structure depends on where its reads fall, and
     * where they fall depends on each line's length and kind (a field, whose name it may
     * read again from the line's start, or a folded line): no byte moves and no line
     * changes its kind. */
    char *c = sp->copy + (field - sp->raw);
    for (size_t i = 0; i < flen; i++)
        if (i != nlen && c[i] != '\r' && c[i] != '\n' && !(i > 0 && c[i - 1] == '\n'))
            c[i] = 'X';
    for (size_t i = 0; i < NSINGLE; i++) {
        if (strlen(single_fields[i]) != nlen || g_ascii_strncasecmp(field, single_fields[i], nlen))
            continue;
        if (!sp->first[i]) {
            sp->first[i] = v;
            sp->first_len[i] = vl;
        } else if (sp->first_len[i] != vl || memcmp(sp->first[i], v, vl) != 0) {
            sp->conflict = true;
        }
        if (nlen == 7) {   /* Subject, the only single field of 7 letters */
            sp->subject = v;
            sp->subject_len = vl;
        }
        break;
    }
}

/* The Subject field's value as GMime decodes it for the message (the last one counts). */
static char *decode_subject(const char *raw, size_t n)
{
    char *r = str_ndup(raw, n);
    if (!r)
        return NULL;
    char *u = g_mime_utils_header_unfold(r);
    free(r);
    if (!u)
        return NULL;
    GMimeParserOptions *opts = loose_options();
    char *d = g_mime_utils_header_decode_text(opts, u);
    g_mime_parser_options_free(opts);
    g_free(u);
    char *out = d ? str_dup(d) : NULL;
    g_free(d);
    return out;
}

void mime_from_keep(struct mime_from *f, const struct mime_view *mv)
{
    mime_from_free(f);
    f->addr = mv->from_addr ? str_dup(mv->from_addr) : NULL;
    f->count = mv->from_count;
    f->known = !mv->from_addr || f->addr;
}

void mime_from_free(struct mime_from *f)
{
    free(f->addr);
    memset(f, 0, sizeof(*f));
}

struct mime_view *mime_parse_split(const char *raw, size_t len, const struct mime_from *from)
{
    struct split sp;
    memset(&sp, 0, sizeof(sp));
    struct mime_view *mv = calloc(1, sizeof(*mv));
    sp.copy = mv && len ? malloc(len) : NULL;
    if (!sp.copy) {
        free(mv);
        return mime_parse(raw, len);
    }
    memcpy(sp.copy, raw, len);
    sp.raw = raw;
    sp.fv.mv = mv;
    size_t hl = mime_header_fields(raw, len, split_field, &sp);
    bool ok = hl && !sp.fv.failed &&
              (!sp.subject || (mv->subject = decode_subject(sp.subject, sp.subject_len)));
    if (ok && from && from->known) {   /* read at end of headers, from the same section */
        mv->from_count = from->count;
        mv->from_addr = from->addr ? str_dup(from->addr) : NULL;
        ok = !from->addr || mv->from_addr;
    } else if (ok) {
        view_from(mv);
    }
    if (!ok) {
        free(sp.copy);
        mime_free(mv);
        return mime_parse(raw, len);   /* not plain fields (or no memory): GMime reads all */
    }
    /* the conflicting copies of a single field are the first defect, as in GMime's parse
     * (it checks the message's fields before it reads the MIME structure) */
    if (sp.conflict)
        mv->defect = "mime-conflicting-header";
    gmime_read(sp.copy, len, mv, false);
    free(sp.copy);   /* the view holds copies of what it keeps */
    nul_checks(mv, raw, len);   /* over the raw message, as mime_parse() reads them */
    return mv;
}

/* GMime's reading of raw into mv: with fields, also the header fields, the Subject, the
 * top-level Content-Type, the From list and the NUL checks; without, the structure and the
 * text parts alone (mime_parse_split() takes the rest from the section itself). */
static void gmime_read(const char *raw, size_t len, struct mime_view *mv, bool fields)
{
    /* The parser reads the caller's buffer in place (no copy of the message): a byte array
     * that borrows it, in a stream that does not own it; the parts' contents are views of
     * it, and it is handed back untouched once the last of them is gone. */
    GByteArray *borrowed = g_byte_array_new_take((guint8 *)raw, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(borrowed);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeParserOptions *opts = loose_options();
    struct reading rd = {.mv = mv};
    g_mime_parser_options_set_warning_callback(opts, on_warning, &rd);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    g_object_unref(stream);
    if (fields)
        nul_checks(mv, raw, len);
    if (!msg) {
        g_byte_array_free(borrowed, FALSE);   /* the buffer is the caller's */
        unread(mv, "mime-decode");
        ambiguous(&rd, raw, len);
        return;
    }
    header_lines(&rd, GMIME_OBJECT(msg), true);
    if (!fields) {
        walk(&rd, g_mime_message_get_mime_part(msg), 0);
        ambiguous(&rd, raw, len);
        g_object_unref(msg);
        g_byte_array_free(borrowed, FALSE);
        return;
    }
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    int nh = hl ? g_mime_header_list_get_count(hl) : 0;
    if (nh > MIME_MAX_HEADERS) {
        nh = MIME_MAX_HEADERS;
        unread(mv, "mime-headers");
        mv->too_many_headers = true;
    }
    if (nh > 0)
        mv->hdrs = calloc((size_t)nh, sizeof(*mv->hdrs));
    for (int i = 0; mv->hdrs && i < nh; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *rawv = g_mime_header_get_raw_value(h);
        mv->hdrs[mv->nhdrs].name = str_dup(name ? name : "");
        mv->hdrs[mv->nhdrs].value = unfold(rawv ? rawv : "");
        if (mv->hdrs[mv->nhdrs].name && mv->hdrs[mv->nhdrs].value)
            mv->nhdrs++;
        else {
            free(mv->hdrs[mv->nhdrs].name);
            free(mv->hdrs[mv->nhdrs].value);
        }
    }
    GMimeObject *top = g_mime_message_get_mime_part(msg);
    GMimeHeaderList *phl = top ? g_mime_object_get_header_list(top) : NULL;
    int np = phl ? g_mime_header_list_get_count(phl) : 0;
    for (int i = 0; i < np && !mv->content_type; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(phl, i);
        const char *name = g_mime_header_get_name(h);
        const char *rawv = g_mime_header_get_raw_value(h);
        if (name && str_ieq(name, "Content-Type"))
            mv->content_type = unfold(rawv ? rawv : "");
    }
    const char *subj = g_mime_message_get_subject(msg);
    mv->subject = str_dup(subj);

    view_from(mv);
    walk(&rd, g_mime_message_get_mime_part(msg), 0);
    ambiguous(&rd, raw, len);
    g_object_unref(msg);
    g_byte_array_free(borrowed, FALSE);   /* the buffer is the caller's */
}

struct mime_view *mime_parse(const char *raw, size_t len)
{
    struct mime_view *mv = calloc(1, sizeof(*mv));
    if (mv)
        gmime_read(raw, len, mv, true);
    return mv;
}

void mime_free(struct mime_view *mv)
{
    if (!mv)
        return;
    for (size_t i = 0; i < mv->nhdrs; i++) {
        free(mv->hdrs[i].name);
        free(mv->hdrs[i].value);
    }
    free(mv->hdrs);
    for (size_t i = 0; i < mv->nparts; i++)
        free(mv->parts[i].text);
    free(mv->parts);
    free(mv->subject);
    free(mv->content_type);
    free(mv->from_addr);
    free(mv);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const char *mime_view_differs(const struct mime_view *a, const struct mime_view *b)
{
    if (!a || !b)
        return a || b ? "view" : NULL;
    if (!same_str(a->subject, b->subject))
        return "subject";
    if (!same_str(a->content_type, b->content_type))
        return "content-type";
    if (!same_str(a->from_addr, b->from_addr) || a->from_count != b->from_count)
        return "from";
    if (!same_str(a->unread, b->unread) || a->too_deep != b->too_deep ||
        a->too_many_headers != b->too_many_headers || a->nleaves != b->nleaves)
        return "unread";
    if (!same_str(a->nul_header, b->nul_header))
        return "nul-header";
    if (!same_str(a->defect, b->defect))
        return "defect";
    if (a->nhdrs != b->nhdrs)
        return "fields";
    for (size_t i = 0; i < a->nhdrs; i++)
        if (strcmp(a->hdrs[i].name, b->hdrs[i].name) != 0 ||
            strcmp(a->hdrs[i].value, b->hdrs[i].value) != 0)
            return "fields";
    if (a->nparts != b->nparts)
        return "parts";
    for (size_t i = 0; i < a->nparts; i++) {
        const struct mime_text *p = &a->parts[i], *q = &b->parts[i];
        if (p->html != q->html || p->flowed != q->flowed || p->delsp != q->delsp ||
            p->len != q->len || memcmp(p->text, q->text, p->len) != 0)
            return "parts";
    }
    return NULL;
}

const char *mime_header(const struct mime_view *mv, const char *name, size_t idx)
{
    for (size_t i = 0; i < mv->nhdrs; i++)
        if (str_ieq(mv->hdrs[i].name, name) && idx-- == 0)
            return mv->hdrs[i].value;
    return NULL;
}

static bool all_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

static int collect(InternetAddressList *list, struct strlist *out, int depth)
{
    int n = 0;
    int count = list ? internet_address_list_length(list) : 0;
    for (int i = 0; i < count && depth < 4; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            n += collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out,
                         depth + 1);
        } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            /* The IDN (punycode) form only for a non-ASCII address: for an ASCII one it is
             * the same string, and the conversion is most of a watched message's work. */
            InternetAddressMailbox *mb = INTERNET_ADDRESS_MAILBOX(ia);
            const char *addr = internet_address_mailbox_get_addr(mb);
            if (!addr || !all_ascii(addr)) {
                const char *idn = internet_address_mailbox_get_idn_addr(mb);
                if (idn)
                    addr = idn;
            }
            n++;
            if (addr && strlen(addr) < 320) {
                char buf[320];
                str_copy(buf, sizeof(buf), addr);
                char *at = strrchr(buf, '@');
                if (at)
                    str_lower(at);
                strlist_add(out, buf);
            }
        }
    }
    return n;
}

int mime_addresses(const char *value, struct strlist *out)
{
    if (!value)
        return 0;
    InternetAddressList *list = internet_address_list_parse(NULL, value);
    if (!list)
        return 0;
    int n = collect(list, out, 0);
    g_object_unref(list);
    return n;
}
