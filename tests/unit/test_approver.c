/* Unit tests: the approver's reading of the approval page (both layouts, the approve click a
 * browser would post) and the cross-check of every field against the request (safety rule 6),
 * including pages that changed without notice and pages written by an attacker. */
#include <stdarg.h>

#include "html.h"
#include "page.h"
#include "pages.h"
#include "t.h"

/* The visible labels of the 2020 page. */
static const char *labels(const char *d, const char *a, const char *r, const char *c)
{
    static char b[2048];
    snprintf(b, sizeof(b),
             "<table><tr><td class='left-column'><b>Domain name</b></td><td>%s</td></tr>"
             "<tr><td><b>AWS Account number</b></td><td>%s</td></tr>"
             "<tr><td><b>AWS Region</b></td><td>%s</td></tr>"
             "<tr><td><b>Certificate Identifier</b></td><td>%s</td></tr></table>",
             d, a, r, c);
    return b;
}

/* The hidden fields of the later page (section 3.2a). */
static const char *fields(const char *d, const char *a, const char *r, const char *arn,
                          const char *cid, const char *code)
{
    static char b[2048];
    snprintf(b, sizeof(b),
             "<input type='hidden' name='validationToken' value='%s'>"
             "<input type='hidden' name='validationArn' value='%s'>"
             "<input type='hidden' name='domainName' value='%s'>"
             "<input type='hidden' name='accountId' value='%s'>"
             "<input type='hidden' name='region' value='%s'>"
             "<input type='hidden' name='certificateIdentifier' value='%s'>",
             code, arn, d, a, r, cid);
    return b;
}

#define GOOD_FIELDS fields(DOM, ACCT, REG, ARN, ARN, CODE)
#define GOOD_LABELS labels(DOM, ACCT, REG, ARN)
#define BUTTONS                                                                                \
    "<div class='approve-button'><button type='submit' name='validationApprovalStatus' "       \
    "value='APPROVED'>I Approve</button></div>"                                                \
    "<div class='reject-button'><button type='submit' name='validationApprovalStatus' "        \
    "value='REJECTED'>Reject</button></div>"

/* page_check() on a page, with the page read fresh. */
static const char *check_html(const char *html, struct page_info *pi)
{
    page_read(html, strlen(html), pi);
    return page_check(pi, &want);
}

static const char *verdict_of(const char *html)
{
    struct page_info pi;
    const char *why = check_html(html, &pi);
    page_free(&pi);
    return why ? why : "ok";
}

#define VERDICT(html, expect) CHECK_STR(verdict_of(html), expect)

