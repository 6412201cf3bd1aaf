// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sms atom driver, over the modem's network backend.
 *
 *  - MO: oFono's SMS-SUBMIT TPDUs go to the network (sb_net_submit); the
 *    device gives each its TP-MR (TS 23.040 §9.2.3.6).
 *  - MT: an SMS-DELIVER with TP-PID 7F (U)SIM data download and a class 2
 *    DCS (TS 31.111 §7.1.1) is handled here, not by oFono core (which drops
 *    the card's answer and writes the SC address TON as 0x11): ENVELOPE
 *    SMS-PP DOWNLOAD to the card, then the card's answer back to the network
 *    in the RP-ACK / RP-ERROR (TS 31.111 §7.1.1.1, simota_sms_pp_download_result());
 *    a proactive command that follows reaches the stk atom through the
 *    card service.
 *    Any other SMS-DELIVER goes to ofono_sms_deliver_notify() and is acked.
 *  - The service centre address is EF_SMSP's (TS 31.102 §4.2.27): read from
 *    the card, and written back to it when oFono sets it.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/sms.h>

#include "stkbridge.h"
#include "net/net.h"
#include "simota/bytes.h"
#include "simota/cat.h"
#include "simota/sms.h"
#include "simota/ts31102.h"

#define RP_CAUSE_PROTOCOL_ERROR 0x6F      /* TS 24.011 §8.2.5.4: #111 protocol error, unspecified */
#define RP_CAUSE_MEMORY_EXCEEDED 0x16     /* #22 */

struct sb_sms {
	struct sb_modem *md;
	struct ofono_sms *sms;
	guint register_id;
	bool have_sca;
	struct simota_sms_address sca;     /* TON/NPI + digits */
	uint8_t next_mr;
	unsigned downloads;                /* SMS-PP downloads passed to the card */
};

/* ---- service centre address (EF_SMSP record 1) ------------------------------------------ */

struct sca_req {
	struct sb_sms *sd;
	bool set;
	union {
		ofono_sms_sca_query_cb_t query;
		ofono_sms_sca_set_cb_t set;
	} cb;
	void *data;
	struct simota_sms_address sca;     /* set: the new address */
};

static void sca_to_ofono(const struct simota_sms_address *a, struct ofono_phone_number *ph)
{
	memset(ph, 0, sizeof(*ph));
	g_strlcpy(ph->number, a->digits, sizeof(ph->number));
	ph->type = 0x80 | a->ton << 4 | a->npi;
}

static void sca_done(struct sca_req *r, bool ok)
{
	struct ofono_error e = { .type = ok ? OFONO_ERROR_TYPE_NO_ERROR : OFONO_ERROR_TYPE_FAILURE };
	struct ofono_phone_number ph;

	if (r->set) {
		if (ok) {
			r->sd->sca = r->sca;
			r->sd->have_sca = true;
		}
		r->cb.set(&e, r->data);
	} else {
		if (!r->sd->have_sca)
			e.type = OFONO_ERROR_TYPE_FAILURE;
		sca_to_ofono(&r->sd->sca, &ph);
		r->cb.query(&e, r->sd->have_sca ? &ph : NULL, r->data);
	}
	g_free(r);
}

/* EF_SMSP (TS 31.102 §4.2.27) in ADF.USIM */
static const struct sb_card_path ef_smsp = { .len = 4, .fid = { 0x7F, 0xFF, 0x6F, 0x42 } };

static void smsp_update_cb(const GError *err, uint16_t sw, void *user)
{
	struct sca_req *r = user;

	if (err || !sb_sw_ok(sw))
		ofono_warn("%s: EF_SMSP not updated: %s SW %04X", r->sd->md->conf->name, err ? err->message : "", sw);
	sca_done(r, !err && sb_sw_ok(sw));
}

static void smsp_record_cb(const GError *err, uint16_t sw, const uint8_t *d, size_t len, void *user)
{
	struct sca_req *r = user;
	uint8_t record[255];

	if (err || !sb_sw_ok(sw) || len < SIMOTA_EF_SMSP_FIXED_LEN || len > sizeof(record)) {
		sca_done(r, false);
		return;
	}
	if (!r->set) {
		/* TS 31.102 §4.2.27 */
		if (simota_ef_smsp_sca(d, len, &r->sd->sca) == SIMOTA_OK)
			r->sd->have_sca = true;
		sca_done(r, true);
		return;
	}
	/* the record as it is, with the new TS-SCA marked present, written back to record 1 */
	memcpy(record, d, len);
	if (simota_ef_smsp_set_sca(record, len, &r->sca) != SIMOTA_OK) {
		sca_done(r, false);
		return;
	}
	sb_card_update_record(r->sd->md->card, r->sd, &ef_smsp, 1, record, len, smsp_update_cb, r);
}

/* Record 1 as a whole (its length from the file's FCP). */
static void smsp_start(struct sca_req *r)
{
	sb_card_read_record(r->sd->md->card, r->sd, &ef_smsp, 1, 0, smsp_record_cb, r);
}

/* The card's EF_SMSP is the service centre address's home (read once, then kept as written). */
static void sb_sca_query(struct ofono_sms *sms, ofono_sms_sca_query_cb_t cb, void *data)
{
	struct sca_req *r = g_new0(struct sca_req, 1);

	r->sd = ofono_sms_get_data(sms);
	r->cb.query = cb;
	r->data = data;
	if (r->sd->have_sca) {
		sca_done(r, true);
		return;
	}
	smsp_start(r);
}

/* Written to EF_SMSP record 1 (read, TS-SCA replaced, updated), so it outlives ofonod and the card's resets. */
static void sb_sca_set(struct ofono_sms *sms, const struct ofono_phone_number *sca, ofono_sms_sca_set_cb_t cb,
		       void *data)
{
	struct sca_req *r = g_new0(struct sca_req, 1);
	uint8_t field[SIMOTA_EF_NUMBER_LEN];
	const char *n = sca->number;

	r->sd = ofono_sms_get_data(sms);
	r->set = true;
	r->cb.set = cb;
	r->data = data;
	if (*n == '+')
		n++;
	g_strlcpy(r->sca.digits, n, sizeof(r->sca.digits));
	r->sca.ton = (uint8_t)((sca->type >> 4) & 0x07);
	r->sca.npi = (uint8_t)(sca->type & 0x0F);
	/* refused before the card is asked when EF_SMSP cannot hold it (TS 31.102 §4.4.2.3) */
	if (!r->sca.digits[0] || simota_ef_number_encode(&r->sca, field) != SIMOTA_OK) {
		sca_done(r, false);
		return;
	}
	smsp_start(r);
}

/* ---- MO ---------------------------------------------------------------------------------- */

struct submit_req {
	ofono_sms_submit_cb_t cb;
	void *data;
	int mr;
};

static void submit_cb(const GError *err, bool rp_error, uint8_t cause, const uint8_t *tpdu, size_t len,
		      void *user)
{
	struct submit_req *r = user;
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };

	if (err) {
		e.type = OFONO_ERROR_TYPE_FAILURE;
	} else if (rp_error) {
		e.type = OFONO_ERROR_TYPE_CMS;
		e.error = cause;
	}
	r->cb(&e, r->mr, r->data);
	g_free(r);
}

