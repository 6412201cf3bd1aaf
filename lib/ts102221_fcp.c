/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FCP template and PIN status template DO (ETSI TS 102 221 §11.1.1.3, §9.5.2). */
#include <string.h>

#include "simota/tlv.h"
#include "simota/ts102221.h"

/* §11.1.1.4.3 Table 11.5: '0x111000' DF, '0x111001' BER-TLV EF, '0x000yyy' working EF. */
uint8_t simota_fcp_descriptor_byte(enum simota_fcp_structure s, bool shareable)
{
	static const uint8_t fdb[] = {
		[SIMOTA_FCP_TRANSPARENT] = 0x01, [SIMOTA_FCP_LINEAR_FIXED] = 0x02,
		[SIMOTA_FCP_CYCLIC] = 0x06, [SIMOTA_FCP_BER_TLV] = 0x39, [SIMOTA_FCP_DF] = 0x38,
		[SIMOTA_FCP_OTHER] = 0x07,
	};

	return (uint8_t)(fdb[s <= SIMOTA_FCP_OTHER ? s : SIMOTA_FCP_OTHER] | (shareable ? SIMOTA_FDB_SHAREABLE : 0));
}

enum simota_fcp_structure simota_fcp_structure_of(uint8_t fdb)
{
	uint8_t b = fdb & (uint8_t)~SIMOTA_FDB_SHAREABLE;

	if (b == 0x38)
		return SIMOTA_FCP_DF;
	if (b == 0x39)
		return SIMOTA_FCP_BER_TLV;
	if (b & 0xB0)                       /* b8 or b5-b6 set: RFU */
		return SIMOTA_FCP_OTHER;
	switch (b & 0x07) {                 /* working (b4 0) or internal (b4 1) EF */
	case 0x01:
		return SIMOTA_FCP_TRANSPARENT;
	case 0x02:
		return SIMOTA_FCP_LINEAR_FIXED;
	case 0x06:
		return SIMOTA_FCP_CYCLIC;
	default:
		return SIMOTA_FCP_OTHER;
	}
}

/* §11.1.1.4.9: 04/06 operational deactivated, 0C-0F terminated. */
bool simota_lcsi_usable(uint8_t lcsi)
{
	return (lcsi & 0xFD) != SIMOTA_LCSI_DEACTIVATED && (lcsi & 0xFC) != SIMOTA_LCSI_TERMINATED;
}

/* ---- PIN status template DO (§9.5.2) ------------------------------------- */

simota_err simota_pin_status_decode(const uint8_t *p, size_t len, struct simota_pin_status *out)
{
	struct simota_reader r = simota_reader_init(p, len);
	struct simota_tlv t, ps;
	bool has_usage = false;
	uint8_t usage = 0;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = simota_ber_tlv_next(&r, &ps)))
		return err;
	if (ps.tag != 0x90)
		return SIMOTA_ERR_BAD_TAG;
	while (simota_reader_left(&r) > 0) {
		struct simota_pin_status_key *k;

		if ((err = simota_ber_tlv_next(&r, &t)))
			return err;
		if (t.tag == 0x95) {            /* usage qualifier: applies to the key reference after it */
			if (t.len != 1 || has_usage)
				return SIMOTA_ERR_BAD_LENGTH;
			has_usage = true;
			usage = t.value[0];
			continue;
		}
		if (t.tag != 0x83)
			return SIMOTA_ERR_BAD_TAG;
		if (t.len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		if (out->n_keys == SIMOTA_PIN_STATUS_MAX_KEYS)
			return SIMOTA_ERR_NO_SPACE;
		if (out->n_keys / 8u >= ps.len)
			return SIMOTA_ERR_BAD_LENGTH;   /* no PS_DO bit for this key */
		k = &out->keys[out->n_keys];
		k->keyref = t.value[0];
		k->enabled = ps.value[out->n_keys / 8] & (0x80 >> (out->n_keys % 8));
		k->has_usage = has_usage;
		k->usage = usage;
		out->n_keys++;
		has_usage = false;
		usage = 0;
	}
	return has_usage ? SIMOTA_ERR_MISSING_VALUE : SIMOTA_OK;   /* a usage qualifier without its key */
}

