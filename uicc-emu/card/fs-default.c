/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's files, built from its config: MF (TS 102 221 §13), DF_TELECOM
 * and DF_GSM (TS 51.011 §10) for 2G-style MEs, ADF.USIM (TS 31.102 §4.2)
 * with what oFono reads at start (src/sim.c, sms, voicecall, stk).  The file
 * set is data: one const table per DF (FID, SFI, structure, size or record
 * length and count, access conditions, name, where the first contents come
 * from), in the manner of libosmocore's src/sim/card_fs_usim.c.  The tables
 * build the skeleton the cards share; a card's EF starts with those contents
 * when the card first uses it, and the card state keeps its current bytes
 * (fs.c).
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "card/card-internal.h"
#include "simota/ts102221.h"
#include "simota/ts24008.h"
#include "simota/ts31102.h"

/* The USIM AID (TS 101 220 Annex E: RID A000000087, application code 1002). */
static const uint8_t usim_aid[16] = {
	0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x04, 0x03, 0x00, 0xFF,
};

#define ALW UICC_AC_ALW
#define PIN UICC_AC_PIN1
#define PIN2 UICC_AC_PIN2
#define ADM UICC_AC_ADM1
#define NEV UICC_AC_NEV

/*
 * The access rules of the file set (TS 102 221 §9.2.5): EF_ARR record n is
 * rule n.  Per rule: READ (and SEARCH), UPDATE, INCREASE, DEACTIVATE,
 * ACTIVATE.  Files name their rule by its record; the rules follow TS 31.102
 * §4.2 and TS 51.011 §10 (ADM for what the issuer administers).
 */
enum arr_record {
	ARR_DF = 1,         /* DFs and ADFs: (de)activate ADM1; no file creation or deletion */
	ARR_ALW_ADM,        /* read always, update ADM1 (EF_DIR, EF_AD, EF_SPN, EF_ECC) */
	ARR_ALW_NEV,        /* read always, never updated (EF_ICCID) */
	ARR_ALW_PIN,        /* read always, update PIN1 (EF_PL, EF_LP) */
	ARR_PIN_PIN,        /* the user's files */
	ARR_PIN_ADM,        /* read PIN1, update ADM1 (EF_IMSI, EF_UST, ...) */
	ARR_PIN_PIN2,       /* read PIN1, update PIN2 (EF_FDN, EF_EST) */
	ARR_ACM,            /* read PIN1, update PIN2, INCREASE PIN1 (EF_ACM, TS 31.102 §4.2.9) */
	ARR_END,
};

#define RULE(rd, upd, inc) { .ac = { [UICC_AM_READ] = (rd), [UICC_AM_UPDATE] = (upd), \
	[UICC_AM_INCREASE] = (inc), [UICC_AM_DEACTIVATE] = ADM, [UICC_AM_ACTIVATE] = ADM } }

static const struct uicc_access_rule access_rules[ARR_END - 1] = {
	[ARR_DF - 1] = RULE(NEV, NEV, NEV),
	[ARR_ALW_ADM - 1] = RULE(ALW, ADM, NEV),
	[ARR_ALW_NEV - 1] = RULE(ALW, NEV, NEV),
	[ARR_ALW_PIN - 1] = RULE(ALW, PIN, NEV),
	[ARR_PIN_PIN - 1] = RULE(PIN, PIN, NEV),
	[ARR_PIN_ADM - 1] = RULE(PIN, ADM, NEV),
	[ARR_PIN_PIN2 - 1] = RULE(PIN, PIN2, NEV),
	[ARR_ACM - 1] = RULE(PIN, PIN2, PIN),
};

/* The longest record uicc_access_rule_encode() writes for these rules (checked when the EF is built). */
#define ARR_RECORD_LEN 48

const struct uicc_access_rule *uicc_access_rule(unsigned record)
{
	if (record < 1 || record >= ARR_END)
		return NULL;
	return &access_rules[record - 1];
}

unsigned uicc_access_rules_count(void)
{
	return ARR_END - 1;
}

