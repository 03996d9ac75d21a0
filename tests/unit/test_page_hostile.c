/* Unit tests: hostile and variant approval pages read by page_read()/page_check() directly:
 * label/value pairs in other markups and spellings, invisible characters, statements of
 * another request in hidden places, buttons whose signs disagree, URL attributes a browser
 * reads differently, bytes libxml2 would stop at, and success or "already approved" markers
 * that a reader does not see or that say something else (safety rule 6). */
#include <stdarg.h>

#include "html.h"
#include "page.h"
#include "pages.h"
#include "t.h"

#define NBSP "\xc2\xa0"
#define ZWSP "\xe2\x80\x8b"
#define LRM "\xe2\x80\x8e"

#define FIELDS                                                                                 \
    "<input type='hidden' name='validationToken' value='" CODE "'>"                            \
    "<input type='hidden' name='validationArn' value='" ARN "'>"                               \
    "<input type='hidden' name='domainName' value='" DOM "'>"                                  \
    "<input type='hidden' name='accountId' value='" ACCT "'>"                                  \
    "<input type='hidden' name='region' value='" REG "'>"                                      \
    "<input type='hidden' name='certificateIdentifier' value='" ARN "'>"
#define APPROVE                                                                                \
    "<div class='approve-button'><button type='submit' name='validationApprovalStatus' "       \
    "value='APPROVED'>I Approve</button></div>"
#define REJECT                                                                                 \
    "<div class='reject-button'><button type='submit' name='validationApprovalStatus' "        \
    "value='REJECTED'>Reject</button></div>"

static const char *verdict_len(const char *html, size_t len)
{
    struct page_info pi;
    page_read(html, len, &pi);
    const char *why = page_check(&pi, &want);
    page_free(&pi);
    return why ? why : "ok";
}

static const char *verdict_of(const char *html)
{
    return verdict_len(html, strlen(html));
}

#define VERDICT(html, expect) CHECK_STR(verdict_of(html), expect)

/* A good page with the labels given as markup before the form. */
#define WITH_LABELS(markup) page(markup, cat(FIELDS, APPROVE, REJECT, NULL), "")

