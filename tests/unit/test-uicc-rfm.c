/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The RFM applet (TS 102 226 §5, TS 31.116) through SMS-PP DOWNLOAD
 * envelopes: the command packets pySim's docs/smpp-ota-tool.rst prints (a
 * sysmoISIM-SJA2's SIM RFM, TAR B0 00 10, its published 3DES keys), and a
 * live eUICC's expanded script and response from pySim's test_ota.py;
 * compact and expanded scripts on the three file systems, a failing
 * command ending the script, the TAR's access conditions, the applet's
 * own selection and security context, durability across a power cycle;
 * the REFRESH a script that changed files owes the terminal (TS 102 223
 * §6.4.7): when, in which mode, with which File List, after the PoR, what
 * each TERMINAL RESPONSE leaves owed, across resets.
 */
#include <string.h>

#include "simota/cat.h"
#include "simota/hex.h"
#include "simota/ota.h"
#include "simota/rfm.h"
#include "test-support.h"
#include "uicc-ota-support.h"

#define CARD "[card]\niccid=89882390000000000017\nimsi=001010123456789\nspn=before\n"
#define AES_KEYSET "[keyset 2]\nkic=22\nkid=22\nkic-key=000102030405060708090a0b0c0d0e0f\n" \
	"kid-key=101112131415161718191a1b1c1d1e1f\n"
#define KIC_HEX "000102030405060708090a0b0c0d0e0f"
#define KID_HEX "101112131415161718191a1b1c1d1e1f"

static const uint8_t tar_mf[3] = { 0xB0, 0x00, 0x00 }, tar_usim[3] = { 0xB0, 0x00, 0x01 },
		     tar_gsm[3] = { 0xB0, 0x00, 0x10 };
static JsonObject *smpp_vectors, *expanded_vectors;

/* What a script's PoR says. */
struct outcome {
	uint16_t sw;                      /* of the ENVELOPE */
	uint8_t resp[300], work[300];
	size_t resp_len;
	struct simota_ota_response por;
	uint8_t *data;                    /* the PoR's additional data (g_free) */
	size_t len;
};

static uint64_t counter = 1;

/* The script to a TAR with keyset 2 (AES), SPI 16 19: counter higher, ciphered + CC both ways. */
static void run_script(struct ots_card *c, const uint8_t tar[3], const char *script_hex, struct outcome *o)
{
	static const uint8_t spi[2] = { 0x16, 0x19 };
	struct simota_ota_key *kic = ots_kic_key(0x22, KIC_HEX), *kid = ots_kid_key(0x22, SIMOTA_OTA_INTEGRITY_CC,
										  KID_HEX);
	size_t len, pkt_len;
	uint8_t *script = tv_hex(script_hex, &len);
	uint8_t *pkt = ots_wrap(0x1619, 0x22, 0x22, tar, counter++, kic, kid, script, len, &pkt_len);

	memset(o, 0, sizeof(*o));
	o->sw = ots_send_packet(c, pkt, pkt_len, 3, o->resp, sizeof(o->resp), &o->resp_len);
	/* 91XX: a proactive command (the REFRESH a changing script owes) waits, after the PoR */
	g_assert_true(o->sw == 0x9000 || (o->sw & 0xFF00) == 0x9100);
	g_assert_cmpuint(o->resp_len, >, 0);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x22, 0x22, o->resp, o->resp_len, kic, kid, o->work,
						   sizeof(o->work), &o->por), ==, SIMOTA_OK);
	g_assert_cmphex(o->por.status, ==, 0x00);
	o->data = g_memdup2(o->por.data, o->por.data_len ? o->por.data_len : 1);
	o->len = o->por.data_len;
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	g_free(script);
	g_free(pkt);
}

/* tv_assert_hex() with blanks in the expected hex. */
#define assert_hex(p, len, hex) assert_hex_at(__FILE__, __LINE__, (p), (len), (hex))
static void assert_hex_at(const char *file, int line, const uint8_t *p, size_t len, const char *hex)
{
	char *want = g_strdup(hex), *w = want;

	for (const char *c = hex; *c; c++)
		if (*c != ' ')
			*w++ = *c;
	*w = 0;
	tv_assert_hex_impl(file, line, p, len, want);
	g_free(want);
}

/* The compact response (TS 102 226 §5.1.2) must be exactly count || SW || data. */
#define ASSERT_COMPACT(o, hex) assert_hex((o)->data, (o)->len, (hex))

/* Runs the script and checks its compact response. */
#define EXPECT_COMPACT(c, tar, script, hex) expect_compact_at(__FILE__, __LINE__, (c), (tar), (script), (hex))
static void expect_compact_at(const char *file, int line, struct ots_card *c, const uint8_t tar[3], const char *script,
			      const char *hex)
{
	struct outcome o;

	run_script(c, tar, script, &o);
	assert_hex_at(file, line, o.data, o.len, hex);
	g_free(o.data);
}

