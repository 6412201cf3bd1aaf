/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-test-server's SMPP PDU handling (ota-test-server/links/smpp-pdu.c) on
 * an arbitrary byte stream from an SMSC, as the ESME's reader sees it: PDUs
 * are split with ots_smpp_frame_next() until it wants more bytes or finds an
 * impossible command_length; each deliver_sm is read (libsmpp34 behind our
 * checks) and answered with a deliver_sm_resp of its sequence number; each
 * submit_sm_resp is read for its message id; every command id and status is
 * named.  Checked: a PDU never claims bytes beyond the input; a deliver_sm
 * read as a message fits an SMS (its user data in the UD buffer) and as a
 * receipt names a message id; strings are terminated; a refusal has a
 * reason and an error status; the answers pack.  The MO message goes where
 * the server sends it: its UDH, 8 bit payload and concatenation are read by
 * libsimota as the engine does.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "links/smpp-pdu.h"
#include "simota/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
}

/* What the engine does with an MO message (ots_engine_mo): payload, or a segment of a packet. */
static void engine_view(const struct simota_sms_submit *sms)
{
	static struct simota_sms_reassembly st;
	const uint8_t *p;
	size_t n;

	if (sms->ud.len > sizeof(sms->ud.ud))
		abort();
	if (simota_sms_ud_payload(&sms->ud, sms->dcs, &p, &n) == SIMOTA_OK &&
	    (p < sms->ud.ud || p + n > sms->ud.ud + sms->ud.len))
		abort();
	if (sms->ud.udhi) {
		simota_sms_reassembly_init(&st);
		(void)simota_sms_reassembly_add(&st, &sms->ud);
	}
}

static void deliver_sm(const uint8_t *pdu, const struct ots_smpp_header *h, GByteArray *out)
{
	static struct ots_smpp_deliver d;
	const char *why = NULL;
	uint32_t status = ots_smpp_parse_deliver(pdu, h->length, &d, &why);

	terminated(d.source, sizeof(d.source));
	if (status != 0) {
		if (!why)
			abort();
	} else if (d.receipt) {
		terminated(d.message_id, sizeof(d.message_id));
		terminated(d.stat, sizeof(d.stat));
		if (!d.message_id[0] || d.state > OTS_SMPP_STATE_REJECTED)
			abort();
	} else {
		terminated(d.sms.da.digits, sizeof(d.sms.da.digits));
		if (d.sms.ud.len > SIMOTA_SMS_UD_CAP || d.sms.ud.udl != d.sms.ud.len)
			abort();
		engine_view(&d.sms);
	}
	/* every deliver_sm is answered; a sequence number of 0 is one libsmpp34 refuses to write */
	if (!ots_smpp_pack_deliver_sm_resp(status, h->seq, out) && h->seq != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GByteArray *out = g_byte_array_new();
	size_t off = 0;

	while (off < size) {
		struct ots_smpp_header h;
		char name[96], id[66];
		const char *why = NULL;

		if (ots_smpp_frame_next(data + off, size - off, &h) != OTS_SMPP_FRAME)
			break;
		if (h.length < OTS_SMPP_HEADER_LEN || h.length > size - off)
			abort();
		ots_smpp_command_name(h.id, name, sizeof(name));
		ots_smpp_status_text(h.status, name, sizeof(name));
		terminated(name, sizeof(name));
		(void)ots_smpp_status_class(h.status);
		if (h.id == OTS_SMPP_DELIVER_SM) {
			deliver_sm(data + off, &h, out);
		} else if (h.id == (OTS_SMPP_SUBMIT_SM | OTS_SMPP_RESP) && h.status == 0) {
			if (ots_smpp_parse_submit_resp(data + off, h.length, id, sizeof(id), &why))
				terminated(id, sizeof(id));
			else if (!why || id[0])
				abort();
		} else if (!(h.id & OTS_SMPP_RESP)) {
			(void)ots_smpp_pack_header(OTS_SMPP_GENERIC_NACK, OTS_SMPP_RINVCMDID, h.seq, out);
		}
		off += h.length;
	}
	g_byte_array_unref(out);
	return 0;
}