static void sb_submit(struct ofono_sms *sms, const unsigned char *pdu, int pdu_len, int tpdu_len, int mms,
		      ofono_sms_submit_cb_t cb, void *data)
{
	struct sb_sms *sd = ofono_sms_get_data(sms);
	struct submit_req *r;
	uint8_t tpdu[256];

	if (!sd->md->net || tpdu_len < 2 || tpdu_len > pdu_len || tpdu_len > (int)sizeof(tpdu)) {
		struct ofono_error e = { .type = OFONO_ERROR_TYPE_FAILURE };

		cb(&e, -1, data);
		return;
	}
	/* the SC address in front of the TPDU is oFono's; the netsim link carries the TPDU only */
	memcpy(tpdu, pdu + (pdu_len - tpdu_len), (size_t)tpdu_len);
	tpdu[1] = sd->next_mr++;               /* TP-MR, TS 23.040 §9.2.3.6 */
	r = g_new0(struct submit_req, 1);
	r->cb = cb;
	r->data = data;
	r->mr = tpdu[1];
	DBG("SMS-SUBMIT, %d bytes, MR %d", tpdu_len, r->mr);
	sb_net_submit(sd->md->net, sd, tpdu, (size_t)tpdu_len, submit_cb, r);
}

/* ---- MT ---------------------------------------------------------------------------------- */

struct download {
	struct sb_sms *sd;
	uint32_t id;
	uint8_t pid, dcs;
};

static void download_cb(const GError *err, uint16_t sw, const uint8_t *data, size_t len, void *user)
{
	struct download *dl = user;
	struct sb_sms *sd = dl->sd;
	struct simota_sms_pp_result res;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX], cause;
	size_t tlen = 0;

	if (err) {
		/* no card answer at all: TS 31.111 §7.1.1.1 "(U)SIM data download error" */
		ofono_warn("%s: SMS-PP download: %s", sd->md->conf->name, err->message);
		sw = 0x6F00;
		len = 0;
	}
	DBG("SMS-PP download: SW %04X, %zu bytes", sw, len);
	/* the answer for the network, the RP-ERROR's cause in a TPDU too (doc/netsim.md) */
	if (simota_sms_pp_download_result(dl->pid, dl->dcs, sw, data, len, &res) != SIMOTA_OK ||
	    simota_sms_pp_download_report(&res, tpdu, sizeof(tpdu), &tlen, &cause) != SIMOTA_OK) {
		sb_net_report(sd->md->net, dl->id, true, RP_CAUSE_PROTOCOL_ERROR, NULL, 0);
		g_free(dl);
		return;
	}
	sb_net_report(sd->md->net, dl->id, res.rp == SIMOTA_RP_ERROR, cause, tpdu, tlen);
	g_free(dl);
}

