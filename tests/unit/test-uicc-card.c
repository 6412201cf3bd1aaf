/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card through uicc_card_transmit(): every command and status word of
 * TS 102 221 / TS 51.011 the card implements, T=0 GET RESPONSE chains,
 * PINs and their counters across a re-open, persistence of UPDATEs.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "test-support.h"
#include "card/card-access.h"
#include "card/card.h"
#include "emu-card.h"
#include "simota/card_config.h"
#include "state/card-state.h"
#include "uicc-card-support.h"

#define CARD_PIN "[card]\niccid=89882390000000000017\nimsi=001010123456789\nmsisdn=+15550001\n" \
	"pin=1234\nspn=Test\nsmsc=+15550100\n"
#define CARD_NOPIN "[card]\niccid=89882390000000000017\nimsi=001010123456789\nmsisdn=+15550001\n"

static void setup_with(struct fixture *f, const char *ini)
{
	card_fixture_open(f, ini);
}

static void setup_pin(struct fixture *f, gconstpointer data)
{
	setup_with(f, CARD_PIN);
}

static void setup_nopin(struct fixture *f, gconstpointer data)
{
	setup_with(f, CARD_NOPIN);
}

/* A card with a keyset and a TAR: uicc-emu puts its OTA receiving entity on it. */
static void setup_keys(struct fixture *f, gconstpointer data)
{
	setup_with(f, CARD_NOPIN "[keyset 1]\nkic=15\nkid=15\nkic-key=0123456789abcdeffedcba9876543210\n"
		   "kid-key=00112233445566778899aabbccddeeff\n[tar c00001]\napplet=deferred\nkeysets=1\n"
		   "min-security-level=16\n");
}

static void teardown(struct fixture *f, gconstpointer data)
{
	card_fixture_close(f);
}

static void reopen(struct fixture *f)
{
	card_fixture_reopen(f);
}

/* ISO/IEC 7816-3 §8.2.5: TCK makes the XOR of T0..TCK zero. */
static void test_atr(struct fixture *f, gconstpointer data)
{
	uint8_t atr[40], x = 0;
	size_t n = uicc_card_reset(f->card, atr, sizeof(atr));

	g_assert_cmpuint(n, >, 2);
	g_assert_cmpuint(atr[0], ==, 0x3B);
	for (size_t i = 1; i < n; i++)
		x ^= atr[i];
	g_assert_cmpuint(x, ==, 0);
	g_assert_cmpuint(atr[1] & 0x0F, ==, n - 7);   /* historical bytes */
}

static void test_select_fcp(struct fixture *f, gconstpointer data)
{
	size_t n;
	uint8_t *fcp;
	struct uicc_card *c = f->card;

	/* T=0 case 4: 61XX, then GET RESPONSE */
	XCHG(c, "00A40004023F00", "6129");
	fcp = XCHG_DATA(c, "00C0000029", "* 9000", &n);
	g_assert_cmpuint(n, ==, 0x29);
	g_assert_cmpuint(fcp[0], ==, 0x62);
	g_assert_cmpuint(fcp[1], ==, n - 2);
	g_assert_nonnull(memmem(fcp, n, "\x82\x02\x78\x21", 4));
	g_assert_nonnull(memmem(fcp, n, "\x83\x02\x3F\x00", 4));
	g_assert_nonnull(memmem(fcp, n, "\x8A\x01\x05", 3));
	g_assert_nonnull(memmem(fcp, n, "\xC6\x0C\x90\x01\xE0\x83\x01\x01", 8));   /* PIN1 enabled */
	g_free(fcp);

	/* the window closed: GET RESPONSE again is a sequence error (§12.1.1.1) */
	XCHG(c, "00C0000029", "6F00");
	/* Le 00 (256) and too long: 6C with the exact length, data kept */
	XCHG(c, "00A40004023F00", "6129");
	XCHG(c, "00C0000000", "6C29");
	XCHG(c, "00C0000030", "6C29");
	/* shorter Le: chained with 61XX */
	fcp = XCHG_DATA(c, "00C0000010", "* 6119", &n);
	g_assert_cmpuint(n, ==, 0x10);
	g_free(fcp);
	fcp = XCHG_DATA(c, "00C0000019", "* 9000", &n);
	g_assert_cmpuint(n, ==, 0x19);
	g_free(fcp);
	/* another command in between loses the data */
	XCHG(c, "00A40004023F00", "6129");
	XCHG(c, "00A4000C023F00", "9000");
	XCHG(c, "00C0000029", "6F00");
	/* GET RESPONSE on another channel than the command's */
	XCHG(c, "0070000001", "01 9000");
	XCHG(c, "00A40004023F00", "6129");
	XCHG(c, "01C0000029", "6F00");
	XCHG(c, "00C0000029", "6F00");
	/* bad P1P2 */
	XCHG(c, "00A40004023F00", "6129");
	XCHG(c, "00C0010029", "6A86");
}