/* MCCs whose networks use 3-digit MNCs (for EF_AD byte 4). */
static unsigned mnc_length(const char *imsi)
{
	static const int three[] = { 302, 310, 311, 312, 313, 314, 315, 316, 334, 338, 342, 344, 346, 348,
				     354, 356, 358, 360, 365, 366, 376, 708, 722, 732 };
	int mcc = 0;

	if (strlen(imsi) < 5)
		return 2;
	mcc = (imsi[0] - '0') * 100 + (imsi[1] - '0') * 10 + (imsi[2] - '0');
	for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
		if (three[i] == mcc)
			return 3;
	return 2;
}

/* TS 24.008 §10.5.1.3: the IMSI's MCC and MNC in 3 bytes (FF FF FF when the IMSI is too short). */
static void encode_plmn(const char *imsi, uint8_t out[3])
{
	char mcc[4] = { 0 }, mnc[4] = { 0 };
	struct simota_writer w = simota_writer_init(out, 3);

	memset(out, 0xFF, 3);
	if (strlen(imsi) < 6)
		return;
	memcpy(mcc, imsi, 3);
	memcpy(mnc, imsi + 3, mnc_length(imsi));
	if (simota_plmn_encode(&w, mcc, mnc) != SIMOTA_OK)
		memset(out, 0xFF, 3);
}

/* A number of the config ("+4915..." or digits) as EF_MSISDN / EF_SMSP hold it (TS 31.102 §4.4.2.3). */
static void config_number(const char *text, struct simota_sms_address *a)
{
	if (simota_sms_address_from_text(text, a) != SIMOTA_OK)
		memset(a, 0, sizeof(*a));
}

/* ---- initial contents ------------------------------------------------ */

/* TS 102 221 §13.1 EF_DIR: one application template, the USIM's. */
static size_t ef_dir(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)cfg;
	if (rec != 1 || cap < 26)
		return 0;
	b[0] = 0x61; b[1] = 0x18;
	b[2] = 0x4F; b[3] = 0x10;
	memcpy(b + 4, usim_aid, 16);
	b[20] = 0x50; b[21] = 0x04;
	memcpy(b + 22, "USIM", 4);
	return 26;
}

/* TS 102 221 §13.2 EF_ICCID (all FF for a config without one) */
static size_t ef_iccid(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	if (cap < SIMOTA_EF_ICCID_LEN)
		return 0;
	simota_ef_iccid_encode(cfg->iccid, b);
	return SIMOTA_EF_ICCID_LEN;
}

/* TS 102 221 §13.4 EF_ARR: record n holds access rule n (access.c encodes it). */
static size_t ef_arr(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	size_t n = uicc_access_rule_encode(rec, b, cap < ARR_RECORD_LEN ? cap : ARR_RECORD_LEN);

	(void)cfg;
	g_assert(n || rec >= ARR_END);          /* a rule longer than the record: the table is wrong */
	return n;
}

/* TS 31.102 §4.2.2 EF_IMSI */
static size_t ef_imsi(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	if (cap < SIMOTA_EF_IMSI_LEN)
		return 0;
	simota_ef_imsi_encode(cfg->imsi, b);          /* all FF for a config without one */
	return SIMOTA_EF_IMSI_LEN;
}

/* TS 31.102 §4.2.8 EF_UST: the config's bytes (the EF is as long as they are). */
static size_t ef_ust(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	size_t n = cfg->ust_len < cap ? cfg->ust_len : cap;

	(void)rec;
	memcpy(b, cfg->ust, n);
	return n;
}

/* TS 31.102 §4.2.15 EF_ACC: the class of the IMSI's last digit. */
static size_t ef_acc(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	size_t il = strlen(cfg->imsi);
	unsigned cls = il ? (unsigned)(cfg->imsi[il - 1] - '0') % 10 : 0;

	(void)rec;
	if (cap < 2)
		return 0;
	b[0] = (uint8_t)(cls >= 8 ? 1u << (cls - 8) : 0);
	b[1] = (uint8_t)(cls < 8 ? 1u << cls : 0);
	return 2;
}

/*
 * EF_LOCI and EF_PSLOCI alike: the temporary identity (id_len bytes) unset, then the home PLMN, LAC FFFE,
 * one byte FF (LOCI: TMSI TIME; PSLOCI: RAC), and the update status 01 "not updated".
 */
