/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's files under their access rules (TS 102 221 §9.2.5, §9.5):
 * the records of EF_ARR, a table of file x access mode x what the ME has
 * verified -> status word, ADM1 (key reference 0A), PIN2/PUK2 from the
 * config, SEARCH RECORD (§11.1.7) and SEEK (TS 51.011 §9.2.7), INCREASE
 * (§11.1.8) on the cyclic EF_ACM, DEACTIVATE / ACTIVATE FILE (§11.1.14,
 * §11.1.15) and their GSM forms, each change surviving a power cycle.
 */
#include <string.h>

#include "test-support.h"
#include "uicc-card-support.h"

#define CARD "[card]\niccid=89882390000000000017\nimsi=001010123456789\n"
#define ADM1 "adm1=12345678\n"
#define VERIFY_PIN1 "0020000108 31323334FFFFFFFF"
#define VERIFY_PIN2 "0020008108 35363738FFFFFFFF"
#define VERIFY_ADM1 "0020000A08 3132333435363738"
#define FF16 "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"

/* TS 102 221 §9.2.5 expanded format, as access.c writes the rules of fs-default.c; FF after. */
static void test_arr_records(void)
{
	struct fixture f;

	card_fixture_open(&f, CARD);
	XCHG(f.card, "00A4000C022F06", "9000");
	/* 1, DFs: (de)activate ADM1 (AM 18); delete/create never (AM 03) */
	XCHG(f.card, "00B2010430", "800118A40683010A950108 8001039700" FF16 FF16 " 9000");
	/* 2: read always; update, (de)activate ADM1 */
	XCHG(f.card, "00B2020430", "8001019000 80011AA40683010A950108" FF16 FF16 " 9000");
	/* 3, EF_ICCID: read always, update never */
	XCHG(f.card, "00B2030430", "8001019000 800118A40683010A950108 8001029700" "FFFFFFFFFFFFFFFFFFFFFF" FF16 " 9000");
	/* 8, EF_ACM: read PIN1, update PIN2, INCREASE (AM_DO 84 32) PIN1 */
	XCHG(f.card, "00B2080430", "800101A406830101950108 800102A406830181950108 800118A40683010A950108 "
	     "840132A406830101950108 FFFF FFFF 9000");
	XCHG(f.card, "00B2090430", "6A83");
	/* ADF.USIM's EF_ARR is the same file */
	XCHG(f.card, "00A4080C047FF06F06", "9000");
	XCHG(f.card, "00B2020430", "8001019000 80011AA40683010A950108" FF16 FF16 " 9000");
	card_fixture_close(&f);
}

/* What each verified key opens: one row = a fresh card, the keys verified, the file, the command. */
struct access_case {
	const char *name;
	const char *verify;       /* APDUs sent first, ';'-separated; NULL: none */
	const char *select;       /* the SELECT of the file */
	const char *apdu;
	const char *sw;
};

#define SEL_SPN "00A4080C047FF06F46"
#define SEL_IMSI "00A4080C047FF06F07"
#define SEL_FDN "00A4080C047F106F3B"
#define UPD_FDN "00DC01041C" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"

static const struct access_case access_cases[] = {
	{ "spn-read-always", NULL, SEL_SPN, "00B0000001", "* 9000" },
	{ "spn-update-nothing", NULL, SEL_SPN, "00D6000001 00", "6982" },
	{ "spn-update-pin1", VERIFY_PIN1, SEL_SPN, "00D6000001 00", "6982" },
	{ "spn-update-adm1", VERIFY_ADM1, SEL_SPN, "00D6000001 00", "9000" },
	{ "imsi-read-nothing", NULL, SEL_IMSI, "00B0000009", "6982" },
	{ "imsi-read-adm1", VERIFY_ADM1, SEL_IMSI, "00B0000009", "6982" },
	{ "imsi-read-pin1", VERIFY_PIN1, SEL_IMSI, "00B0000009", "* 9000" },
	{ "imsi-update-pin1", VERIFY_PIN1, SEL_IMSI, "00D6000001 08", "6982" },
	{ "imsi-update-adm1", VERIFY_ADM1, SEL_IMSI, "00D6000001 08", "9000" },
	{ "iccid-update-never", VERIFY_PIN1 ";" VERIFY_PIN2 ";" VERIFY_ADM1, "00A4000C022FE2", "00D6000001 98",
	  "6982" },
	{ "fdn-update-pin1", VERIFY_PIN1, SEL_FDN, UPD_FDN, "6982" },
	{ "fdn-update-pin2", VERIFY_PIN1 ";" VERIFY_PIN2, SEL_FDN, UPD_FDN, "9000" },
	{ "fdn-read-pin2-only", VERIFY_PIN2, SEL_FDN, "00B201041C", "6982" },
	/* TS 51.011 §9.4.5: 98 04 in the GSM class; ADM1 verified with CLA A0 */
	{ "gsm-spn-update-nothing", NULL, "A0A40000027F20;A0A40000026F46", "A0D6000001 00", "9804" },
	{ "gsm-spn-update-adm1", "A020000A08 3132333435363738", "A0A40000027F20;A0A40000026F46", "A0D6000001 00",
	  "9000" },
	{ "gsm-imsi-read-nothing", NULL, "A0A40000027F20;A0A40000026F07", "A0B0000009", "9804" },
};

