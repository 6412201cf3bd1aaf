/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMPP 3.4 PDUs: framing, packing with libsmpp34, and reading the SMSC's
 * PDUs with libsmpp34 behind checks of our own.  libsmpp34 trusts what it
 * reads in three ways that matter for a PDU from the network:
 *   - a C-Octet String is measured with strlen(), so the bytes handed to
 *     smpp34_unpack() are copied into a buffer that ends in a NUL;
 *   - an optional parameter (TLV) is read with the size its tag implies
 *     (one octet for message_state...), whatever its length field says, and
 *     a TLV cut short leaks the element being read: so every TLV's length is
 *     checked against what libsmpp34 will read before it is called;
 *   - its parse log (smpp34_strerror, 2048 bytes) overflows when a PDU has
 *     many fields: so a deliver_sm may carry at most OTS_SMPP_MAX_TLVS TLVs.
 */
#include "links/smpp-pdu.h"

#include <stdio.h>
#include <string.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

/* See above: a deliver_sm with more optional parameters is refused before libsmpp34 reads it. */
#define OTS_SMPP_MAX_TLVS 8

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SMPP 3.4 §3.2 */
enum ots_smpp_frame ots_smpp_frame_next(const uint8_t *buf, size_t len, struct ots_smpp_header *h)
{
	if (len < 4)
		return OTS_SMPP_NEED_MORE;
	h->length = get32(buf);
	if (h->length < OTS_SMPP_HEADER_LEN || h->length > OTS_SMPP_PDU_MAX)
		return OTS_SMPP_BAD_LENGTH;
	if (len < h->length)
		return OTS_SMPP_NEED_MORE;
	h->id = get32(buf + 4);
	h->status = get32(buf + 8);
	h->seq = get32(buf + 12);
	return OTS_SMPP_FRAME;
}

/* ---- packing ---------------------------------------------------------------------------- */

/* libsmpp34 wants one byte more room than the PDU takes. */
#define PACK_ROOM 512

static bool pack(uint32_t type, void *pdu, GByteArray *out, const char **why)
{
	uint8_t buf[PACK_ROOM];
	int len = 0;

	if (smpp34_pack(type, buf, sizeof(buf), &len, pdu) != 0 || len < OTS_SMPP_HEADER_LEN) {
		*why = "libsmpp34 could not pack the PDU";
		return false;
	}
	g_byte_array_append(out, buf, (guint)len);
	return true;
}

static bool fits(const char *s, size_t field, const char *name, const char **why)
{
	if (s && strlen(s) >= field) {
		*why = name;
		return false;
	}
	return true;
}

/* SMPP 3.4 §4.1.1, §4.1.3, §4.1.5: the three binds share one layout. */
bool ots_smpp_pack_bind(const struct ots_smpp_bind *b, uint32_t seq, GByteArray *out,
			const char **why)
{
	bind_transceiver_t p;
	bool ok;

	memset(&p, 0, sizeof(p));
	if (b->command_id != OTS_SMPP_BIND_TRANSCEIVER && b->command_id != OTS_SMPP_BIND_TRANSMITTER &&
	    b->command_id != OTS_SMPP_BIND_RECEIVER) {
		*why = "not a bind";
		return false;
	}
	if (!fits(b->system_id, sizeof(p.system_id), "system-id: longer than 15 characters", why) ||
	    !fits(b->password, sizeof(p.password), "password: longer than 8 characters", why) ||
	    !fits(b->system_type, sizeof(p.system_type), "system-type: longer than 12 characters",
		  why))
		return false;
	p.command_id = b->command_id;
	p.command_status = ESME_ROK;
	p.sequence_number = seq;
	g_strlcpy((char *)p.system_id, b->system_id ? b->system_id : "", sizeof(p.system_id));
	g_strlcpy((char *)p.password, b->password ? b->password : "", sizeof(p.password));
	g_strlcpy((char *)p.system_type, b->system_type ? b->system_type : "", sizeof(p.system_type));
	p.interface_version = SMPP_VERSION;
	p.addr_ton = TON_Unknown;
	p.addr_npi = NPI_Unknown;
	/* the three structs have the same fields in the same order */
	G_STATIC_ASSERT(sizeof(bind_transceiver_t) == sizeof(bind_transmitter_t));
	G_STATIC_ASSERT(sizeof(bind_transceiver_t) == sizeof(bind_receiver_t));
	ok = pack(b->command_id, &p, out, why);
	explicit_bzero(&p, sizeof(p));   /* the password */
	return ok;
}

