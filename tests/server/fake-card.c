/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A software card + handset for the ota-test-server tests (see fake-card.h). */
#include "fake-card.h"

#include <string.h>

#include "simota/ota.h"

struct fake_card *fake_card_new(const char *ini_path, const struct fake_uplink *up)
{
	struct fake_card *c = g_new0(struct fake_card, 1);
	const struct uicc_keyset_config *ks;
	enum simota_ota_alg alg;
	GError *error = NULL;

	c->cfg = uicc_card_config_load(ini_path, &error);
	g_assert_no_error(error);
	ks = uicc_card_config_keyset(c->cfg, 1);
	g_assert_nonnull(ks);
	g_assert_cmpint(simota_ota_crypto_new(&c->crypto), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_kic_algorithm(ks->kic, SIMOTA_OTA_ALG_NONE, &alg), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_key_new(c->crypto, alg, ks->kic_key, ks->kic_key_len, &c->kic), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_ota_kid_algorithm(ks->kid, SIMOTA_OTA_INTEGRITY_CC, SIMOTA_OTA_ALG_NONE,
						 &alg), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_key_new(c->crypto, alg, ks->kid_key, ks->kid_key_len, &c->kid), ==,
			SIMOTA_OK);
	c->counter = ks->counter;
	c->counters = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	c->up = *up;
	c->ir_rq.form = SIMOTA_DEFERRED_RQ_FIXED;
	c->ir_rq.seconds = 30;
	return c;
}

void fake_card_free(struct fake_card *c)
{
	simota_ota_key_free(c->kic);
	simota_ota_key_free(c->kid);
	simota_ota_crypto_free(c->crypto);
	g_array_free(c->counters, TRUE);
	uicc_card_config_free(c->cfg);
	g_free(c);
}

bool fake_card_counters_increasing(const struct fake_card *c)
{
	for (unsigned i = 1; i < c->counters->len; i++)
		if (g_array_index(c->counters, uint64_t, i) <= g_array_index(c->counters, uint64_t, i - 1))
			return false;
	return true;
}

static struct fake_tx *find_tx(struct fake_card *c, uint32_t txid)
{
	for (unsigned i = 0; i < FAKE_MAX_TX; i++)
		if (c->tx[i].used && c->tx[i].txid == txid)
			return &c->tx[i];
	return NULL;
}

static void send_mg(struct fake_card *c, uint32_t txid)
{
	struct simota_deferred_msg *m = g_new0(struct simota_deferred_msg, 1);
	struct simota_sms_submit sms;
	uint8_t data[16], tpdu[SIMOTA_SMS_TPDU_MAX];
	size_t len, tlen;

	simota_deferred_init(m, SIMOTA_DEFERRED_MG, txid);
	g_assert_cmpint(simota_deferred_encode(m, data, sizeof(data), &len), ==, SIMOTA_OK);
	g_free(m);
	memset(&sms, 0, sizeof(sms));
	sms.mr = (uint8_t)txid;
	g_assert_true(c->sv1_address[0]);
	sms.da.ton = SIMOTA_SMS_TON_INTERNATIONAL;
	sms.da.npi = SIMOTA_SMS_NPI_ISDN;
	g_strlcpy(sms.da.digits, c->sv1_address, sizeof(sms.da.digits));
	sms.pid = 0x00;
	sms.dcs = 0x04;
	g_assert_cmpint(simota_sms_ud_set_octets(&sms.ud, NULL, data, len, SIMOTA_SMS_UD_MAX), ==,
			SIMOTA_OK);
	g_assert_cmpint(simota_sms_submit_encode(&sms, tpdu, sizeof(tpdu), &tlen), ==, SIMOTA_OK);
	c->mgs++;
	c->up.submit(c->up.user, tpdu, tlen);
}

void fake_card_user_answers(struct fake_card *c, uint32_t txid, uint8_t general,
			    const char *text, uint8_t item)
{
	struct fake_tx *t = find_tx(c, txid);

	g_assert_nonnull(t);
	t->answered = true;
	t->general = general;
	g_strlcpy(t->answer, text ? text : "", sizeof(t->answer));
	t->item = item;
	if (c->send_mg)
		send_mg(c, txid);
}