static void test_select_ef_fcp_bytes(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	/* EF_ICCID: descriptor 41 21, FID, LCS 05, ARR 2F06 record 3 (read always, never updated),
	 * size 10, SFI 02 */
	XCHG(c, "00A40004022FE2", "6119");
	XCHG(c, "00C0000019", "621782024121" "83022FE2" "8A0105" "8B032F0603" "8002000A" "880110 9000");
	/* EF_DIR: linear fixed 32 × 2, record 2 (read always, update ADM1) */
	XCHG(c, "00A40004022F00", "611C");
	XCHG(c, "00C000001C", "621A82054221002002" "83022F00" "8A0105" "8B032F0602" "80020040" "8801F0 9000");
}

static void test_select_modes(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;
	uint8_t *r;
	size_t n;

	/* by AID, full and right-truncated */
	XCHG(c, "00A4040C10A0000000871002FFFFFFFF89040300FF", "9000");
	XCHG(c, "00A4040C07A0000000871002", "9000");
	r = XCHG_DATA(c, "00A4040407A0000000871002", "* 61??", &n);
	g_free(r);
	XCHG(c, "00A4040C07A0000000871003", "6A82");
	XCHG(c, "00A4040E07A0000000871002", "6A82");              /* b2b1 = 10: no next occurrence */
	XCHG(c, "00A4040D07A0000000871002", "6A86");
	XCHG(c, "00A4040C00", "6700");
	/* STATUS: DF name of the current application, exact Le */
	XCHG(c, "80F2000112", "84 10A0000000871002FFFFFFFF89040300FF 9000");
	XCHG(c, "80F2000100", "6C12");
	XCHG(c, "80F2000C00", "9000");
	XCHG(c, "80F2030C00", "6A86");
	XCHG(c, "80F2000500", "6A86");
	/* 7FFF is the current application */
	XCHG(c, "00A4000C027FFF", "9000");
	XCHG(c, "00A4000C026F07", "9000");
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	XCHG(c, "00B0000009", "080910101032547698 9000");
	/* by path from the MF, and from the current DF */
	XCHG(c, "00A4000C023F00", "9000");
	XCHG(c, "00A4080C047FF06FAD", "9000");
	XCHG(c, "00B0000004", "00000002 9000");
	XCHG(c, "00A4080C047FFF6F07", "9000");
	XCHG(c, "00A4000C023F00", "9000");
	XCHG(c, "00A4090C027F10", "9000");
	XCHG(c, "00A4090C026F3A", "9000");
	XCHG(c, "00A4080C037FF06F", "6700");
	XCHG(c, "00A4080C047FF06F99", "6A82");
	/* parent, child DF, siblings */
	XCHG(c, "00A4000C027F10", "9000");
	XCHG(c, "00A4030C", "9000");
	XCHG(c, "80F2000000", "6C29");                            /* back at the MF */
	XCHG(c, "00A4030C", "6A82");                              /* the MF has no parent */
	XCHG(c, "00A4010C027F20", "9000");
	XCHG(c, "00A4000C027F10", "9000");                        /* a sibling DF */
	XCHG(c, "00A4010C026F3A", "6A82");                        /* an EF is no child DF */
	/* not found, wrong parameters */
	XCHG(c, "00A4000C024F99", "6A82");
	XCHG(c, "00A4000C033F0000", "6700");
	XCHG(c, "00A40000023F00", "6A86");                        /* P2 00: RFU in TS 102 221 */
	XCHG(c, "00A4020C023F00", "6A86");
	XCHG(c, "00A4000C", "6700");
	XCHG(c, "00A4000C023F", "6700");
	/* a trailing Le after the data (case 4 as a short APDU) is accepted */
	XCHG(c, "00A40004023F0000", "6129");
}