simota_err simota_pin_status_encode(struct simota_writer *w, const struct simota_pin_status *in)
{
	uint8_t ps[SIMOTA_PIN_STATUS_MAX_KEYS / 8] = { 0 };
	size_t mark = simota_tlv_open(w);
	size_t ps_len = (in->n_keys + 7u) / 8;

	if (in->n_keys > SIMOTA_PIN_STATUS_MAX_KEYS)
		return SIMOTA_ERR_BAD_VALUE;
	for (unsigned i = 0; i < in->n_keys; i++)
		if (in->keys[i].enabled)
			ps[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	simota_ber_tlv_write(w, 0x90, ps, ps_len ? ps_len : 1);
	for (unsigned i = 0; i < in->n_keys; i++) {
		if (in->keys[i].has_usage)
			simota_ber_tlv_write(w, 0x95, &in->keys[i].usage, 1);
		simota_ber_tlv_write(w, 0x83, &in->keys[i].keyref, 1);
	}
	simota_ber_tlv_close(w, mark, 0xC6);
	return simota_writer_status(w);
}

int simota_pin_status_enabled(const struct simota_pin_status *ps, uint8_t keyref)
{
	for (unsigned i = 0; i < ps->n_keys; i++)
		if (ps->keys[i].keyref == keyref)
			return ps->keys[i].enabled;
	return -1;
}

/* ---- FCP (§11.1.1.3) ---------------------------------------------------- */

/* §11.1.1.4.1 / §11.1.1.4.2: a size of 1-4 bytes (TS 102 221 writes 2 or more). */
static simota_err read_size(const struct simota_tlv *t, uint32_t *out)
{
	uint32_t v = 0;

	if (t->len < 1 || t->len > 4)
		return SIMOTA_ERR_BAD_LENGTH;
	for (size_t i = 0; i < t->len; i++)
		v = v << 8 | t->value[i];
	*out = v;
	return SIMOTA_OK;
}

/* §11.1.1.4.3: FDB, data coding byte, and for record EFs the record length (2) and count (1). */
static simota_err read_descriptor(const struct simota_tlv *t, struct simota_fcp *out)
{
	enum simota_fcp_structure s;

	if (t->len < 2)
		return SIMOTA_ERR_BAD_LENGTH;
	out->fdb = t->value[0];
	out->data_coding = t->value[1];
	s = simota_fcp_structure_of(out->fdb);
	if (s != SIMOTA_FCP_LINEAR_FIXED && s != SIMOTA_FCP_CYCLIC)
		return SIMOTA_OK;
	if (t->len < 5)
		return SIMOTA_ERR_BAD_LENGTH;
	out->record_len = (uint16_t)(t->value[2] << 8 | t->value[3]);
	out->n_records = t->value[4];
	return out->record_len ? SIMOTA_OK : SIMOTA_ERR_BAD_VALUE;
}

/* §11.1.1.4.7.3: referenced format, EF_ARR's FID and a record (with SE ids: the first pair's). */
static simota_err read_arr(const struct simota_tlv *t, struct simota_fcp *out)
{
	if (t->len != 3 && (t->len < 4 || t->len % 2))
		return SIMOTA_ERR_BAD_LENGTH;
	out->has_arr = true;
	out->arr_fid = (uint16_t)(t->value[0] << 8 | t->value[1]);
	out->arr_record = t->value[t->len == 3 ? 2 : 3];
	return SIMOTA_OK;
}

/* §11.1.1.4.6.1: the UICC characteristics (80) inside the proprietary A5; the rest is the card's own. */
static void read_proprietary(const struct simota_tlv *t, struct simota_fcp *out)
{
	struct simota_tlv c;

	if (simota_ber_tlv_find(t->value, t->len, 0x80, &c) == SIMOTA_OK && c.len == 1) {
		out->has_uicc_characteristics = true;
		out->uicc_characteristics = c.value[0];
	}
}

/* The tags read_one() decodes; each may appear once (SIMOTA_ERR_DUPLICATE). */
static const uint8_t known_tags[] = { 0x82, 0x83, 0x84, 0xA5, 0x8A, 0x8B, 0xC6, 0x80, 0x81, 0x88 };

static simota_err check_once(uint32_t tag, unsigned *seen)
{
	for (unsigned i = 0; i < sizeof(known_tags); i++) {
		if (tag != known_tags[i])
			continue;
		if (*seen & (1u << i))
			return SIMOTA_ERR_DUPLICATE;
		*seen |= 1u << i;
	}
	return SIMOTA_OK;
}

static simota_err read_one(const struct simota_tlv *t, struct simota_fcp *out, bool *has_descriptor)
{
	switch (t->tag) {
	case 0x82:
		*has_descriptor = true;
		return read_descriptor(t, out);
	case 0x83:                      /* §11.1.1.4.4 */
		if (t->len != 2)
			return SIMOTA_ERR_BAD_LENGTH;
		out->has_fid = true;
		out->fid = (uint16_t)(t->value[0] << 8 | t->value[1]);
		return SIMOTA_OK;
	case 0x84:                      /* §11.1.1.4.5 */
		if (t->len < 1 || t->len > sizeof(out->df_name))
			return SIMOTA_ERR_BAD_LENGTH;
		out->df_name_len = (uint8_t)t->len;
		memcpy(out->df_name, t->value, t->len);
		return SIMOTA_OK;
	case 0xA5:
		read_proprietary(t, out);
		return SIMOTA_OK;
	case 0x8A:                      /* §11.1.1.4.9 */
		if (t->len != 1)
			return SIMOTA_ERR_BAD_LENGTH;
		out->has_lcsi = true;
		out->lcsi = t->value[0];
		return SIMOTA_OK;
	case 0x8B:
		return read_arr(t, out);
	case 0xC6:                      /* §11.1.1.4.10 */
		out->has_pin_status = true;
		return simota_pin_status_decode(t->value, t->len, &out->pin_status);
	case 0x80:
		out->has_file_size = true;
		return read_size(t, &out->file_size);
	case 0x81:
		out->has_total_size = true;
		return read_size(t, &out->total_size);
	case 0x88:                      /* §11.1.1.4.8: SFI in b8-b4, or empty: none */
		if (t->len > 1)
			return SIMOTA_ERR_BAD_LENGTH;
		out->has_sfi = true;
		out->sfi = t->len ? t->value[0] >> 3 : 0;
		return out->sfi == 31 ? SIMOTA_ERR_BAD_VALUE : SIMOTA_OK;   /* 11111: RFU */
	default:                        /* 8C/AB security attributes, 8D, 8E, A0, ...: not needed */
		return SIMOTA_OK;
	}
}

/* TS 102 221 §11.1.1.3 */
simota_err simota_fcp_decode(const uint8_t *p, size_t len, struct simota_fcp *out)
{
	struct simota_tlv fcp, t;
	struct simota_reader r;
	bool has_descriptor = false;
	unsigned seen = 0;
	enum simota_fcp_structure s;
	simota_err err;

	memset(out, 0, sizeof(*out));
	if ((err = simota_ber_tlv_parse_one(p, len, &fcp)))
		return err;
	if (fcp.tag != 0x62)
		return SIMOTA_ERR_BAD_TAG;
	r = simota_reader_init(fcp.value, fcp.len);
	while (simota_reader_left(&r) > 0) {
		if ((err = simota_ber_tlv_next(&r, &t)) || (err = check_once(t.tag, &seen)) ||
		    (err = read_one(&t, out, &has_descriptor)))
			return err;
	}
	if (!has_descriptor)
		return SIMOTA_ERR_MISSING_VALUE;
	s = simota_fcp_structure(out);
	if ((s == SIMOTA_FCP_TRANSPARENT || s == SIMOTA_FCP_LINEAR_FIXED || s == SIMOTA_FCP_CYCLIC) &&
	    !out->has_file_size)
		return SIMOTA_ERR_MISSING_VALUE;
	return SIMOTA_OK;
}

/* A size in 2 bytes, more only when it needs them. */
static void write_size(struct simota_writer *w, uint8_t tag, uint32_t v)
{
	size_t n = v > 0xFFFFFF ? 4 : v > 0xFFFF ? 3 : 2;

	simota_write_u8(w, tag);
	simota_write_u8(w, (uint8_t)n);
	simota_write_be(w, v, n);
}

static void write_descriptor(struct simota_writer *w, const struct simota_fcp *in)
{
	enum simota_fcp_structure s = simota_fcp_structure(in);
	bool records = s == SIMOTA_FCP_LINEAR_FIXED || s == SIMOTA_FCP_CYCLIC;

	simota_write_u8(w, 0x82);
	simota_write_u8(w, records ? 5 : 2);
	simota_write_u8(w, in->fdb);
	simota_write_u8(w, in->data_coding);
	if (records) {
		simota_write_be(w, in->record_len, 2);
		simota_write_u8(w, in->n_records);
	}
}

/* TS 102 221 §11.1.1.3, Tables 11.3 (EF) and 11.4 (DF/ADF): 82 83 84 A5 8A 8B C6 80 81 88. */
simota_err simota_fcp_encode(const struct simota_fcp *in, uint8_t *out, size_t cap, size_t *out_len)
{
	struct simota_writer w = simota_writer_init(out, cap);
	size_t mark = simota_tlv_open(&w);
	simota_err err;

	if (in->df_name_len > sizeof(in->df_name))
		return SIMOTA_ERR_BAD_VALUE;
	write_descriptor(&w, in);
	if (in->has_fid) {
		simota_write_u8(&w, 0x83);
		simota_write_u8(&w, 2);
		simota_write_be(&w, in->fid, 2);
	}
	if (in->df_name_len)
		simota_ber_tlv_write(&w, 0x84, in->df_name, in->df_name_len);
	if (in->has_uicc_characteristics) {
		size_t a5 = simota_tlv_open(&w);

		simota_ber_tlv_write(&w, 0x80, &in->uicc_characteristics, 1);
		simota_ber_tlv_close(&w, a5, 0xA5);
	}
	if (in->has_lcsi)
		simota_ber_tlv_write(&w, 0x8A, &in->lcsi, 1);
	if (in->has_arr) {
		simota_write_u8(&w, 0x8B);
		simota_write_u8(&w, 3);
		simota_write_be(&w, in->arr_fid, 2);
		simota_write_u8(&w, in->arr_record);
	}
	if (in->has_pin_status && (err = simota_pin_status_encode(&w, &in->pin_status)))
		return err;
	if (in->has_file_size)
		write_size(&w, 0x80, in->file_size);
	if (in->has_total_size)
		write_size(&w, 0x81, in->total_size);
	if (in->has_sfi) {
		uint8_t sfi = (uint8_t)(in->sfi << 3);

		if (in->sfi > 30)
			return SIMOTA_ERR_BAD_VALUE;
		simota_ber_tlv_write(&w, 0x88, &sfi, in->sfi ? 1 : 0);
	}
	simota_ber_tlv_close(&w, mark, 0x62);
	if ((err = simota_writer_status(&w)))
		return err;
	*out_len = w.len;
	return SIMOTA_OK;
}

bool simota_fcp_activated(const struct simota_fcp *f)
{
	return !f->has_lcsi || simota_lcsi_usable(f->lcsi);
}

int simota_fcp_pin_enabled(const uint8_t *p, size_t len, uint8_t keyref)
{
	struct simota_fcp fcp;

	if (simota_fcp_decode(p, len, &fcp) != SIMOTA_OK || !fcp.has_pin_status)
		return -1;
	return simota_pin_status_enabled(&fcp.pin_status, keyref);
}