static uint16_t me_apdu(struct ots_card *c, const char *hex, uint8_t *out, size_t *out_len)
{
	size_t len, n;
	uint8_t *capdu = tv_hex(hex, &len), buf[UICC_MAX_RAPDU];
	uint16_t sw = ots_apdu(c, capdu, len, out ? out : buf, out ? 256 : sizeof(buf), out_len ? out_len : &n);

	g_free(capdu);
	return sw;
}

#define RFM_CARD CARD "pin=1234\nadm1=12345678\n" AES_KEYSET \
	"[tar b00000]\napplet=rfm\nkeysets=2\nmin-security-level=16\naccess=adm1\n" \
	"[tar b00001]\napplet=rfm\nkeysets=2\nmin-security-level=16\naccess=adm1\n" \
	"[tar b00010]\napplet=rfm\nkeysets=2\nmin-security-level=16\naccess=adm1\n"

/* An UPDATE BINARY of EF_SPN on ADF.USIM: the PoR says 1, 90 00; the ME reads it; it survives a power cycle. */
static void test_compact_update(void)
{
	struct ots_card c;
	uint8_t data[256];
	size_t n;

	ots_card_open(&c, RFM_CARD);
	/* SELECT EF_SPN (no FCP), UPDATE BINARY 17 bytes: display condition 01, "remote" */
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026F46" "00D6000011 01 72656D6F7465 FFFFFFFFFFFFFFFFFFFF", "02 9000");
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06F46", NULL, NULL), ==, 0x9000);
	g_assert_cmphex(me_apdu(&c, "00B0000007", data, &n), ==, 0x9000);
	tv_assert_hex(data, n, "0172656d6f7465");
	ots_card_reopen(&c);
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06F46", NULL, NULL), ==, 0x9000);
	g_assert_cmphex(me_apdu(&c, "00B0000007", data, &n), ==, 0x9000);
	tv_assert_hex(data, n, "0172656d6f7465");
	ots_card_close(&c);
}

/* TS 102 226 §5.1.2: the failing command is the last executed; what follows it never runs. */
static void test_compact_stops(void)
{
	struct ots_card c;
	uint8_t data[256];
	size_t n;

	ots_card_open(&c, RFM_CARD);
	/* READ BINARY past EF_SPN's end (6B 00), then an UPDATE that must not happen */
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026F46" "00B0002001" "00D6000001 02", "02 6B00");
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06F46", NULL, NULL), ==, 0x9000);
	g_assert_cmphex(me_apdu(&c, "00B0000001", data, &n), ==, 0x9000);
	tv_assert_hex(data, n, "00");
	/* warnings go on (62 82 of an unsuccessful SEARCH RECORD is one); a command cut short is 67 00 */
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026FB7" "00A2010402 5A5A" "00B2010404", "03 9000 11F2FF00");
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026F46" "00B000", "02 6700");
	ots_card_close(&c);
}

/* The TAR's access=, a VERIFY inside the script, and what neither opens. */
static void test_access_conditions(void)
{
	struct ots_card c;

	ots_card_open(&c, CARD "pin=1234\nadm1=12345678\n" AES_KEYSET
		      "[tar b00001]\napplet=rfm\nkeysets=2\nmin-security-level=16\naccess=none\n"
		      "[tar b00000]\napplet=rfm\nkeysets=2\nmin-security-level=16\naccess=adm1\n");
	/* no access: EF_SPN (update ADM1) refused, EF_AD (read always) open */
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026F46" "00D6000001 01", "02 6982");
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026FAD" "00B0000004", "02 9000 00000002");
	/* ADM1 verified in the script: for that script only */
	EXPECT_COMPACT(&c, tar_usim, "0020000A08 3132333435363738" "00A4000C026F46" "00D6000001 01", "03 9000");
	EXPECT_COMPACT(&c, tar_usim, "00A4000C026F46" "00D6000001 01", "02 6982");
	/* access=adm1: EF_IMSI (read PIN1) stays closed, EF_ICCID (never) too */
	EXPECT_COMPACT(&c, tar_mf, "00A4000C027FF0" "00A4000C026F07" "00B0000009", "03 6982");
	EXPECT_COMPACT(&c, tar_mf, "00A4000C022FE2" "00D6000001 00", "02 6982");
	/* a PIN verified by the script is not the ME's */
	EXPECT_COMPACT(&c, tar_mf, "0020000108 31323334FFFFFFFF" "00A4000C027FF0" "00A4000C026F07" "00B0000009", "04 9000 080910101032547698");
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06F07", NULL, NULL), ==, 0x9000);
	g_assert_cmphex(me_apdu(&c, "00B0000009", NULL, NULL), ==, 0x6982);
	ots_card_close(&c);
}