static size_t location_info(const struct simota_card_config *cfg, size_t id_len, uint8_t *b, size_t cap)
{
	uint8_t *lai = b + id_len;

	if (cap < id_len + 7)
		return 0;
	memset(b, 0xFF, id_len + 7);
	encode_plmn(cfg->imsi, lai);
	lai[3] = 0xFF; lai[4] = 0xFE; lai[5] = 0xFF; lai[6] = 0x01;
	return id_len + 7;
}

/* TS 31.102 §4.2.17 EF_LOCI: no TMSI, the home PLMN, LAC FFFE, not updated. */
static size_t ef_loci(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	return location_info(cfg, 4, b, cap);
}

/* TS 31.102 §4.2.23 EF_PSLOCI: the same for the PS domain (P-TMSI, P-TMSI signature unset). */
static size_t ef_psloci(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	return location_info(cfg, 4 + 3, b, cap);
}

/* TS 31.102 §4.2.18 EF_AD: normal operation, the MNC length. */
static size_t ef_ad(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	if (cap < SIMOTA_EF_AD_LEN)
		return 0;
	simota_ef_ad_encode(mnc_length(cfg->imsi), b);
	return SIMOTA_EF_AD_LEN;
}

/* TS 31.102 §4.2.12 EF_SPN: display condition 00, the name in the SIM alphabet. */
static size_t ef_spn(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	(void)rec;
	if (cap < SIMOTA_EF_SPN_LEN)
		return 0;
	simota_ef_spn_encode(0x00, cfg->spn, b);      /* a name that does not fit: all FF */
	return SIMOTA_EF_SPN_LEN;
}

/* TS 31.102 §4.2.26 EF_MSISDN record 1: no alpha identifier (14 bytes), the number. */
static size_t ef_msisdn(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	struct simota_sms_address number;

	if (rec != 1 || cap < 28)
		return 0;
	config_number(cfg->msisdn, &number);
	simota_ef_msisdn_encode(NULL, &number, b, 28);
	return 28;
}

/* TS 31.102 §4.2.27 EF_SMSP record 1: the TS-Service Centre Address, if the config has one. */
static size_t ef_smsp(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	struct simota_sms_address sca;

	if (rec != 1 || cap < 40)
		return 0;
	memset(b, 0xFF, 40);
	config_number(cfg->smsc, &sca);
	if (sca.digits[0])
		simota_ef_smsp_set_sca(b, 40, &sca);
	return 40;
}

/* TS 31.102 §4.2.21 EF_ECC: 112 and 911, no alpha identifier, no category. */
static size_t ef_ecc(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	static const uint8_t codes[2][4] = { { 0x11, 0xF2, 0xFF, 0x00 }, { 0x19, 0xF1, 0xFF, 0x00 } };

	(void)cfg;
	if (rec < 1 || rec > 2 || cap < 4)
		return 0;
	memcpy(b, codes[rec - 1], 4);
	return 4;
}

/* TS 51.011 §10.3.7 EF_SST: two bits (allocated, activated) per service. */
static size_t ef_sst(const struct simota_card_config *cfg, unsigned rec, uint8_t *b, size_t cap)
{
	static const unsigned services[] = { 1, 2, 4, 7, 9, 12, 17, 26, 27, 29 };

	(void)cfg;
	(void)rec;
	if (cap < 10)
		return 0;
	memset(b, 0, 10);
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		unsigned s = services[i] - 1;

		b[s / 4] |= (uint8_t)(3u << (2 * (s % 4)));
	}
	return 10;
}

/* ---- the tables --------------------------------------------------------- */

/*
 * Where an EF's first bytes come from: a function of the config (transparent
 * EF: rec 0; record EF: called for each record), or fixed bytes (from byte 0
 * of a transparent EF; every record of a record EF), or neither (all FF).
 * What is not written stays FF.
 */
typedef size_t (*ef_content_fn)(const struct simota_card_config *cfg, unsigned rec, uint8_t *out, size_t cap);

struct ef_content {
	ef_content_fn fn;
	const uint8_t *bytes;
	size_t len;
};