static void test_read_binary(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "00A4000C022FE2", "9000");
	XCHG(c, "00B000000A", "98883209000000000071 9000");
	XCHG(c, "00B0000004", "98883209 9000");
	XCHG(c, "00B0000800", "6C02");                              /* offset 8, Le 256 */
	XCHG(c, "00B0000802", "0071 9000");
	XCHG(c, "00B000000B", "6C0A");
	XCHG(c, "00B0000A01", "6B00");                              /* offset at the end */
	XCHG(c, "00B0010001", "6B00");
	XCHG(c, "00B000000A01", "6700");                            /* data in a case-2 command */
	/* SFI 02 from the MF selects EF_ICCID */
	XCHG(c, "00A4000C023F00", "9000");
	XCHG(c, "00B0000001", "6986");                              /* no current EF */
	XCHG(c, "00B0820001", "98 9000");
	XCHG(c, "00B0000001", "98 9000");                           /* it became the current EF */
	XCHG(c, "00B0990001", "6A82");
	XCHG(c, "00B0E20001", "6A86");                              /* b7b6 must be 00 */
	/* PIN-protected EF_IMSI: 6982 until VERIFY */
	XCHG(c, "00A4080C047FF06F07", "9000");
	XCHG(c, "00B0000009", "6982");
	XCHG(c, "0020000108 31323334 FFFFFFFF FF", "6700");
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	XCHG(c, "00B0000009", "080910101032547698 9000");
	/* a record EF */
	XCHG(c, "00A4080C022F00", "9000");
	XCHG(c, "00B0000001", "6981");
}

static void test_update_binary(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "00A4080C047FF06F7B", "9000");                      /* EF_FPLMN, PIN/PIN */
	XCHG(c, "00D6000003130062", "6982");
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	XCHG(c, "00D6000003130062", "9000");
	XCHG(c, "00D6000A03010203", "6700");                        /* past the end */
	XCHG(c, "00D6000C0101", "6B00");
	XCHG(c, "00D6000000", "6700");
	XCHG(c, "00D600000301", "6700");                            /* Lc 3, 1 byte */
	XCHG(c, "00B000000C", "130062FFFFFFFFFFFFFFFFFF 9000");
	/* never-updatable EF_ICCID */
	XCHG(c, "00A4080C022FE2", "9000");
	XCHG(c, "00D600000100", "6982");
	/* committed before the 9000: a re-opened card reads it back */
	reopen(f);
	c = f->card;
	XCHG(c, "00A4080C047FF06F7B", "9000");
	XCHG(c, "00B0000003", "6982");                              /* PIN state is per session */
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	XCHG(c, "00B0000003", "130062 9000");
	/* the DF_GSM alias shows the same content */
	XCHG(c, "A0A40000027F20", "9F16");
	XCHG(c, "A0A40000026F7B", "9F0F");
	XCHG(c, "A0B0000003", "130062 9000");
}

static void test_records(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "00A4000C022F00", "9000");
	XCHG(c, "00B2010420",
	     "61184F10A0000000871002FFFFFFFF89040300FF500455534 94DFFFFFFFFFFFF 9000");
}