/* The ME's channel keeps its files: a script selecting elsewhere changes nothing for it. */
static void test_own_context(void)
{
	struct ots_card c;
	uint8_t data[256];
	size_t n;

	ots_card_open(&c, RFM_CARD);
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06FAD", NULL, NULL), ==, 0x9000);
	EXPECT_COMPACT(&c, tar_mf, "00A4000C022FE2" "00B000000A", "02 9000 98883209000000000071");
	g_assert_cmphex(me_apdu(&c, "00B0000004", data, &n), ==, 0x9000);
	tv_assert_hex(data, n, "00000002");
	/* commands an RFM script may not hold: TERMINAL PROFILE, MANAGE CHANNEL, AUTHENTICATE (6D 00) */
	EXPECT_COMPACT(&c, tar_mf, "8010000001 FF", "01 6D00");
	EXPECT_COMPACT(&c, tar_mf, "0070000001", "01 6D00");
	ots_card_close(&c);
}

/* SIM RFM (B0 00 10): DF_GSM current, CLA A0, the GSM SELECT response; UICC classes refused. */
static void test_gsm(void)
{
	struct ots_card c;
	uint8_t data[256];
	size_t n;

	ots_card_open(&c, RFM_CARD);
	EXPECT_COMPACT(&c, tar_gsm, "00A4000C026F46", "01 6E00");
	/* EF_SPN under DF_GSM: SELECT (9F0F) and the GSM response by GET RESPONSE */
	EXPECT_COMPACT(&c, tar_gsm, "A0A40000026F46" "A0C000000F", "02 9000 000000116F46 04 00 04F044 01 02 00 00");
	EXPECT_COMPACT(&c, tar_gsm, "A0A40000026F46" "A0D6000001 03", "02 9000");
	/* the ME sees it through ADF.USIM (the same EF) */
	g_assert_cmphex(me_apdu(&c, "00A4080C047FF06F46", NULL, NULL), ==, 0x9000);
	g_assert_cmphex(me_apdu(&c, "00B0000001", data, &n), ==, 0x9000);
	tv_assert_hex(data, n, "03");
	/* EF_IMSI: read CHV1, not held (98 04) */
	EXPECT_COMPACT(&c, tar_gsm, "A0A40000026F07" "A0B0000009", "02 9804");
	ots_card_close(&c);
}

/* TS 102 226 §5.2: AA / AE templates, an R-APDU for every executed C-APDU (with Le: its data). */
static void test_expanded(void)
{
	struct ots_card c;
	struct outcome o;
	struct simota_rfm_expanded_response rsp;
	struct simota_rfm_rapdu_iter it;
	struct simota_rfm_rapdu ra;

	ots_card_open(&c, RFM_CARD);
	/* SELECT EF_AD with FCP (case 4: the card fetches the FCP), READ BINARY 4 */
	run_script(&c, tar_usim, "AA11 220800A40004026FAD00 220500B0000004", &o);
	g_assert_cmpint(simota_rfm_expanded_response_decode(o.data, o.len, &rsp), ==, SIMOTA_OK);
	g_assert_false(rsp.indefinite);
	g_assert_cmpuint(rsp.count, ==, 2);
	g_assert_cmpuint(rsp.rapdus, ==, 2);
	simota_rfm_rapdu_iter_init(&it, &rsp);
	g_assert_true(simota_rfm_rapdu_next(&it, &ra));
	g_assert_cmphex(ra.sw, ==, 0x9000);
	g_assert_cmpuint(ra.len, >, 2);
	g_assert_cmphex(ra.data[0], ==, 0x62);
	g_assert_true(simota_rfm_rapdu_next(&it, &ra));
	tv_assert_hex(ra.data, ra.len, "00000002");
	g_free(o.data);
	/* indefinite, and a failing command ending it */
	run_script(&c, tar_usim, "AE80 220700A4000C026F07 220500B0000009 220500B0000001 0000", &o);
	assert_hex(o.data, o.len, "af80 23029000 23026982 0000");
	g_free(o.data);
	/* an unknown tag: the Bad Format TLV after what ran */
	run_script(&c, tar_usim, "AA0C 220700A4000C026F46 8401 00", &o);
	assert_hex(o.data, o.len, "ab0a 800101 23029000 900101");
	g_free(o.data);
	/* a C-APDU that is no short APDU: 67 00, not run */
	run_script(&c, tar_usim, "AA04 220200A4", &o);
	assert_hex(o.data, o.len, "ab07 800101 23026700");
	g_free(o.data);
	/* an R-APDU larger than the PoR can carry is cut, and the script ends there */
	run_script(&c, tar_usim, "AA17 220700A4000C026F3C 220500B20104B0 220500B20204B0", &o);
	g_assert_cmpint(simota_rfm_expanded_response_decode(o.data, o.len, &rsp), ==, SIMOTA_OK);
	g_assert_cmpuint(rsp.count, ==, 2);
	g_assert_cmpuint(o.len, <=, 216);
	g_free(o.data);
	ots_card_close(&c);
}