static void label_markups(void)
{
    /* the genuine page reads ok */
    VERDICT(page("", cat(FIELDS, APPROVE, REJECT, NULL), ""), "ok");
    /* label/value pairs in other markups, naming another account while the form agrees */
    static const char *const other[] = {
        "<dl><dt>AWS Account number</dt><dd>" OTHER_ACCT "x</dd></dl>",
        "<table><tr><th>AWS Account number</th><td>" OTHER_ACCT "x</td></tr></table>",
        "<div class=row><div class=label>AWS Account number</div><div class=value>" OTHER_ACCT
        "x</div></div>",
        "<p><label>AWS Account number</label><span>" OTHER_ACCT "x</span></p>",
        "<p><b>AWS Account number</b> " OTHER_ACCT "x</p>",
        "<p><strong>AWS Account number:</strong><span>" OTHER_ACCT "x</span></p>",
        "<p>AWS" NBSP "Account" NBSP "number: " OTHER_ACCT "x</p>",
        "<p>AWS Account&nbsp;number:&nbsp;" OTHER_ACCT "x</p>",
        "<p>AWS Acc" ZWSP "ount number: " OTHER_ACCT "x</p>",
        "<p>" LRM "AWS Account number" LRM ": " OTHER_ACCT "x</p>",
        "<p>AWS Acc<wbr>ount number: " OTHER_ACCT "x</p>",
        "<p>AWS ACCOUNT NUMBER: " OTHER_ACCT "x</p>",
        "<p>AWS account number &#58; " OTHER_ACCT "x</p>",
        "<p>AWS Account number\xef\xbc\x9a " OTHER_ACCT "x</p>",   /* full-width colon */
        "<p>AWS Account number - " OTHER_ACCT "x</p>",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        const char *v = verdict_of(WITH_LABELS(other[i]));
        if (strcmp(v, "page-mismatch-account") != 0)
            fprintf(stderr, "label markup %zu: %s\n", i, v);
        CHECK_STR(v, "page-mismatch-account");
    }
    /* another domain in the same markups (no id scanner to catch it) */
    static const char *const dom[] = {
        "<dl><dt>Domain name</dt><dd>www.evil.example</dd></dl>",
        "<p><label>Domain name</label><span>www.evil.example</span></p>",
        "<p><b>Domain name</b> www.evil.example</p>",
        "<p>Domain" NBSP "name: www.evil.example</p>",
        "<p>Domain name" NBSP ": www.evil.example</p>",
        "<p>DOMAIN NAME: www.evil.example</p>",
        "<div><span>Domain name</span><span>www.evil.example</span></div>",
        "<p>Do<wbr>main name: www.evil.example</p>",
        "<div aria-label='Domain name'>www.evil.example</div>",
    };
    for (size_t i = 0; i < sizeof(dom) / sizeof(dom[0]); i++) {
        const char *v = verdict_of(WITH_LABELS(dom[i]));
        if (strcmp(v, "page-mismatch-domain") != 0)
            fprintf(stderr, "domain markup %zu: %s\n", i, v);
        CHECK_STR(v, "page-mismatch-domain");
    }
    /* genuine variants of the right values: still approved */
    static const char *const good[] = {
        "<dl><dt>Domain name</dt><dd>" DOM "</dd><dt>AWS Account number</dt><dd>" ACCT
        "</dd></dl>",
        "<p><label>Domain name</label><span>" DOM "</span></p>",
        "<p><b>Domain name</b> " DOM "</p><p><b>AWS Region</b> " REG "</p>",
        "<p>Domain" NBSP "name:" NBSP DOM NBSP "</p>",
        "<p>AWS Region: " REG LRM "</p>",
        "<p>AWS Account number: 1234<wbr>5678<wbr>9012</p>",
        "<p>Certificate Identifier: arn:aws:acm:" REG ":" ACCT ":<wbr>certificate/" CID "</p>",
        "<table><tr><td><b>AWS Account number</b></td><td><span>1234-5678-9012</span></td>"
        "</tr></table>",
        "<div class=row><span class=label>AWS Region</span> <span class=value>" REG
        "</span></div>",
        "<p>Domain name: <a href='https://" DOM "/'>" DOM "</a></p>",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *v = verdict_of(WITH_LABELS(good[i]));
        if (strcmp(v, "ok") != 0)
            fprintf(stderr, "good markup %zu: %s\n", i, v);
        CHECK_STR(v, "ok");
    }
    /* a value glued to another token */
    VERDICT(WITH_LABELS("<p>Domain name: " DOM ".evil.example</p>"), "page-mismatch-domain");
    VERDICT(WITH_LABELS("<p>AWS Region: " REG "x</p>"), "page-mismatch-region");
    VERDICT(WITH_LABELS("<p>Certificate Identifier: " ARN "0</p>"), "page-mismatch-certificate");
    /* full-width digits are not the account */
    VERDICT(WITH_LABELS("<p>AWS Account number: \xef\xbc\x91\xef\xbc\x92\xef\xbc\x93" "456789012</p>"),
            "page-mismatch-account");
    /* two tables, the second naming another account or domain */
    VERDICT(WITH_LABELS("<table><tr><td>Domain name</td><td>" DOM "</td></tr></table>"
                        "<table><tr><td>Domain name</td><td>www.evil.example</td></tr></table>"),
            "page-mismatch-domain");
}

static void hidden_places(void)
{
    /* another request stated where a reader does not look: still the page's statement */
    static const char *const where[] = {
        "<div style='display:none'><p>AWS Account number: " OTHER_ACCT "</p></div>",
        "<div hidden><p>AWS Account number: " OTHER_ACCT "</p></div>",
        "<div aria-hidden=true><p>AWS Account number: " OTHER_ACCT "</p></div>",
        "<template><p>AWS Account number: " OTHER_ACCT "</p></template>",
        "<noscript><p>AWS Account number: " OTHER_ACCT "</p></noscript>",
        "<p title='AWS account " OTHER_ACCT "'>x</p>",
        "<p aria-label='AWS account " OTHER_ACCT "'>x</p>",
        "<textarea name=accountId>" OTHER_ACCT "</textarea>",
        "<iframe srcdoc='<p>AWS Account number: " OTHER_ACCT "</p>'></iframe>",
    };
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        const char *v = verdict_of(WITH_LABELS(where[i]));
        if (strncmp(v, "page-", 5) != 0 || strcmp(v, "page-incomplete") == 0)
            fprintf(stderr, "hidden place %zu: %s\n", i, v);
        CHECK(strcmp(v, "page-mismatch-account") == 0 || strcmp(v, "page-unknown-layout") == 0);
    }
    /* a page that sends a browser elsewhere at once is not the page a human would click */
    VERDICT(cat("<meta http-equiv='refresh' content='0;url=https://evil.example/'>",
                page("", cat(FIELDS, APPROVE, NULL), ""), NULL),
            "page-unknown-layout");
}

/* The raw action a click posts to (the approver resolves it), or the layout. */
static const char *action_of(const char *html)
{
    static char b[1100];
    struct page_info pi;
    page_read(html, strlen(html), &pi);
    snprintf(b, sizeof(b), "%s", pi.form.found ? pi.form.action : pi.layout);
    page_free(&pi);
    return b;
}