bool ots_smpp_pack_header(uint32_t command_id, uint32_t status, uint32_t seq, GByteArray *out)
{
	generic_nack_t p = {
		.command_id = command_id, .command_status = status, .sequence_number = seq,
	};
	const char *why;

	switch (command_id) {
	case GENERIC_NACK:
	case UNBIND:
	case UNBIND_RESP:
	case ENQUIRE_LINK:
	case ENQUIRE_LINK_RESP:
		break;
	default:
		return false;
	}
	/* libsmpp34 refuses a status it does not know; such a status is never ours to send */
	return pack(command_id, &p, out, &why);
}

bool ots_smpp_pack_deliver_sm_resp(uint32_t status, uint32_t seq, GByteArray *out)
{
	deliver_sm_resp_t p;
	const char *why;

	memset(&p, 0, sizeof(p));
	p.command_id = DELIVER_SM_RESP;
	p.command_status = status;
	p.sequence_number = seq;
	return pack(DELIVER_SM_RESP, &p, out, &why);
}

/* SMPP 3.4 §5.2.5, §5.2.8: "+digits" → international, ISDN; "digits" → unknown TON, ISDN. */
static void set_address(uint8_t *ton, uint8_t *npi, uint8_t *addr, size_t cap, const char *msisdn)
{
	bool intl = msisdn[0] == '+';

	*ton = intl ? TON_International : TON_Unknown;
	*npi = NPI_ISDN_E163_E164;
	g_strlcpy((char *)addr, msisdn + intl, cap);
}

/* SMPP 3.4 §4.4.1 */
bool ots_smpp_pack_submit(const struct ots_smpp_submit_params *prm, const char *msisdn,
			  const struct simota_sms_deliver *sms, uint32_t seq, GByteArray *out,
			  const char **why)
{
	submit_sm_t p;

	memset(&p, 0, sizeof(p));
	if (!msisdn || !*msisdn || strlen(msisdn + (msisdn[0] == '+')) >= sizeof(p.destination_addr)) {
		*why = "the card has no MSISDN of 1 to 20 digits";
		return false;
	}
	if (simota_sms_dcs_udl_in_septets(sms->dcs)) {
		*why = "not 8 bit data (TS 23.038 DCS)";
		return false;
	}
	if (sms->ud.len >= sizeof(p.short_message) ||
	    strlen(prm->source.digits) >= sizeof(p.source_addr) ||
	    !fits(prm->service_type, sizeof(p.service_type), "service type too long", why)) {
		*why = "a field is too long for submit_sm";
		return false;
	}
	p.command_id = SUBMIT_SM;
	p.command_status = ESME_ROK;
	p.sequence_number = seq;
	g_strlcpy((char *)p.service_type, prm->service_type ? prm->service_type : "",
		  sizeof(p.service_type));
	p.source_addr_ton = prm->source.ton;
	p.source_addr_npi = prm->source.npi;
	g_strlcpy((char *)p.source_addr, prm->source.digits, sizeof(p.source_addr));
	set_address(&p.dest_addr_ton, &p.dest_addr_npi, p.destination_addr,
		    sizeof(p.destination_addr), msisdn);
	p.esm_class = sms->ud.udhi ? SMPP34_UDHI_IND : 0;    /* store and forward, default type */
	p.protocol_id = sms->pid;
	p.priority_flag = 0;
	p.registered_delivery = prm->registered_delivery;
	p.replace_if_present_flag = 0;
	p.data_coding = prm->data_coding;
	p.sm_default_msg_id = 0;
	p.sm_length = sms->ud.len;
	memcpy(p.short_message, sms->ud.ud, sms->ud.len);
	return pack(SUBMIT_SM, &p, out, why);
}

/* ---- reading ------------------------------------------------------------------------------- */

/*
 * The PDU copied into a buffer ending in NULs, so that libsmpp34's strlen()
 * of a C-Octet String stops inside it (its length checks then refuse a
 * string that runs past the PDU).
 */