static void send_list(struct uicc_card *card, const char *list)
{
	char **apdus = g_strsplit(list, ";", -1);

	for (char **a = apdus; *a; a++)
		XCHG(card, *a, "9???");
	g_strfreev(apdus);
}

static void test_access(gconstpointer data)
{
	const struct access_case *c = data;
	struct fixture f;

	card_fixture_open(&f, CARD "pin=1234\n" ADM1);
	if (c->verify)
		send_list(f.card, c->verify);
	send_list(f.card, c->select);
	XCHG(f.card, c->apdu, c->sw);
	card_fixture_close(&f);
}

/* ADM1 (key reference 0A): retries, blocked for good (no PUK), kept across a power cycle. */
static void test_adm1(void)
{
	struct fixture f;

	card_fixture_open(&f, CARD ADM1);
	XCHG(f.card, "0020000A00", "63C3");
	XCHG(f.card, "0020000A08 3132333435363730", "63C2");
	XCHG(f.card, VERIFY_ADM1, "9000");
	XCHG(f.card, "0020000A00", "9000");
	/* a reset forgets the verification, not the counter */
	uicc_card_reset(f.card, NULL, 0);
	XCHG(f.card, "0020000A00", "63C3");
	XCHG(f.card, "0020000A08 3132333435363730", "63C2");
	XCHG(f.card, "0020000A08 3132333435363730", "63C1");
	card_fixture_reopen(&f);
	XCHG(f.card, "0020000A00", "63C1");
	XCHG(f.card, "0020000A08 3132333435363730", "63C0");
	XCHG(f.card, VERIFY_ADM1, "6983");
	/* no PUK for ADM1; no enable / disable */
	XCHG(f.card, "002C000A10 3132333435363738 3132333435363738", "6A88");
	XCHG(f.card, "0026000A08 3132333435363738", "6985");
	card_fixture_close(&f);

	/* a card without adm1= has no such key */
	card_fixture_open(&f, CARD);
	XCHG(f.card, VERIFY_ADM1, "6A88");
	card_fixture_close(&f);
}

/* pin2= / puk2= replace the built-in 5678 / 87654321. */
static void test_pin2_config(void)
{
	struct fixture f;

	card_fixture_open(&f, CARD "pin2=4321\npuk2=11112222\n");
	XCHG(f.card, VERIFY_PIN2, "63C2");
	XCHG(f.card, "0020008108 34333231FFFFFFFF", "9000");
	XCHG(f.card, "002C008110 3131313132323232 35353535FFFFFFFF", "9000");
	XCHG(f.card, "0020008108 35353535FFFFFFFF", "9000");
	card_fixture_close(&f);
}

#define REC(hex) "00DC" hex "041C"
#define PAD20 "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"

/* EF_ADN records 2, 5, 7 hold 4142 at offsets 0, 0, 1. */
static void adn_with_records(struct fixture *f)
{
	card_fixture_open(f, CARD);
	XCHG(f->card, "00A4080C047F106F3A", "9000");
	XCHG(f->card, REC("02") "414243FFFFFF" "FFFF" PAD20, "9000");
	XCHG(f->card, REC("05") "414244FFFFFF" "FFFF" PAD20, "9000");
	XCHG(f->card, REC("07") "00414245FFFF" "FFFF" PAD20, "9000");
	/* a fresh selection: no current record */
	XCHG(f->card, "00A4080C047F106F3A", "9000");
}