static void actions(void)
{
    /* an action a browser reads as another host, whatever a URL library makes of it:
     * backslashes and javascript:/data: URLs are not understood (never posted) */
    static const char *const odd[] = {
        "action='https:\\\\evil.example\\approvevalidation'",
        "action='\\\\evil.example\\x'",
        "action='/\\evil.example/x'",
        "action='javascript:post()'",
        "action='data:text/html,x'",
        "action=' JavaScript:post()'",
        "action='java\tscript:post()'",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        const char *v = verdict_of(pagef("", odd[i], cat(FIELDS, APPROVE, NULL), ""));
        if (strcmp(v, "page-unknown-layout") != 0)
            fprintf(stderr, "odd action %zu: %s (%s)\n", i, v,
                    action_of(pagef("", odd[i], cat(FIELDS, APPROVE, NULL), "")));
        CHECK_STR(v, "page-unknown-layout");
    }
    VERDICT(cat("<base href='\\\\evil.example\\'>",
                pagef("", "action='/approvevalidation'", cat(FIELDS, APPROVE, NULL), ""), NULL),
            "page-unknown-layout");
    VERDICT(page("", cat(FIELDS, "<div class=approve-button><button name=s value=APPROVED "
                                 "formaction='javascript:go()'>I Approve</button></div>", NULL),
                 ""),
            "page-unknown-layout");
    /* ordinary actions are kept raw for the approver */
    CHECK_STR(action_of(pagef("", "action='/approvevalidation'", cat(FIELDS, APPROVE, NULL), "")),
              "/approvevalidation");
    CHECK_STR(action_of(pagef("", "action='//evil.example/x'", cat(FIELDS, APPROVE, NULL), "")),
              "//evil.example/x");
}

static const char *layout_of(const char *html)
{
    static char b[256];
    struct page_info pi;
    page_read(html, strlen(html), &pi);
    snprintf(b, sizeof(b), "%s", pi.form.found ? "found" : pi.layout);
    page_free(&pi);
    return b;
}

static void buttons(void)
{
    /* signs on the button that say no: never the approve click */
    static const char *const no[] = {
        "<div class=approve-button><button name=s value=APPROVED aria-label='Reject'>I Approve"
        "</button></div>",
        "<div class=approve-button><button name=s value=APPROVED title='Reject this request'>"
        "I Approve</button></div>",
        "<div class=reject-button><button name=s value=X>I Approve</button></div>",
        "<button class='btn reject-button' name=s value=X>I Approve</button>",
        "<button name=s value=NO>I Approve</button>",
        "<button name=s value=false>I Approve</button>",
        "<div class=approve-button><button name=s value=APPROVED>I Approve<span "
        "style='display:none'> (reject)</span></button></div>",
        "<button name=s value=DISAPPROVED>I Approve</button>",
        "<input type=image name=s alt='I Approve' src=a.png>",
        "<button type=reset>I Approve</button>",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        const char *l = layout_of(page("", cat(FIELDS, no[i], NULL), ""));
        if (strcmp(l, "found") == 0)
            fprintf(stderr, "button %zu: found: %s\n", i, posted(page("", cat(FIELDS, no[i], NULL), "")));
        CHECK(strcmp(l, "found") != 0);
    }
    /* approve button outside the form, naming it with form= */
    CHECK_STR(posted(page("", "<input type=hidden name=a value=1>",
                          "<div class=approve-button><button form=approval name=s value=APPROVED>"
                          "I Approve</button></div>")),
              "a=1&s=APPROVED");
    /* a reject button first, approve second, both without type inside the form */
    CHECK_STR(posted(page("", "<input type=hidden name=a value=1><button name=s value=REJECTED>"
                              "Reject</button><button name=s value=APPROVED>I Approve</button>",
                          "")),
              "a=1&s=APPROVED");
    /* the approve button, with a reject button outside the form naming it */
    CHECK_STR(posted(page("", cat("<input type=hidden name=a value=1>", APPROVE, NULL),
                          "<button form=approval name=validationApprovalStatus value=REJECTED>"
                          "Reject</button>")),
              "a=1&validationApprovalStatus=APPROVED");
    /* a button in upper case tags and attributes is the same button */
    CHECK_STR(posted(page("", "<INPUT TYPE=HIDDEN NAME=a VALUE=1><DIV CLASS=APPROVE-BUTTON>"
                              "<BUTTON TYPE=SUBMIT NAME=s VALUE=APPROVED>I APPROVE</BUTTON></DIV>",
                          "")),
              "a=1&s=APPROVED");
    /* text with blanks, line breaks, nbsp and an icon */
    CHECK_STR(posted(page("", "<button name=s value=APPROVED>\n  <i class=icon></i> I" NBSP
                              "Approve\n</button>", "")),
              "s=APPROVED");
}