static uint8_t *nul_padded(const uint8_t *pdu, size_t len)
{
	uint8_t *copy = g_malloc(len + 4);

	memcpy(copy, pdu, len);
	memset(copy + len, 0, 4);
	return copy;
}

/* SMPP 3.4 §4.4.2 */
bool ots_smpp_parse_submit_resp(const uint8_t *pdu, size_t len, char *message_id, size_t cap,
				const char **why)
{
	submit_sm_resp_t r;
	uint8_t *copy;
	int rc;

	*message_id = '\0';
	if (len < OTS_SMPP_HEADER_LEN || get32(pdu) != len || get32(pdu + 4) != SUBMIT_SM_RESP) {
		*why = "not a submit_sm_resp";
		return false;
	}
	memset(&r, 0, sizeof(r));
	copy = nul_padded(pdu, len);
	rc = smpp34_unpack(SUBMIT_SM_RESP, &r, copy, (int)len);
	g_free(copy);
	if (rc != 0) {
		*why = "submit_sm_resp does not unpack (message_id longer than 64 or bytes after it)";
		return false;
	}
	g_strlcpy(message_id, (const char *)r.message_id, cap);
	return true;
}

/* The sizes libsmpp34 reads a deliver_sm TLV with (def_frame/deliver_sm.tlv): 1 or 2: exactly; else at most. */
static bool tlv_size_ok(uint16_t tag, uint16_t len)
{
	switch (tag) {
	case TLVID_user_message_reference:
	case TLVID_source_port:
	case TLVID_destination_port:
	case TLVID_sar_msg_ref_num:
	case TLVID_its_session_info:
		return len == 2;
	case TLVID_sar_total_segments:
	case TLVID_sar_segment_seqnum:
	case TLVID_user_response_code:
	case TLVID_privacy_indicator:
	case TLVID_payload_type:
	case TLVID_language_indicator:
	case TLVID_message_state:
	case TLVID_set_dpf:
	case TLVID_source_network_type:
		return len == 1;
	case TLVID_callback_num:
		return len <= 19;
	case TLVID_source_subaddress:
	case TLVID_dest_subaddress:
		return len <= 23;
	case TLVID_network_error_code:
		return len <= 3;
	case TLVID_receipted_message_id:
		return len <= 65;
	default:
		return len <= MAX_TLV_SIZE;
	}
}

/*
 * SMPP 3.4 §4.6.1, §3.2.1: the deliver_sm's mandatory part is 6 C-Octet
 * Strings, 10 octets and the short_message its sm_length counts; what
 * follows are TLVs (tag, length, value).  Checks that the mandatory part
 * fits and that every TLV is one libsmpp34 reads exactly as its length says.
 */
static const char *deliver_sm_layout_ok(const uint8_t *p, size_t len)
{
	/* s: C-Octet String, 1: one octet (SMPP 3.4 Table 4-16) */
	static const char fields[] = "s11s11s111ss11111";
	size_t off = OTS_SMPP_HEADER_LEN;
	unsigned n_tlvs = 0;

	for (const char *f = fields; *f; f++) {
		if (*f == 's') {
			const uint8_t *nul = off < len ? memchr(p + off, 0, len - off) : NULL;

			if (!nul)
				return "a C-Octet String of the mandatory part runs past the PDU";
			off = (size_t)(nul - p) + 1;
		} else if (++off > len) {
			return "the mandatory part is cut short";
		}
	}
	off += p[off - 1];   /* sm_length, then short_message */
	if (off > len)
		return "short_message runs past the PDU";
	while (off < len) {
		uint16_t tag, tlen;

		if (len - off < 4)
			return "an optional parameter is cut short";
		tag = (uint16_t)(p[off] << 8 | p[off + 1]);
		tlen = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
		if (tlen > len - off)
			return "an optional parameter runs past the PDU";
		if (!tlv_size_ok(tag, tlen))
			return "an optional parameter has the wrong length for its tag";
		if (++n_tlvs > OTS_SMPP_MAX_TLVS)
			return "more optional parameters than an SMS needs";
		off += tlen;
	}
	return NULL;
}