/* TS 102 221 §11.1.7: simple and enhanced search; the matches in the order found. */
static void test_search_record(void)
{
	struct fixture f;

	adn_with_records(&f);
	/* P1 00: the current record, and there is none */
	XCHG(f.card, "00A2000402 4142", "6A83");
	XCHG(f.card, "00A2010402 4142", "6102");
	XCHG(f.card, "00C0000002", "0205 9000");
	/* the record pointer is on the first match */
	XCHG(f.card, "00B200041C", "414243FFFFFF* 9000");
	XCHG(f.card, "00A20A0502 4142", "6102");
	XCHG(f.card, "00C0000002", "0502 9000");
	XCHG(f.card, "00A2030402 4142", "6101");
	XCHG(f.card, "00C0000001", "05 9000");
	/* enhanced: at offset 1, forward from P1 */
	XCHG(f.card, "00A2010604 0401 4142", "6101");
	XCHG(f.card, "00C0000001", "07 9000");
	/* enhanced: after the first 41 (b4: the search byte is a value) */
	XCHG(f.card, "00A2010603 0C41 42", "6103");
	XCHG(f.card, "00C0000003", "020507 9000");
	/* enhanced: forward from the record after P1, backward from the one before */
	XCHG(f.card, "00A2020604 0600 4142", "6101");
	XCHG(f.card, "00C0000001", "05 9000");
	XCHG(f.card, "00A2050604 0700 4142", "6101");
	XCHG(f.card, "00C0000001", "02 9000");
	/* no match: 62 82 (unsuccessful search) */
	XCHG(f.card, "00A2010402 5A5A", "6282");
	/* a string longer than the record, a search mode that does not exist */
	XCHG(f.card, "00A201041D 41414141414141414141414141414141414141414141414141414141 41", "6700");
	XCHG(f.card, "00A2010702 4142", "6A86");
	/* a transparent EF */
	XCHG(f.card, "00A4080C047FF06F46", "9000");
	XCHG(f.card, "00A2010402 4142", "6981");
	card_fixture_close(&f);

	/* the READ access condition: EF_ADN needs PIN1 */
	card_fixture_open(&f, CARD "pin=1234\n");
	XCHG(f.card, "00A4080C047F106F3A", "9000");
	XCHG(f.card, "00A2010402 4142", "6982");
	card_fixture_close(&f);
}

/* TS 51.011 §9.2.7: type 1 moves the pointer, type 2 also answers the record number; 94 04 when absent. */
static void test_seek(void)
{
	struct fixture f;

	adn_with_records(&f);
	XCHG(f.card, "A0A40000027F10", "9F??");
	XCHG(f.card, "A0A40000026F3A", "9F0F");
	XCHG(f.card, "A0A2000002 4142", "9000");
	XCHG(f.card, "A0B200041C", "414243FFFFFF* 9000");
	XCHG(f.card, "A0A2001202 4142", "9F01");
	XCHG(f.card, "A0C0000001", "05 9000");
	XCHG(f.card, "A0A2001102 4142", "9F01");
	XCHG(f.card, "A0C0000001", "05 9000");
	XCHG(f.card, "A0A2001302 4142", "9F01");
	XCHG(f.card, "A0C0000001", "02 9000");
	XCHG(f.card, "A0A2001002 5A5A", "9404");
	card_fixture_close(&f);
}

