/*
 * arn - see arn.h for the contract.
 */
#include "arn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

bool uuid_valid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

bool region_valid(const char *s)
{
    /* [a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}, at most 31 bytes */
    size_t n = strlen(s);
    if (n < 6 || n >= ARN_REGION_MAX)
        return false;
    size_t i = 0, k = 0;
    while (i < n && s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 4)
        return false;
    int words = 0;
    while (i < n && s[i] == '-') {
        i++;
        k = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        if (i == k)
            break;
        words++;
    }
    if (words < 1 || i != k)
        return false;
    size_t d = 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++, d++;
    return i == n && d >= 1 && d <= 2;
}

const char *region_partition(const char *region)
{
    static const struct {
        const char *prefix;
        const char *partition;
    } tab[] = {
        {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
        {"us-iso-", "aws-iso"},    {"eu-isoe-", "aws-iso-e"}, {"eusc-", "aws-eusc"},
        {"cn-", "aws-cn"},         {"us-", "aws"},            {"eu-", "aws"},
        {"ap-", "aws"},            {"sa-", "aws"},            {"ca-", "aws"},
        {"me-", "aws"},            {"af-", "aws"},            {"il-", "aws"},
        {"mx-", "aws"},
    };
    if (!region_valid(region))
        return NULL;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strncmp(region, tab[i].prefix, strlen(tab[i].prefix)) == 0)
            return tab[i].partition;
    return NULL;
}

const char *partition_approval_suffix(const char *partition)
{
    if (strcmp(partition, "aws") == 0)
        return "acm-certificates.amazon.com";
    if (strcmp(partition, "aws-cn") == 0)
        return "acm-certificates.amazonaws.cn";
    return NULL;
}

static bool partition_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n >= ARN_PART_MAX || strncmp(s, "aws", 3) != 0)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
            return false;
    return s[n - 1] != '-';
}

static bool account_valid(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool arn_parse(const char *s, bool wildcards, struct arn *out)
{
    char buf[ARN_TEXT_MAX];
    memset(out, 0, sizeof(*out));
    if (!str_copy(buf, sizeof(buf), s))
        return false;
    char *f[6];
    char *p = buf;
    for (int i = 0; i < 6; i++) {
        f[i] = p;
        if (i < 5) {
            p = strchr(p, ':');
            if (!p)
                return false;
            *p++ = '\0';
        }
    }
    if (strchr(f[5], ':'))
        return false;
    if (strcmp(f[0], "arn") != 0 || strcmp(f[2], "acm") != 0)
        return false;
    if (strncmp(f[5], "certificate/", 12) != 0)
        return false;
    char *id = f[5] + 12;
    str_lower(id);
    bool wp = wildcards && strcmp(f[1], "*") == 0;
    bool wr = wildcards && strcmp(f[3], "*") == 0;
    bool wa = wildcards && strcmp(f[4], "*") == 0;
    bool wi = wildcards && strcmp(id, "*") == 0;
    if (!wp && !partition_valid(f[1]))
        return false;
    if (!wr && !region_valid(f[3]))
        return false;
    if (!wa && !account_valid(f[4]))
        return false;
    if (!wi && !uuid_valid(id, strlen(id)))
        return false;
    str_copy(out->partition, sizeof(out->partition), f[1]);
    str_copy(out->region, sizeof(out->region), f[3]);
    str_copy(out->account, sizeof(out->account), f[4]);
    str_copy(out->certid, sizeof(out->certid), id);
    return true;
}

void arn_format(const struct arn *a, char *out, size_t outsz)
{
    snprintf(out, outsz, "arn:%s:acm:%s:%s:certificate/%s", a->partition, a->region, a->account,
             a->certid);
}
