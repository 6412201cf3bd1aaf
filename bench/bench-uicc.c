/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated card through the library (uicc_card_transmit, no transport):
 *  1. APDUs per second: SELECT EF_ICCID (by FID, no FCP) + READ BINARY.
 *  2. Secured SMS-PP DOWNLOAD envelopes per second, AES-128 (CBC + CMAC-8)
 *     and 3DES 2-key (CBC + CBC-MAC): ENVELOPE D1 → OTA receiving entity →
 *     applet → ciphered + CC PoR → GET RESPONSE.  Twice: SPI 0619 (no
 *     counter: nothing written) and SPI 1619 (counter "higher": the new
 *     counter is committed durably, fsync + rename, before the applet runs).
 *  3. The share of that time spent in crypto: the same command decode
 *     (decipher + CC verify) and PoR encode (CC + cipher) with libsimota's
 *     prepared keys alone, per packet, over the time of one envelope.
 *  4. Memory per idle card: N cards of the example config
 *     (uicc-emu/examples/card0.ini: keysets, TARs, menu), each with its own
 *     parsed config and state file, powered on and given a TERMINAL PROFILE
 *     (what a device farm holds between packets): the process's RSS
 *     before and after, divided by N.  The target is 16 KiB per card (a farm
 *     of 100 000 cards in a few GiB).
 *
 * usage: bench-uicc [SECONDS_PER_MEASUREMENT] [--idle-cards N]
 *        (default 1 s, N 1000; state in $TMPDIR)
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simota/cat.h"
#include "simota/ota.h"
#include "simota/sms.h"

#include "card/card-access.h"
#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"
#include "state/card-state.h"
#include "bench-util.h"
#include "me-card.h"

#define DATA_LEN 80                 /* packet + UDH within one SMS (140 octets) */
#define MAX_ENVELOPES 4000

static const char ini_text[] =
	"[card]\niccid=89882390000000000017\nimsi=001010123456789\n"
	"[keyset 1]\nkic=15\nkid=15\nkic-key=0123456789abcdeffedcba9876543210\n"
	"kid-key=112233445566778899aabbccddeeff00\n"
	"[keyset 2]\nkic=22\nkid=22\nkic-key=000102030405060708090a0b0c0d0e0f\n"
	"kid-key=101112131415161718191a1b1c1d1e1f\n"
	"[tar defe01]\nkeysets=1,2\nmin-security-level=00\n";   /* bound to "bench" once loaded */

static const uint8_t k1_kic[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
				    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };
static const uint8_t k1_kid[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00 };
static const uint8_t k2_kic[16] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t k2_kid[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
				    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
static const uint8_t tar[3] = { 0xDE, 0xFE, 0x01 };
static const uint8_t answer[] = { 0x01, 0x90, 0x00 };    /* RFM-like: 1 command, 9000 */

static double seconds = 1.0;
static unsigned idle_cards = 1000;
#define IDLE_TARGET_KIB 16.0

/* every failure: "<program>: <what> failed", exit 2 */
#define die(what) bench_die("bench-uicc", what)

static uint16_t xchg(struct uicc_card *card, const uint8_t *c, size_t len, uint8_t *r, size_t *rlen)
{
	return me_card_apdu(card, c, len, r, UICC_MAX_RAPDU, rlen);
}

static enum uicc_tk_result bench_applet(struct uicc_tk_invocation *inv, void *user_data)
{
	if (uicc_tk_invocation_event(inv) == UICC_TK_EVENT_FORMATTED_SMS_PP)
		uicc_tk_response_write(inv, answer, sizeof(answer));
	return UICC_TK_OK;
}

/* ---- 1. SELECT + READ BINARY ---- */

static void bench_apdus(struct uicc_card *card)
{
	static const uint8_t sel_mf[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	static const uint8_t sel[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0xE2 };
	static const uint8_t rd[] = { 0x00, 0xB0, 0x00, 0x00, 0x0A };
	uint8_t r[UICC_MAX_RAPDU];
	size_t n;
	unsigned long apdus = 0;
	double t0, t;

	if (xchg(card, sel_mf, sizeof(sel_mf), r, &n) != 0x9000 || xchg(card, sel, sizeof(sel), r, &n) != 0x9000 ||
	    xchg(card, rd, sizeof(rd), r, &n) != 0x9000 || n != 10)
		die("SELECT EF_ICCID / READ BINARY");
	t0 = bench_now_s();
	do {
		for (int i = 0; i < 1000; i++) {
			if (xchg(card, sel, sizeof(sel), r, &n) != 0x9000 ||
			    xchg(card, rd, sizeof(rd), r, &n) != 0x9000 || n != 10)
				die("SELECT / READ BINARY in the loop");
		}
		apdus += 2000;
		t = bench_now_s() - t0;
	} while (t < seconds);
	printf("APDUs (SELECT EF_ICCID + READ BINARY 10)     %10.0f APDU/s  (%.2f us each)\n",
	       apdus / t, t / apdus * 1e6);
}

/* ---- 2. secured SMS-PP envelopes ---- */

struct env {
	uint8_t bytes[255];
	size_t len;
};

static struct simota_ota_crypto *crypto;

/* ENVELOPE D1 with an SMS-DELIVER (PID 7F, DCS F6, UDH 027000 + packet), as a network sends it. */
static void build_envelope(const uint8_t *pkt, size_t pkt_len, struct env *out)
{
	static const struct simota_sms_address oa = { .npi = 1, .digits = "12345678" };
	struct simota_sms_ud segs[1];
	size_t n_segs;

	if (simota_sms_segment_packet(SIMOTA_SMS_IEI_CPI, pkt, pkt_len, 0, false, segs, 1, &n_segs))
		die("segment");
	if (me_card_sms_pp_download(&oa, &segs[0], out->bytes, sizeof(out->bytes), &out->len))
		die("envelope encode");
}

struct keys {
	const char *name;
	uint8_t kic;
	enum simota_ota_alg cipher, mac;
	const uint8_t *kic_key, *kid_key;
	struct simota_ota_key *k_cipher, *k_mac;
};

static size_t wrap(struct keys *k, uint16_t spi, uint64_t cntr, uint8_t *out, size_t cap)
{
	static uint8_t data[DATA_LEN];
	struct simota_ota_command cmd;
	size_t n;

	memset(&cmd, 0, sizeof(cmd));
	cmd.spi[0] = (uint8_t)(spi >> 8);
	cmd.spi[1] = (uint8_t)spi;
	cmd.kic = cmd.kid = k->kic;
	memcpy(cmd.tar, tar, 3);
	cmd.cntr = cntr;
	cmd.data = data;
	cmd.data_len = sizeof(data);
	if (simota_ota_command_encode(&cmd, k->k_cipher, k->k_mac, out, cap, &n))
		die("command encode");
	return n;
}

/* One ENVELOPE + GET RESPONSE; checks the PoR is there. */
static void one_envelope(struct uicc_card *card, const struct env *e)
{
	uint8_t r[UICC_MAX_RAPDU];
	size_t n;

	/* 027100 RPL RHL TAR | ciphered CNTR PCNTR STS CC data pad | */
	if (me_card_envelope(card, ME_CLA_UICC, e->bytes, e->len, r, sizeof(r), &n, NULL) != 0x9000 ||
	    n < 3 + 3 + 3 + 16 || r[1] != 0x71)
		die("secured envelope and the GET RESPONSE of its PoR");
}

static double bench_envelopes(struct uicc_card *card, struct keys *k, uint16_t spi, uint64_t *cntr)
{
	struct env *envs = g_new(struct env, MAX_ENVELOPES);
	uint8_t pkt[256];
	size_t count, done = 0;
	double t0, t;
	bool counter = (spi >> 8) & 0x18;

	/* with a counter every packet is new: prepare them outside the timed loop */
	count = counter ? MAX_ENVELOPES : 1;
	for (size_t i = 0; i < count; i++)
		build_envelope(pkt, wrap(k, spi, ++*cntr, pkt, sizeof(pkt)), &envs[i]);
	one_envelope(card, &envs[0]);
	t0 = bench_now_s();
	do {
		for (int i = 0; i < 50; i++) {
			size_t idx = counter ? 1 + done : 0;

			if (idx >= count)
				break;
			one_envelope(card, &envs[idx]);
			done++;
		}
		t = bench_now_s() - t0;
	} while (t < seconds && (!counter || 1 + done < count));
	g_free(envs);
	return done / t;
}

/* The crypto of one packet alone: command decode (decipher + CC) + PoR encode (CC + cipher). */
static double bench_crypto(struct keys *k, uint16_t spi)
{
	uint8_t pkt[256], work[256], por[256];
	size_t len = wrap(k, spi, 1, pkt, sizeof(pkt)), n;
	struct simota_ota_command cmd;
	struct simota_ota_response rsp;
	unsigned long ops = 0;
	double t0, t;

	memset(&rsp, 0, sizeof(rsp));
	memcpy(rsp.tar, tar, 3);
	rsp.data = answer;
	rsp.data_len = sizeof(answer);
	t0 = bench_now_s();
	do {
		for (int i = 0; i < 200; i++) {
			if (simota_ota_command_decode(pkt, len, k->k_cipher, k->k_mac, work, sizeof(work), &cmd))
				die("command decode");
			rsp.cntr = cmd.cntr;
			if (simota_ota_response_encode(cmd.spi, cmd.kic, cmd.kid, &rsp, k->k_cipher, k->k_mac,
						       por, sizeof(por), &n))
				die("response encode");
		}
		ops += 200;
		t = bench_now_s() - t0;
	} while (t < seconds);
	return ops / t;
}

/* ---- 4. memory per idle card ---- */

/* Resident set size in KiB (/proc/self/statm, field 2, in pages). */
static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, resident = 0;

	if (!f || fscanf(f, "%ld %ld", &size, &resident) != 2)
		die("/proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void bench_idle_cards(const char *dir)
{
	static const uint8_t tp[] = { 0x80, 0x10, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };
	char *example = g_build_filename(SRCDIR, "uicc-emu", "examples", "card0.ini", NULL);
	char *text = NULL;
	size_t len, n;
	struct simota_card_config **cfgs = g_new0(struct simota_card_config *, idle_cards);
	struct uicc_card **cards = g_new0(struct uicc_card *, idle_cards);
	uint8_t atr[64], r[UICC_MAX_RAPDU];
	GError *err = NULL;
	long before, after;
	double per_card;

	if (!g_file_get_contents(example, &text, &len, &err))
		die("reading uicc-emu/examples/card0.ini");
	/* one warm-up card outside the measurement: libraries' first-use allocations (OpenSSL, GLib) */
	before = rss_kib();
	for (unsigned i = 0; i <= idle_cards; i++) {
		char *state = g_strdup_printf("%s/idle%u.state", dir, i);
		struct simota_card_config *cfg = simota_card_config_parse("card0.ini", text, len, &err);
		struct uicc_card *card = cfg ? uicc_emu_card_new(cfg, state, &err) : NULL;

		if (!card)
			die(err ? err->message : "idle card");
		uicc_card_reset(card, atr, sizeof(atr));
		xchg(card, tp, sizeof(tp), r, &n);
		g_free(state);
		if (i == 0) {
			uicc_card_free(card);
			simota_card_config_free(cfg);
			before = rss_kib();
			continue;
		}
		cfgs[i - 1] = cfg;
		cards[i - 1] = card;
	}
	after = rss_kib();
	per_card = (double)(after - before) / idle_cards;
	printf("idle cards (card0.ini, powered, profiled)  %10u cards  RSS +%ld KiB: %.1f KiB per card "
	       "(target %.0f KiB: %.2fx)\n", idle_cards, after - before, per_card, IDLE_TARGET_KIB,
	       per_card / IDLE_TARGET_KIB);
	for (unsigned i = 0; i < idle_cards; i++) {
		char *state = g_strdup_printf("%s/idle%u.state", dir, i + 1);
		char *lock = g_strconcat(state, ".lock", NULL);

		uicc_card_free(cards[i]);
		simota_card_config_free(cfgs[i]);
		g_unlink(state);
		g_unlink(lock);
		g_free(state);
		g_free(lock);
	}
	{
		char *state0 = g_strdup_printf("%s/idle0.state", dir), *lock0 = g_strconcat(state0, ".lock", NULL);

		g_unlink(state0);
		g_unlink(lock0);
		g_free(state0);
		g_free(lock0);
	}
	g_free(cards);
	g_free(cfgs);
	g_free(text);
	g_free(example);
}

int main(int argc, char **argv)
{
	struct keys keys[] = {
		{ "AES-128 CBC + CMAC-8", 0x22, SIMOTA_OTA_ALG_AES_CBC, SIMOTA_OTA_ALG_AES_CMAC, k2_kic, k2_kid,
		  NULL, NULL },
		{ "3DES2 CBC + CBC-MAC", 0x15, SIMOTA_OTA_ALG_3DES2_CBC, SIMOTA_OTA_ALG_3DES2_CBC_MAC, k1_kic, k1_kid,
		  NULL, NULL },
	};
	char *dir = g_dir_make_tmp("bench-uicc-XXXXXX", NULL);
	char *ini = g_build_filename(dir, "card.ini", NULL), *state = g_build_filename(dir, "card.state", NULL);
	struct simota_card_config *cfg;
	struct uicc_card *card;
	uint8_t atr[64], r[UICC_MAX_RAPDU];
	static const uint8_t tp[] = { 0x80, 0x10, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF };
	size_t n;
	GError *err = NULL;
	uint64_t cntr[2] = { 0, 0 };

	/* [SECONDS] [--idle-cards N]; other options of bench/run.sh (--check) are ignored */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--idle-cards") && i + 1 < argc)
			idle_cards = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strncmp(argv[i], "--", 2) != 0)
			seconds = atof(argv[i]);
	}
	if (idle_cards == 0)
		idle_cards = 1000;
	if (seconds <= 0)
		seconds = 1.0;
	if (!dir || !g_file_set_contents(ini, ini_text, -1, NULL) || g_chmod(ini, 0600))
		die("temp config");
	cfg = uicc_card_config_load(ini, &err);
	if (!cfg)
		die("config");
	/* the bench's own applet: a name the loader refuses, as uicc-emu has no such applet */
	g_strlcpy(cfg->tars[0].applet, "bench", sizeof(cfg->tars[0].applet));
	card = uicc_emu_card_new(cfg, state, &err);
	if (!card)
		die("card");
	uicc_card_reset(card, atr, sizeof(atr));
	xchg(card, tp, sizeof(tp), r, &n);
	if (!uicc_tk_applet_register(uicc_card_toolkit(card), "bench", bench_applet, NULL))
		die("applet");
	if (simota_ota_crypto_new(&crypto))
		die("crypto");
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		if (simota_ota_key_new(crypto, keys[i].cipher, keys[i].kic_key, 16, &keys[i].k_cipher) ||
		    simota_ota_key_new(crypto, keys[i].mac, keys[i].kid_key, 16, &keys[i].k_mac))
			die("keys");

	printf("bench-uicc: %.1f s per measurement, %d bytes of secured data, PoR ciphered + CC\n",
	       seconds, DATA_LEN);
	bench_apdus(card);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		double crypto_ops = bench_crypto(&keys[i], 0x0619);
		double plain = bench_envelopes(card, &keys[i], 0x0619, &cntr[i]);
		double durable = bench_envelopes(card, &keys[i], 0x1619, &cntr[i]);

		printf("%-22s crypto alone     %10.0f packet/s (%.1f us)\n", keys[i].name, crypto_ops,
		       1e6 / crypto_ops);
		printf("%-22s SPI 0619 envelopes %8.0f env/s    (%.1f us; crypto %4.1f %%)\n", keys[i].name,
		       plain, 1e6 / plain, 100.0 * plain / crypto_ops);
		printf("%-22s SPI 1619 envelopes %8.0f env/s    (%.1f us; crypto %4.1f %%; counter fsync'ed)\n",
		       keys[i].name, durable, 1e6 / durable, 100.0 * durable / crypto_ops);
	}
	bench_idle_cards(dir);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		simota_ota_key_free(keys[i].k_cipher);
		simota_ota_key_free(keys[i].k_mac);
	}
	simota_ota_crypto_free(crypto);
	uicc_card_free(card);
	simota_card_config_free(cfg);
	g_unlink(state);
	g_unlink(ini);
	g_rmdir(dir);
	g_free(state);
	g_free(ini);
	g_free(dir);
	return 0;
}