struct ef_desc {
	uint16_t fid;
	uint8_t sfi;                          /* 0: none */
	enum uicc_ef_structure structure;
	uint16_t size;                        /* transparent; 0: as long as its contents (at least 1) */
	uint8_t rec_len, n_rec;
	uint8_t arr;                          /* its access rule (enum arr_record) */
	const char *name;
	struct ef_content content;
	const char *alias;                    /* shows this EF's contents ("3F00/7FF0/6F3C") */
};

#define EMPTY { 0 }
#define FROM(fn_) { .fn = (fn_) }
#define FIXED(...) { .bytes = (const uint8_t[]){ __VA_ARGS__ }, \
		     .len = sizeof((const uint8_t[]){ __VA_ARGS__ }) }
#define EF_TRANSP(fid_, sfi_, size_, arr_, name_, content_) \
	{ .fid = (fid_), .sfi = (sfi_), .structure = UICC_EF_TRANSPARENT, .size = (size_), \
	  .arr = (arr_), .name = (name_), .content = content_ }
#define EF_LIN_FIX(fid_, sfi_, rec_len_, n_rec_, arr_, name_, content_) \
	{ .fid = (fid_), .sfi = (sfi_), .structure = UICC_EF_LINEAR_FIXED, .rec_len = (rec_len_), \
	  .n_rec = (n_rec_), .arr = (arr_), .name = (name_), .content = content_ }
#define EF_CYCLIC(fid_, sfi_, rec_len_, n_rec_, arr_, name_, content_) \
	{ .fid = (fid_), .sfi = (sfi_), .structure = UICC_EF_CYCLIC, .rec_len = (rec_len_), \
	  .n_rec = (n_rec_), .arr = (arr_), .name = (name_), .content = content_ }
#define EF_ALIAS(fid_, name_, target_) { .fid = (fid_), .name = (name_), .alias = (target_) }

/* TS 102 221 §13: the EFs under the MF. */
static const struct ef_desc mf_efs[] = {
	EF_LIN_FIX(0x2F00, 0x1E, 32, 2, ARR_ALW_ADM, "EF_DIR", FROM(ef_dir)),
	EF_TRANSP(0x2FE2, 0x02, SIMOTA_EF_ICCID_LEN, ARR_ALW_NEV, "EF_ICCID", FROM(ef_iccid)),
	EF_TRANSP(0x2F05, 0x05, 10, ARR_ALW_PIN, "EF_PL", FIXED('e', 'n')),
	EF_LIN_FIX(0x2F06, 0x06, ARR_RECORD_LEN, ARR_END - 1, ARR_ALW_ADM, "EF_ARR", FROM(ef_arr)),
};

