/*
 * queue - see queue.h for the contract.
 */
#include "queue.h"

#include "log.h"

void queue_submit(const struct config *c, const char *qid, const struct decision *d)
{
    struct kvline kv;
    kv_init(&kv);
    kv_add(&kv, "approval", "queued");
    kv_add(&kv, "domain", d->f.fqdn);
    kv_add(&kv, "arn", d->f.arn_text);
    kv_add(&kv, "req", d->req);
    if (c->mode == MODE_DRY_RUN)
        kv_add(&kv, "mode", "dry-run");
    log_info("%s: %s", qid, kv.buf);
}
