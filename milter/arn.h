/*
 * arn - ACM certificate ARNs, regions and partitions.
 *
 * Contract: pure functions over NUL-terminated ASCII. arn_parse() accepts exactly
 * `arn:PARTITION:acm:REGION:ACCOUNT:certificate/UUID` (ACCOUNT 12 digits, UUID canonical
 * 8-4-4-4-12 hex, folded to lower case); with `wildcards`, each of PARTITION, REGION, ACCOUNT
 * and UUID may instead be `*` (stored as "*"). Nothing else is a wildcard.
 */
#ifndef ACM_ARN_H
#define ACM_ARN_H

#include <stdbool.h>
#include <stddef.h>

#define ARN_PART_MAX 24
#define ARN_REGION_MAX 32
#define ARN_TEXT_MAX 160

struct arn {
    char partition[ARN_PART_MAX];
    char region[ARN_REGION_MAX];
    char account[13];
    char certid[37];
};

bool arn_parse(const char *s, bool wildcards, struct arn *out);
void arn_format(const struct arn *a, char *out, size_t outsz);
bool uuid_valid(const char *s, size_t n);   /* canonical, lower-case hex */
bool region_valid(const char *s);
/* The partition a region belongs to ("aws", "aws-cn", ...), or NULL when unknown. */
const char *region_partition(const char *region);
/* The approval host suffix for a partition ("acm-certificates.amazon.com"), or NULL. */
const char *partition_approval_suffix(const char *partition);

#endif