/* TS 31.102 §4.2: ADF.USIM, what oFono reads at start (src/sim.c, sms, voicecall, stk). */
static const struct ef_desc usim_efs[] = {
	EF_ALIAS(0x6F06, "EF_ARR", "3F00/2F06"),
	EF_TRANSP(0x6F05, 0x02, 10, ARR_ALW_PIN, "EF_LI", FIXED('e', 'n')),
	EF_TRANSP(0x6F07, 0x07, SIMOTA_EF_IMSI_LEN, ARR_PIN_ADM, "EF_IMSI", FROM(ef_imsi)),
	EF_TRANSP(0x6F08, 0x08, 33, ARR_PIN_PIN, "EF_KEYS", FIXED(0x07)),           /* KSI: no key */
	EF_TRANSP(0x6F09, 0x09, 33, ARR_PIN_PIN, "EF_KEYSPS", FIXED(0x07)),
	EF_TRANSP(0x6F31, 0x12, 1, ARR_PIN_ADM, "EF_HPPLMN", FIXED(0x00)),
	EF_TRANSP(0x6F38, 0x04, 0, ARR_PIN_ADM, "EF_UST", FROM(ef_ust)),
	EF_TRANSP(0x6F56, 0x05, 1, ARR_PIN_PIN2, "EF_EST", FIXED(0x00)),
	EF_TRANSP(0x6F78, 0x06, 2, ARR_PIN_ADM, "EF_ACC", FROM(ef_acc)),
	EF_TRANSP(0x6F7B, 0x0D, 12, ARR_PIN_PIN, "EF_FPLMN", EMPTY),
	EF_TRANSP(0x6F7E, 0x0B, 11, ARR_PIN_PIN, "EF_LOCI", FROM(ef_loci)),
	EF_TRANSP(0x6F73, 0x0C, 14, ARR_PIN_PIN, "EF_PSLOCI", FROM(ef_psloci)),
	EF_TRANSP(0x6FE3, 0x1E, 18, ARR_PIN_PIN, "EF_EPSLOCI",
		  FIXED(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01)),          /* not updated */
	EF_TRANSP(0x6FAD, 0x03, SIMOTA_EF_AD_LEN, ARR_ALW_ADM, "EF_AD", FROM(ef_ad)),
	EF_TRANSP(0x6F46, 0, SIMOTA_EF_SPN_LEN, ARR_ALW_ADM, "EF_SPN", FROM(ef_spn)),
	EF_LIN_FIX(0x6F40, 0, 28, 2, ARR_PIN_PIN, "EF_MSISDN", FROM(ef_msisdn)),
	EF_LIN_FIX(0x6F42, 0, 40, 2, ARR_PIN_PIN, "EF_SMSP", FROM(ef_smsp)),
	EF_LIN_FIX(0x6F3C, 0, 176, 10, ARR_PIN_PIN, "EF_SMS", FIXED(0x00)),        /* every record free */
	EF_TRANSP(0x6F43, 0, 2, ARR_PIN_PIN, "EF_SMSS", EMPTY),
	EF_LIN_FIX(0x6FB7, 0x01, 4, 2, ARR_ALW_ADM, "EF_ECC", FROM(ef_ecc)),
	EF_TRANSP(0x6F3E, 0, 8, ARR_PIN_ADM, "EF_GID1", EMPTY),
	EF_TRANSP(0x6F3F, 0, 8, ARR_PIN_ADM, "EF_GID2", EMPTY),
	EF_TRANSP(0x6F45, 0, 10, ARR_PIN_PIN, "EF_CBMI", EMPTY),
	EF_TRANSP(0x6F48, 0x0E, 10, ARR_PIN_ADM, "EF_CBMID", EMPTY),
	EF_TRANSP(0x6F50, 0, 8, ARR_PIN_PIN, "EF_CBMIR", EMPTY),
	EF_TRANSP(0x6F5B, 0x0F, 6, ARR_PIN_PIN, "EF_START-HFN", FIXED(0xF0, 0x00, 0x00, 0xF0, 0x00, 0x00)),
	EF_TRANSP(0x6F5C, 0x10, 3, ARR_PIN_ADM, "EF_THRESHOLD", EMPTY),
	EF_TRANSP(0x6F60, 0x0A, 40, ARR_PIN_PIN, "EF_PLMNwAcT", EMPTY),
	EF_TRANSP(0x6F61, 0x11, 40, ARR_PIN_ADM, "EF_OPLMNwAcT", EMPTY),
	EF_TRANSP(0x6F62, 0x13, 5, ARR_PIN_ADM, "EF_HPLMNwAcT", EMPTY),
	EF_LIN_FIX(0x6FC7, 0, 28, 1, ARR_PIN_PIN, "EF_MBDN", EMPTY),
	EF_LIN_FIX(0x6FC9, 0, 4, 1, ARR_PIN_PIN, "EF_MBI", FIXED(0, 0, 0, 0)),
	EF_LIN_FIX(0x6FCA, 0, 5, 1, ARR_PIN_PIN, "EF_MWIS", FIXED(0, 0, 0, 0, 0)),
	EF_LIN_FIX(0x6FCB, 0, 16, 1, ARR_PIN_PIN, "EF_CFIS", FIXED(0x01, 0x00)),
	/* accumulated call meter: INCREASE adds to the newest record (TS 31.102 §4.2.9, §4.2.7) */
	EF_CYCLIC(0x6F39, 0, 3, 3, ARR_ACM, "EF_ACM", FIXED(0x00, 0x00, 0x00)),
	EF_TRANSP(0x6F37, 0, 3, ARR_PIN_PIN2, "EF_ACMmax", FIXED(0x00, 0x00, 0x00)),
};

