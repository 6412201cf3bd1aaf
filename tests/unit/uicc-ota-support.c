/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the OTA and deferred-applet tests (uicc-ota-support.h). */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "simota/cat.h"
#include "test-support.h"
#include "me-card.h"
#include "uicc-ota-support.h"
#include "state/card-state.h"

static char *tmp_dir;
static unsigned seq;
static struct simota_ota_crypto *crypto;

const struct simota_sms_address ots_oa = { .ton = 0, .npi = 1, .digits = "12345678" };

static void cleanup_dir(void)
{
	GDir *d = g_dir_open(tmp_dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(tmp_dir, name, NULL);

		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(tmp_dir);
}

const char *ots_tmp_dir(void)
{
	if (!tmp_dir) {
		tmp_dir = g_dir_make_tmp("test-uicc-ota-XXXXXX", NULL);
		g_assert_nonnull(tmp_dir);
		atexit(cleanup_dir);
	}
	return tmp_dir;
}

void ots_card_open(struct ots_card *c, const char *ini)
{
	ots_card_open_patched(c, ini, NULL, NULL);
}

void ots_bind_applet(struct simota_card_config *cfg, void *applet_name)
{
	for (unsigned i = 0; i < cfg->n_tars; i++)
		g_strlcpy(cfg->tars[i].applet, applet_name, sizeof(cfg->tars[i].applet));
}

void ots_card_open_patched(struct ots_card *c, const char *ini, ots_config_patch patch, void *data)
{
	GError *err = NULL;
	int fd;

	ots_tmp_dir();
	memset(c, 0, sizeof(*c));
	seq++;
	c->ini = g_strdup_printf("%s/card%u.ini", tmp_dir, seq);
	c->state = g_strdup_printf("%s/card%u.state", tmp_dir, seq);
	fd = open(c->ini, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(write(fd, ini, strlen(ini)), ==, (ssize_t)strlen(ini));
	close(fd);
	c->cfg = uicc_card_config_load(c->ini, &err);
	g_assert_no_error(err);
	if (patch)
		patch(c->cfg, data);
	c->card = uicc_emu_card_new(c->cfg, c->state, &err);
	g_assert_no_error(err);
	g_assert_nonnull(c->card);
}

void ots_card_reopen(struct ots_card *c)
{
	GError *err = NULL;

	uicc_card_free(c->card);
	c->card = uicc_emu_card_new(c->cfg, c->state, &err);
	g_assert_no_error(err);
}

void ots_card_close(struct ots_card *c)
{
	uicc_card_free(c->card);
	simota_card_config_free(c->cfg);
	g_unlink(c->ini);
	g_unlink(c->state);
	g_free(c->ini);
	g_free(c->state);
	memset(c, 0, sizeof(*c));
}

uint16_t ots_apdu(struct ots_card *c, const uint8_t *capdu, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t r[UICC_MAX_RAPDU];
	size_t n;
	uint16_t sw = me_card_apdu(c->card, capdu, len, r, sizeof(r), &n);

	g_assert_cmpuint(n, <=, cap);
	if (n)
		memcpy(out, r, n);
	if (out_len)
		*out_len = n;
	return sw;
}

void ots_profile(struct ots_card *c)
{
	g_assert_cmphex(me_card_terminal_profile(c->card, ME_CLA_UICC, 8) & 0xFF00, !=, 0x6A00);
}

uint16_t ots_sms_pp(struct ots_card *c, const struct simota_sms_ud *ud, uint8_t *resp, size_t cap,
		    size_t *resp_len)
{
	uint8_t env[255];
	size_t env_len;

	g_assert_cmpint(me_card_sms_pp_download(&ots_oa, ud, env, sizeof(env), &env_len), ==, SIMOTA_OK);
	return me_card_envelope(c->card, ME_CLA_UICC, env, env_len, resp, cap, resp_len, NULL);
}

uint16_t ots_send_packet(struct ots_card *c, const uint8_t *pkt, size_t len, uint8_t ref,
			 uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct simota_sms_ud segs[8];
	size_t n_segs;
	uint16_t sw = 0;

	g_assert_cmpint(simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, pkt, len, ref, false, segs, 8, &n_segs),
			==, SIMOTA_OK);
	for (size_t i = 0; i < n_segs; i++) {
		sw = ots_sms_pp(c, &segs[i], resp, cap, resp_len);
		if (i + 1 < n_segs) {
			g_assert_cmphex(sw, ==, 0x9000);
			g_assert_cmpuint(*resp_len, ==, 0);
		}
	}
	return sw;
}

struct simota_ota_key *ots_key(enum simota_ota_alg alg, const char *hex)
{
	struct simota_ota_key *k = NULL;
	uint8_t *key;
	size_t len;

	if (alg == SIMOTA_OTA_ALG_NONE)
		return NULL;
	if (!crypto)
		g_assert_cmpint(simota_ota_crypto_new(&crypto), ==, SIMOTA_OK);
	key = tv_hex(hex ? hex : "", &len);
	g_assert_cmpint(simota_ota_key_new(crypto, alg, key, len, &k), ==, SIMOTA_OK);
	g_free(key);
	return k;
}

struct simota_ota_key *ots_kic_key(uint8_t kic, const char *hex)
{
	enum simota_ota_alg alg;

	g_assert_cmpint(simota_ota_kic_algorithm(kic, SIMOTA_OTA_ALG_NONE, &alg), ==, SIMOTA_OK);
	return ots_key(alg, hex);
}

struct simota_ota_key *ots_kid_key(uint8_t kid, enum simota_ota_integrity integrity, const char *hex)
{
	enum simota_ota_alg alg;

	g_assert_cmpint(simota_ota_kid_algorithm(kid, integrity, SIMOTA_OTA_ALG_NONE, &alg), ==, SIMOTA_OK);
	return ots_key(alg, hex);
}

uint8_t *ots_wrap(uint16_t spi, uint8_t kic, uint8_t kid, const uint8_t tar[3], uint64_t cntr,
		  struct simota_ota_key *kic_key, struct simota_ota_key *kid_key,
		  const uint8_t *data, size_t len, size_t *out_len)
{
	struct simota_ota_command cmd;
	uint8_t *out = g_malloc(len + 64);

	memset(&cmd, 0, sizeof(cmd));
	cmd.spi[0] = (uint8_t)(spi >> 8);
	cmd.spi[1] = (uint8_t)spi;
	cmd.kic = kic;
	cmd.kid = kid;
	memcpy(cmd.tar, tar, 3);
	cmd.cntr = cntr;
	cmd.data = data;
	cmd.data_len = len;
	g_assert_cmpint(simota_ota_command_encode(&cmd, kic_key, kid_key, out, len + 64, out_len), ==, SIMOTA_OK);
	return out;
}

uint16_t ots_fetch(struct ots_card *c, uint8_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	return me_card_fetch(c->card, ME_CLA_UICC, len, out, cap, out_len);
}

uint16_t ots_terminal_response(struct ots_card *c, const uint8_t *tr, size_t len)
{
	return me_card_terminal_response(c->card, ME_CLA_UICC, tr, len);
}

struct simota_cat_msg *ots_fetch_command(struct ots_card *c, uint16_t sw91, uint8_t type)
{
	struct simota_cat_msg *m = g_new0(struct simota_cat_msg, 1);
	uint8_t cmd[256];
	size_t n;

	g_assert_cmphex(sw91 & 0xFF00, ==, 0x9100);
	g_assert_cmphex(ots_fetch(c, (uint8_t)sw91, cmd, sizeof(cmd), &n), ==, 0x9000);
	g_assert_cmpint(simota_cat_command_decode(cmd, n, m), ==, SIMOTA_OK);
	g_assert_cmphex(m->details.type, ==, type);
	return m;
}

uint16_t ots_answer(struct ots_card *c, const struct simota_cat_msg *cmd, uint8_t general, const char *text,
		    uint8_t item, int yes)
{
	struct simota_cat_msg *m = me_card_response_new(cmd, general);
	uint8_t tr[256];
	size_t n;
	uint16_t sw;

	if (text)
		g_assert_cmpint(simota_cat_string_set(m, &m->text, text, 0x04), ==, SIMOTA_OK);
	if (item) {
		m->item_id.present = true;
		m->item_id.v = item;
	}
	if (yes >= 0)
		g_assert_cmpint(simota_cat_inkey_set_yes_no(m, yes == 1), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_response_encode(m, tr, sizeof(tr), &n), ==, SIMOTA_OK);
	sw = ots_terminal_response(c, tr, n);
	g_free(m);
	return sw;
}