static const char *const state_stats[] = {
	[OTS_SMPP_STATE_ENROUTE] = "ENROUTE", [OTS_SMPP_STATE_DELIVERED] = "DELIVRD",
	[OTS_SMPP_STATE_EXPIRED] = "EXPIRED", [OTS_SMPP_STATE_DELETED] = "DELETED",
	[OTS_SMPP_STATE_UNDELIVERABLE] = "UNDELIV", [OTS_SMPP_STATE_ACCEPTED] = "ACCEPTD",
	[OTS_SMPP_STATE_UNKNOWN] = "UNKNOWN", [OTS_SMPP_STATE_REJECTED] = "REJECTD",
};

/* The value after "key:" in a receipt's text, up to a space (SMPP 3.4 Appendix B). */
static bool receipt_field(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = text;
	size_t klen = strlen(key), n = 0;

	while ((p = strstr(p, key)) && p != text && p[-1] != ' ')
		p += klen;
	if (!p)
		return false;
	p += klen;
	while (p[n] && p[n] != ' ' && n + 1 < cap) {
		out[n] = p[n];
		n++;
	}
	out[n] = '\0';
	return n > 0;
}

/*
 * SMPP 3.4 §5.2.12, §5.3.2.12, §5.3.2.35, Appendix B: which submit_sm the
 * receipt is about and its state: from the receipted_message_id and
 * message_state TLVs, else from the "id:... stat:... err:..." text.
 */
static void read_receipt(const deliver_sm_t *d, struct ots_smpp_deliver *out)
{
	char text[256], err[8] = "";

	memcpy(text, d->short_message, d->sm_length);
	text[d->sm_length] = '\0';
	for (const tlv_t *t = d->tlv; t; t = t->next) {
		if (t->tag == TLVID_receipted_message_id) {
			size_t n = MIN((size_t)t->length, sizeof(out->message_id) - 1);

			memcpy(out->message_id, t->value.octet, n);
			out->message_id[n] = '\0';
		} else if (t->tag == TLVID_message_state && t->value.val08 < G_N_ELEMENTS(state_stats)) {
			out->state = t->value.val08;
		}
	}
	if (!out->message_id[0])
		receipt_field(text, "id:", out->message_id, sizeof(out->message_id));
	if (!receipt_field(text, "stat:", out->stat, sizeof(out->stat)) && out->state)
		g_strlcpy(out->stat, state_stats[out->state], sizeof(out->stat));
	if (!out->state)
		for (unsigned s = 1; s < G_N_ELEMENTS(state_stats); s++)
			if (strcmp(out->stat, state_stats[s]) == 0)
				out->state = s;
	if (receipt_field(text, "err:", err, sizeof(err)))
		out->err = (unsigned)strtoul(err, NULL, 10);
}

/* The user data: short_message, or message_payload when sm_length is 0 (SMPP 3.4 §5.3.2.32). */
static uint32_t read_mo(const deliver_sm_t *d, struct ots_smpp_deliver *out, const char **why)
{
	struct simota_sms_submit *sms = &out->sms;
	const uint8_t *ud = d->short_message;
	size_t len = d->sm_length;

	for (const tlv_t *t = d->tlv; t && !len; t = t->next)
		if (t->tag == TLVID_message_payload) {
			ud = t->value.octet;
			len = t->length;
		}
	if (len > SIMOTA_SMS_UD_CAP) {
		*why = "user data longer than one SMS";
		return OTS_SMPP_RX_P_APPN;
	}
	sms->da.ton = d->dest_addr_ton & 7;
	sms->da.npi = d->dest_addr_npi & 15;
	g_strlcpy(sms->da.digits, (const char *)d->destination_addr, sizeof(sms->da.digits));
	sms->pid = d->protocol_id;
	sms->dcs = ots_smpp_dcs_of(d->data_coding);
	sms->ud.udhi = (d->esm_class & SMPP34_UDHI_IND) != 0;
	sms->ud.udl = (uint8_t)len;
	sms->ud.len = (uint8_t)len;
	memcpy(sms->ud.ud, ud, len);
	return OTS_SMPP_ROK;
}

