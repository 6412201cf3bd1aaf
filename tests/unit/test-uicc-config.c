/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Card config file (lib/card_config.c, doc/card-config.md). */
#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"
#include "simota/card_config.h"
#include "state/card-state.h"

static char *tmp_dir;

#define CARD "[card]\niccid=89882390000000000017\nimsi=001010123456789\n"
#define KS1 "[keyset 1]\nkic=15\nkid=15\n"
#define SECRET "a1b2c3d4e5f60718a1b2c3d4e5f607"   /* must never appear in a message */
#define HALF "a1b2c3d4e5f60718"                   /* a weak key's repeated 8 bytes: neither */
#define WEAK2 HALF HALF
#define K16 SECRET "ff"                           /* a 16-byte secret (K, OPc) */
#define MENU "[menu]\ntitle=Test\n"

/* Writes text to a fresh file in the test's temp dir; returns its path. */
static char *write_config(const char *text)
{
	static unsigned n;
	char *path = g_strdup_printf("%s/card%u.ini", tmp_dir, n++);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static struct simota_card_config *load_text(const char *text, GError **error)
{
	char *path = write_config(text);
	struct simota_card_config *cfg = uicc_card_config_load(path, error);

	g_unlink(path);
	g_free(path);
	return cfg;
}

static void test_example(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = uicc_card_config_load(SRCDIR "/uicc-emu/examples/card0.ini", &err);
	static const uint8_t tar[3] = { 0xDE, 0xFE, 0x01 };
	const struct simota_card_keyset *ks;
	const struct simota_card_tar *tc;

	g_assert_no_error(err);
	g_assert_cmpstr(cfg->iccid, ==, "89882390000000000017");
	g_assert_cmpstr(cfg->imsi, ==, "001010123456789");
	g_assert_cmpstr(cfg->msisdn, ==, "+15550001");
	g_assert_cmpstr(cfg->pin, ==, "1234");
	g_assert_cmpstr(cfg->puk, ==, "12345678");
	g_assert_cmpstr(cfg->spn, ==, "stkbridge");
	g_assert_cmpstr(cfg->smsc, ==, "+15550000");
	tv_assert_hex(cfg->ust, cfg->ust_len, "000a140801");
	g_assert_cmpuint(cfg->n_keysets, ==, 4);
	g_assert_cmpuint(cfg->n_tars, ==, 4);
	g_assert_true(cfg->has_adm1);
	g_assert_true(cfg->has_milenage);
	g_assert_nonnull(cfg->menu);
	g_assert_cmpuint(cfg->menu->n_items, ==, 4);
	g_assert_cmpstr(cfg->menu->items[3].applet, ==, "deferred@defe01");
	/* RFM on the three TARs of TS 101 220 Annex D, with keysets of their own */
	for (unsigned i = 0; i < cfg->n_tars; i++) {
		const struct simota_card_tar *t = &cfg->tars[i];

		if (strcmp(t->applet, "rfm"))
			continue;
		g_assert_nonnull(simota_card_tar_reserved(t->tar));
		g_assert_cmphex(t->keysets, ==, 0x0018);
		g_assert_cmphex(t->rfm_access, ==, SIMOTA_CARD_ACCESS_ADM1);
		g_assert_cmphex(t->min_security_level, ==, 0x16);
	}
	g_assert_cmpuint(cfg->warnings->len, ==, 0);

	ks = simota_card_config_keyset(cfg, 1);
	g_assert_nonnull(ks);
	g_assert_cmphex(ks->kic, ==, 0x15);
	g_assert_cmphex(ks->kid, ==, 0x15);
	tv_assert_hex(ks->kic_key, ks->kic_key_len, "0123456789abcdeffedcba9876543210");
	tv_assert_hex(ks->kid_key, ks->kid_key_len, "112233445566778899aabbccddeeff00");
	g_assert_cmpuint(ks->counter, ==, 0);
	ks = simota_card_config_keyset(cfg, 2);
	g_assert_nonnull(ks);
	g_assert_cmphex(ks->kic, ==, 0x22);
	g_assert_cmpuint(ks->kic_key_len, ==, 16);
	g_assert_nonnull(simota_card_config_keyset(cfg, 3));
	g_assert_null(simota_card_config_keyset(cfg, 5));

	tc = simota_card_config_tar(cfg, tar);
	g_assert_nonnull(tc);
	g_assert_cmpstr(tc->applet, ==, "deferred");
	g_assert_cmphex(tc->keysets, ==, 0x0006);
	g_assert_cmphex(tc->min_security_level, ==, 0x16);
	g_assert_cmpint(tc->mode, ==, SIMOTA_CARD_MODE_DEFERRED);
	g_assert_cmpint(tc->ir, ==, SIMOTA_CARD_IR_FIXED);
	g_assert_cmpuint(tc->ir_seconds, ==, 30);
	g_assert_cmpstr(tc->mg_address, ==, "+15550100");
	g_assert_cmphex(tc->spi, ==, 0x1619);
	g_assert_cmpuint(tc->capacity, ==, 8);
	g_assert_null(simota_card_config_tar(cfg, (const uint8_t[3]){ 0xDE, 0xFE, 0x02 }));
	/* the example's TAR is one of ours: no warning */
	g_assert_cmpuint(cfg->warnings->len, ==, 0);
	simota_card_config_free(cfg);
}

/* TS 101 220 Annex D: 3DES keying option 2 (K1 = K3) is a real 3-key 3DES, accepted. */
static void test_3des3_k1_k3(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(CARD "[keyset 1]\nkic=19\nkid=19\n"
		"kic-key=0123456789abcdeffedcba98765432100123456789abcdef\n", &err);

	g_assert_no_error(err);
	g_assert_cmpuint(cfg->keysets[0].kic_key_len, ==, 24);
	simota_card_config_free(cfg);
}

/* TS 101 220 Annex D: what each TAR is allocated to. */
static void test_reserved_tars(void)
{
	static const struct {
		uint8_t tar[3];
		const char *what;   /* substring; NULL: free for our applets */
	} cases[] = {
		{ { 0x00, 0x00, 0x00 }, "issuer security domain" },
		{ { 0xB0, 0x00, 0x00 }, "UICC shared file system" },
		{ { 0xB0, 0x00, 0x01 }, "USIM RFM" },
		{ { 0xB0, 0x00, 0x02 }, "ISIM RFM" },
		{ { 0xB0, 0x00, 0x10 }, "SIM RFM" },
		{ { 0xB0, 0x00, 0x1F }, "SIM RFM" },
		{ { 0xB0, 0x00, 0x11 }, "SIM RFM" },
		{ { 0xB0, 0x00, 0x20 }, "ETSI and 3GPP" },
		{ { 0xB2, 0x01, 0x00 }, "ETSI and 3GPP" },
		{ { 0xBF, 0xFF, 0xFF }, "ETSI and 3GPP" },
		{ { 0x00, 0x00, 0x01 }, NULL },
		{ { 0xAF, 0xFF, 0xFF }, NULL },
		{ { 0xC0, 0x00, 0x00 }, NULL },
		{ { 0xDE, 0xFE, 0x01 }, NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *got = simota_card_tar_reserved(cases[i].tar);

		if (!cases[i].what)
			g_assert_null(got);
		else if (!got || !strstr(got, cases[i].what))
			g_error("TAR %02x%02x%02x: \"%s\" lacks \"%s\"", cases[i].tar[0], cases[i].tar[1],
				cases[i].tar[2], got ? got : "(null)", cases[i].what);
	}
}

/*
 * Issue 9 defect 3: an applet of ours bound to a reserved TAR loads (the card
 * works) but the loader returns a warning naming file, group and key, for
 * uicc-emu to log at start-up.
 */
static void test_reserved_tar_warning(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(CARD KS1
		"[tar b00001]\nmin-security-level=16\n"
		"[tar 000000]\napplet=deferred\nmin-security-level=16\n"
		"[tar B00010]\nmode=prior-art\nmin-security-level=16\n"
		"[tar defe01]\nmin-security-level=16\n", &err);
	static const char *const want[] = {
		"[tar b00001] applet: deferred is an applet of ours, but TS 101 220 Annex D gives TAR b00001 to USIM RFM",
		"[tar 000000] applet: deferred is an applet of ours, but TS 101 220 Annex D gives TAR 000000 to the issuer security domain",
		"[tar B00010] applet: deferred is an applet of ours, but TS 101 220 Annex D gives TAR b00010 to SIM RFM",
	};

	g_assert_no_error(err);
	g_assert_cmpuint(cfg->n_tars, ==, 4);
	g_assert_cmpuint(cfg->warnings->len, ==, G_N_ELEMENTS(want));
	for (unsigned i = 0; i < cfg->warnings->len; i++) {
		const char *w = cfg->warnings->pdata[i];

		g_assert_true(g_str_has_prefix(w, tmp_dir));
		if (!strstr(w, want[i]))
			g_error("warning \"%s\" lacks \"%s\"", w, want[i]);
		g_assert_nonnull(strstr(w, "doc/card-config.md"));
	}
	simota_card_config_free(cfg);
}

/* The issue's example, inline comments and all. */
static void test_issue_example(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(
		"[card]\n"
		"iccid=89882390000000000017\n"
		"imsi=001010123456789\n"
		"msisdn=+15550001\n"
		"pin=1234                      # optional; absent: PIN disabled\n"
		"[keyset 1]                    # the key version number (KVN)\n"
		"kic=15                        # KIc byte as it appears in the packet header\n"
		"kid=15\n"
		"kic-key=0123456789abcdeffedcba9876543210\n"
		"kid-key=fedcba98765432100123456789abcdef\n"
		"counter=0000000005            # initial value; the live value is in the state file\n"
		"[tar defe01]\n"
		"applet=deferred\n"
		"keysets=1                     # KVNs allowed for this TAR\n"
		"min-security-level=16         # coded like SPI byte 1 (TS 102 226 MSL)\n"
		"mode=prior-art                # or deferred\n"
		"ir=indefinite                 # fixed:<seconds>, indefinite, event, or none\n"
		"mg-address=+15550100          # where the MG goes; absent: no MG\n"
		"spi=1619                      # the SPI the OTA server uses toward this TAR\n",
		&err);

	g_assert_no_error(err);
	g_assert_cmpstr(cfg->pin, ==, "1234");
	g_assert_cmpuint(cfg->keysets[0].counter, ==, 5);
	g_assert_cmpuint(cfg->keysets[0].kvn, ==, 1);
	g_assert_cmphex(cfg->tars[0].keysets, ==, 0x0002);
	g_assert_cmpint(cfg->tars[0].mode, ==, SIMOTA_CARD_MODE_PRIOR_ART);
	g_assert_cmpint(cfg->tars[0].ir, ==, SIMOTA_CARD_IR_INDEFINITE);
	g_assert_cmpstr(cfg->tars[0].mg_address, ==, "+15550100");
	simota_card_config_free(cfg);
}

/* [card] link= fixes the OTA server's link to the card (doc/card-config.md) */
static void test_link(void)
{
	static const char *const links[] = { "netsim", "smpp" };

	for (unsigned i = 0; i < G_N_ELEMENTS(links); i++) {
		GError *err = NULL;
		char *text = g_strdup_printf("[card]\niccid=8988239000000000001\nimsi=001010000000001\n"
					     "link=%s   # fixed\n", links[i]);
		struct simota_card_config *cfg = load_text(text, &err);

		g_assert_no_error(err);
		g_assert_cmpstr(cfg->link, ==, links[i]);
		simota_card_config_free(cfg);
		g_free(text);
	}
}

static void test_defaults(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(
		"[card]\niccid=8988239000000000001\nimsi=001010000000001\n"
		"[keyset 0]\nkic=00\nkid=00\n"
		"[tar 000001]\nmin-security-level=00\n"
		"[ota-test-server]\nsomething=else\n", &err);

	g_assert_no_error(err);
	g_assert_cmpstr(cfg->msisdn, ==, "");
	g_assert_cmpstr(cfg->pin, ==, "");
	g_assert_cmpstr(cfg->puk, ==, "12345678");
	g_assert_cmpstr(cfg->spn, ==, "");
	g_assert_cmpstr(cfg->smsc, ==, "");
	g_assert_cmpstr(cfg->link, ==, "");     /* the OTA server chooses the link */
	/* EF_UST service 28 (data download via SMS-PP): byte 4, bit 4 (TS 31.102 §4.2.8) */
	g_assert_cmpuint(cfg->ust_len, >=, 4);
	g_assert_true(cfg->ust[3] & 0x08);
	g_assert_cmpuint(cfg->keysets[0].kic_key_len, ==, 0);
	g_assert_cmpuint(cfg->keysets[0].counter, ==, 0);
	g_assert_cmpstr(cfg->tars[0].applet, ==, "deferred");
	g_assert_cmphex(cfg->tars[0].keysets, ==, 0x0001);    /* every keyset of the file */
	g_assert_cmpint(cfg->tars[0].mode, ==, SIMOTA_CARD_MODE_DEFERRED);
	g_assert_cmpint(cfg->tars[0].ir, ==, SIMOTA_CARD_IR_NONE);
	g_assert_cmpstr(cfg->tars[0].mg_address, ==, "");
	g_assert_cmphex(cfg->tars[0].spi, ==, 0);
	g_assert_cmpuint(cfg->tars[0].capacity, ==, 8);
	simota_card_config_free(cfg);
}

/* [card] pin2/puk2/adm1 and the Milenage keys; [tar] rfm-df/access with their defaults. */
static void test_usim_keys(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(CARD "pin2=4321\npuk2=11112222\nadm1=53048964\n"
						   "k=000102030405060708090a0b0c0d0e0f\n"
						   "op=101112131415161718191a1b1c1d1e1f\namf=8000\nsqn=000000000020\n"
						   KS1 "[tar b00010]\napplet=rfm\nmin-security-level=06\n"
						   "[tar b00001]\napplet=rfm\nmin-security-level=16\naccess=pin1,adm1\n"
						   "[tar b00000]\napplet=rfm\nmin-security-level=16\naccess=full\n"
						   "[tar c00001]\napplet=rfm\nmin-security-level=16\nrfm-df=mf\n"
						   "access=none\n", &err);
	static const uint8_t t10[3] = { 0xB0, 0x00, 0x10 }, t01[3] = { 0xB0, 0x00, 0x01 },
			     t00[3] = { 0xB0, 0x00, 0x00 }, tc1[3] = { 0xC0, 0x00, 0x01 };
	const struct simota_card_tar *tc;

	g_assert_no_error(err);
	g_assert_cmpstr(cfg->pin2, ==, "4321");
	g_assert_cmpstr(cfg->puk2, ==, "11112222");
	g_assert_true(cfg->has_adm1);
	tv_assert_hex(cfg->adm1, 8, "3533303438393634");
	g_assert_true(cfg->has_milenage);
	g_assert_true(cfg->op_given);
	tv_assert_hex(cfg->k, 16, "000102030405060708090a0b0c0d0e0f");
	tv_assert_hex(cfg->opc, 16, "101112131415161718191a1b1c1d1e1f");
	tv_assert_hex(cfg->amf, 2, "8000");
	g_assert_cmpuint(cfg->sqn, ==, 0x20);
	tc = simota_card_config_tar(cfg, t10);
	g_assert_cmpint(tc->rfm_df, ==, SIMOTA_CARD_RFM_DF_GSM);
	g_assert_cmphex(tc->rfm_access, ==, SIMOTA_CARD_ACCESS_ADM1);
	tc = simota_card_config_tar(cfg, t01);
	g_assert_cmpint(tc->rfm_df, ==, SIMOTA_CARD_RFM_DF_ADF_USIM);
	g_assert_cmphex(tc->rfm_access, ==, SIMOTA_CARD_ACCESS_PIN1 | SIMOTA_CARD_ACCESS_ADM1);
	tc = simota_card_config_tar(cfg, t00);
	g_assert_cmpint(tc->rfm_df, ==, SIMOTA_CARD_RFM_DF_MF);
	g_assert_cmphex(tc->rfm_access, ==, SIMOTA_CARD_ACCESS_FULL);
	tc = simota_card_config_tar(cfg, tc1);
	g_assert_cmpint(tc->rfm_df, ==, SIMOTA_CARD_RFM_DF_MF);
	g_assert_cmphex(tc->rfm_access, ==, 0);
	/* an RFM applet on its reserved TARs is where it belongs: no warning */
	g_assert_cmpuint(cfg->warnings->len, ==, 0);
	simota_card_config_free(cfg);

	/* ADM1 as 16 hex digits: the 8 bytes VERIFY sends */
	cfg = load_text(CARD "adm1=3132333435363738\nk=000102030405060708090a0b0c0d0e0f\n"
			"opc=101112131415161718191a1b1c1d1e1f\n", &err);
	g_assert_no_error(err);
	tv_assert_hex(cfg->adm1, 8, "3132333435363738");
	g_assert_false(cfg->op_given);
	g_assert_cmpuint(cfg->sqn, ==, 0);
	simota_card_config_free(cfg);

	/* the defaults: PIN2 5678, PUK2 87654321, no ADM1, no Milenage */
	cfg = load_text(CARD, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(cfg->pin2, ==, "5678");
	g_assert_cmpstr(cfg->puk2, ==, "87654321");
	g_assert_false(cfg->has_adm1);
	g_assert_false(cfg->has_milenage);
	g_assert_null(cfg->menu);
	simota_card_config_free(cfg);
}

/* [menu] and [menu-item N]: items in identifier order, steps, help, an applet's item; a deep copy. */
static void test_menu(void)
{
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(CARD KS1 "[tar defe01]\nmin-security-level=16\n"
		"[menu]\ntitle=My card   # inline comment\n"
		"[menu-item 9]\ntext=Pending requests\napplet=deferred@defe01\nhelp=Requests not answered\n"
		"[menu-item 2]\ntext=Hello\nstep1=input:Your name?\nstep2=select:Colour|Red| Green |Blue\n"
		"step3=display:Hello $1, you like $2 ($$5)\n", &err);
	struct simota_card_config *copy;
	const struct simota_card_menu *m;

	g_assert_no_error(err);
	m = cfg->menu;
	g_assert_nonnull(m);
	g_assert_cmpstr(m->title, ==, "My card");
	g_assert_cmpuint(m->n_items, ==, 2);
	g_assert_cmpuint(m->items[0].id, ==, 2);
	g_assert_cmpstr(m->items[0].text, ==, "Hello");
	g_assert_null(m->items[0].help);
	g_assert_null(m->items[0].applet);
	g_assert_cmpuint(m->items[0].n_steps, ==, 3);
	g_assert_cmpint(m->items[0].steps[0].kind, ==, SIMOTA_CARD_STEP_INPUT);
	g_assert_cmpstr(m->items[0].steps[0].text, ==, "Your name?");
	g_assert_cmpint(m->items[0].steps[1].kind, ==, SIMOTA_CARD_STEP_SELECT);
	g_assert_cmpstr(m->items[0].steps[1].text, ==, "Colour");
	g_assert_cmpuint(m->items[0].steps[1].n_options, ==, 3);
	g_assert_cmpstr(m->items[0].steps[1].options[1], ==, "Green");
	g_assert_cmpstr(m->items[0].steps[2].text, ==, "Hello $1, you like $2 ($$5)");
	g_assert_cmpuint(m->items[1].id, ==, 9);
	g_assert_cmpstr(m->items[1].applet, ==, "deferred@defe01");
	g_assert_cmpstr(m->items[1].help, ==, "Requests not answered");
	g_assert_cmpuint(m->items[1].n_steps, ==, 0);

	copy = simota_card_config_dup(cfg);
	simota_card_config_free(cfg);
	g_assert_cmpstr(copy->menu->items[0].steps[1].options[2], ==, "Blue");
	g_assert_cmpstr(copy->menu->items[1].applet, ==, "deferred@defe01");
	simota_card_config_free(copy);
}

struct bad_case {
	const char *name;
	const char *text;      /* appended to a valid [card] group unless it has its own */
	const char *expect;    /* substring of the error message */
};


static const struct bad_case bad_cases[] = {
	{ "no-card", "[keyset 1]\nkic=15\nkid=15\n", "[card]: group missing" },
	{ "no-iccid", "[card]\nimsi=001010123456789\n", "[card] iccid: missing" },
	{ "iccid-letters", "[card]\niccid=8988239000000000001A\nimsi=001010123456789\n", "[card] iccid: expected digits" },
	{ "iccid-short", "[card]\niccid=898823900000000\nimsi=001010123456789\n", "[card] iccid: expected 19 to 20" },
	{ "imsi-long", "[card]\niccid=89882390000000000017\nimsi=0010101234567890\n", "[card] imsi: expected 6 to 15" },
	{ "pin-short", CARD "pin=123\n", "[card] pin: expected 4 to 8" },
	{ "puk-short", CARD "puk=1234567\n", "[card] puk: expected 8 to 8" },
	{ "msisdn-bad", CARD "msisdn=+1555x\n", "[card] msisdn: expected an optional '+' and digits" },
	{ "spn-long", CARD "spn=12345678901234567\n", "[card] spn: expected 1 to 16" },
	{ "ust-odd", CARD "ust=0a1\n", "[card] ust: not an even number of hex digits" },
	{ "ust-long", CARD "ust=000102030405060708090a0b0c0d0e0f10\n", "[card] ust: expected 1 to 16 hex bytes" },
	{ "unknown-card-key", CARD "imsii=1\n", "[card] imsii: unknown key" },
	{ "link-unknown", CARD "link=sigtran\n", "[card] link: expected netsim or smpp" },
	{ "keyset-16", CARD "[keyset 16]\nkic=05\nkid=05\n", "[keyset 16]: expected [keyset N]" },
	{ "keyset-name", CARD "[keyset one]\nkic=05\nkid=05\n", "[keyset one]: expected [keyset N]" },
	{ "keyset-twice", CARD KS1 "[keyset 01]\nkic=15\nkid=15\n", "[keyset 01]: key version number 1 defined twice" },
	{ "kic-missing", CARD "[keyset 1]\nkid=15\n", "[keyset 1] kic: missing" },
	{ "kic-kvn", CARD "[keyset 1]\nkic=25\nkid=15\n", "[keyset 1] kic: key version number (high nibble) is not 1" },
	{ "kid-kvn", CARD "[keyset 1]\nkic=15\nkid=05\n", "[keyset 1] kid: key version number (high nibble) is not 1" },
	{ "kic-2bytes", CARD "[keyset 1]\nkic=1515\nkid=15\n", "[keyset 1] kic: expected 1 hex bytes, got 2" },
	{ "3des2-short", CARD KS1 "kic-key=" SECRET "\n", "[keyset 1] kic-key: expected 16 bytes for KIc 0x15, got 15" },
	{ "3des2-long", CARD KS1 "kid-key=" SECRET "aabb\n", "[keyset 1] kid-key: expected 16 bytes for KID 0x15, got 17" },
	{ "des-long", CARD "[keyset 1]\nkic=11\nkid=11\nkic-key=" SECRET "aa\n", "[keyset 1] kic-key: expected 8 bytes" },
	{ "3des3-short", CARD "[keyset 1]\nkic=19\nkid=19\nkid-key=" SECRET "aa\n", "[keyset 1] kid-key: expected 24 bytes" },
	{ "aes-20", CARD "[keyset 1]\nkic=12\nkid=12\nkic-key=" SECRET "aa1122334455\n", "[keyset 1] kic-key: expected 16, 24 or 32 bytes for AES, got 21" },
	{ "aes-reserved", CARD "[keyset 1]\nkic=16\nkid=12\n", "[keyset 1] kic: reserved algorithm coding" },
	{ "kid-reserved", CARD "[keyset 1]\nkic=15\nkid=1d\n", "[keyset 1] kid: reserved algorithm coding" },
	{ "key-not-hex", CARD KS1 "kic-key=" SECRET "zz\n", "[keyset 1] kic-key: not an even number of hex digits" },
	{ "key-too-long", CARD "[keyset 1]\nkic=13\nkid=13\nkic-key=" SECRET SECRET SECRET "\n", "[keyset 1] kic-key: expected 1 to 32 hex bytes" },
	{ "counter-short", CARD KS1 "counter=00000001\n", "[keyset 1] counter: expected 5 hex bytes, got 4" },
	{ "unknown-keyset-key", CARD KS1 "kic_key=00\n", "[keyset 1] kic_key: unknown key" },
	{ "tar-short", CARD KS1 "[tar b001]\nmin-security-level=16\n", "[tar b001]: expected [tar XXXXXX]" },
	{ "tar-twice", CARD KS1 "[tar defe01]\nmin-security-level=16\n[tar DEFE01]\nmin-security-level=16\n", "[tar DEFE01]: TAR defined twice" },
	{ "tar-no-msl", CARD KS1 "[tar defe01]\n", "[tar defe01] min-security-level: missing" },
	{ "tar-kvn-missing", CARD KS1 "[tar defe01]\nkeysets=1,2\nmin-security-level=16\n", "[tar defe01] keysets: no keyset 2 in this card config" },
	{ "tar-kvn-bad", CARD KS1 "[tar defe01]\nkeysets=x\nmin-security-level=16\n", "[tar defe01] keysets: expected key version numbers 0-15" },
	{ "tar-no-keysets", CARD "[tar defe01]\nmin-security-level=16\n", "[tar defe01] keysets: no keyset: the card config defines none" },
	{ "tar-mode", CARD KS1 "[tar defe01]\nmin-security-level=16\nmode=later\n", "[tar defe01] mode: expected deferred or prior-art" },
	{ "tar-ir-0", CARD KS1 "[tar defe01]\nmin-security-level=16\nir=fixed:0\n", "[tar defe01] ir: expected fixed:<seconds>" },
	{ "tar-ir-word", CARD KS1 "[tar defe01]\nmin-security-level=16\nir=forever\n", "[tar defe01] ir: expected fixed:<seconds>" },
	{ "tar-spi", CARD KS1 "[tar defe01]\nmin-security-level=16\nspi=16\n", "[tar defe01] spi: expected 2 hex bytes, got 1" },
	{ "tar-capacity", CARD KS1 "[tar defe01]\nmin-security-level=16\ncapacity=0\n", "[tar defe01] capacity: expected a number from 1 to 64" },
	{ "tar-applet", CARD KS1 "[tar defe01]\nmin-security-level=16\napplet=de/ferred\n", "[tar defe01] applet: expected a name" },
	{ "tar-mg", CARD KS1 "[tar defe01]\nmin-security-level=16\nmg-address=abc\n", "[tar defe01] mg-address: expected an optional" },
	{ "tar-unknown", CARD KS1 "[tar defe01]\nmin-security-level=16\nmsl=16\n", "[tar defe01] msl: unknown key" },
	/* issue 9 defect 5: an applet uicc-emu does not provide used to load, and its TAR answered 09 */
	{ "applet-unknown", CARD KS1 "[tar 000000]\napplet=ram\nmin-security-level=16\n",
	  "[tar 000000] applet: unknown applet \"ram\" (uicc-emu provides: deferred, rfm)" },
	/* the USIM's keys and codes: secrets never in a message */
	{ "adm1-short", CARD "adm1=123\n", "[card] adm1: expected 4 to 8 digits or 16 hex digits" },
	{ "adm1-hex-15", CARD "adm1=" SECRET "\n", "[card] adm1: expected 4 to 8 digits or 16 hex digits" },
	{ "pin2-short", CARD "pin2=12\n", "[card] pin2: expected 4 to 8" },
	{ "puk2-letters", CARD "puk2=1234567a\n", "[card] puk2: expected digits" },
	{ "k-alone", CARD "k=" K16 "\n", "[card] opc: missing (k is given; or op)" },
	{ "opc-alone", CARD "opc=" K16 "\n", "[card] k: missing (opc or op is given)" },
	{ "opc-and-op", CARD "k=" K16 "\nopc=" K16 "\nop=" K16 "\n", "[card] op: give opc or op, not both" },
	{ "k-short", CARD "k=" SECRET "\nopc=" K16 "\n", "[card] k: expected 16 hex bytes, got 15" },
	{ "opc-short", CARD "k=" K16 "\nopc=" SECRET "\n", "[card] opc: expected 16 hex bytes, got 15" },
	{ "amf-without-k", CARD "amf=8000\n", "[card] k: missing (amf and sqn belong to Milenage" },
	{ "sqn-short", CARD "k=" K16 "\nopc=" K16 "\nsqn=0001\n", "[card] sqn: expected 6 hex bytes, got 2" },
	/* RFM TARs */
	{ "rfm-df-on-deferred", CARD KS1 "[tar defe01]\nmin-security-level=16\nrfm-df=mf\n",
	  "[tar defe01] rfm-df: only for applet=rfm" },
	{ "access-on-deferred", CARD KS1 "[tar defe01]\nmin-security-level=16\naccess=adm1\n",
	  "[tar defe01] access: only for applet=rfm" },
	{ "rfm-df-bad", CARD KS1 "[tar b00010]\napplet=rfm\nmin-security-level=16\nrfm-df=dfgsm\n",
	  "[tar b00010] rfm-df: expected mf, df-gsm or adf-usim" },
	{ "rfm-access-bad", CARD KS1 "[tar b00010]\napplet=rfm\nmin-security-level=16\naccess=adm2\n",
	  "[tar b00010] access: expected full, none, or pin1, pin2, adm1; got \"adm2\"" },
	{ "rfm-df-needed", CARD KS1 "[tar c00001]\napplet=rfm\nmin-security-level=16\n",
	  "[tar c00001] rfm-df: TAR c00001 is no RFM TAR of TS 101 220 Annex D" },
	/* the toolkit menu */
	{ "menu-item-alone", CARD "[menu-item 1]\ntext=A\nstep1=display:x\n", "[menu-item 1]: no [menu] group" },
	{ "menu-no-items", CARD "[menu]\ntitle=T\n", "[menu]: no [menu-item N] group" },
	{ "menu-no-title", CARD "[menu]\n[menu-item 1]\ntext=A\nstep1=display:x\n", "[menu] title: missing" },
	{ "menu-item-0", CARD MENU "[menu-item 0]\ntext=A\nstep1=display:x\n", "[menu-item 0]: expected [menu-item N]" },
	{ "menu-item-text", CARD MENU "[menu-item 1]\nstep1=display:x\n", "[menu-item 1] text: missing" },
	{ "menu-item-empty", CARD MENU "[menu-item 1]\ntext=A\n", "[menu-item 1]: give applet=<applet>@<tar> or step1" },
	{ "menu-step-kind", CARD MENU "[menu-item 1]\ntext=A\nstep1=show:x\n", "[menu-item 1] step1: unknown step \"show\"" },
	{ "menu-step-colon", CARD MENU "[menu-item 1]\ntext=A\nstep1=hello\n", "[menu-item 1] step1: expected display:TEXT" },
	{ "menu-step-gap", CARD MENU "[menu-item 1]\ntext=A\nstep1=display:x\nstep3=display:y\n",
	  "[menu-item 1] step3: step2 is missing before it" },
	{ "menu-ref-ahead", CARD MENU "[menu-item 1]\ntext=A\nstep1=display:$2\nstep2=input:x\n",
	  "[menu-item 1] step1: $2: the first step has no earlier answer" },
	{ "menu-ref-later", CARD MENU "[menu-item 1]\ntext=A\nstep1=input:x\nstep2=display:$3\nstep3=input:y\n",
	  "[menu-item 1] step2: $3: expected $1 to $1 (an earlier step)" },
	{ "menu-ref-display", CARD MENU "[menu-item 1]\ntext=A\nstep1=display:x\nstep2=display:$1\n",
	  "[menu-item 1] step2: $1: step 1 is a display, it has no answer" },
	{ "menu-select-empty", CARD MENU "[menu-item 1]\ntext=A\nstep1=select:Pick\n",
	  "[menu-item 1] step1: expected a title and 1 to 8 options" },
	{ "menu-applet-and-steps", CARD KS1 "[tar defe01]\nmin-security-level=16\n" MENU
	  "[menu-item 1]\ntext=A\napplet=deferred@defe01\nstep1=display:x\n",
	  "[menu-item 1] applet: an item has an applet or steps, not both" },
	{ "menu-applet-no-tar", CARD MENU "[menu-item 1]\ntext=A\napplet=deferred@defe01\n",
	  "[menu-item 1] applet: no [tar defe01] with applet=deferred in this file" },
	{ "menu-applet-rfm", CARD KS1 "[tar b00010]\napplet=rfm\nmin-security-level=16\n" MENU
	  "[menu-item 1]\ntext=A\napplet=rfm@b00010\n", "[menu-item 1] applet: \"rfm\" has no menu item" },
	{ "menu-applet-form", CARD MENU "[menu-item 1]\ntext=A\napplet=deferred\n",
	  "[menu-item 1] applet: expected <applet>@<tar>" },
	{ "menu-item-twice", CARD MENU "[menu-item 1]\ntext=A\nstep1=display:x\n[menu-item 01]\ntext=B\nstep1=display:y\n",
	  "[menu-item 01]: item 1 defined twice" },
	{ "menu-unknown-key", CARD MENU "[menu-item 1]\ntext=A\nstep1=display:x\ncolour=red\n",
	  "[menu-item 1] colour: unknown key" },
	/* issue 9 defect 5: 3DES keys that degenerate to single DES (pycryptodome's rule) */
	{ "3des2-kid-halves", CARD KS1 "kid-key=" WEAK2 "\n", "[keyset 1] kid-key: 3des2-cbc-mac key degenerates to single DES" },
	{ "3des2-kic-halves", CARD KS1 "kic-key=" WEAK2 "\n", "[keyset 1] kic-key: 3des2-cbc key degenerates to single DES" },
	{ "3des2-parity", CARD KS1 "kic-key=0123456789abcdef0022446688aaccee\n", "[keyset 1] kic-key: 3des2-cbc key degenerates" },
	{ "3des3-k1-k2", CARD "[keyset 1]\nkic=19\nkid=19\nkic-key=" HALF HALF "0011223344556677\n",
	  "[keyset 1] kic-key: 3des3-cbc key degenerates to single DES" },
	{ "3des3-k2-k3", CARD "[keyset 1]\nkic=19\nkid=19\nkid-key=0011223344556677" HALF HALF "\n",
	  "[keyset 1] kid-key: 3des3-cbc-mac key degenerates to single DES" },
	{ "3des-zero", CARD KS1 "kic-key=00000000000000000000000000000000\n", "[keyset 1] kic-key: 3des2-cbc key degenerates" },
	{ "not-keyfile", "this is not a key file\n", "card" },
};

static void test_bad(gconstpointer data)
{
	const struct bad_case *c = data;
	GError *err = NULL;
	struct simota_card_config *cfg = load_text(c->text, &err);

	g_assert_null(cfg);
	g_assert_nonnull(err);
	if (!strstr(err->message, c->expect))
		g_error("%s: message \"%s\" lacks \"%s\"", c->name, err->message, c->expect);
	/* the file name starts every message; key material never appears */
	g_assert_true(g_str_has_prefix(err->message, tmp_dir));
	g_assert_null(strstr(err->message, SECRET));
	g_assert_null(strstr(err->message, "a1b2c3"));
	g_error_free(err);
}

static void test_missing_file(void)
{
	GError *err = NULL;

	g_assert_null(uicc_card_config_load("/nonexistent/card.ini", &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_true(g_str_has_prefix(err->message, "/nonexistent/card.ini: "));
	g_error_free(err);
}

/*
 * Every published command packet's keyset (secured-packets.json) is accepted
 * as configured, but for the four all-zero 3DES keys (opentelecoms 005, 007,
 * 020, 022): they degenerate to single DES and the loader refuses them.  The
 * codec (test-ota) and the card (test-uicc-ota) still run those vectors.
 */
static void test_vector_keyset(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	const char *kic = tv_str(v, "kic"), *kid = tv_str(v, "kid");
	const char *kic_key = tv_str(v, "kic_key"), *kid_key = tv_str(v, "kid_key");
	const char *cntr = tv_str(v, "cntr"), *tar = tv_str(v, "tar");
	unsigned kvn = g_ascii_xdigit_value(kic[0]);
	GString *text = g_string_new(CARD);
	GError *err = NULL;
	struct simota_card_config *cfg;
	const struct simota_card_keyset *ks;
	uint8_t *tar_bytes;
	size_t n;

	g_string_append_printf(text, "[keyset %u]\nkic=%s\nkid=%s\ncounter=%s\n", kvn, kic, kid, cntr);
	if (kic_key && *kic_key)
		g_string_append_printf(text, "kic-key=%s\n", kic_key);
	if (kid_key && *kid_key)
		g_string_append_printf(text, "kid-key=%s\n", kid_key);
	g_string_append_printf(text, "[tar %s]\nkeysets=%u\nmin-security-level=%.2s\nspi=%s\n", tar, kvn,
			       tv_str(v, "spi"), tv_str(v, "spi"));
	cfg = load_text(text->str, &err);
	if (tv_key_degenerate(kic_key, tv_str(v, "kic_algorithm")) ||
	    tv_key_degenerate(kid_key, tv_str(v, "kid_algorithm"))) {
		g_assert_null(cfg);
		g_assert_nonnull(err);
		g_assert_nonnull(strstr(err->message, "degenerates to single DES"));
		g_test_message("refused as configured: %s", err->message);
		g_error_free(err);
		g_string_free(text, TRUE);
		return;
	}
	g_assert_no_error(err);
	ks = simota_card_config_keyset(cfg, (uint8_t)kvn);
	g_assert_nonnull(ks);
	tv_assert_hex(&ks->kic, 1, kic);
	tv_assert_hex(&ks->kid, 1, kid);
	tv_assert_hex(ks->kic_key, ks->kic_key_len, kic_key ? kic_key : "");
	tv_assert_hex(ks->kid_key, ks->kid_key_len, kid_key ? kid_key : "");
	g_assert_cmpuint(ks->counter, ==, g_ascii_strtoull(cntr, NULL, 16));
	tar_bytes = tv_hex(tar, &n);
	g_assert_cmpuint(n, ==, 3);
	g_assert_nonnull(simota_card_config_tar(cfg, tar_bytes));
	g_assert_cmphex(simota_card_config_tar(cfg, tar_bytes)->spi, ==, g_ascii_strtoull(tv_str(v, "spi"), NULL, 16));
	g_free(tar_bytes);
	simota_card_config_free(cfg);
	g_string_free(text, TRUE);
}

int main(int argc, char **argv)
{
	JsonArray *cmds;
	int ret;

	g_test_init(&argc, &argv, NULL);
	tmp_dir = g_dir_make_tmp("test-uicc-config-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);

	g_test_add_func("/uicc-config/example", test_example);
	g_test_add_func("/uicc-config/issue-example", test_issue_example);
	g_test_add_func("/uicc-config/defaults", test_defaults);
	g_test_add_func("/uicc-config/link", test_link);
	g_test_add_func("/uicc-config/missing-file", test_missing_file);
	g_test_add_func("/uicc-config/3des3-k1-k3", test_3des3_k1_k3);
	g_test_add_func("/uicc-config/reserved-tars", test_reserved_tars);
	g_test_add_func("/uicc-config/reserved-tar-warning", test_reserved_tar_warning);
	g_test_add_func("/uicc-config/usim-keys", test_usim_keys);
	g_test_add_func("/uicc-config/menu", test_menu);
	for (size_t i = 0; i < G_N_ELEMENTS(bad_cases); i++)
		tv_add_test("/uicc-config/bad/", bad_cases[i].name, &bad_cases[i], test_bad);
	cmds = json_object_get_array_member(tv_load("secured-packets.json"), "command_packets");
	for (guint i = 0; i < json_array_get_length(cmds); i++) {
		JsonObject *v = json_array_get_object_element(cmds, i);

		tv_add_test("/uicc-config/vector-keyset/", tv_str(v, "id"), v, test_vector_keyset);
	}
	ret = g_test_run();
	g_rmdir(tmp_dir);
	g_free(tmp_dir);
	return ret;
}
