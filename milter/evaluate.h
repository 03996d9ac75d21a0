/*
 * evaluate - one whole message in, one decision out: the same code path for the milter
 * (at end of message), for `acm-milter -t` and for the tests.
 *
 * Contract: no I/O, no logging. `raw` is the message as the MTA sent it (header fields,
 * blank line, body); `too_large` says the milter stopped buffering it at MaxMessageSize.
 */
#ifndef ACM_EVALUATE_H
#define ACM_EVALUATE_H

#include "policy.h"

/* Initializes GMime, libxml2 and the PCRE2 patterns; once, before threads start. */
bool evaluate_init(void);
/* -t: no network. DKIM is then verified only with DKIMTestKeys. */
void evaluate_set_offline(bool offline);
void evaluate_shutdown(void);
void evaluate(const struct config *c, const struct envelope *env, const char *raw, size_t len,
              bool too_large, struct decision *d);

#endif