static gboolean auto_answer_cb(gpointer p)
{
	struct fake_card *c = p;

	for (unsigned i = 0; i < FAKE_MAX_TX; i++)
		if (c->tx[i].used && !c->tx[i].answered && !c->tx[i].released) {
			fake_card_user_answers(c, c->tx[i].txid, 0x00, "1234", 2);
			break;
		}
	return G_SOURCE_REMOVE;
}

/* protocol.md §4: the applet's answer to one command. */
static void applet(struct fake_card *c, const uint8_t *p, size_t len, struct simota_deferred_msg *out)
{
	static struct simota_deferred_msg m;
	struct fake_tx *t;

	g_assert_cmpint(simota_deferred_decode(p, len, &m), ==, SIMOTA_OK);
	t = find_tx(c, m.txid);
	switch (m.type) {
	case SIMOTA_DEFERRED_C1:
		c->c1s++;
		if (m.has_sv1_address)
			g_strlcpy(c->sv1_address, m.sv1_address.digits, sizeof(c->sv1_address));
		if (!t) {
			for (unsigned i = 0; i < FAKE_MAX_TX && !t; i++)
				if (!c->tx[i].used || c->tx[i].released)
					t = &c->tx[i];
			g_assert_nonnull(t);
			memset(t, 0, sizeof(*t));
			t->used = true;
			t->txid = m.txid;
			t->action = m.action;
			if (c->auto_answer)
				g_timeout_add(20, auto_answer_cb, c);
		}
		if (t->answered)
			goto done;
		simota_deferred_init(out, SIMOTA_DEFERRED_IR, m.txid);
		out->rq = c->ir_rq;
		return;
	case SIMOTA_DEFERRED_C2:
		c->c2s++;
		simota_deferred_init(out, SIMOTA_DEFERRED_R2S, m.txid);
		if (!t || t->released) {
			out->state = SIMOTA_DEFERRED_UNKNOWN;
			return;
		}
		if (!t->answered) {
			out->state = SIMOTA_DEFERRED_PENDING;
			return;
		}
		goto done;
	case SIMOTA_DEFERRED_RELEASE:
		c->releases++;
		simota_deferred_init(out, SIMOTA_DEFERRED_R2S, m.txid);
		out->state = t && !t->released ? SIMOTA_DEFERRED_RELEASED : SIMOTA_DEFERRED_UNKNOWN;
		if (t)
			t->released = true;
		return;
	default:
		g_assert_not_reached();
	}
done:
	simota_deferred_init(out, SIMOTA_DEFERRED_R2S, m.txid);
	out->state = SIMOTA_DEFERRED_DONE;
	out->action = t->action;
	out->has_result = true;
	out->result.general = t->general;
	if (t->general < 0x10) {
		if (t->action == SIMOTA_DEFERRED_GET_INPUT) {
			out->result.text = t->answer;
			out->result.text_len = strlen(t->answer);
		} else if (t->action == SIMOTA_DEFERRED_SELECT_ITEM) {
			out->result.item_id = t->item;
		} else if (t->action == SIMOTA_DEFERRED_YES_NO) {
			out->result.yes = 1;
		}
	}
}

