/* Unit tests: mime_addresses(), the address lists of From/To/Cc: ASCII addresses as given
 * (domain lower-cased), non-ASCII domains in their IDN (punycode) form, however written. */
#include "mime.h"
#include "t.h"
#include "util.h"

static const char *one(const char *value)
{
    static char buf[400];
    struct strlist l = {0};
    int n = mime_addresses(value, &l);
    buf[0] = '\0';
    if (n == 1 && l.n == 1)
        str_copy(buf, sizeof(buf), l.v[0]);
    else
        snprintf(buf, sizeof(buf), "(%d mailboxes, %zu addresses)", n, l.n);
    strlist_free(&l);
    return buf;
}

int main(void)
{
    mime_init();
    CHECK_STR(one("Amazon <No-Reply@Certificates.AMAZON.com>"), "No-Reply@certificates.amazon.com");
    CHECK_STR(one("no-reply@certificates.amazon.com"), "no-reply@certificates.amazon.com");
    CHECK_STR(one("\"a b\"@Example.COM"), "\"a b\"@example.com");
    /* a UTF-8 domain and its punycode spelling (which GMime decodes) give one address */
    CHECK_STR(one("r@b\xc3\xbc" "cher.example"), "r@xn--bcher-kva.example");
    CHECK_STR(one("r@xn--bcher-kva.example"), "r@xn--bcher-kva.example");
    CHECK_STR(one("r@XN--BCHER-KVA.example"), "r@xn--bcher-kva.example");
    /* a look-alike of amazon.com with a Cyrillic a is not amazon.com */
    CHECK_STR(one("x@\xd0\xb0mazon.com"), "x@xn--mazon-3ve.com");
    CHECK_STR(one("x@certificates.\xd0\xb0mazon.com"), "x@certificates.xn--mazon-3ve.com");
    struct strlist l = {0};
    CHECK(mime_addresses("a@x.example, g: b@y.example, c@z.example;", &l) == 3);
    CHECK(l.n == 3);
    strlist_free(&l);
    CHECK(mime_addresses("", &l) == 0);
    strlist_free(&l);
    return t_done("test_addresses");
}