/*
 * pySim test_ota.py's live eUICC: an indefinite script (SELECT MF, SELECT
 * EF.ICCID, READ BINARY 10) to RFM of the MF, and the card's response.  A
 * card with that ICCID answers the same bytes.
 */
static void test_live_euicc_expanded(void)
{
	JsonArray *cmds = json_object_get_array_member(expanded_vectors, "commands");
	JsonArray *rsps = json_object_get_array_member(expanded_vectors, "responses");
	const char *script = NULL, *response = NULL;
	struct ots_card c;
	struct outcome o;

	for (guint i = 0; i < json_array_get_length(cmds); i++)
		if (strstr(tv_str(json_array_get_object_element(cmds, i), "name"), "RFM SELECT MF, SELECT EF.ICCID"))
			script = tv_str(json_array_get_object_element(cmds, i), "script");
	for (guint i = 0; i < json_array_get_length(rsps); i++)
		if (strstr(tv_str(json_array_get_object_element(rsps, i), "name"), "RFM SELECT, SELECT, READ BINARY"))
			response = tv_str(json_array_get_object_element(rsps, i), "response");
	g_assert_nonnull(script);
	g_assert_nonnull(response);
	/* EF_ICCID 98 88 12 01 00 00 40 86 08 14 holds the digits 8988211000000468804 1 */
	ots_card_open(&c, "[card]\niccid=89882110000004688041\nimsi=001010123456789\n" AES_KEYSET
		      "[tar b00000]\napplet=rfm\nkeysets=2\nmin-security-level=16\n");
	run_script(&c, tar_mf, script, &o);
	tv_assert_hex(o.data, o.len, response);
	g_free(o.data);
	ots_card_close(&c);
}

/* ---- pySim's docs/smpp-ota-tool.rst: a sysmoISIM-SJA2's SIM RFM ---- */

static JsonObject *exchange(const char *name)
{
	JsonArray *ex = json_object_get_array_member(smpp_vectors, "exchanges");

	for (guint i = 0; i < json_array_get_length(ex); i++)
		if (!strcmp(tv_str(json_array_get_object_element(ex, i), "name"), name))
			return json_array_get_object_element(ex, i);
	g_assert_not_reached();
	return NULL;
}

/* The card of the document: keyset 1 with the printed keys, TAR b00010 with MSL 06. */
static void open_pysim_card(struct ots_card *c)
{
	JsonObject *ks = json_object_get_object_member(smpp_vectors, "keyset");
	char *ini = g_strdup_printf(CARD "[keyset 1]\nkic=15\nkid=15\nkic-key=%s\nkid-key=%s\n"
				    "[tar b00010]\napplet=rfm\nrfm-df=df-gsm\naccess=adm1\nkeysets=1\n"
				    "min-security-level=06\n", tv_str(ks, "kic"), tv_str(ks, "kid"));

	ots_card_open(c, ini);
	g_free(ini);
}

/* The command packet of the SMS user data as printed (its UDH 02 70 00 stripped) to the card. */
static uint16_t send_printed(struct ots_card *c, JsonObject *ex, uint8_t *resp, size_t cap, size_t *resp_len)
{
	size_t len;
	uint8_t *ud = tv_hex(tv_str(ex, "command_packet"), &len);
	uint16_t sw;

	g_assert_cmpuint(len, >, 3);
	g_assert_cmpmem(ud, 3, "\x02\x70\x00", 3);
	sw = ots_send_packet(c, ud + 3, len - 3, 1, resp, cap, resp_len);
	g_free(ud);
	return sw;
}

/* Our DF_GSM's GSM SELECT response, as the ME gets it (A0 A4 7F20, A0 C0). */
static char *own_df_gsm_response(struct ots_card *c)
{
	uint8_t data[256];
	size_t n;

	g_assert_cmphex(me_apdu(c, "A0A40000027F20", NULL, NULL), ==, 0x9F16);
	g_assert_cmphex(me_apdu(c, "A0C0000016", data, &n), ==, 0x9000);
	return tv_to_hex(data, n);
}

/*
 * The printed packets, accepted: a PoR of the printed structure (RPL 44,
 * RHL 18, ciphered, CC; 2 commands, 90 00, the 22 bytes of the GSM response
 * to SELECT DF.GSM), whose data is what our DF_GSM answers the ME.  Where
 * it differs from the real card's bytes, only in what describes the card
 * itself: free memory (bytes 3-4), file characteristics (14: the real card
 * says 5 V and 3 V, ours 1.8 V too, like its ATR), the number of DFs and
 * EFs (15-16).
 */