static void test_records_modes(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;
	const char *dir1 = "61184F10A0000000871002FFFFFFFF89040300FF5004555349" "4DFFFFFFFFFFFF";
	char *e;

	XCHG(c, "00A4000C022F00", "9000");
	e = g_strdup_printf("%s 9000", dir1);
	XCHG(c, "00B2010420", e);
	XCHG(c, "00B2000420", "6A83");                              /* no current record yet */
	XCHG(c, "00B2010400", "6C20");
	XCHG(c, "00B2010410", "6C20");
	XCHG(c, "00B2030420", "6A83");
	XCHG(c, "00B2010520", "6A86");
	XCHG(c, "00B2000220", e);                                  /* next: record 1 */
	XCHG(c, "00B2000420", e);                                  /* current */
	XCHG(c, "00B2000220", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 9000");
	XCHG(c, "00B2000220", "6A83");                              /* linear fixed: no wrap */
	XCHG(c, "00B2000320", e);                                  /* previous: record 1 */
	XCHG(c, "00B2000320", "6A83");
	/* SFI 1E (EF_DIR) in P2 from the MF */
	XCHG(c, "00A4000C022FE2", "9000");
	XCHG(c, "00B201F420", e);
	XCHG(c, "00B2010420", e);                                  /* EF_DIR is now current */
	XCHG(c, "00B201FC20", "6A86");                              /* SFI 1F */
	XCHG(c, "00B201A420", "6A82");
	/* transparent EF */
	XCHG(c, "00A4000C022FE2", "9000");
	XCHG(c, "00B2010420", "6981");
	g_free(e);
}

static void test_update_record(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;
	char sms[2 * 176 + 1], cmd[2 * 181 + 1], exp[2 * 176 + 6];

	memset(sms, 'A', sizeof(sms) - 1);
	sms[sizeof(sms) - 1] = 0;
	memcpy(sms, "01", 2);
	g_snprintf(cmd, sizeof(cmd), "00DC0304B0%s", sms);
	g_snprintf(exp, sizeof(exp), "%s 9000", sms);

	XCHG(c, "00A4080C047FF06F3C", "9000");
	XCHG(c, cmd, "6982");
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	XCHG(c, cmd, "9000");
	XCHG(c, "00B20304B0", exp);
	XCHG(c, "00DC0304AF00", "6700");
	g_snprintf(cmd, sizeof(cmd), "00DC0B04B0%s", sms);
	XCHG(c, cmd, "6A83");
	/* next / previous move the pointer */
	g_snprintf(cmd, sizeof(cmd), "00DC0002B0%s", sms);
	XCHG(c, cmd, "9000");                                       /* record 1 */
	XCHG(c, "00B20104B0", exp);
	reopen(f);
	c = f->card;
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	/* the DF_TELECOM alias, 2G style */
	XCHG(c, "A0A40000027F10", "9F16");
	XCHG(c, "A0A40000026F3C", "9F0F");
	XCHG(c, "A0C000000F", "000006E0 6F3C 04 00 11F044 01 02 01B0 9000");
	XCHG(c, "A0B20304B0", exp);
	XCHG(c, "A0B2030410", "67B0");
	XCHG(c, "A0B20B04B0", "9402");
	/* cyclic EF_LND: only PREVIOUS, the newest is record 1 */
	XCHG(c, "00A4080C047F106F44", "9000");
	XCHG(c, "00DC00041C" "11111111111111111111111111111111111111111111111111111111", "6981");
	XCHG(c, "00DC00031C" "11111111111111111111111111111111111111111111111111111111", "9000");
	XCHG(c, "00DC00031C" "22222222222222222222222222222222222222222222222222222222", "9000");
	XCHG(c, "00B201041C", "22222222222222222222222222222222222222222222222222222222 9000");
	XCHG(c, "00B202041C", "11111111111111111111111111111111111111111111111111111111 9000");
	XCHG(c, "00B200031C", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 9000");  /* wraps to 5 */
}

static void test_pin(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "0020000100", "63C3");                              /* counter query */
	XCHG(c, "002000010839393939FFFFFFFF", "63C2");
	XCHG(c, "0020000100", "63C2");
	XCHG(c, "002000010839393939FFFFFFFF", "63C1");
	/* the counter is committed: a re-opened card remembers */
	reopen(f);
	c = f->card;
	XCHG(c, "0020000100", "63C1");
	XCHG(c, "002000010839393939FFFFFFFF", "63C0");
	XCHG(c, "002000010831323334FFFFFFFF", "6983");              /* blocked, even with the right PIN */
	XCHG(c, "0020000100", "63C0");
	reopen(f);
	c = f->card;
	XCHG(c, "002000010831323334FFFFFFFF", "6983");
	/* UNBLOCK: counter query, wrong PUK, then the right one with a new PIN */
	XCHG(c, "002C000100", "63CA");
	XCHG(c, "002C0001103131313131313131" "35353535FFFFFFFF", "63C9");
	reopen(f);
	c = f->card;
	XCHG(c, "002C000100", "63C9");
	XCHG(c, "002C00010831323334353637", "6700");
	XCHG(c, "002C0001103132333435363738" "3535", "6700");
	XCHG(c, "002C0001103132333435363738" "35353535FFFFFFFF", "9000");
	XCHG(c, "002C000100", "63CA");
	XCHG(c, "0020000100", "9000");                              /* verified by the unblock */
	reopen(f);
	c = f->card;
	XCHG(c, "0020000100", "63C3");
	XCHG(c, "002000010831323334FFFFFFFF", "63C2");               /* the old PIN is gone */
	XCHG(c, "002000010835353535FFFFFFFF", "9000");
	XCHG(c, "0020000100", "9000");
	/* CHANGE */
	XCHG(c, "002400011035353535FFFFFFFF36363636FFFFFFFF", "9000");
	XCHG(c, "002400011035353535FFFFFFFF37373737FFFFFFFF", "63C2");
	XCHG(c, "002400011036363636FFFFFFFF3737FFFFFFFFFFFF", "6A80");   /* new PIN too short */
	XCHG(c, "0024000108", "6700");
	/* DISABLE / ENABLE */
	XCHG(c, "002600010836363636FFFFFFFF", "9000");
	XCHG(c, "002600010836363636FFFFFFFF", "6985");              /* already disabled */
	XCHG(c, "002400011036363636FFFFFFFF37373737FFFFFFFF", "6984");   /* CHANGE on a disabled PIN */
	reopen(f);
	c = f->card;
	XCHG(c, "0020000100", "9000");                              /* disabled: nothing to verify */
	XCHG(c, "00A4080C047FF06F07", "9000");
	XCHG(c, "00B0000001", "08 9000");
	XCHG(c, "002800010836363636FFFFFFFF", "9000");
	XCHG(c, "002800010836363636FFFFFFFF", "6985");
	reopen(f);
	c = f->card;
	XCHG(c, "0020000100", "63C3");
	/* references and parameters */
	XCHG(c, "002000020831323334FFFFFFFF", "6A88");
	XCHG(c, "002001010831323334FFFFFFFF", "6A86");
	XCHG(c, "002600810835363738FFFFFFFF", "6985");              /* PIN2 cannot be disabled */
	XCHG(c, "002000810835363738FFFFFFFF", "9000");              /* PIN2 */
	XCHG(c, "0020008100", "9000");
}

static void test_pin_gsm_real(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "A0A40000027F20", "9F16");
	/* TS 51.011 §9.2.1: CHV1 enabled, 3 tries, 10 unblock tries, CHV2 likewise */
	XCHG(c, "A0C0000016", "000010007F20 02 0000000000 09 71 00 14 04 00 838A838A 9000");
}