/* TS 51.011 §10.5: DF_TELECOM for 2G-style MEs; the SMS files are ADF.USIM's. */
static const struct ef_desc telecom_efs[] = {
	EF_LIN_FIX(0x6F3A, 0, 28, 10, ARR_PIN_PIN, "EF_ADN", EMPTY),
	EF_LIN_FIX(0x6F3B, 0, 28, 2, ARR_PIN_PIN2, "EF_FDN", EMPTY),
	EF_ALIAS(0x6F3C, "EF_SMS", "3F00/7FF0/6F3C"),
	EF_ALIAS(0x6F40, "EF_MSISDN", "3F00/7FF0/6F40"),
	EF_ALIAS(0x6F42, "EF_SMSP", "3F00/7FF0/6F42"),
	EF_ALIAS(0x6F43, "EF_SMSS", "3F00/7FF0/6F43"),
	EF_CYCLIC(0x6F44, 0, 28, 5, ARR_PIN_PIN, "EF_LND", EMPTY),
	EF_LIN_FIX(0x6F49, 0, 28, 2, ARR_PIN_ADM, "EF_SDN", EMPTY),
	EF_LIN_FIX(0x6F4A, 0, 13, 2, ARR_PIN_PIN, "EF_EXT1", EMPTY),
};

/* TS 51.011 §10.3: DF_GSM; the files it shares with ADF.USIM show the same contents. */
static const struct ef_desc gsm_efs[] = {
	EF_TRANSP(0x6F05, 0, 4, ARR_ALW_PIN, "EF_LP", FIXED(0x01)),                 /* English */
	EF_ALIAS(0x6F07, "EF_IMSI", "3F00/7FF0/6F07"),
	EF_ALIAS(0x6F31, "EF_HPPLMN", "3F00/7FF0/6F31"),
	EF_ALIAS(0x6F78, "EF_ACC", "3F00/7FF0/6F78"),
	EF_ALIAS(0x6F7B, "EF_FPLMN", "3F00/7FF0/6F7B"),
	EF_ALIAS(0x6F7E, "EF_LOCI", "3F00/7FF0/6F7E"),
	EF_ALIAS(0x6FAD, "EF_AD", "3F00/7FF0/6FAD"),
	EF_ALIAS(0x6F46, "EF_SPN", "3F00/7FF0/6F46"),
	EF_ALIAS(0x6F3E, "EF_GID1", "3F00/7FF0/6F3E"),
	EF_ALIAS(0x6F3F, "EF_GID2", "3F00/7FF0/6F3F"),
	EF_ALIAS(0x6F45, "EF_CBMI", "3F00/7FF0/6F45"),
	EF_ALIAS(0x6F48, "EF_CBMID", "3F00/7FF0/6F48"),
	EF_ALIAS(0x6F50, "EF_CBMIR", "3F00/7FF0/6F50"),
	EF_ALIAS(0x6F39, "EF_ACM", "3F00/7FF0/6F39"),
	EF_ALIAS(0x6F37, "EF_ACMmax", "3F00/7FF0/6F37"),
	EF_TRANSP(0x6F20, 0, 9, ARR_PIN_PIN, "EF_Kc",
		  FIXED(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07)),     /* KSI: no key */
	EF_TRANSP(0x6F30, 0, 24, ARR_PIN_PIN, "EF_PLMNsel", EMPTY),
	EF_TRANSP(0x6F38, 0, 10, ARR_PIN_ADM, "EF_SST", FROM(ef_sst)),
	EF_TRANSP(0x6FAE, 0, 1, ARR_ALW_ADM, "EF_Phase", FIXED(0x03)),              /* phase 2+ */
	EF_TRANSP(0x6FB7, 0, 6, ARR_ALW_ADM, "EF_ECC", FIXED(0x11, 0xF2, 0xFF, 0x19, 0xF1, 0xFF)),
};

struct df_desc {
	uint16_t fid;
	enum uicc_file_kind kind;
	const char *name;
	const uint8_t *aid;                   /* ADF: its AID (16 bytes) */
	const struct ef_desc *efs;
	size_t n_efs;
};

#define DF(fid_, kind_, name_, aid_, efs_) \
	{ .fid = (fid_), .kind = (kind_), .name = (name_), .aid = (aid_), .efs = (efs_), \
	  .n_efs = sizeof(efs_) / sizeof((efs_)[0]) }