static void fields(void)
{
    /* a field a browser never sends still states: another account in a disabled, unchecked,
     * readonly or other-form control */
    VERDICT(page("", cat(FIELDS, "<input type=checkbox name=accountId value=" OTHER_ACCT ">",
                         APPROVE, NULL), ""),
            "page-mismatch-account");
    VERDICT(page("", cat(FIELDS, "<input readonly name=domainName value=www.evil.example>",
                         APPROVE, NULL), ""),
            "page-mismatch-domain");
    VERDICT(page("<form id=o></form>", cat(FIELDS, "<textarea form=o name=domainName>"
                                                   "www.evil.example</textarea>", APPROVE, NULL), ""),
            "page-mismatch-domain");
    /* names differing by case, '_' or '-' are the same field */
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=DOMAIN_NAME value=www.evil.example>",
                         APPROVE, NULL), ""),
            "page-mismatch-domain");
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=Validation-Arn value='" OTHER_ARN "'>",
                         APPROVE, NULL), ""),
            "page-mismatch-certificate");
    /* a posted ARN inside a longer value */
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=resource value='x;" OTHER_ARN "'>",
                         APPROVE, NULL), ""),
            "page-mismatch-certificate");
    /* a textarea in the approval form states what it holds */
    VERDICT(page("", cat(FIELDS, "<textarea name=region>eu-west-1</textarea>", APPROVE, NULL), ""),
            "page-mismatch-region");
    /* a posted "status" field other than the button saying reject */
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=action value=REJECT>", APPROVE, NULL), ""),
            "page-mismatch-button");
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=approve value=false>", APPROVE, NULL), ""),
            "page-mismatch-button");
}

static void markers(void)
{
    struct page_info pi;
    /* a success or "already" sentence that a reader does not see is no marker */
    static const char *const notseen[] = {
        "<div style='display:none'>Success! You have approved this request.</div><p>Error</p>",
        "<div hidden>This request has already been approved.</div><p>Error</p>",
        "<template><h2>Success!</h2></template><p>Error</p>",
        "<!-- Success! You have approved --><p>Error</p>",
        "<script>var m='Success! already approved';</script><p>Error</p>",
        "<div aria-hidden=true style='visibility:hidden'>already approved</div>",
        "<p>If you have already approved this request, you can close this page.</p>",
        "<p>This request has not already been approved.</p>",
        "<p>If you have approved this request already, nothing else is needed.</p>",
    };
    for (size_t i = 0; i < sizeof(notseen) / sizeof(notseen[0]); i++) {
        page_read(notseen[i], strlen(notseen[i]), &pi);
        if (pi.success || pi.already)
            fprintf(stderr, "marker %zu: success=%d already=%d\n", i, pi.success, pi.already);
        CHECK(!pi.success && !pi.already);
        page_free(&pi);
    }
    /* a flood of hedged phrases: read in bounded time; past MARKER_TRIES (64) of them a
     * plain one is no marker either (never an approval by mistake) */
    static char flood[200 * 40 + 256];
    strcpy(flood, "<p>");
    for (int i = 0; i < 200; i++)
        strcat(flood, "if it has already been approved ");
    strcat(flood, "</p><p>This request has already been approved.</p>");
    page_read(flood, strlen(flood), &pi);
    CHECK(!pi.already);
    page_free(&pi);
    strcpy(flood, "<p>This request has already been approved.</p><p>");
    for (int i = 0; i < 200; i++)
        strcat(flood, "if it has already been approved ");
    strcat(flood, "</p>");
    page_read(flood, strlen(flood), &pi);
    CHECK(pi.already);
    page_free(&pi);
    static const char *const seen[] = {
        "<h2>Success!</h2><p>You have <b>APPROVED</b> this validation request.</p>",
        "<p>You have approved an SSL/TLS certificate for the domain name " DOM "</p>",
        "<p>This request has already been approved.</p>",
        "<p>This validation request was already approved.</p>",
    };
    for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
        page_read(seen[i], strlen(seen[i]), &pi);
        CHECK(pi.success || pi.already);
        page_free(&pi);
    }
}