static void test_gsm(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "A0A40000027F20", "9F16");
	XCHG(c, "A0C0000016", "000010007F20 02 0000000000 09 71 00 14 04 00 838A838A 9000");
	XCHG(c, "A0A40000026F07", "9F0F");
	XCHG(c, "A0C000000F", "00000009 6F07 04 00 14F044 01 02 00 00 9000");
	XCHG(c, "A0B0000009", "9804");                              /* CHV1 needed */
	XCHG(c, "A020000108", "6708");
	XCHG(c, "A02000010839393939FFFFFFFF", "9804");
	XCHG(c, "A02000010831323334FFFFFFFF", "9000");
	XCHG(c, "A0B0000009", "080910101032547698 9000");
	XCHG(c, "A0B0000010", "6709");
	XCHG(c, "A0B0000A01", "9402");
	XCHG(c, "A0B2010409", "9408");
	XCHG(c, "A0A40000027FF0", "9404");                          /* ADF.USIM is not a GSM file */
	XCHG(c, "A0A40000026F99", "9404");
	XCHG(c, "A0A40100026F07", "6B00");
	XCHG(c, "A0A4000003", "6702");
	/* STATUS: response of the current DF, the ME may read fewer bytes */
	XCHG(c, "A0F2000016", "000010007F20 02 0000000000 09 71 00 14 04 00 838A838A 9000");
	XCHG(c, "A0F200000D", "000010007F2002000000000009 9000");
	XCHG(c, "A0F2000017", "6716");
	/* GSM CHV status words */
	XCHG(c, "A02600010831323334FFFFFFFF", "9000");
	XCHG(c, "A02600010831323334FFFFFFFF", "9808");
	XCHG(c, "A02000010831323334FFFFFFFF", "9808");
	XCHG(c, "A02800010831323334FFFFFFFF", "9000");
	XCHG(c, "A02000020839393939FFFFFFFF", "9804");
	XCHG(c, "A02000020839393939FFFFFFFF", "9804");
	XCHG(c, "A02000020839393939FFFFFFFF", "9840");
	XCHG(c, "A02000020835363738FFFFFFFF", "9840");
	XCHG(c, "A02C0002103837363534333231" "35363738FFFFFFFF", "9000");
	XCHG(c, "A02000030835363738FFFFFFFF", "6B00");
	/* GET RESPONSE without data, no MANAGE CHANNEL in the GSM class */
	XCHG(c, "A0C0000010", "6F00");
	XCHG(c, "A070000001", "6E00");                              /* a 0X-class instruction */
	XCHG(c, "A0FA000000", "6D00");
}