/* TS 102 221 §11.1.8 on EF_ACM (cyclic, 3 × 3): the sum becomes record 1; 98 50 past the maximum. */
static void test_increase(void)
{
	struct fixture f;

	card_fixture_open(&f, CARD "pin=1234\n");
	XCHG(f.card, "00A4080C047FF06F39", "9000");
	XCHG(f.card, "8032000003 000010", "6982");
	XCHG(f.card, VERIFY_PIN1, "9000");
	XCHG(f.card, "8032000003 000010", "6106");
	XCHG(f.card, "00C0000006", "000010 000010 9000");
	XCHG(f.card, "8032000003 000005", "6106");
	XCHG(f.card, "00C0000006", "000015 000005 9000");
	XCHG(f.card, "00B2010403", "000015 9000");
	XCHG(f.card, "00B2020403", "000010 9000");
	XCHG(f.card, "00B2030403", "000000 9000");
	/* a shorter value is added to the low-order bytes */
	XCHG(f.card, "8032000001 FF", "6104");
	XCHG(f.card, "00C0000004", "000114 FF 9000");
	/* past FFFFFF: refused, nothing changed */
	XCHG(f.card, "8032000003 FFFFFF", "9850");
	XCHG(f.card, "00B2010403", "000114 9000");
	/* INCREASE is a CLA 8X command; UPDATE of EF_ACM needs PIN2 */
	XCHG(f.card, "0032000003 000001", "6E00");
	XCHG(f.card, "00DC000303 000000", "6982");
	/* not a cyclic EF */
	XCHG(f.card, "00A4080C047FF06F07", "9000");
	XCHG(f.card, "8032000003 000001", "6981");
	/* the GSM form: 3 bytes, 9F06 then GET RESPONSE */
	XCHG(f.card, "A0A40000027F20", "9F??");
	XCHG(f.card, "A0A40000026F39", "9F0F");
	XCHG(f.card, "A032000003 000001", "9F06");
	XCHG(f.card, "A0C0000006", "000115 000001 9000");
	/* durable */
	card_fixture_reopen(&f);
	XCHG(f.card, VERIFY_PIN1, "9000");
	XCHG(f.card, "00A4080C047FF06F39", "9000");
	XCHG(f.card, "00B2010403", "000115 9000");
	XCHG(f.card, "00B2020403", "000114 9000");
	card_fixture_close(&f);
}

/* TS 102 221 §11.1.14, §11.1.15 with ADM1; 62 83 on SELECT, 69 84 (98 10) on use, across a power cycle. */
static void test_deactivate(void)
{
	struct fixture f;

	card_fixture_open(&f, CARD ADM1);
	XCHG(f.card, "00A4080C047FF06F46", "9000");
	XCHG(f.card, "0004000000", "6982");
	XCHG(f.card, VERIFY_ADM1, "9000");
	XCHG(f.card, "0004000000", "9000");
	XCHG(f.card, "00B0000001", "6984");
	XCHG(f.card, "00D6000001 00", "6984");
	XCHG(f.card, "00A4080C047FF06F46", "6283");
	/* the GSM response: byte 12 b1 0 (invalidated); the DF_GSM alias shares the state */
	XCHG(f.card, "A0A40000027F20", "9F??");
	XCHG(f.card, "A0A40000026F46", "9F0F");
	XCHG(f.card, "A0C000000F", "000000116F46 04 00 04F044 00 02 00 00 9000");
	XCHG(f.card, "A0B0000001", "9810");
	card_fixture_reopen(&f);
	XCHG(f.card, "00A4080C047FF06F46", "6283");
	XCHG(f.card, "00B0000001", "6984");
	XCHG(f.card, VERIFY_ADM1, "9000");
	/* by FID from the current DF */
	XCHG(f.card, "00A4080C027FF0", "9000");
	XCHG(f.card, "0044000002 6F46", "9000");
	XCHG(f.card, "00B0000001", "* 9000");
	/* REHABILITATE / INVALIDATE in the GSM class */
	XCHG(f.card, "A0A40000027F20", "9F??");
	XCHG(f.card, "A0A40000026F46", "9F0F");
	XCHG(f.card, "A004000000", "9000");
	XCHG(f.card, "A0B0000001", "9810");
	XCHG(f.card, "A044000000", "9000");
	XCHG(f.card, "A0B0000001", "* 9000");
	/* no EF selected */
	XCHG(f.card, "00A4000C023F00", "9000");
	XCHG(f.card, "0004000000", "6986");
	card_fixture_close(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/uicc-files/arr-records", test_arr_records);
	for (size_t i = 0; i < G_N_ELEMENTS(access_cases); i++)
		tv_add_test("/uicc-files/access/", access_cases[i].name, &access_cases[i], test_access);
	g_test_add_func("/uicc-files/adm1", test_adm1);
	g_test_add_func("/uicc-files/pin2-config", test_pin2_config);
	g_test_add_func("/uicc-files/search-record", test_search_record);
	g_test_add_func("/uicc-files/seek", test_seek);
	g_test_add_func("/uicc-files/increase", test_increase);
	g_test_add_func("/uicc-files/deactivate", test_deactivate);
	return g_test_run();
}
