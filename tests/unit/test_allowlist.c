/* Unit tests: allowlist parsing (file:line errors) and matching (default deny). */
#include "allowlist.h"
#include "t.h"

static struct allowlist *parse(const char *text, struct strlist *errs)
{
    return allowlist_parse("al", text, strlen(text), errs);
}

static struct arn A(const char *s)
{
    struct arn a;
    if (!arn_parse(s, false, &a))
        memset(&a, 0, sizeof(a));
    return a;
}

int main(void)
{
    struct strlist errs = {0};
    const char *text =
        "# comment\n"
        "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\n"
        "\n"
        "arn:aws:acm:eu-west-1:123456789012:certificate/* example.com *.example.com  # trailing\n"
        "arn:*:acm:*:210987654321:certificate/*\n";
    struct allowlist *al = parse(text, &errs);
    CHECK(al != NULL);
    CHECK(errs.n == 0);
    CHECK(al && al->n == 3);
    const char *www[] = {"www.example.com"}, *apex[] = {"example.com"}, *deep[] = {"a.b.example.com"},
               *other[] = {"www.other.org"}, *sneaky[] = {"badexample.com"},
               *two[] = {"www.example.com", "www.other.org"};
    struct arn one = A("arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369");
    const struct al_rule *r = allowlist_match(al, &one, other, 1);
    CHECK(r && r->line == 2);   /* no domain list: any domain */
    struct arn eu = A("arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555");
    CHECK(allowlist_match(al, &eu, www, 1) && allowlist_match(al, &eu, www, 1)->line == 4);
    CHECK(allowlist_match(al, &eu, apex, 1) != NULL);
    CHECK(allowlist_match(al, &eu, deep, 1) != NULL);
    CHECK(allowlist_match(al, &eu, other, 1) == NULL);
    CHECK(allowlist_match(al, &eu, sneaky, 1) == NULL);
    CHECK(allowlist_match(al, &eu, two, 2) == NULL);   /* every domain must match */
    struct arn eu_other_acct = A("arn:aws:acm:eu-west-1:999999999999:certificate/11111111-2222-3333-4444-555555555555");
    CHECK(allowlist_match(al, &eu_other_acct, www, 1) == NULL);
    struct arn us_other_cert = A("arn:aws:acm:us-east-1:123456789012:certificate/99999999-0882-4f51-954a-298ee44ff369");
    CHECK(allowlist_match(al, &us_other_cert, www, 1) == NULL);
    struct arn cn = A("arn:aws-cn:acm:cn-north-1:210987654321:certificate/11111111-2222-3333-4444-555555555555");
    CHECK(allowlist_match(al, &cn, www, 1) != NULL);   /* partition and region wildcards */
    allowlist_free(al);

    /* "*.example.com" is not "example.com"; a wildcard label matches a literal "*" name */
    CHECK(!domain_pattern_match("*.example.com", "example.com"));
    CHECK(domain_pattern_match("*.example.com", "*.example.com"));
    CHECK(domain_pattern_match("example.com", "EXAMPLE.com"));
    CHECK(!domain_pattern_match("*.example.com", "xexample.com"));

    /* empty allowlist: nothing is approved */
    al = parse("# nothing\n", &errs);
    CHECK(al && al->n == 0);
    CHECK(allowlist_match(al, &one, www, 1) == NULL);
    allowlist_free(al);
    CHECK(allowlist_match(NULL, &one, www, 1) == NULL);

    /* every malformed line is reported with file:line */
    const char *bad =
        "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369\n"
        "arn:aws:acm:us-east-1:12345:certificate/*\n"                 /* short account */
        "arn:aws:s3:us-east-1:123456789012:certificate/*\n"           /* not acm */
        "arn:aws:acm:us-east-*:123456789012:certificate/*\n"          /* partial wildcard */
        "arn:aws:acm:us-east-1:123456789012:certificate/* exa$mple.com\n"
        "arn:aws:acm:us-east-1:123456789012:certificate/* *.*.example.com\n"
        "arn:aws:acm:us-east-1:123456789012:certificate/abc\n"
        "*\n"
        "arn:aws:acm:us-east-1:123456789012:certificate/*:extra\n";
    al = parse(bad, &errs);
    CHECK(al == NULL);
    CHECK(errs.n == 8);
    CHECK(errs.n > 0 && strncmp(errs.v[0], "al:2: ", 6) == 0);
    CHECK(errs.n > 7 && strncmp(errs.v[7], "al:9: ", 6) == 0);
    strlist_free(&errs);

    struct strlist e2 = {0};
    CHECK(allowlist_load("/nonexistent/allowlist", &e2) == NULL);
    CHECK(e2.n == 1 && strstr(e2.v[0], "/nonexistent/allowlist") != NULL);
    strlist_free(&e2);

    /* ARN syntax */
    struct arn a;
    CHECK(arn_parse("arn:aws:acm:us-east-1:123456789012:certificate/3B4D78E1-0882-4F51-954A-298EE44FF369", false, &a));
    CHECK_STR(a.certid, "3b4d78e1-0882-4f51-954a-298ee44ff369");
    CHECK(!arn_parse("arn:aws:acm:us-east-1:123456789012:certificate/*", false, &a));
    CHECK(!arn_parse("arn:aws:acm:us-east-1:1234-5678-9012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369", false, &a));
    CHECK(region_valid("us-gov-west-1") && region_valid("eusc-de-east-1") && region_valid("cn-north-1"));
    CHECK(!region_valid("us-east") && !region_valid("US-EAST-1") && !region_valid("us-east-1x"));
    CHECK_STR(region_partition("cn-northwest-1"), "aws-cn");
    CHECK_STR(region_partition("us-gov-east-1"), "aws-us-gov");
    CHECK_STR(region_partition("eu-central-2"), "aws");
    CHECK(region_partition("xx-east-1") == NULL);
    return t_done("test_allowlist");
}