static void test_class_ins(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "10A4000C023F00", "6E00");
	XCHG(c, "B0A4000C023F00", "6E00");
	XCHG(c, "80A4000C023F00", "6E00");                          /* SELECT is 0X */
	XCHG(c, "00F2000000", "6E00");                              /* STATUS is 8X */
	XCHG(c, "0010000001FF", "6E00");                            /* TERMINAL PROFILE is 8X */
	XCHG(c, "8070000001", "6E00");
	XCHG(c, "80C0000010", "6E00");
	XCHG(c, "0060000000", "6D00");
	XCHG(c, "0090000000", "6D00");
	XCHG(c, "00EE000000", "6D00");
	XCHG(c, "0088000000", "6D00");                              /* AUTHENTICATE: not implemented */
	XCHG(c, "04A4000C023F00", "6882");                          /* secure messaging */
	XCHG(c, "40A4000C023F00", "6881");                          /* channels 4-19 */
	XCHG(c, "01A4000C023F00", "6881");                          /* channel 1 not open */
	XCHG(c, "00A4", "6700");
	XCHG(c, "", "6700");
}

static void test_channels(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;

	XCHG(c, "0070000000", "6C01");
	XCHG(c, "0070000001", "01 9000");
	XCHG(c, "0070000001", "02 9000");
	XCHG(c, "0070000300", "9000");                              /* channel 3 by number */
	XCHG(c, "0070000001", "6A81");                              /* all in use */
	XCHG(c, "0070000300", "6985");
	XCHG(c, "0070000400", "6881");
	XCHG(c, "0070001400", "6A86");
	XCHG(c, "007000030101", "6700");
	/* each channel has its own current file */
	XCHG(c, "01A4000C022FE2", "9000");
	XCHG(c, "02A4000C022F00", "9000");
	XCHG(c, "01B0000001", "98 9000");
	XCHG(c, "02B0000001", "6981");
	XCHG(c, "00B0000001", "6986");
	XCHG(c, "81F2000C00", "9000");
	XCHG(c, "0070800100", "9000");
	XCHG(c, "01B0000001", "6881");
	XCHG(c, "0070800100", "6881");
	XCHG(c, "0070800000", "6A86");
	XCHG(c, "0070400000", "6A86");
	XCHG(c, "0070000001", "01 9000");
	/* opened from a non-basic channel: inherits its current file (EF_DIR) */
	XCHG(c, "0070800300", "9000");
	XCHG(c, "0070800100", "9000");
	XCHG(c, "0270000001", "01 9000");
	XCHG(c, "01B2010400", "6C20");
	/* opened from the basic channel: the MF, no current EF */
	XCHG(c, "0070000001", "03 9000");
	XCHG(c, "03B2010400", "6986");
}