/* The MF first; the others are its children, in this order (later ones alias earlier ones). */
static const struct df_desc file_system[] = {
	DF(0x3F00, UICC_FILE_MF, "MF", NULL, mf_efs),
	DF(0x7FF0, UICC_FILE_ADF, "ADF.USIM", usim_aid, usim_efs),
	DF(0x7F10, UICC_FILE_DF, "DF_TELECOM", NULL, telecom_efs),
	DF(0x7F20, UICC_FILE_DF, "DF_GSM", NULL, gsm_efs),
};

/* ---- building the skeleton from the tables ------------------------------ */

/* A transparent EF of size 0 in a table is as long as its contents (EF_UST: the config's bytes). */
static uint16_t ef_size(const struct simota_card_config *cfg, const struct ef_desc *d)
{
	uint8_t b[UICC_RESP_MAX];
	size_t n;

	if (d->size || d->structure != UICC_EF_TRANSPARENT)
		return d->size;
	n = d->content.fn ? d->content.fn(cfg, 0, b, sizeof(b)) : d->content.len;
	return (uint16_t)(n ? n : 1);
}

static void add_ef(const struct simota_card_config *cfg, struct uicc_fs *fs, struct uicc_file *df,
		   const struct ef_desc *d)
{
	if (d->alias) {
		struct uicc_file *target = uicc_fs_find_key(fs, d->alias);

		g_assert(target);             /* the tables are wrong */
		uicc_fs_alias(fs, df, d->fid, target);
		return;
	}
	uicc_fs_new_ef(fs, df, d->fid, d->structure, ef_size(cfg, d), d->rec_len, d->n_rec, d->arr, d->sfi, d);
}

struct uicc_fs *uicc_fs_build_default(const struct simota_card_config *cfg)
{
	struct uicc_fs *fs = g_new0(struct uicc_fs, 1);

	for (size_t i = 0; i < sizeof(file_system) / sizeof(file_system[0]); i++) {
		const struct df_desc *dd = &file_system[i];
		struct uicc_file *df = uicc_fs_new_df(fs, fs->mf, dd->fid, dd->kind, ARR_DF);

		if (dd->aid) {
			df->aid = dd->aid;
			df->aid_len = sizeof(usim_aid);
			if (!fs->adf_usim)
				fs->adf_usim = df;
		}
		for (size_t k = 0; k < dd->n_efs; k++)
			add_ef(cfg, fs, df, &dd->efs[k]);
	}
	return fs;
}

/* The sizes that depend on the config (size-0 rows) are the skeleton's. */
bool uicc_fs_fits(const struct uicc_fs *fs, const struct simota_card_config *cfg)
{
	for (unsigned i = 0; i < fs->n_files; i++) {
		const struct uicc_file *f = fs->files[i];
		const struct ef_desc *d = f->desc;

		if (d && d->size == 0 && d->structure == UICC_EF_TRANSPARENT && ef_size(cfg, d) != f->size)
			return false;
	}
	return true;
}

/* A table row's contents: a function of the config (per record), fixed bytes, or nothing (FF). */
void uicc_fs_default_content(const struct simota_card_config *cfg, const struct uicc_file *f, uint8_t *out)
{
	const struct ef_desc *d = f->desc;
	uint8_t b[UICC_RESP_MAX];
	size_t n;

	memset(out, 0xFF, f->size);
	if (!d)
		return;
	if (f->structure == UICC_EF_TRANSPARENT) {
		n = d->content.fn ? d->content.fn(cfg, 0, b, sizeof(b)) : d->content.len;
		if (n)
			memcpy(out, d->content.fn ? b : d->content.bytes, n < f->size ? n : f->size);
		return;
	}
	for (unsigned rec = 1; rec <= f->n_rec; rec++) {
		n = d->content.fn ? d->content.fn(cfg, rec, b, sizeof(b)) : d->content.len;
		if (n)
			memcpy(out + (size_t)(rec - 1) * f->rec_len, d->content.fn ? b : d->content.bytes,
			       n < f->rec_len ? n : f->rec_len);
	}
}