static void bytes(void)
{
    /* a NUL, invalid UTF-8, a byte order mark: the rest of the page is still read */
    static char b[32768];
    const char *good = page("", cat(FIELDS, APPROVE, NULL), "");
    const char *tail = "<p>AWS Account number: " OTHER_ACCT "</p>";
    size_t n = strlen(good);
    memcpy(b, good, n);
    b[n] = '\0';
    memcpy(b + n + 1, tail, strlen(tail));
    CHECK(strncmp(verdict_len(b, n + 1 + strlen(tail)), "page-", 5) == 0);
    const char *bad = cat(good, "\xff\xfe\xc0\x80", tail, NULL);
    CHECK(strncmp(verdict_of(bad), "page-", 5) == 0);
    const char *bad2 = cat(good, "\xe9t\xe9", tail, NULL);
    CHECK(strncmp(verdict_of(bad2), "page-", 5) == 0);
    /* a NUL before the form: the form after it is the page's too */
    memcpy(b, "<p>x</p>", 8);
    b[8] = '\0';
    memcpy(b + 9, good, n);
    const char *v = verdict_len(b, 9 + n);
    CHECK(strcmp(v, "ok") == 0 || strncmp(v, "page-", 5) == 0);
    /* a UTF-8 byte order mark and a meta charset of the same: read as usual */
    VERDICT(cat("\xef\xbb\xbf<meta charset=utf-8>", good, NULL), "ok");
    /* UTF-16: not read as UTF-8, never posted */
    static char u16[65536];
    size_t k = 0;
    u16[k++] = (char)0xff;
    u16[k++] = (char)0xfe;
    for (size_t i = 0; i < n && k + 2 < sizeof(u16); i++) {
        u16[k++] = good[i];
        u16[k++] = 0;
    }
    CHECK(strcmp(verdict_len(u16, k), "ok") != 0);
}

static void more_markups(void)
{
    /* a table whose first row holds the labels, the next one the values: read by column */
    VERDICT(WITH_LABELS("<table><tr><th>Domain name</th><th>AWS Account number</th>"
                        "<th>AWS Region</th><th>Certificate Identifier</th></tr>"
                        "<tr><td>" DOM "</td><td>" ACCT "</td><td>" REG "</td><td>" ARN
                        "</td></tr></table>"),
            "ok");
    VERDICT(WITH_LABELS("<table><tr><th>Domain name</th><th>AWS Region</th></tr>"
                        "<tr><td>" DOM "</td><td>eu-west-1</td></tr></table>"),
            "page-mismatch-region");
    /* a heading that repeats a label before the rows */
    VERDICT(WITH_LABELS("<h3>Domain</h3><table><tr><td>Domain name</td><td>" DOM "</td></tr>"
                        "<tr><td>AWS Region</td><td>" REG "</td></tr></table>"),
            "ok");
    /* read-only text boxes under <label for>, or named by aria-label */
    VERDICT(WITH_LABELS("<label for=d>Domain name</label><input id=d readonly value='" DOM "'>"
                        "<label for=a>AWS Account number</label><input id=a readonly value='" ACCT
                        "'><p>Review the details.</p>"),
            "ok");
    VERDICT(WITH_LABELS("<label for=d>Domain name</label><input id=d readonly "
                        "value='www.evil.example'>"),
            "page-mismatch-domain");
    VERDICT(WITH_LABELS("<input readonly aria-label='Domain name' value='www.evil.example'>"),
            "page-mismatch-domain");
    /* controls inside <template> (a script may show them) state what they hold */
    VERDICT(WITH_LABELS("<template><input type=hidden name=accountId value=" OTHER_ACCT
                        "></template>"),
            "page-mismatch-account");
    VERDICT(WITH_LABELS("<template><input type=hidden name=domainName value=www.evil.example>"
                        "</template>"),
            "page-mismatch-domain");
    /* a select elsewhere: the option it shows */
    VERDICT(WITH_LABELS("<form action=/switch><select name=region><option value=us-west-2>"
                        "US West</option><option value=eu-west-1 selected>EU</option></select>"
                        "</form>"),
            "page-mismatch-region");
    VERDICT(WITH_LABELS("<form action=/switch><select name=region><option>" REG "</option>"
                        "<option>eu-west-1</option></select></form>"),
            "ok");
    /* Cyrillic look-alike letters make no label (left to the id scan): an account shows */
    VERDICT(WITH_LABELS("<p>AWS Acc\xd0\xbeunt number: " OTHER_ACCT "</p>"),
            "page-mismatch-account");
}