/* SMPP 3.4 §4.6.1 */
uint32_t ots_smpp_parse_deliver(const uint8_t *pdu, size_t len, struct ots_smpp_deliver *out,
				const char **why)
{
	deliver_sm_t *d;
	uint8_t *copy;
	uint32_t status = OTS_SMPP_ROK;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len < OTS_SMPP_HEADER_LEN || get32(pdu) != len || get32(pdu + 4) != DELIVER_SM) {
		*why = "not a deliver_sm";
		return OTS_SMPP_RINVCMDLEN;
	}
	*why = deliver_sm_layout_ok(pdu, len);
	if (*why)
		return OTS_SMPP_RX_P_APPN;
	d = g_new0(deliver_sm_t, 1);
	copy = nul_padded(pdu, len);
	rc = smpp34_unpack(DELIVER_SM, d, copy, (int)len);
	g_free(copy);
	/* the fields read before a failure are there: the sender, for the log */
	if (d->source_addr[0])
		g_snprintf(out->source, sizeof(out->source), "%s%s",
			   d->source_addr_ton == TON_International ? "+" : "", d->source_addr);
	if (rc != 0) {
		*why = "libsmpp34 does not unpack it (a TON, NPI or status it does not know, or a "
		       "field too long)";
		status = OTS_SMPP_RX_P_APPN;
	} else if ((d->esm_class & 0x3C) == SMPP34_DELIVERY_RECEIPT) {
		out->receipt = true;
		read_receipt(d, out);
		if (!out->message_id[0]) {
			*why = "a delivery receipt without the id of the message it is about";
			status = OTS_SMPP_RX_P_APPN;
		}
	} else {
		status = read_mo(d, out, why);
	}
	destroy_tlv(d->tlv);
	g_free(d);
	return status;
}

/* SMPP 3.4 §5.2.19 */
uint8_t ots_smpp_dcs_of(uint8_t data_coding)
{
	switch (data_coding) {
	case 0x02:      /* octet unspecified (8-bit binary) */
	case 0x04:
		return 0x04;   /* TS 23.038 §4: 8 bit data, no message class */
	case 0x08:      /* UCS2 */
		return 0x08;
	default:
		/* 0xF0-0xFF are TS 23.038's message class group as they are; the rest are texts */
		return data_coding >= 0xF0 ? data_coding : 0x00;
	}
}

/* ---- names and classes ------------------------------------------------------------------- */

const char *ots_smpp_status_text(uint32_t status, char *buf, size_t cap)
{
	char name[SMALL_BUFF];

	str_command_status(status, name);
	if (name[0])
		g_snprintf(buf, cap, "%s (0x%08x)", name, status);
	else
		g_snprintf(buf, cap, "command_status 0x%08x", status);
	return buf;
}

const char *ots_smpp_command_name(uint32_t id, char *buf, size_t cap)
{
	char name[SMALL_BUFF];

	str_command_id(id, name);
	if (name[0]) {
		g_strlcpy(buf, name, cap);
		for (char *p = buf; *p; p++)
			*p = g_ascii_tolower(*p);
	} else {
		g_snprintf(buf, cap, "command 0x%08x", id);
	}
	return buf;
}

/* SMPP 3.4 §5.1.3: which refusals may pass if the same PDU goes again */
enum ots_smpp_status_class ots_smpp_status_class(uint32_t status)
{
	switch (status) {
	case ESME_ROK:
		return OTS_SMPP_CLASS_OK;
	case ESME_RTHROTTLED:
	case ESME_RMSGQFUL:
		return OTS_SMPP_CLASS_LATER;
	case ESME_RINVDSTADR:
	case ESME_RINVDSTTON:
	case ESME_RINVDSTNPI:
	case ESME_RINVSRCADR:
	case ESME_RINVSRCTON:
	case ESME_RINVSRCNPI:
	case ESME_RINVESMCLASS:
	case ESME_RINVMSGLEN:
	case ESME_RINVSERTYP:
	case ESME_RINVREGDLVFLG:
	case ESME_RINVPRTFLG:
	case ESME_RX_P_APPN:
	case ESME_RX_R_APPN:
	case 0x00000104:   /* ESME_RINVDCS in SMPP 5.0 */
		return OTS_SMPP_CLASS_PERMANENT;
	default:
		return OTS_SMPP_CLASS_TRANSIENT;
	}
}
