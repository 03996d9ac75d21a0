/* Unit tests: the approval-page reader (label/value pairs in several markups, markers,
 * the approval form and its fields). */
#include "html.h"
#include "page.h"
#include "t.h"

#define ARN "arn:aws:acm:us-east-1:123456789012:certificate/3b4d78e1-0882-4f51-954a-298ee44ff369"

static const char new_page[] =
    "<html><head><title>Amazon Certificate Approvals</title>"
    "<meta name=\"csrf-token\" content=\"tok123\"></head><body>"
    "<table><tr><td class='left-column'><b>Domain name</b></td><td class='right-column'>www.example.com</td></tr>"
    "<tr><td><b>AWS Account number</b></td><td>123456789012</td></tr>"
    "<tr><td><b>AWS Region</b></td><td>us-east-1</td></tr>"
    "<tr><td><b>Certificate Identifier</b></td><td>" ARN "</td></tr></table>"
    "<form accept-charset=\"UTF-8\" action=\"/approvevalidation\" method=\"post\">"
    "<input name=\"utf8\" type=\"hidden\" value=\"&#x2713;\">"
    "<input type=\"hidden\" name=\"authenticity_token\" value=\"tok123\">"
    "<input type=\"hidden\" name=\"validation_token\" value=\"code-1\">"
    "<input type=\"hidden\" name=\"context\" value=\"ctx-1\">"
    "<input type=\"checkbox\" name=\"unchecked\" value=\"x\">"
    "<div class=\"approve-button\"><input type=\"submit\" value=\"I Approve\"></div>"
    "</form><form action=\"/search\" method=\"get\"><input name=\"q\" value=\"\"></form></body></html>";

int main(void)
{
    html_init();
    struct page_info pi;
    page_read(new_page, sizeof(new_page) - 1, &pi);
    CHECK_STR(pi.labels.f[PAGE_DOMAIN].v, "www.example.com");
    CHECK_STR(pi.labels.f[PAGE_ACCOUNT].v, "123456789012");
    CHECK_STR(pi.labels.f[PAGE_REGION].v, "us-east-1");
    CHECK_STR(pi.labels.f[PAGE_CERT].v, ARN);
    CHECK(!pi.labels.f[PAGE_DOMAIN].conflict && !pi.already && !pi.success);
    CHECK(pi.form.found);
    CHECK_STR(pi.form.action, "/approvevalidation");
    CHECK_STR(pi.form.method, "post");
    CHECK(pi.form.names.n == 4);   /* nameless submit and unchecked box are not sent */
    CHECK(pi.form.names.n == 4 && strcmp(pi.form.names.v[0], "utf8") == 0 &&
          strcmp(pi.form.values.v[0], "\xe2\x9c\x93") == 0);
    CHECK(pi.form.names.n == 4 && strcmp(pi.form.names.v[1], "authenticity_token") == 0);
    page_free(&pi);

    /* old page: dl/dd markup, hyphenated account, named submit in approval_button div */
    const char old_page[] =
        "<dl><dt>domain name:</dt><dd> www.example.com </dd><dt>AWS account number</dt>"
        "<dd>1234-5678-9012</dd><dt>aws region</dt><dd>us-east-1</dd>"
        "<dt>Certificate identifier</dt><dd>3b4d78e1-0882-4f51-954a-298ee44ff369</dd></dl>"
        "<form action=\"/approvals\" method=\"POST\"><div class='approval_button'>"
        "<input type=submit name=commit value='I Approve'></div></form>";
    page_read(old_page, sizeof(old_page) - 1, &pi);
    CHECK_STR(pi.labels.f[PAGE_DOMAIN].v, "www.example.com");
    CHECK_STR(pi.labels.f[PAGE_ACCOUNT].v, "1234-5678-9012");
    CHECK_STR(pi.labels.f[PAGE_CERT].v, "3b4d78e1-0882-4f51-954a-298ee44ff369");
    CHECK(pi.form.found && pi.form.names.n == 1);
    CHECK(pi.form.names.n == 1 && strcmp(pi.form.names.v[0], "commit") == 0);
    CHECK_STR(pi.form.method, "post");
    page_free(&pi);

    /* "Label: value" lines, success and already-approved markers */
    const char success[] = "<h2>Success!</h2><p>You have <b>APPROVED</b> this validation request.</p>"
                           "<p>Domain name: www.example.com<br>Arn: " ARN "</p>";
    page_read(success, sizeof(success) - 1, &pi);
    CHECK(pi.success && !pi.form.found);
    CHECK_STR(pi.labels.f[PAGE_DOMAIN].v, "www.example.com");
    CHECK_STR(pi.labels.f[PAGE_CERT].v, ARN);
    page_free(&pi);
    const char already[] = "<p>This request has already been approved.</p>";
    page_read(already, sizeof(already) - 1, &pi);
    CHECK(pi.already && !pi.success);
    page_free(&pi);

    /* a label shown twice with two values is a conflict */
    const char twice[] = "<p>Domain name: www.example.com</p><p>Domain name: www.evil.example</p>";
    page_read(twice, sizeof(twice) - 1, &pi);
    CHECK(pi.labels.f[PAGE_DOMAIN].conflict);
    page_free(&pi);

    /* no approval form: a form without the approve button is not it */
    const char noform[] = "<form action=/x method=post><input type=submit value=Cancel></form>";
    page_read(noform, sizeof(noform) - 1, &pi);
    CHECK(!pi.form.found);
    page_free(&pi);
    page_read("", 0, &pi);
    CHECK(!pi.form.found && !pi.labels.f[PAGE_DOMAIN].seen);
    page_free(&pi);

    return t_done("test_page");
}