static void action_query(void)
{
    /* the action's own query is sent with the POST: it is read like the fields */
    static const char *const bad[][2] = {
        {"action='" ACTION "?validationApprovalStatus=REJECTED'", "page-mismatch-button"},
        {"action='" ACTION "?decision=reject'", "page-mismatch-button"},
        {"action='" ACTION "?approve=false'", "page-mismatch-button"},
        {"action='" ACTION "?accountId=" OTHER_ACCT "'", "page-mismatch-account"},
        {"action='" ACTION "?acct=9999-8888-7777'", "page-mismatch-account"},
        {"action='" ACTION "?r=eu-west-1'", "page-mismatch-region"},
        {"action='" ACTION "?arn=" OTHER_ARN "'", "page-mismatch-certificate"},
        {"action='" ACTION "?x=%61rn%3Aaws%3Aacm%3Aus-east-1%3A999988887777%3Acertificate%2F1'",
         "page-mismatch-certificate"},
        {"action='" ACTION "?code=11e23c40-7a2b-4754-a97c-1607e8e78a6d'", "page-mismatch-code"},
        {"action='" ACTION "?domainName=www.evil.example'", "page-mismatch-domain"},
        {"action='/approvevalidation/" OTHER_ACCT "'", "page-mismatch-account"},
        {"action='" ACTION "?x=%zz'", "page-unknown-layout"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *v = verdict_of(pagef("", bad[i][0], cat(FIELDS, APPROVE, NULL), ""));
        if (strcmp(v, bad[i][1]) != 0)
            fprintf(stderr, "action query %zu: %s\n", i, v);
        CHECK_STR(v, bad[i][1]);
    }
    /* the request's own values, and the approve button's own pair, in the query are fine */
    VERDICT(pagef("", "action='" ACTION "?validationApprovalStatus=APPROVED&accountId=" ACCT
                      "&region=" REG "&code=" CODE "#top'",
                  cat(FIELDS, APPROVE, NULL), ""),
            "ok");
    /* a "Copy" button or an icon after a value is not part of it; block elements that
     * html.c's rendering runs together (header, section, article) still part lines */
    VERDICT(WITH_LABELS("<dl><dt>Certificate Identifier</dt><dd>" ARN "<button type=button "
                        "aria-label='Copy ARN'>Copy</button></dd><dt>AWS Region</dt><dd>" REG
                        "<img src=flag.png alt='flag'></dd></dl>"),
            "ok");
    VERDICT(WITH_LABELS("<article><header>Domain name</header><section>www.evil.example"
                        "</section></article>"),
            "page-mismatch-domain");
    /* the page may name the requested domain when the mail's Domain line is another (the
     * allowlist covers both); any third name is another request */
    {
        const struct page_want w2 = {DOM, ACCT, REG, ARN, CODE, CTX, "shop.example.com"};
        struct page_info pi;
        const char *p2 = WITH_LABELS("<p>Domain name: shop.example.com</p>");
        page_read(p2, strlen(p2), &pi);
        const char *why = page_check(&pi, &w2);
        CHECK(why == NULL);
        CHECK_STR(page_check(&pi, &want), "page-mismatch-domain");
        page_free(&pi);
        p2 = WITH_LABELS("<p>Domain name: www.evil.example</p>");
        page_read(p2, strlen(p2), &pi);
        why = page_check(&pi, &w2);
        CHECK_STR(why ? why : "ok", "page-mismatch-domain");
        page_free(&pi);
    }
    /* a required control left empty: a browser sends no click at all (a human must act) */
    static const char *const req[] = {
        "<label><input type=checkbox name=confirm required> I own this domain</label>",
        "<input type=text name=initials required>",
        "<textarea name=why required></textarea>",
        "<input type=radio name=r value=1 required><input type=radio name=r value=2>",
    };
    for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
        CHECK_STR(verdict_of(page("", cat(FIELDS, req[i], APPROVE, NULL), "")),
                  "page-unknown-layout");
    /* filled, checked, or not validated: the click goes */
    VERDICT(page("", cat(FIELDS, "<input type=checkbox name=confirm required checked>"
                                 "<input type=radio name=r value=1 required>"
                                 "<input type=radio name=r value=2 checked>"
                                 "<input name=t value=x required><input type=hidden name=h "
                                 "required>", APPROVE, NULL), ""),
            "ok");
    VERDICT(pagef("", "novalidate action='" ACTION "'",
                  cat(FIELDS, "<input type=checkbox name=c required>", APPROVE, NULL), ""),
            "ok");
    /* an "Info" link by a label (console-style key/value pairs) is not the value */
    VERDICT(WITH_LABELS("<div class=kv><div class=key>Domain name <a href='#i'>Info</a></div>"
                        "<div class=value>" DOM "</div></div>"
                        "<div class=kv><div class=key>AWS Region <a href='#i'>Info</a></div>"
                        "<div class=value>eu-west-1</div></div>"),
            "page-mismatch-region");
    VERDICT(WITH_LABELS("<div class=kv><div class=key>Domain name <a href='#i'>Info</a></div>"
                        "<div class=value>" DOM "</div></div>"),
            "ok");
    /* a refresh to elsewhere after minutes (a session timeout) leaves time to click; one at
     * once does not */
    VERDICT(cat("<meta http-equiv=refresh content='900; url=/session-expired'>",
                page("", cat(FIELDS, APPROVE, NULL), ""), NULL),
            "ok");
    VERDICT(cat("<meta http-equiv=Refresh content=' 1;URL=https://evil.example/'>",
                page("", cat(FIELDS, APPROVE, NULL), ""), NULL),
            "page-unknown-layout");
    /* a label with a remark is that label */
    VERDICT(WITH_LABELS("<p>Domain name (FQDN): www.evil.example</p>"), "page-mismatch-domain");
    VERDICT(WITH_LABELS("<dl><dt>Certificate identifier (ARN)</dt><dd>" ARN "</dd></dl>"), "ok");
}

/* prefix, n copies of c, suffix (a static buffer, until the next call) */
static const char *run_of(const char *prefix, char c, size_t n, const char *suffix)
{
    static char b[2048];
    size_t pl = strlen(prefix);
    CHECK(pl + n + strlen(suffix) < sizeof(b));   /* never a silently shorter page */
    if (pl + n + strlen(suffix) >= sizeof(b))
        return "";
    memcpy(b, prefix, pl);
    memset(b + pl, c, n);
    strcpy(b + pl + n, suffix);
    return b;
}

/* Markup libxml2's HTML parser (not an HTML5 one) reads otherwise than a browser, text that
 * a browser shows reordered, and signs of "no" in long or glued forms: each refused (a
 * review's findings; the genuine page, with markup of the same kinds that reads alike,
 * stays ok). */
static void misread(void)
{
    const char *evil = "<p>Domain name: www.evil.example</p><p>AWS Account number: " OTHER_ACCT "</p>";
    char b[2048];
    static const char *const wraps[][2] = {
        {"<!-->", ""},                     /* an empty comment to a browser */
        {"<!--->", ""},
        {"<textarea><!-- </textarea>", "<textarea>--></textarea>"},
        {"<title><!-- </title>", "<title>--></title>"},
        {"<svg><style>", "</style></svg>"},
        {"<svg><script>", "</script></svg>"},
        {"<math><style>", "</style></math>"},
    };
    for (size_t i = 0; i < sizeof(wraps) / sizeof(wraps[0]); i++) {
        snprintf(b, sizeof(b), "%s%s%s", wraps[i][0], evil, wraps[i][1]);
        const char *v = verdict_of(WITH_LABELS(b));
        if (strncmp(v, "page-", 5) != 0 || strcmp(v, "ok") == 0)
            fprintf(stderr, "misread markup %zu: %s\n", i, v);
        CHECK(strcmp(v, "ok") != 0);
    }
    /* content a browser does not show as markup, or the rest of the page as text */
    static const char *const as_text[] = {
        "<noembed>" APPROVE "</noembed>", "<noframes><p>x</p></noframes>", "<xmp><p>x</p></xmp>",
        "<plaintext>",
    };
    for (size_t i = 0; i < sizeof(as_text) / sizeof(as_text[0]); i++)
        VERDICT(WITH_LABELS(as_text[i]), "page-unknown-layout");
    /* bidirectional overrides and isolates in what a reader sees */
    VERDICT(WITH_LABELS("<p>AWS Account number: \xe2\x80\xae" ACCT "</p>"), "page-unknown-layout");
    VERDICT(WITH_LABELS("<p>Region: \xe2\x81\xa6" REG "\xe2\x81\xa9</p>"), "page-unknown-layout");
    VERDICT(WITH_LABELS("<p>Region: &#x202E;" REG "</p>"), "page-unknown-layout");
    /* a refresh whose target follows the delay without url= */
    VERDICT(page("<meta http-equiv='refresh' content='0;https://evil.example/'>",
                 cat(FIELDS, APPROVE, REJECT, NULL), ""),
            "page-unknown-layout");
    /* "no" in a longer word of a posted value or name, in the action's path, past what a
     * fixed buffer would have read of the button or of a class */
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=op value='REJECT_REQUEST'>", APPROVE,
                         NULL), ""),
            "page-mismatch-button");
    VERDICT(page("", cat(FIELDS, "<input type=hidden name='reject' value='true'>", APPROVE,
                         NULL), ""),
            "page-mismatch-button");
    VERDICT(page("", cat(FIELDS, "<input type=hidden name=approvalStatus value='REJECTED '>",
                         APPROVE, NULL), ""),
            "page-mismatch-button");
    CHECK(strcmp(verdict_of(page("", cat(FIELDS, run_of("<div class='approve-button'><input "
                                                         "type=submit name=s value='",
                                                         '.', 130, " REJECTED'></div>"),
                                         NULL),
                                 "")),
                 "ok") != 0);
    CHECK(strcmp(verdict_of(page("", cat(FIELDS, run_of("<div class='approve-button btn ", 'x', 520,
                                                         " reject-button'><button type=submit "
                                                         "name=s value=APPROVED>I Approve"
                                                         "</button></div>"),
                                         NULL),
                                 "")),
                 "ok") != 0);
    /* a second value right after a label's (a second <dd>, a value hidden by style with
     * another shown after it): a second statement */
    VERDICT(WITH_LABELS("<dl><dt>Domain name</dt><dd>" DOM "</dd><dd>www.evil.example</dd></dl>"),
            "page-mismatch-domain");
    VERDICT(WITH_LABELS("<dl><dt>AWS Region</dt><dd>" REG "</dd><dd>eu-west-1</dd></dl>"),
            "page-mismatch-region");
    VERDICT(WITH_LABELS("<table><tr><td>AWS Account number</td><td><span style='display:none'>" ACCT
                        "</span><span>" OTHER_ACCT "</span></td></tr></table>"),
            "page-mismatch-account");
    VERDICT(WITH_LABELS("<dl><dt>Domain name</dt><dd>" DOM "</dd><dt>AWS Region</dt><dd>" REG
                        "</dd></dl><p>To approve this request, click I Approve.</p>"),
            "ok");
    /* a label or a value split by an element a browser shows inline (<ins>, <del>, a custom
     * element): read as one */
    VERDICT(WITH_LABELS("<p>AWS Acc<x-a>ount</x-a> number: 9999<x-a>8888</x-a>7777</p>"),
            "page-mismatch-account");
    VERDICT(WITH_LABELS("<p>Domain <ins>name</ins>: www.<del></del>evil.example</p>"),
            "page-mismatch-domain");
    /* the only approve button hidden (no human could click it), a reject one shown */
    VERDICT(page("", cat(FIELDS, "<div style='display:none'>", APPROVE, "</div>", REJECT, NULL),
                 ""),
            "page-unknown-layout");
    VERDICT(page("", cat(FIELDS, "<div hidden>", APPROVE, "</div>", REJECT, NULL), ""),
            "page-unknown-layout");
    /* a page that declares another charset than UTF-8: a browser decodes other characters
     * (ISO-2022-JP's escapes vanish, UTF-16 pairs bytes) */
    VERDICT(page("<meta charset='iso-2022-jp'>", cat(FIELDS, APPROVE, REJECT, NULL), ""),
            "page-unknown-layout");
    VERDICT(page("<meta http-equiv='Content-Type' content='text/html; charset=utf-16le'>",
                 cat(FIELDS, APPROVE, REJECT, NULL), ""),
            "page-unknown-layout");
    static char bom[32800];
    snprintf(bom, sizeof(bom), "\xff\xfe%s", page("", cat(FIELDS, APPROVE, REJECT, NULL), ""));
    VERDICT(bom, "page-unknown-layout");
    VERDICT(page("<meta charset=\"UTF-8\"><meta http-equiv=Content-Type content='text/html; "
                 "charset=utf-8'>",
                 cat(FIELDS, APPROVE, REJECT, NULL), ""),
            "ok");
    CHECK(page_charset_ok("UTF-8", 5) && page_charset_ok("us-ascii", 8) &&
          !page_charset_ok("iso-8859-1", 10) && !page_charset_ok("utf-7", 5));
    /* the genuine page with markup of the same kinds that reads alike stays ok */
    VERDICT(page("<svg width='10' height='10'><rect width='10' height='10'/></svg>"
                 "<!-- a comment --><textarea name=c></textarea>",
                 cat(FIELDS, APPROVE, REJECT, NULL), ""),
            "ok");
    struct page_info pi;
    const char *answer = "<p>After you have approved, you can close this page.</p>";
    page_read(answer, strlen(answer), &pi);
    CHECK(!pi.success);
    page_free(&pi);
    answer = "<p>This request has expired or has already been approved.</p>";
    page_read(answer, strlen(answer), &pi);
    CHECK(!pi.already);
    page_free(&pi);
}

int main(void)
{
    html_init();
    label_markups();
    hidden_places();
    actions();
    buttons();
    fields();
    markers();
    bytes();
    more_markups();
    action_query();
    misread();
    return t_done("test_page_hostile");
}