static void test_pysim_packets(void)
{
	static const char *const names[] = { "select-df-gsm-no-counter", "select-df-gsm-counter-100" };
	static const unsigned card_specific[] = { 2, 3, 13, 14, 15 };
	JsonObject *ks = json_object_get_object_member(smpp_vectors, "keyset");
	struct simota_ota_key *kic = ots_kic_key(0x15, tv_str(ks, "kic")),
			      *kid = ots_kid_key(0x15, SIMOTA_OTA_INTEGRITY_CC, tv_str(ks, "kid"));
	struct ots_card c;

	open_pysim_card(&c);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		JsonObject *ex = exchange(names[i]), *por = json_object_get_object_member(ex, "por");
		JsonObject *cr = json_object_get_object_member(ex, "compact_response");
		uint8_t resp[300], work[300], spi[2], *real;
		struct simota_ota_response r;
		size_t resp_len, real_len;
		char *ours = own_df_gsm_response(&c), *want, *got;

		tv_hex_field(ex, "spi", spi, 2);
		g_assert_cmphex(send_printed(&c, ex, resp, sizeof(resp), &resp_len), ==, 0x9000);
		/* UDH, RPL, RHL, TAR as printed */
		g_assert_cmpuint(resp_len, ==, 3 + 2 + (size_t)json_object_get_int_member(por, "rpl"));
		real = tv_hex(tv_str(ex, "por_packet"), &real_len);
		g_assert_cmpmem(resp, 9, real, 9);
		g_free(real);
		g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, resp, resp_len, kic, kid, work,
							   sizeof(work), &r), ==, SIMOTA_OK);
		g_assert_true(r.ciphered);
		g_assert_cmpuint(r.cc_len, ==, 8);
		g_assert_cmphex(r.status, ==, 0x00);
		g_assert_cmphex(r.cntr, ==, g_ascii_strtoull(tv_str(ex, "cntr"), NULL, 16));
		want = g_strconcat("029000", ours, NULL);
		got = tv_to_hex(r.data, r.data_len);
		g_assert_cmpstr(got, ==, want);
		/* against the real card's data: the same length, differing only in the card's own figures */
		real = tv_hex(tv_str(cr, "data"), &real_len);
		g_assert_cmpuint(real_len, ==, r.data_len - 3);
		for (size_t k = 0; k < real_len; k++) {
			bool allowed = false;

			for (size_t a = 0; a < G_N_ELEMENTS(card_specific); a++)
				allowed |= card_specific[a] == k;
			if (real[k] != r.data[3 + k]) {
				g_test_message("%s: byte %zu: real card %02x, uicc-emu %02x", names[i], k + 1, real[k],
					       r.data[3 + k]);
				g_assert_true(allowed);
			}
		}
		g_free(real);
		g_free(got);
		g_free(want);
		g_free(ours);
	}
	ots_card_close(&c);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
}

/*
 * The replayed packet (counter 100 again): a plain error PoR, no CC, not
 * ciphered, although SPI2 asks for both (TS 102 225 §5.2.2: an error PoR is
 * sent without them).  The real card said 06 (security error); TS 102 225
 * §5.2.2 has 02 for "CNTR low", which is what uicc-emu answers.  The
 * printed PoR holds counter 0; ours repeats the command's counter.
 */
static void test_pysim_replay(void)
{
	JsonObject *ex = exchange("select-df-gsm-counter-100-replayed");
	uint8_t resp[300], work[64], spi[2];
	struct simota_ota_response r;
	size_t resp_len, real_len;
	uint8_t *real = tv_hex(tv_str(ex, "por_packet"), &real_len);
	struct ots_card c;

	open_pysim_card(&c);
	g_assert_cmphex(send_printed(&c, exchange("select-df-gsm-counter-100"), resp, sizeof(resp), &resp_len), ==,
			0x9000);
	g_assert_cmphex(send_printed(&c, ex, resp, sizeof(resp), &resp_len), ==, 0x9000);
	/* the printed structure: UDH, RPL 11, RHL 10, TAR, CNTR, PCNTR, status */
	g_assert_cmpuint(resp_len, ==, real_len);
	g_assert_cmpmem(resp, 9, real, 9);
	tv_hex_field(ex, "spi", spi, 2);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x15, 0x15, resp, resp_len, NULL, NULL, work, sizeof(work),
						   &r), ==, SIMOTA_OK);
	g_assert_false(r.ciphered);
	g_assert_cmpuint(r.cc_len, ==, 0);
	g_assert_cmphex(r.status, ==, SIMOTA_OTA_STATUS_CNTR_LOW);
	g_assert_cmphex(real[real_len - 1], ==, SIMOTA_OTA_STATUS_SECURITY_ERROR);
	g_assert_cmphex(r.cntr, ==, 100);
	g_assert_cmpuint(r.data_len, ==, 0);
	g_free(real);
	ots_card_close(&c);
}

/* ---- REFRESH after a script (TS 102 223 §6.4.7) ---- */