static void test_nopin(struct fixture *f, gconstpointer data)
{
	struct uicc_card *c = f->card;
	uint8_t *fcp;
	size_t n;

	XCHG(c, "0020000100", "9000");
	XCHG(c, "00A4080C047FF06F07", "9000");
	XCHG(c, "00B0000009", "080910101032547698 9000");
	XCHG(c, "00A4000404 7FF06F07", "6700");
	XCHG(c, "00A4080404" "7FF06F38", "6119");
	fcp = XCHG_DATA(c, "00C0000019", "* 9000", &n);
	g_assert_nonnull(memmem(fcp, n, "\x80\x02\x00\x05", 4));
	g_free(fcp);
	/* EF_UST: service 28 (byte 4, b4) */
	XCHG(c, "00B0000005", "000A140801 9000");
	/* ADF FCP: DF name and PIN status template with PIN1 disabled */
	XCHG(c, "00A40804027FF0", "6136");
	fcp = XCHG_DATA(c, "00C0000036", "* 9000", &n);
	g_assert_nonnull(memmem(fcp, n, "\x84\x10\xA0\x00\x00\x00\x87\x10\x02", 9));
	g_assert_nonnull(memmem(fcp, n, "\xC6\x0C\x90\x01\x60", 5));
	g_free(fcp);
}

static void test_default_files(struct fixture *f, gconstpointer data)
{
	static const char *const usim[] = {
		"6F05", "6F06", "6F07", "6F08", "6F09", "6F31", "6F38", "6F56", "6F78", "6F7B", "6F7E",
		"6F73", "6FE3", "6FAD", "6F46", "6F40", "6F42", "6F3C", "6F43", "6FB7", "6F3E", "6F3F",
		"6F45", "6F48", "6F50", "6F5B", "6F5C", "6F60", "6F61", "6F62", "6FC7", "6FC9", "6FCA",
		"6FCB",
	};
	static const char *const gsm[] = {
		"6F05", "6F07", "6F20", "6F30", "6F31", "6F38", "6F3E", "6F3F", "6F45", "6F46", "6F48",
		"6F50", "6F78", "6F7B", "6F7E", "6FAD", "6FAE", "6FB7",
	};
	static const char *const telecom[] = { "6F3A", "6F3B", "6F3C", "6F40", "6F42", "6F43", "6F44", "6F49", "6F4A" };
	struct uicc_card *c = f->card;

	for (size_t i = 0; i < G_N_ELEMENTS(usim); i++) {
		char *cmd = g_strdup_printf("00A4080C047FF0%s", usim[i]);
		XCHG(c, cmd, "9000");
		g_free(cmd);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(gsm); i++) {
		char *cmd = g_strdup_printf("00A4080C047F20%s", gsm[i]);
		XCHG(c, cmd, "9000");
		g_free(cmd);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(telecom); i++) {
		char *cmd = g_strdup_printf("00A4080C047F10%s", telecom[i]);
		XCHG(c, cmd, "9000");
		g_free(cmd);
	}
	XCHG(c, "002000010831323334FFFFFFFF", "9000");
	/* EF_MSISDN record 1: +15550001 */
	XCHG(c, "00A4080C047FF06F40", "9000");
	XCHG(c, "00B201041C", "FFFFFFFFFFFFFFFFFFFFFFFFFFFF" "059151550010FFFFFFFFFFFF" "FFFF 9000");
	/* EF_SMSP record 1: SC address +15550100 */
	XCHG(c, "00A4080C047FF06F42", "9000");
	XCHG(c, "00B2010428", "FFFFFFFFFFFFFFFFFFFFFFFF" "FD" "FFFFFFFFFFFFFFFFFFFFFFFF"
	     "059151551000FFFFFFFFFFFF" "FFFFFF 9000");
	/* EF_SPN: "Test" */
	XCHG(c, "00A4080C047FF06F46", "9000");
	XCHG(c, "00B0000011", "0054657374FFFFFFFFFFFFFFFFFFFFFFFF 9000");
	/* EF_AD: MNC of 2 digits for MCC 001 */
	XCHG(c, "00A4080C047FF06FAD", "9000");
	XCHG(c, "00B0000004", "00000002 9000");
	/* EF_LOCI: LAI 001 01 */
	XCHG(c, "00A4080C047FF06F7E", "9000");
	XCHG(c, "00B000000B", "FFFFFFFF00F110FFFEFF01 9000");
	/* EF_ECC: 112, 911 */
	XCHG(c, "00A4080C047FF06FB7", "9000");
	XCHG(c, "00B2010404", "11F2FF00 9000");
	/* DF_GSM EF_SST: services 1 2 4 7 9 12 17 26 27 29 */
	XCHG(c, "A0A40000027F20", "9F16");
	XCHG(c, "A0A40000026F38", "9F0F");
	XCHG(c, "A0B000000A", "CF30C3 00 03 00 3C03 0000 9000");
}

