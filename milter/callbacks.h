/*
 * callbacks - the libmilter glue: MTA events in, one evaluate() per watched message out.
 *
 * Contract: all per-connection and per-message state hangs off smfi_setpriv() (libmilter
 * may run one connection's callbacks on different threads). Recipients are only noted at
 * RCPT; at DATA a message without a watched recipient is accepted (its header and body are
 * never sent), at end of headers one that evaluate_headers() decides is accepted too, with
 * the line evaluate() would log. The body is buffered up to MaxMessageSize. Every failure of
 * our own accepts the message or the connection (fail open) with a log line: negotiation
 * always answers CONTINUE (without memory: no action asked, the connection accepted at
 * connect); nothing here ever rejects, discards or delays mail.
 */
#ifndef ACM_CALLBACKS_H
#define ACM_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc acm_milter_desc;

/* Messages between their start (MAIL FROM, or their first recipient when the MTA does not
 * send MAIL FROM) and their end (accepted, aborted or closed): at stop, the daemon frees
 * nothing they may use while there are any. Any thread. */
int callbacks_in_progress(void);

#endif