#define SPN_UPDATE "00A4000C026F46" "00D6000011 01 72656D6F7465 FFFFFFFFFFFFFFFFFFFF"
/* EF_SPN's full paths (§8.18): in ADF.USIM (7FFF), and DF_GSM's alias of it */
#define SPN_LIST "02 3F007FFF6F46 3F007F206F46"

/* TERMINAL PROFILE (TS 102 223 §5.2): every bit set, or all but REFRESH (byte 3 b8); returns its SW. */
static uint16_t profile(struct ots_card *c, bool refresh)
{
	uint8_t tp[5 + 8] = { 0x80, 0x10, 0x00, 0x00, 0x08 }, out[8];
	size_t n;

	memset(tp + 5, 0xFF, 8);
	if (!refresh)
		tp[5 + 2] &= 0x7F;
	return ots_apdu(c, tp, sizeof(tp), out, sizeof(out), &n);
}

/* FETCH after 91XX: a REFRESH (TS 102 223 §6.6.13) of this qualifier and File List ("" none). */
static struct simota_cat_msg *fetch_refresh(struct ots_card *c, uint16_t sw91, uint8_t qualifier, const char *list)
{
	struct simota_cat_msg *m = ots_fetch_command(c, sw91, SIMOTA_CAT_REFRESH);

	g_assert_cmphex(m->details.qualifier, ==, qualifier);
	g_assert_cmphex(m->src, ==, SIMOTA_CAT_DEV_UICC);
	g_assert_cmphex(m->dst, ==, SIMOTA_CAT_DEV_TERMINAL);
	g_assert_cmpint(m->file_list.present, ==, *list != 0);
	if (*list) {
		g_assert_cmpint(simota_cat_file_list_check(&m->file_list, NULL), ==, SIMOTA_OK);
		assert_hex(m->file_list.data, m->file_list.len, list);
	}
	return m;
}

/* TERMINAL RESPONSE to cmd: general result (§8.12) and its additional information ("" none); the SW. */
static uint16_t answer(struct ots_card *c, struct simota_cat_msg *cmd, const char *result)
{
	uint8_t tr[32];
	size_t n = 0, len;
	uint8_t *r = tv_hex(result, &len);

	tr[n++] = 0x81; tr[n++] = 0x03;
	tr[n++] = cmd->details.number; tr[n++] = cmd->details.type; tr[n++] = cmd->details.qualifier;
	tr[n++] = 0x82; tr[n++] = 0x02; tr[n++] = 0x82; tr[n++] = 0x81;
	tr[n++] = 0x83; tr[n++] = (uint8_t)len;
	memcpy(tr + n, r, len);
	n += len;
	g_free(r);
	g_free(cmd);
	return ots_terminal_response(c, tr, n);
}

/* RFM_CARD, and a terminal that sent its profile, with REFRESH. */
static void open_with_terminal(struct ots_card *c)
{
	ots_card_open(c, RFM_CARD);
	g_assert_cmphex(profile(c, true), ==, 0x9000);
}

/* A reset, then the TERMINAL PROFILE: the REFRESH still owed (this File List) comes; answered result. */
static void owed_after_reset(struct ots_card *c, const char *list, const char *result)
{
	ots_card_reopen(c);
	g_assert_cmphex(answer(c, fetch_refresh(c, profile(c, true), 0x01, list), result), ==, 0x9000);
}

/* A reset, then the TERMINAL PROFILE: no REFRESH owed (no 91XX). */
static void nothing_owed(struct ots_card *c)
{
	ots_card_reopen(c);
	g_assert_cmphex(profile(c, true), ==, 0x9000);
}

/* Runs a script whose PoR must say hex; returns the ENVELOPE's final SW (9000, or 91XX). */
static uint16_t script_sw(struct ots_card *c, const uint8_t tar[3], const char *script, const char *hex)
{
	struct outcome o;

	run_script(c, tar, script, &o);
	assert_hex(o.data, o.len, hex);
	g_free(o.data);
	return o.sw;
}

/*
 * An UPDATE BINARY of EF_SPN: the PoR comes in the envelope's response as
 * ever, then 91XX: File Change Notification naming EF_SPN by both its
 * paths; answered 00, nothing is owed any more (not after a reset either).
 */
static void test_refresh_after_update(void)
{
	struct ots_card c;
	uint16_t sw;

	open_with_terminal(&c);
	sw = script_sw(&c, tar_usim, SPN_UPDATE, "02 9000");
	g_assert_cmphex(sw & 0xFF00, ==, 0x9100);
	/* still announced after another envelope (a script that changes nothing) */
	g_assert_cmphex(script_sw(&c, tar_usim, "00A4000C026FAD", "01 9000"), ==, sw);
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "00"), ==, 0x9000);
	nothing_owed(&c);
	/* expanded: the same; through SIM RFM (DF_GSM, CLA A0) the same file, the same list */
	sw = script_sw(&c, tar_usim, "AA1C 2207 00A4000C026F46 2211 00D600000C 01 72656D6F7465 FFFFFFFFFF",
		       "ab0b 800102 23029000 23029000");
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "03"), ==, 0x9000);
	sw = script_sw(&c, tar_gsm, "A0A40000026F46" "A0D6000001 03", "02 9000");
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "00"), ==, 0x9000);
	ots_card_close(&c);
}

