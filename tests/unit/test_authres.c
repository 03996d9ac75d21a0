/* Unit tests: Authentication-Results (RFC 8601) parsing. */
#include "authres.h"
#include "t.h"

int main(void)
{
    struct ar_field ar;
    CHECK(authres_parse("mx.example.com; dkim=pass header.d=certificates.amazon.com header.s=a1; "
                        "dkim=pass (2048-bit key) header.d=amazonses.com; spf=pass smtp.mailfrom=x",
                        &ar));
    CHECK_STR(ar.authserv_id, "mx.example.com");
    CHECK(ar.n == 3);
    CHECK_STR(ar.res[0].method, "dkim");
    CHECK_STR(ar.res[0].result, "pass");
    CHECK_STR(ar.res[0].header_d, "certificates.amazon.com");
    CHECK_STR(ar.res[1].header_d, "amazonses.com");
    CHECK_STR(ar.res[2].method, "spf");

    /* version after the authserv-id, comments everywhere, quoted values, header.i */
    CHECK(authres_parse("MX.Example.COM 1 (our verifier); DKIM = pass (good (nested)) "
                        "header.i=\"@certificates.amazon.com\" header.b=abc; dmarc=pass",
                        &ar));
    CHECK_STR(ar.authserv_id, "mx.example.com");
    CHECK(ar.n >= 1);
    CHECK_STR(ar.res[0].method, "dkim");
    CHECK_STR(ar.res[0].result, "pass");
    CHECK_STR(ar.res[0].header_i, "@certificates.amazon.com");

    /* a comment cannot smuggle a result in: "(dkim=pass header.d=...)" is a comment */
    CHECK(authres_parse("mx.example.com; dkim=fail (dkim=pass header.d=certificates.amazon.com) "
                        "header.d=certificates.amazon.com",
                        &ar));
    CHECK(ar.n == 1);
    CHECK_STR(ar.res[0].result, "fail");

    /* a quoted ';' does not split */
    CHECK(authres_parse("mx.example.com; dkim=pass reason=\"a;b\" header.d=x.example", &ar));
    CHECK(ar.n == 1);
    CHECK_STR(ar.res[0].header_d, "x.example");

    CHECK(authres_parse("mx.example.com; none", &ar));
    CHECK(ar.n == 0);

    /* unparsable: the caller must ignore the field */
    CHECK(!authres_parse("", &ar));
    CHECK(!authres_parse("   ; dkim=pass", &ar));
    CHECK(!authres_parse("mx.example.com (unclosed; dkim=pass", &ar));
    CHECK(!authres_parse("mx.example.com; dkim=pass reason=\"unclosed", &ar));
    char big[AR_MAX_INPUT + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(!authres_parse(big, &ar));

    /* many results are capped, not overflowed */
    char many[6000] = "mx.example.com";
    for (int i = 0; i < 100; i++)
        strcat(many, "; dkim=pass header.d=a.example");
    CHECK(authres_parse(many, &ar));
    CHECK(ar.n == AR_MAX_RESULTS);
    return t_done("test_authres");
}
