/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: deferred-response messages (doc/protocol.md).  What decodes
 * must encode (the decoder applies the encoder's rules), decode again to the
 * same fields, and encode again to the same bytes (the encoding is canonical).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simota/deferred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_span(const void *a, size_t alen, const void *b, size_t blen)
{
	if ((a == NULL) != (b == NULL) || alen != blen)
		return 0;
	return alen == 0 || memcmp(a, b, alen) == 0;
}

static int same_rq(const struct simota_deferred_rq *a, const struct simota_deferred_rq *b)
{
	return a->form == b->form && a->seconds == b->seconds && a->event == b->event;
}

static int same_msg(const struct simota_deferred_msg *a, const struct simota_deferred_msg *b)
{
	if (a->type != b->type || a->txid != b->txid || a->version != b->version ||
	    a->action != b->action || !same_span(a->text, a->text_len, b->text, b->text_len) ||
	    a->n_items != b->n_items || a->default_item != b->default_item ||
	    a->has_input != b->has_input ||
	    a->has_sv1_address != b->has_sv1_address || !same_rq(&a->wanted, &b->wanted) ||
	    !same_rq(&a->rq, &b->rq) || a->state != b->state || a->has_result != b->has_result)
		return 0;
	for (size_t i = 0; i < a->n_items; i++)
		if (a->items[i].id != b->items[i].id ||
		    !same_span(a->items[i].text, a->items[i].text_len,
			       b->items[i].text, b->items[i].text_len))
			return 0;
	if (a->has_input && memcmp(&a->input, &b->input, sizeof(a->input)))
		return 0;
	if (a->has_sv1_address &&
	    (a->sv1_address.ton != b->sv1_address.ton || a->sv1_address.npi != b->sv1_address.npi ||
	     strcmp(a->sv1_address.digits, b->sv1_address.digits)))
		return 0;
	return a->result.general == b->result.general &&
	       same_span(a->result.additional, a->result.additional_len,
			 b->result.additional, b->result.additional_len) &&
	       same_span(a->result.text, a->result.text_len, b->result.text, b->result.text_len) &&
	       a->result.item_id == b->result.item_id && a->result.yes == b->result.yes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct simota_deferred_msg m, back;	/* large: keep off the stack */
	static uint8_t out[0x10000 + 8], again[0x10000 + 8];
	size_t len, len2;

	if (simota_deferred_decode(data, size, &m) != SIMOTA_OK)
		return 0;
	if (simota_deferred_encode(&m, out, sizeof(out), &len) != SIMOTA_OK)
		abort();
	if (len > size)		/* canonical is never longer than what was read */
		abort();
	if (simota_deferred_decode(out, len, &back) != SIMOTA_OK || !same_msg(&m, &back))
		abort();
	if (simota_deferred_encode(&back, again, sizeof(again), &len2) != SIMOTA_OK ||
	    len2 != len || memcmp(out, again, len))
		abort();
	return 0;
}