/* A script that reads, selects, verifies (its own context) changes nothing: no REFRESH. */
static void test_refresh_none_read_only(void)
{
	struct ots_card c;

	open_with_terminal(&c);
	g_assert_cmphex(script_sw(&c, tar_usim, "00A4000C026F46" "00B0000001", "02 9000 00"), ==, 0x9000);
	g_assert_cmphex(script_sw(&c, tar_mf, "0020000A08 3132333435363738" "00A4000C022FE2" "00B0000001",
				  "03 9000 98"), ==, 0x9000);
	/* an UPDATE refused (EF_ICCID: never) changes nothing either */
	g_assert_cmphex(script_sw(&c, tar_mf, "00A4000C022FE2" "00D6000001 00", "02 6982"), ==, 0x9000);
	ots_card_close(&c);
}

/*
 * A terminal whose profile has no REFRESH gets none: the change is noted
 * (durably) and waits; the same card later given a profile with REFRESH
 * (after a reset: another terminal) gets it at once.  A script before any
 * profile: the same.
 */
static void test_refresh_profile(void)
{
	struct ots_card c;

	ots_card_open(&c, RFM_CARD);
	g_assert_cmphex(profile(&c, false), ==, 0x9000);
	g_assert_cmphex(script_sw(&c, tar_usim, SPN_UPDATE, "02 9000"), ==, 0x9000);
	g_assert_cmphex(script_sw(&c, tar_usim, "00A4000C026F46" "00B0000001", "02 9000 01"), ==, 0x9000);
	owed_after_reset(&c, SPN_LIST, "00");
	/* no profile yet: the same, once the profile comes */
	ots_card_reopen(&c);
	g_assert_cmphex(script_sw(&c, tar_usim, SPN_UPDATE, "02 9000"), ==, 0x9000);
	g_assert_cmphex(answer(&c, fetch_refresh(&c, profile(&c, true), 0x01, SPN_LIST), "00"), ==, 0x9000);
	nothing_owed(&c);
	ots_card_close(&c);
}

/*
 * What each answer leaves owed (§8.12): 20 (terminal busy: on a call) keeps
 * it, for the next profile; a reset before the answer keeps it; 30
 * (beyond the terminal's capabilities) drops it; 03 (done, more EFs read)
 * is done.  A script that stops on an error after a change still owes it.
 */
static void test_refresh_answers(void)
{
	struct ots_card c;
	uint16_t sw;

	open_with_terminal(&c);
	/* UPDATE, then a READ past the end: the script stops, the change stays */
	sw = script_sw(&c, tar_usim, SPN_UPDATE "00B0002001", "03 6B00");
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "2002"), ==, 0x9000);
	ots_card_reopen(&c);
	/* fetched, then a reset before the TERMINAL RESPONSE */
	g_free(fetch_refresh(&c, profile(&c, true), 0x01, SPN_LIST));
	owed_after_reset(&c, SPN_LIST, "30");
	nothing_owed(&c);
	ots_card_close(&c);
}

/*
 * A second script while the first one's REFRESH waits: no second command
 * queued; when the first is answered, one more names both scripts' files.
 */
static void test_refresh_two_scripts(void)
{
	struct ots_card c;
	uint16_t sw;

	open_with_terminal(&c);
	sw = script_sw(&c, tar_usim, SPN_UPDATE, "02 9000");
	g_assert_cmphex(sw & 0xFF00, ==, 0x9100);
	/* EF_AD (update ADM1) by another TAR: the REFRESH of EF_SPN still waits, alone */
	g_assert_cmphex(script_sw(&c, tar_mf, "00A4000C027FF0" "00A4000C026FAD" "00D6000004 00000002", "03 9000"), ==,
			sw);
	sw = answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "00");
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, "04 3F007FFF6F46 3F007F206F46 3F007FFF6FAD 3F007F206FAD"),
			       "00"), ==, 0x9000);
	ots_card_close(&c);
}

/*
 * EF_DIR (the terminal selects its applications from it when it activates
 * the UICC, TS 102 221 §13.1): UICC Reset, which the reset itself answers
 * (no TERMINAL RESPONSE); after it, File Change Notification of EF_DIR for
 * a terminal that keeps files across resets.
 */