static void later_layout(void)
{
    struct page_info pi;
    /* both sources, agreeing: the click posts the fields and the APPROVED button only */
    const char *both = page(GOOD_LABELS, cat(GOOD_FIELDS, BUTTONS, NULL), "");
    CHECK(check_html(both, &pi) == NULL);
    CHECK(pi.form.found && pi.form.names.n == 7 && pi.form.button == 6);
    CHECK_STR(pi.form.action, "https://us-east-1.acm-certificates.amazon.com/approvevalidation");
    CHECK_STR(pi.form.method, "post");
    CHECK_STR(pi.form.fields.f[PAGE_ACCOUNT].v, ACCT);
    CHECK_STR(pi.form.fields.f[PAGE_ARN].v, ARN);
    CHECK_STR(pi.form.fields.f[PAGE_CODE].v, CODE);
    CHECK_STR(pi.labels.f[PAGE_REGION].v, REG);
    page_free(&pi);
    CHECK_STR(posted(both), "validationToken=" CODE "&validationArn=" ARN "&domainName=" DOM
                            "&accountId=" ACCT "&region=" REG "&certificateIdentifier=" ARN
                            "&validationApprovalStatus=APPROVED");

    /* the form alone states the request: read from it */
    VERDICT(page("", cat(GOOD_FIELDS, BUTTONS, NULL), ""), "ok");
    /* certificateIdentifier may be the certificate id */
    VERDICT(page("", cat(fields(DOM, ACCT, REG, ARN, CID, CODE), BUTTONS, NULL), ""), "ok");
    /* field names in another case or spelling are still those fields */
    VERDICT(page(GOOD_LABELS,
                 cat(GOOD_FIELDS, "<input type=hidden name='account_id' value='999988887777'>",
                     BUTTONS, NULL),
                 ""),
            "page-mismatch-account");
    VERDICT(page(GOOD_LABELS,
                 cat(GOOD_FIELDS, "<input type=hidden name='AccountID' value='999988887777'>",
                     BUTTONS, NULL),
                 ""),
            "page-mismatch-account");

    /* visible labels agree, one form field names something else: never posted */
    VERDICT(page(GOOD_LABELS, cat(fields("www.evil.example", ACCT, REG, ARN, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-domain");
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, "999988887777", REG, ARN, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-account");
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, ACCT, "eu-west-1", ARN, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-region");
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, ACCT, REG, OTHER_ARN, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-certificate");
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, ACCT, REG, ARN, OTHER_ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-certificate");
    VERDICT(page(GOOD_LABELS,
                 cat(fields(DOM, ACCT, REG, ARN, "00000000-0882-4f51-954a-298ee44ff369", CODE),
                     BUTTONS, NULL),
                 ""),
            "page-mismatch-certificate");
    /* validationArn holds the ARN, never just an id */
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, ACCT, REG, CID, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-certificate");
    VERDICT(page(GOOD_LABELS,
                 cat(fields(DOM, ACCT, REG, ARN, ARN, "11e23c40-7a2b-4754-a97c-1607e8e78a6d"),
                     BUTTONS, NULL),
                 ""),
            "page-mismatch-code");
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, ACCT, REG, ARN, ARN, ""), BUTTONS, NULL), ""),
            "page-mismatch-code");
    /* an empty field is a value (what would be posted), not an absent one */
    VERDICT(page(GOOD_LABELS, cat(fields(DOM, "", REG, ARN, ARN, CODE), BUTTONS, NULL), ""),
            "page-mismatch-account");

    /* the form agrees, one visible label names something else */
    VERDICT(page(labels("www.evil.example", ACCT, REG, ARN), cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-domain");
    VERDICT(page(labels(DOM, "9999-8888-7777", REG, ARN), cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-account");
    VERDICT(page(labels(DOM, ACCT, "us-west-2", ARN), cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-region");
    VERDICT(page(labels(DOM, ACCT, REG, OTHER_ARN), cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-certificate");

    /* a field stated twice with two values: a mismatch, whichever the site would read */
    VERDICT(page("", cat(GOOD_FIELDS, "<input type=hidden name=accountId value=999988887777>",
                         BUTTONS, NULL),
                 ""),
            "page-mismatch-account");
    VERDICT(page("", cat("<input type=hidden name=region value=eu-west-1>", GOOD_FIELDS,
                         BUTTONS, NULL),
                 ""),
            "page-mismatch-region");
    /* twice with the same value: fine */
    VERDICT(page("", cat(GOOD_FIELDS, "<input type=hidden name=accountId value=123456789012>",
                         BUTTONS, NULL),
                 ""),
            "ok");
    /* any posted ARN that is not the request's */
    VERDICT(page(GOOD_LABELS,
                 cat(GOOD_FIELDS, "<input type=hidden name=resource value='" OTHER_ARN "'>",
                     BUTTONS, NULL),
                 ""),
            "page-mismatch-certificate");

    /* neither source states the region */
    VERDICT(page("", cat("<input type=hidden name=validationToken value=" CODE ">"
                         "<input type=hidden name=domainName value=" DOM ">"
                         "<input type=hidden name=accountId value=" ACCT ">"
                         "<input type=hidden name=validationArn value=" ARN ">",
                         BUTTONS, NULL),
                 ""),
            "page-incomplete");
    VERDICT(page("", BUTTONS, ""), "page-incomplete");
}

static void old_layout(void)
{
    /* 2020 page: labels, old hidden fields, nameless "I Approve" in an approve-button div */
    const char *p2020 = page(
        GOOD_LABELS,
        "<input name='utf8' type='hidden' value='&#x2713;'>"
        "<input type='hidden' name='authenticity_token' value='tok'>"
        "<input type='hidden' name='validation_token' value='" CODE "'>"
        "<input type='hidden' name='context' value='" CTX "'>"
        "<div class='approve-button'><input type='submit' value='I Approve'></div>",
        "");
    VERDICT(p2020, "ok");
    CHECK_STR(posted(p2020), "utf8=\xe2\x9c\x93&authenticity_token=tok&validation_token=" CODE
                             "&context=" CTX);
    struct page_info pi;
    page_read(p2020, strlen(p2020), &pi);
    CHECK(pi.form.found && pi.form.button == pi.form.names.n);   /* nameless: sends nothing */
    page_free(&pi);
    /* the old code or context of another request */
    VERDICT(page(GOOD_LABELS,
                 "<input type='hidden' name='validation_token' value='" CODE "'>"
                 "<input type='hidden' name='context' value='" CTX "x'>"
                 "<div class='approve-button'><input type='submit' value='I Approve'></div>",
                 ""),
            "page-mismatch-context");
    VERDICT(page(GOOD_LABELS,
                 "<input type='hidden' name='validation_token' value='" CTX "'>"
                 "<div class='approve-button'><input type='submit' value='I Approve'></div>",
                 ""),
            "page-mismatch-code");
    /* 2017 page: hyphenated account, certificate id, named commit button in approval_button */
    const char *p2017 = page(
        labels(DOM, "1234-5678-9012", REG, CID),
        "<input type='hidden' name='validation_token' value='" CODE "'>"
        "<div class='approval_button'><input type=submit name=commit value='I Approve'></div>",
        "");
    VERDICT(p2017, "ok");
    CHECK_STR(posted(p2017), "validation_token=" CODE "&commit=I Approve");
    /* labels alone, no form field states anything */
    VERDICT(page(GOOD_LABELS, "<input type=submit value='I Approve'>", ""), "ok");
    /* a label shown twice with two values */
    VERDICT(page(cat(GOOD_LABELS, "<p>Domain name: www.evil.example</p>", NULL),
                 "<input type=submit value='I Approve'>", ""),
            "page-mismatch-domain");
    /* labels missing one field, the form states nothing */
    VERDICT(page("<p>Domain name: " DOM "</p><p>AWS Region: " REG "</p><p>Arn: " ARN "</p>",
                 "<input type=submit value='I Approve'>", ""),
            "page-incomplete");
}

static void the_click(void)
{
    /* the buttons after the good fields, and the click's pair that must be posted */
    static const struct { const char *buttons, *click; } clicks[] = {
        /* only the APPROVED button's name=value, though the reject button shares the name */
        {BUTTONS, "validationApprovalStatus=APPROVED"},
        /* reject first in the page, approve second */
        {"<input type=submit name=validationApprovalStatus value=REJECTED>"
         "<input type=submit name=validationApprovalStatus value=APPROVED>",
         "&validationApprovalStatus=APPROVED"},
        /* the approve container holding a reject button too: the reject one is never the
         * click */
        {"<div id='approve-button'><button name=s value=APPROVED>I Approve</button>"
         "<button name=s value=REJECTED>Reject</button></div>",
         "&s=APPROVED"},
    };
    for (size_t i = 0; i < sizeof(clicks) / sizeof(clicks[0]); i++) {
        const char *s = posted(page("", cat(GOOD_FIELDS, clicks[i].buttons, NULL), ""));
        CHECK(strstr(s, clicks[i].click) && !strstr(s, "REJECTED"));
    }
    /* a hidden field repeating the button's name with another value: refused */
    VERDICT(page("", cat(GOOD_FIELDS,
                         "<input type=hidden name=validationApprovalStatus value=REJECTED>",
                         BUTTONS, NULL),
                 ""),
            "page-mismatch-button");
    VERDICT(page("", cat(GOOD_FIELDS, "<input type=hidden name=decision value=rejected>",
                         BUTTONS, NULL),
                 ""),
            "page-mismatch-button");
    /* "disapprove-button" is not an approve-button container, a reject label never approves */
    CHECK_STR(posted(page("", cat(GOOD_FIELDS,
                                  "<div class='disapprove-button'><button name=s value=x>Go"
                                  "</button></div>",
                                  NULL),
                          "")),
              "(no form: no approval form)");
    CHECK_STR(posted(page("", cat(GOOD_FIELDS,
                                  "<div class='approve-button'><button name=s value=REJECTED>"
                                  "Submit</button></div>",
                                  NULL),
                          "")),
              "(no form: no approval form)");
    /* two different approve buttons: which one a human would click is not known */
    CHECK_STR(posted(page("", cat(GOOD_FIELDS,
                                  "<button name=s value=APPROVED>I Approve</button>"
                                  "<button name=t value=APPROVED>I Approve</button>",
                                  NULL),
                          "")),
              "(no form: two different approve buttons)");
    /* the same button twice (top and bottom of the page): fine */
    VERDICT(page("", cat(GOOD_FIELDS, BUTTONS, BUTTONS, NULL), ""), "ok");
    /* a disabled approve button is not clickable; a button of type=button submits nothing */
    CHECK_STR(posted(page("", cat(GOOD_FIELDS,
                                  "<button disabled name=s value=APPROVED>I Approve</button>"
                                  "<button type=button name=s value=APPROVED>I Approve</button>",
                                  NULL),
                          "")),
              "(no form: no approval form)");

    /* what a browser leaves out: disabled, unchecked, nameless, other forms, other buttons */
    const char *s;
    s = posted(page("<form id=other action=/search><input name=q value=x>"
                    "<input name=accountId value=999988887777></form>",
                    cat("<input type=hidden name=a value=1>"
                        "<input type=hidden name=accountId value=999988887777 disabled>"
                        "<fieldset disabled><input name=region value=eu-west-1>"
                        "<legend><input name=inlegend value=1></legend></fieldset>"
                        "<fieldset disabled><legend>x</legend><legend><input name=l2 value=1>"
                        "</legend></fieldset>"
                        "<input type=checkbox name=c1 value=x><input type=checkbox name=c2 checked>"
                        "<input type=radio name=r value=y checked>"
                        "<input value=nameless><input type=reset name=z value=z>"
                        "<input type=image name=img src=x.png>"
                        "<input type=hidden name=_charset_ value=x>"
                        "<input type=text name=t value='a\nb'>"
                        "<textarea name=ta>\nline1\nline2</textarea>"
                        "<input name=elsewhere form=other value=1>",
                        BUTTONS, NULL),
                    "<input type=hidden form=approval name=outside value=2>"
                    "<input type=hidden form=nosuchform name=nowhere value=3>"));
    CHECK_STR(s, "a=1&inlegend=1&c2=on&r=y&_charset_=UTF-8&t=ab&ta=line1\r\nline2"
                 "&validationApprovalStatus=APPROVED&outside=2");
    /* a field outside the form that names it (form=) is posted, so it is checked */
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, BUTTONS, NULL),
                 "<input type=hidden form=approval name=accountId value=999988887777>"),
            "page-mismatch-account");
    /* a field inside the form that names another form is not posted, but the page states it */
    const char *other = page("<form id=x></form>",
                             cat(GOOD_FIELDS, "<input type=hidden form=x name=accountId "
                                 "value=999988887777>", BUTTONS, NULL),
                             "");
    CHECK(strstr(posted(other), "999988887777") == NULL);
    VERDICT(other, "page-mismatch-account");
    /* so does another form, a disabled field, any control's value naming another ARN */
    VERDICT(page("<form action=/other method=post><input type=hidden name=domainName "
                 "value=www.evil.example></form>", cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-domain");
    VERDICT(page("", cat(GOOD_FIELDS, "<input type=hidden name=region value=us-west-2 disabled>",
                         BUTTONS, NULL), ""),
            "page-mismatch-region");
    VERDICT(page("<input type=text name=q value='see " OTHER_ARN "'>",
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-certificate");
    VERDICT(page("<form><input name=q value='9999-8888-7777'></form>",
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-account");
    /* an empty field elsewhere (a search box named region) states nothing */
    VERDICT(page("<form action=/search><input name=region value=''><input name=domain></form>",
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "ok");
    /* an "already approved" page stating another account is a mismatch, not an approval */
    VERDICT("<p>This request has already been approved.</p><p>AWS account number: 999988887777</p>",
            "page-mismatch-account");
    /* form= naming an id whose first element is not a form: no owner */
    CHECK_STR(posted(page("<div id=dup></div><form id=dup></form>",
                          cat("<input type=hidden name=a value=1>", BUTTONS, NULL),
                          "<input form=dup name=b value=2>")),
              "a=1&validationApprovalStatus=APPROVED");

    /* the button's own formaction/formmethod win; <base href> is recorded */
    struct page_info pi;
    const char *fa = page("<base href='https://evil.example/'>",
                          cat(GOOD_FIELDS,
                              "<button name=s value=APPROVED formaction='/x'>I Approve</button>",
                              NULL),
                          "");
    CHECK(check_html(fa, &pi) == NULL);
    CHECK_STR(pi.form.action, "/x");
    CHECK_STR(pi.form.base, "https://evil.example/");
    page_free(&pi);
    VERDICT(page("", cat(GOOD_FIELDS, "<button formmethod=get>I Approve</button>", NULL), ""),
            "page-unknown-layout");
}

static void unknown_layouts(void)
{
    struct page_info pi;
    /* no form at all, a JavaScript-only page, an empty page */
    VERDICT("<html><body><p>Domain name: " DOM "</p></body></html>", "page-unknown-layout");
    const char js[] = "<html><head><title>Amazon Certificate Approvals</title>"
                      "<script src='/app.js'></script></head><body><div id='root'></div>"
                      "<noscript>You need to enable JavaScript to run this app.</noscript>"
                      "</body></html>";
    CHECK(check_html(js, &pi) != NULL && pi.scripted && !pi.form.found);
    page_free(&pi);
    VERDICT(js, "page-unknown-layout");
    /* a form a script fills: the approve button is there, the request is not */
    VERDICT(page("<script src='/fill.js'></script>",
                 "<input type=hidden name=accountId value=''>"
                 "<div class=approve-button><input type=submit value='I Approve'></div>", ""),
            "page-mismatch-account");
    VERDICT(page("<script src='/fill.js'></script>",
                 "<div class=approve-button><input type=submit value='I Approve'></div>", ""),
            "page-unknown-layout");
    VERDICT("", "page-unknown-layout");
    /* a page stating another account and no form: the mismatch is what the operator sees */
    VERDICT(labels(DOM, "999988887777", REG, ARN), "page-mismatch-account");
    /* a form with no approve button */
    VERDICT(page(GOOD_LABELS, "<input type=submit value=Continue>", ""), "page-unknown-layout");
    /* GET form, multipart, a select, a file input: not posted as a browser would */
    const char *get = "<form method=get action=/approvevalidation><input type=submit "
                      "value='I Approve'></form>";
    VERDICT(cat(GOOD_LABELS, get, NULL), "page-unknown-layout");
    VERDICT(cat(GOOD_LABELS, "<form method=post enctype='multipart/form-data'>"
                             "<input type=submit value='I Approve'></form>", NULL),
            "page-unknown-layout");
    VERDICT(page(GOOD_LABELS, "<select name=s><option>a</option></select>"
                              "<input type=submit value='I Approve'>", ""),
            "page-unknown-layout");
    VERDICT(page(GOOD_LABELS, "<input type=file name=f><input type=submit value='I Approve'>", ""),
            "page-unknown-layout");
    /* no action: the page URL itself (the approver resolves it) */
    page_read("<p>x</p><form method=post><input type=submit value='I Approve'></form>", 68, &pi);
    CHECK(pi.form.found && pi.form.action[0] == '\0');
    page_free(&pi);
    /* an "already approved" page without a form */
    const char already[] = "<p>This request has already been approved.</p>";
    page_read(already, sizeof(already) - 1, &pi);
    CHECK(pi.already && !pi.form.found && !pi.success);
    page_free(&pi);
}

static void limits(void)
{
    /* more fields than PAGE_MAX_FIELDS: a refusal, never a shorter POST */
    static char many[PAGE_MAX_FIELDS * 48 + 512];
    many[0] = '\0';
    for (int i = 0; i <= PAGE_MAX_FIELDS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many),
                 "<input type=hidden name=f%d value=%d>", i, i);
    strcat(many, BUTTONS);
    VERDICT(page(GOOD_LABELS, many, ""), "page-form-too-large");
    /* a known field longer than any real value */
    static char big[PAGE_VALUE_MAX + 200];
    memset(big, 'a', PAGE_VALUE_MAX + 10);
    big[PAGE_VALUE_MAX + 10] = '\0';
    static char field[PAGE_VALUE_MAX + 300];
    snprintf(field, sizeof(field), "<input type=hidden name=domainName value='%s'>", big);
    VERDICT(page(GOOD_LABELS, cat(field, BUTTONS, NULL), ""), "page-mismatch-domain");
    /* a value over 4096 bytes in an unknown field */
    static char huge[5000 + 100];
    strcpy(huge, "<input type=hidden name=x value='");
    memset(huge + strlen(huge), 'b', 5000);
    huge[33 + 5000] = '\0';
    strcat(huge, "'>");
    VERDICT(page(GOOD_LABELS, cat(huge, BUTTONS, NULL), ""), "page-form-too-large");
    /* nested deeper than html.c reads: the labels may be cut, never posted */
    static char deep[HTML_MAX_DEPTH * 12 + 4096];
    strcpy(deep, page(GOOD_LABELS, cat(GOOD_FIELDS, BUTTONS, NULL), ""));
    char *body = strstr(deep, "<body>") + 6;
    static char tail[8192];
    strcpy(tail, body);
    *body = '\0';
    for (int i = 0; i < HTML_MAX_DEPTH + 10; i++)
        strcat(deep, "<div>");
    strcat(deep, tail);
    VERDICT(deep, "page-too-deep");
    /* nested forms: which a browser posts depends on its parser, not known */
    VERDICT(cat(GOOD_LABELS, "<form method=post action=/a><div><form method=post action=/b>"
                             "<input type=submit value='I Approve'></form></div></form>", NULL),
            "page-unknown-layout");
}

static void anywhere(void)
{
    /* whatever its name, a posted account number, region or ARN of another request */
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, "<input type=hidden name=acct value=999988887777>",
                                  BUTTONS, NULL),
                 ""),
            "page-mismatch-account");
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, "<input type=hidden name=x value=9999-8888-7777>",
                                  BUTTONS, NULL),
                 ""),
            "page-mismatch-account");
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, "<input type=hidden name=loc value=eu-west-1>",
                                  BUTTONS, NULL),
                 ""),
            "page-mismatch-region");
    /* the same values under other names are fine; so are other numbers */
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, "<input type=hidden name=acct value=123456789012>"
                                  "<input type=hidden name=n value=1234567890123>"
                                  "<input type=hidden name=loc value=us-east-1>",
                                  BUTTONS, NULL),
                 ""),
            "ok");
    /* prose anywhere on the page naming another account or certificate */
    VERDICT(page(cat(GOOD_LABELS, "<p>This certificate will be issued to AWS account "
                                  "9999-8888-7777.</p>", NULL),
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-account");
    VERDICT(page(cat(GOOD_LABELS, "<p>Certificate: " OTHER_ARN ".</p>", NULL),
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-certificate");
    VERDICT(page(cat(GOOD_LABELS, "<p>Your account " ACCT " asked for " ARN ".</p>", NULL),
                 cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "ok");
    /* "AWS account" is a label too */
    VERDICT(page("<p>AWS account: 999988887777</p>", cat(GOOD_FIELDS, BUTTONS, NULL), ""),
            "page-mismatch-account");

    /* a script deciding what the click sends: not understood */
    VERDICT(page(GOOD_LABELS, cat(GOOD_FIELDS, "<button name=s value=APPROVED onclick='go()'>"
                                  "I Approve</button>", NULL), ""),
            "page-unknown-layout");
    VERDICT(cat("<form method=post onsubmit='return f()'>", GOOD_FIELDS, BUTTONS, "</form>", NULL),
            "page-unknown-layout");
    /* URL attributes as a browser reads them */
    struct page_info pi;
    const char *ws = page("<base href=' https://h.example/\n'>",
                          cat(GOOD_FIELDS, "<button name=s value=APPROVED formaction=' /a\tb '>"
                                           "I Approve</button>", NULL),
                          "");
    page_read(ws, strlen(ws), &pi);
    CHECK_STR(pi.form.action, "/ab");
    CHECK_STR(pi.form.base, "https://h.example/");
    page_free(&pi);
    /* radio groups: the last checked one is sent, the button keeps its place */
    CHECK_STR(posted(page("", cat("<input type=radio name=g value=1 checked>"
                                  "<input type=radio name=g value=2 checked>"
                                  "<input type=hidden name=h value=3>", BUTTONS,
                                  "<input type=radio name=k value=4 checked>"
                                  "<input type=radio name=k value=5 checked>", NULL), "")),
              "g=2&h=3&validationApprovalStatus=APPROVED&k=5");
    page_read(page("", cat("<input type=radio name=k value=4 checked>", BUTTONS,
                           "<input type=radio name=k value=5 checked>", NULL), ""),
              strlen(page("", cat("<input type=radio name=k value=4 checked>", BUTTONS,
                                  "<input type=radio name=k value=5 checked>", NULL), "")),
              &pi);
    CHECK(pi.form.found && pi.form.names.n == 2 && pi.form.button == 0 &&
          strcmp(pi.form.names.v[pi.form.button], "validationApprovalStatus") == 0);
    page_free(&pi);
}

int main(void)
{
    html_init();
    later_layout();
    old_layout();
    the_click();
    unknown_layouts();
    limits();
    anywhere();
    CHECK_STR(page_field_name(PAGE_ARN), "certificate");
    return t_done("test_approver");
}