void fake_card_deliver(struct fake_card *c, uint32_t msg_id, const uint8_t *tpdu, size_t len)
{
	static struct simota_sms_deliver d;
	static struct simota_sms_reassembly reasm;
	static struct simota_deferred_msg ans;
	static uint8_t packet[4096], work[4096], rdata[512], por[600];
	struct simota_ota_receiver rx = { 0 };
	struct simota_ota_command cmd;
	struct simota_ota_response rsp = { 0 };
	struct simota_ota_spi spi;
	size_t plen, dlen = 0, porlen;
	uint8_t iei, status;
	simota_err err;
	enum simota_deferred_type type;

	g_assert_cmpint(simota_sms_deliver_decode(tpdu, len, &d), ==, SIMOTA_OK);
	g_assert_cmphex(d.pid, ==, 0x7F);
	g_assert_cmphex(d.dcs, ==, 0xF6);
	if (!reasm.started)
		simota_sms_reassembly_init(&reasm);
	err = simota_sms_reassembly_add(&reasm, &d.ud);
	if (err == SIMOTA_ERR_INCOMPLETE) {
		c->up.report(c->up.user, msg_id, false, NULL, 0);   /* plain RP-ACK */
		return;
	}
	g_assert_cmpint(err, ==, SIMOTA_OK);
	g_assert_cmpint(simota_sms_reassembly_get(&reasm, packet, sizeof(packet), &plen, &iei), ==,
			SIMOTA_OK);
	memset(&reasm, 0, sizeof(reasm));
	g_assert_cmphex(iei, ==, 0x70);

	rx.tar_known = true;
	rx.stored_cntr = c->counter;
	rx.kic_key = c->kic;
	rx.kid_key = c->kid;
	status = simota_ota_receive_command(packet, plen, &rx, work, sizeof(work), &cmd);
	if (status == SIMOTA_OTA_STATUS_OK) {
		c->counter = cmd.cntr;
		g_array_append_val(c->counters, cmd.cntr);
		applet(c, cmd.data, cmd.data_len, &ans);
		type = ans.type;
		g_assert_cmpint(simota_deferred_encode(&ans, rdata, sizeof(rdata), &dlen), ==, SIMOTA_OK);
	} else {
		/* a refused packet still has a readable header */
		c->pors_refused++;
		g_assert_cmpint(simota_ota_command_peek(packet, plen, &cmd), ==, SIMOTA_OK);
		type = 0;
	}
	memcpy(rsp.tar, cmd.tar, 3);
	rsp.cntr = cmd.cntr;
	rsp.status = status;
	rsp.data = rdata;
	rsp.data_len = status ? 0 : dlen;
	g_assert_cmpint(simota_ota_response_encode(cmd.spi, cmd.kic, cmd.kid, &rsp, c->kic, c->kid,
						   por, sizeof(por), &porlen), ==, SIMOTA_OK);
	if (c->corrupt_next_por) {
		c->corrupt_next_por = false;
		por[porlen - 1] ^= 0x5A;
	}
	if (type == SIMOTA_DEFERRED_IR && c->drop_c1_reports) {
		c->drop_c1_reports--;
		return;
	}
	if (type == SIMOTA_DEFERRED_R2S && ans.state != SIMOTA_DEFERRED_RELEASED &&
	    ans.state != SIMOTA_DEFERRED_UNKNOWN && c->drop_c2_reports && c->c2s) {
		c->drop_c2_reports--;
		return;
	}
	simota_ota_spi_decode(cmd.spi, &spi);
	if (spi.por_via_submit) {
		struct simota_sms_submit sms;
		uint8_t out[SIMOTA_SMS_TPDU_MAX];
		size_t olen;

		c->up.report(c->up.user, msg_id, false, NULL, 0);
		memset(&sms, 0, sizeof(sms));
		sms.da = d.oa;
		sms.pid = 0x7F;
		sms.dcs = 0xF6;
		g_assert_cmpuint(porlen, <=, SIMOTA_SMS_UD_MAX);
		sms.ud.udhi = true;
		memcpy(sms.ud.ud, por, porlen);
		sms.ud.len = sms.ud.udl = (uint8_t)porlen;
		g_assert_cmpint(simota_sms_submit_encode(&sms, out, sizeof(out), &olen), ==, SIMOTA_OK);
		c->up.submit(c->up.user, out, olen);
	} else {
		struct simota_sms_pp_result res;
		uint8_t out[SIMOTA_SMS_TPDU_MAX];
		size_t olen;

		g_assert_cmpint(simota_sms_pp_download_result(0x7F, 0xF6, 0x9000, por, porlen, &res),
				==, SIMOTA_OK);
		g_assert_cmpint(simota_sms_deliver_report_encode(&res.report, out, sizeof(out), &olen),
				==, SIMOTA_OK);
		c->up.report(c->up.user, msg_id, res.rp == SIMOTA_RP_ERROR, out, olen);
	}
}