static void on_deliver(struct sb_net *net, uint32_t id, const uint8_t *tpdu, size_t len, void *user)
{
	struct sb_sms *sd = user;
	struct simota_sms_deliver *d = g_new0(struct simota_sms_deliver, 1);
	simota_err err = simota_sms_deliver_decode(tpdu, len, d);

	if (err != SIMOTA_OK) {
		ofono_warn("%s: undecodable SMS-DELIVER (%s)", sd->md->conf->name, simota_strerror(err));
		sb_net_report(net, id, true, RP_CAUSE_PROTOCOL_ERROR, NULL, 0);
		g_free(d);
		return;
	}
	if (simota_sms_is_data_download(d->pid, d->dcs) && len <= SIMOTA_CAT_BYTES_MAX) {
		struct download *dl = g_new0(struct download, 1);
		uint8_t env[SIMOTA_CAT_BYTES_MAX + 40];
		size_t elen;

		dl->sd = sd;
		dl->id = id;
		dl->pid = d->pid;
		dl->dcs = d->dcs;
		g_free(d);
		/* TS 31.111 §7.1.1.2, from the service centre's address */
		if (simota_sms_pp_download_envelope(sd->have_sca ? &sd->sca : NULL, tpdu, len, env, sizeof(env),
						    &elen) != SIMOTA_OK) {
			download_cb(NULL, 0x6F00, NULL, 0, dl);
			return;
		}
		sd->downloads++;
		DBG("SMS-PP data download %u: %zu-byte TPDU, %zu-byte ENVELOPE", sd->downloads, len, elen);
		sb_card_envelope(sd->md->card, sd, env, elen, download_cb, dl);
		return;
	}
	g_free(d);
	{
		/* oFono wants the SC address in front of the TPDU (TS 27.005 PDU mode) */
		uint8_t pdu[12 + 256];
		struct simota_writer w;
		size_t sca_len;

		w = simota_writer_init(pdu, 12);
		if (sd->have_sca)
			simota_sms_rp_address_encode(&sd->sca, &w);
		else
			simota_write_u8(&w, 0);
		if (simota_writer_status(&w) != SIMOTA_OK)
			sca_len = 1, pdu[0] = 0;
		else
			sca_len = w.len;
		memcpy(pdu + sca_len, tpdu, len);
		ofono_sms_deliver_notify(sd->sms, pdu, (int)(sca_len + len), (int)len);
		sb_net_report(net, id, false, 0, NULL, 0);
	}
}

/* ---- the atom ------------------------------------------------------------------------------ */

static gboolean sms_register_cb(gpointer p)
{
	struct sb_sms *sd = p;

	sd->register_id = 0;
	ofono_sms_register(sd->sms);
	return G_SOURCE_REMOVE;
}

static int sb_sms_probe(struct ofono_sms *sms, unsigned int vendor, void *data)
{
	struct sb_modem *md = data;
	struct sb_sms *sd = g_new0(struct sb_sms, 1);

	sd->md = md;
	sd->sms = sms;
	sd->next_mr = 1;
	md->sms = sms;
	md->sms_data = sd;
	ofono_sms_set_data(sms, sd);
	if (md->net)
		sb_net_set_deliver_handler(md->net, on_deliver, sd);
	sd->register_id = g_idle_add(sms_register_cb, sd);
	return 0;
}

static void sb_sms_remove(struct ofono_sms *sms)
{
	struct sb_sms *sd = ofono_sms_get_data(sms);

	ofono_sms_set_data(sms, NULL);
	if (sd->register_id)
		g_source_remove(sd->register_id);
	sb_card_cancel_owner(sd->md->card, sd);
	if (sd->md->net) {
		sb_net_cancel_owner(sd->md->net, sd);
		sb_net_set_deliver_handler(sd->md->net, NULL, NULL);
	}
	if (sd->md->sms_data == sd) {
		sd->md->sms_data = NULL;
		sd->md->sms = NULL;
	}
	g_free(sd);
}

static const struct ofono_sms_driver sb_sms_driver = {
	.name = SB_DRIVER,
	.probe = sb_sms_probe,
	.remove = sb_sms_remove,
	.sca_query = sb_sca_query,
	.sca_set = sb_sca_set,
	.submit = sb_submit,
};

int sb_sms_driver_register(void)
{
	return ofono_sms_driver_register(&sb_sms_driver);
}

void sb_sms_driver_unregister(void)
{
	ofono_sms_driver_unregister(&sb_sms_driver);
}