/* ---- parts: what uicc_card_new() puts on the card, in order ---- */

static GString *part_log;

static void part_cleanup(void *data)
{
	g_string_append_printf(part_log, "-%s", (const char *)data);
}

static bool part_a(struct uicc_card *card, GError **error)
{
	g_assert_nonnull(uicc_card_toolkit(card));
	g_assert_nonnull(uicc_card_config_of(card));
	g_string_append(part_log, "+a");
	uicc_card_add_cleanup(card, part_cleanup, "a");
	return true;
}

static bool part_b(struct uicc_card *card, GError **error)
{
	g_string_append(part_log, "+b");
	uicc_card_add_cleanup(card, part_cleanup, "b");
	return true;
}

static bool part_fails(struct uicc_card *card, GError **error)
{
	g_string_append(part_log, "+x");
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no");
	return false;
}

static void test_parts(struct fixture *f, gconstpointer data)
{
	static const struct uicc_card_part two[] = { { "a", part_a }, { "b", part_b } };
	static const struct uicc_card_part failing[] = { { "a", part_a }, { "x", part_fails }, { "b", part_b } };
	char *state = g_strdup_printf("%s/parts.state", card_fixture_dir());
	struct uicc_card *card;
	GError *err = NULL;

	part_log = g_string_new(NULL);
	/* attached in order; cleanups run last first */
	card = uicc_card_new(f->cfg, state, two, G_N_ELEMENTS(two), &err);
	g_assert_no_error(err);
	g_assert_cmpstr(part_log->str, ==, "+a+b");
	uicc_card_free(card);
	g_assert_cmpstr(part_log->str, ==, "+a+b-b-a");

	/* a failing part fails the card, its error prefixed with the part's name; what was attached goes */
	g_string_truncate(part_log, 0);
	card = uicc_card_new(f->cfg, state, failing, G_N_ELEMENTS(failing), &err);
	g_assert_null(card);
	g_assert_error(err, G_IO_ERROR, G_IO_ERROR_FAILED);
	g_assert_cmpstr(err->message, ==, "x: no");
	g_assert_cmpstr(part_log->str, ==, "+a+x-a");
	g_clear_error(&err);

	/* a card without parts has no OTA entity nor applets; uicc-emu's card has both */
	card = uicc_card_new(f->cfg, state, NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_null(uicc_tk_applet_find(uicc_card_toolkit(card), "ota"));
	uicc_card_free(card);
	g_assert_nonnull(uicc_tk_applet_find(uicc_card_toolkit(f->card), "ota"));
	g_assert_nonnull(uicc_tk_applet_find(uicc_card_toolkit(f->card), "deferred@c00001"));

	/* uicc-emu's applet kinds, by the config's applet= name */
	g_assert_nonnull(uicc_emu_applet_kind("deferred"));
	g_assert_nonnull(uicc_emu_applet_kind("rfm"));
	g_assert_null(uicc_emu_applet_kind("ram"));
	g_string_free(part_log, TRUE);
	g_unlink(state);
	g_free(state);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);

#define ADD(name, setup, fn) g_test_add("/uicc-card/" name, struct fixture, NULL, setup, fn, teardown)
	ADD("atr", setup_pin, test_atr);
	ADD("select-fcp", setup_pin, test_select_fcp);
	ADD("select-ef-fcp-bytes", setup_pin, test_select_ef_fcp_bytes);
	ADD("select-modes", setup_pin, test_select_modes);
	ADD("read-binary", setup_pin, test_read_binary);
	ADD("update-binary", setup_pin, test_update_binary);
	ADD("records", setup_pin, test_records);
	ADD("records-modes", setup_pin, test_records_modes);
	ADD("update-record", setup_pin, test_update_record);
	ADD("pin", setup_pin, test_pin);
	ADD("pin-gsm", setup_pin, test_pin_gsm_real);
	ADD("gsm", setup_pin, test_gsm);
	ADD("class-ins", setup_pin, test_class_ins);
	ADD("channels", setup_pin, test_channels);
	ADD("nopin", setup_nopin, test_nopin);
	ADD("default-files", setup_pin, test_default_files);
	ADD("parts", setup_keys, test_parts);

	rc = g_test_run();
	return rc;
}