static void test_refresh_ef_dir(void)
{
	struct ots_card c;
	uint8_t rec[256];
	size_t n;
	char *hex, *script;
	uint16_t sw;

	open_with_terminal(&c);
	g_assert_cmphex(me_apdu(&c, "00A4080C022F00", NULL, NULL), ==, 0x9000);
	sw = me_apdu(&c, "00B2010400", rec, &n);
	g_assert_cmphex(sw & 0xFF00, ==, 0x6C00);
	hex = g_strdup_printf("00B20104%02X", sw & 0xFF);
	g_assert_cmphex(me_apdu(&c, hex, rec, &n), ==, 0x9000);
	g_free(hex);
	hex = simota_hex_dup(rec, n);
	/* the same record written back: a change all the same */
	script = g_strdup_printf("00A4000C022F00" "00DC0104%02zX%s", n, hex);
	g_free(fetch_refresh(&c, script_sw(&c, tar_mf, script, "02 9000"), 0x04, ""));
	/* the terminal resets the card */
	owed_after_reset(&c, "01 3F002F00", "00");
	nothing_owed(&c);
	g_free(script);
	g_free(hex);
	ots_card_close(&c);
}

/*
 * SPI2 asks for the PoR by SMS-SUBMIT (TS 102 225 §5.1.1): the SEND SHORT
 * MESSAGE carrying it comes first, then the REFRESH.
 */
static void test_refresh_after_submitted_por(void)
{
	static const uint8_t spi[2] = { 0x16, 0x39 };
	struct ots_card c;
	struct simota_ota_key *kic = ots_kic_key(0x22, KIC_HEX), *kid = ots_kid_key(0x22, SIMOTA_OTA_INTEGRITY_CC,
										  KID_HEX);
	struct simota_ota_response por;
	struct simota_cat_msg *m;
	struct simota_sms_submit sms;
	uint8_t resp[300], work[300];
	size_t len, pkt_len, resp_len;
	uint8_t *script = tv_hex(SPN_UPDATE, &len);
	uint8_t *pkt = ots_wrap(0x1639, 0x22, 0x22, tar_usim, counter++, kic, kid, script, len, &pkt_len);
	uint16_t sw;

	open_with_terminal(&c);
	sw = ots_send_packet(&c, pkt, pkt_len, 3, resp, sizeof(resp), &resp_len);
	g_assert_cmpuint(resp_len, ==, 0);
	m = ots_fetch_command(&c, sw, SIMOTA_CAT_SEND_SHORT_MESSAGE);
	g_assert_cmpint(simota_sms_submit_decode(m->sms_tpdu.data, m->sms_tpdu.len, 0, &sms), ==, SIMOTA_OK);
	g_assert_cmpint(simota_ota_response_decode(spi, 0x22, 0x22, sms.ud.ud, sms.ud.len, kic, kid, work, sizeof(work),
						   &por), ==, SIMOTA_OK);
	g_assert_cmphex(por.status, ==, 0);
	assert_hex(por.data, por.data_len, "02 9000");
	sw = answer(&c, m, "00");
	g_assert_cmphex(answer(&c, fetch_refresh(&c, sw, 0x01, SPN_LIST), "00"), ==, 0x9000);
	simota_ota_key_free(kic);
	simota_ota_key_free(kid);
	g_free(script);
	g_free(pkt);
	ots_card_close(&c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	smpp_vectors = tv_load_from(LOCAL_VECTORS_DIR, "pysim-smpp-ota-tool.json");
	expanded_vectors = tv_load_from(LOCAL_VECTORS_DIR, "pysim-rfm-expanded.json");
	g_test_add_func("/uicc-rfm/pysim-smpp-ota-tool/packets", test_pysim_packets);
	g_test_add_func("/uicc-rfm/pysim-smpp-ota-tool/replay", test_pysim_replay);
	g_test_add_func("/uicc-rfm/pysim-live-euicc-expanded", test_live_euicc_expanded);
	g_test_add_func("/uicc-rfm/compact-update", test_compact_update);
	g_test_add_func("/uicc-rfm/compact-stops", test_compact_stops);
	g_test_add_func("/uicc-rfm/access-conditions", test_access_conditions);
	g_test_add_func("/uicc-rfm/own-context", test_own_context);
	g_test_add_func("/uicc-rfm/gsm", test_gsm);
	g_test_add_func("/uicc-rfm/expanded", test_expanded);
	g_test_add_func("/uicc-rfm/refresh/after-update", test_refresh_after_update);
	g_test_add_func("/uicc-rfm/refresh/none-read-only", test_refresh_none_read_only);
	g_test_add_func("/uicc-rfm/refresh/profile", test_refresh_profile);
	g_test_add_func("/uicc-rfm/refresh/answers", test_refresh_answers);
	g_test_add_func("/uicc-rfm/refresh/two-scripts", test_refresh_two_scripts);
	g_test_add_func("/uicc-rfm/refresh/ef-dir", test_refresh_ef_dir);
	g_test_add_func("/uicc-rfm/refresh/after-submitted-por", test_refresh_after_submitted_por);
	return g_test_run();
}
