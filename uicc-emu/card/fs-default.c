/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card's files, built from its config: MF (TS 102 221 §13), DF_TELECOM
 * and DF_GSM (TS 51.011 §10) for 2G-style MEs, ADF.USIM (TS 31.102 §4.2)
 * with what oFono reads at start (src/sim.c, sms, voicecall, stk).  Files
 * the ME may write start with the contents below; the card state keeps
 * their current bytes (fs.c).
 */
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
#define ADM UICC_AC_ADM
#define NEV UICC_AC_NEV

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

/* TS 102 221 §9.2.5: one security condition of an access rule. */
static size_t security_condition(enum uicc_ac ac, uint8_t *out)
{
	static const uint8_t refs[] = { [PIN] = 0x01, [PIN2] = 0x81, [ADM] = 0x0A };

	if (ac == ALW) {
		out[0] = 0x90; out[1] = 0x00;
		return 2;
	}
	if (ac == NEV) {
		out[0] = 0x97; out[1] = 0x00;
		return 2;
	}
	out[0] = 0xA4; out[1] = 0x06;
	out[2] = 0x83; out[3] = 0x01; out[4] = refs[ac];
	out[5] = 0x95; out[6] = 0x01; out[7] = 0x08;
	return 8;
}

/* EF_ARR: record 1 + read * 5 + update (fs.c arr_record()), expanded format. */
static void fill_arr(struct uicc_file *arr)
{
	for (unsigned rd = ALW; rd <= NEV; rd++) {
		for (unsigned upd = ALW; upd <= NEV; upd++) {
			uint8_t rec[64];
			size_t n = 0;

			rec[n++] = 0x80; rec[n++] = 0x01; rec[n++] = 0x01;   /* AM: read */
			n += security_condition(rd, rec + n);
			rec[n++] = 0x80; rec[n++] = 0x01; rec[n++] = 0x02;   /* AM: update */
			n += security_condition(upd, rec + n);
			rec[n++] = 0x80; rec[n++] = 0x01; rec[n++] = 0x18;   /* AM: (de)activate */
			n += security_condition(ADM, rec + n);
			uicc_fs_set_record(arr, 1 + rd * 5 + upd, rec, n);
		}
	}
}

/* TS 51.011 §10.3.7 EF_SST: two bits (allocated, activated) per service. */
static void fill_sst(struct uicc_file *sst)
{
	static const unsigned services[] = { 1, 2, 4, 7, 9, 12, 17, 26, 27, 29 };
	uint8_t b[10];

	memset(b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		unsigned s = services[i] - 1;

		b[s / 4] |= (uint8_t)(3u << (2 * (s % 4)));
	}
	uicc_fs_set(sst, b, sizeof(b));
}

static struct uicc_file *mf_files(const struct simota_card_config *cfg)
{
	struct uicc_file *mf = uicc_fs_new_df(NULL, 0x3F00, UICC_FILE_MF);
	struct uicc_file *f;
	uint8_t b[64];

	/* EF_DIR (§13.1): one application template for the USIM */
	f = uicc_fs_records(mf, 0x2F00, UICC_EF_LINEAR_FIXED, 32, 2, ALW, ADM, 0x1E);
	b[0] = 0x61; b[1] = 0x18;
	b[2] = 0x4F; b[3] = 0x10;
	memcpy(b + 4, usim_aid, 16);
	b[20] = 0x50; b[21] = 0x04;
	memcpy(b + 22, "USIM", 4);
	uicc_fs_set_record(f, 1, b, 26);
	/* EF_ICCID (§13.2) */
	f = uicc_fs_transparent(mf, 0x2FE2, SIMOTA_EF_ICCID_LEN, ALW, NEV, 0x02);
	simota_ef_iccid_encode(cfg->iccid, b);
	uicc_fs_set(f, b, SIMOTA_EF_ICCID_LEN);
	/* EF_PL (§13.3): "en" */
	f = uicc_fs_transparent(mf, 0x2F05, 10, ALW, PIN, 0x05);
	uicc_fs_set(f, (const uint8_t *)"en", 2);
	/* EF_ARR (§13.4) */
	f = uicc_fs_records(mf, 0x2F06, UICC_EF_LINEAR_FIXED, 40, 25, ALW, ADM, 0x06);
	fill_arr(f);
	return mf;
}

static struct uicc_file *usim_files(const struct simota_card_config *cfg, struct uicc_file *mf)
{
	struct uicc_file *adf = uicc_fs_new_df(mf, 0x7FF0, UICC_FILE_ADF);
	struct uicc_file *f;
	uint8_t b[176];
	struct simota_sms_address number;

	memcpy(adf->aid, usim_aid, sizeof(usim_aid));
	adf->aid_len = sizeof(usim_aid);

	uicc_fs_alias(adf, 0x6F06, uicc_fs_child(mf, 0x2F06));                 /* EF_ARR */
	f = uicc_fs_transparent(adf, 0x6F05, 10, ALW, PIN, 0x02);              /* EF_LI */
	uicc_fs_set(f, (const uint8_t *)"en", 2);
	f = uicc_fs_transparent(adf, 0x6F07, SIMOTA_EF_IMSI_LEN, PIN, ADM, 0x07);   /* EF_IMSI */
	simota_ef_imsi_encode(cfg->imsi, b);
	uicc_fs_set(f, b, SIMOTA_EF_IMSI_LEN);
	f = uicc_fs_transparent(adf, 0x6F08, 33, PIN, PIN, 0x08);              /* EF_KEYS */
	b[0] = 0x07;
	uicc_fs_set(f, b, 1);
	f = uicc_fs_transparent(adf, 0x6F09, 33, PIN, PIN, 0x09);              /* EF_KEYSPS */
	uicc_fs_set(f, b, 1);
	f = uicc_fs_transparent(adf, 0x6F31, 1, PIN, ADM, 0x12);               /* EF_HPPLMN */
	b[0] = 0x00;
	uicc_fs_set(f, b, 1);
	f = uicc_fs_transparent(adf, 0x6F38, (uint16_t)(cfg->ust_len ? cfg->ust_len : 1), PIN, ADM, 0x04);
	uicc_fs_set(f, cfg->ust, cfg->ust_len);                                /* EF_UST */
	f = uicc_fs_transparent(adf, 0x6F56, 1, PIN, PIN2, 0x05);              /* EF_EST */
	b[0] = 0x00;
	uicc_fs_set(f, b, 1);
	f = uicc_fs_transparent(adf, 0x6F78, 2, PIN, ADM, 0x06);               /* EF_ACC */
	{
		size_t il = strlen(cfg->imsi);
		unsigned cls = il ? (unsigned)(cfg->imsi[il - 1] - '0') % 10 : 0;

		b[0] = (uint8_t)(cls >= 8 ? 1u << (cls - 8) : 0);
		b[1] = (uint8_t)(cls < 8 ? 1u << cls : 0);
		uicc_fs_set(f, b, 2);
	}
	uicc_fs_transparent(adf, 0x6F7B, 12, PIN, PIN, 0x0D);                  /* EF_FPLMN */
	f = uicc_fs_transparent(adf, 0x6F7E, 11, PIN, PIN, 0x0B);              /* EF_LOCI */
	memset(b, 0xFF, 11);
	encode_plmn(cfg->imsi, b + 4);
	b[7] = 0xFF; b[8] = 0xFE; b[9] = 0xFF; b[10] = 0x01;
	uicc_fs_set(f, b, 11);
	f = uicc_fs_transparent(adf, 0x6F73, 14, PIN, PIN, 0x0C);              /* EF_PSLOCI */
	memset(b, 0xFF, 14);
	encode_plmn(cfg->imsi, b + 7);
	b[10] = 0xFF; b[11] = 0xFE; b[12] = 0xFF; b[13] = 0x01;
	uicc_fs_set(f, b, 14);
	f = uicc_fs_transparent(adf, 0x6FE3, 18, PIN, PIN, 0x1E);              /* EF_EPSLOCI */
	memset(b, 0xFF, 18);
	b[17] = 0x01;
	uicc_fs_set(f, b, 18);
	f = uicc_fs_transparent(adf, 0x6FAD, SIMOTA_EF_AD_LEN, ALW, ADM, 0x03);    /* EF_AD */
	simota_ef_ad_encode(mnc_length(cfg->imsi), b);
	uicc_fs_set(f, b, SIMOTA_EF_AD_LEN);
	f = uicc_fs_transparent(adf, 0x6F46, SIMOTA_EF_SPN_LEN, ALW, ADM, 0);      /* EF_SPN */
	simota_ef_spn_encode(0x00, cfg->spn, b);
	uicc_fs_set(f, b, SIMOTA_EF_SPN_LEN);
	f = uicc_fs_records(adf, 0x6F40, UICC_EF_LINEAR_FIXED, 28, 2, PIN, PIN, 0);    /* EF_MSISDN */
	config_number(cfg->msisdn, &number);
	simota_ef_msisdn_encode(NULL, &number, b, 28);
	uicc_fs_set_record(f, 1, b, 28);
	f = uicc_fs_records(adf, 0x6F42, UICC_EF_LINEAR_FIXED, 40, 2, PIN, PIN, 0);    /* EF_SMSP */
	memset(b, 0xFF, 40);
	config_number(cfg->smsc, &number);
	if (number.digits[0])
		simota_ef_smsp_set_sca(b, 40, &number);
	uicc_fs_set_record(f, 1, b, 40);
	f = uicc_fs_records(adf, 0x6F3C, UICC_EF_LINEAR_FIXED, 176, 10, PIN, PIN, 0);  /* EF_SMS */
	memset(b, 0xFF, 176);
	b[0] = 0x00;                                                           /* free */
	for (unsigned r = 1; r <= 10; r++)
		uicc_fs_set_record(f, r, b, 176);
	uicc_fs_transparent(adf, 0x6F43, 2, PIN, PIN, 0);                      /* EF_SMSS */
	f = uicc_fs_records(adf, 0x6FB7, UICC_EF_LINEAR_FIXED, 4, 2, ALW, ADM, 0x01);  /* EF_ECC */
	uicc_fs_set_record(f, 1, (const uint8_t[]){ 0x11, 0xF2, 0xFF, 0x00 }, 4);
	uicc_fs_set_record(f, 2, (const uint8_t[]){ 0x19, 0xF1, 0xFF, 0x00 }, 4);
	uicc_fs_transparent(adf, 0x6F3E, 8, PIN, ADM, 0);                      /* EF_GID1 */
	uicc_fs_transparent(adf, 0x6F3F, 8, PIN, ADM, 0);                      /* EF_GID2 */
	uicc_fs_transparent(adf, 0x6F45, 10, PIN, PIN, 0);                     /* EF_CBMI */
	uicc_fs_transparent(adf, 0x6F48, 10, PIN, ADM, 0x0E);                  /* EF_CBMID */
	uicc_fs_transparent(adf, 0x6F50, 8, PIN, PIN, 0);                      /* EF_CBMIR */
	f = uicc_fs_transparent(adf, 0x6F5B, 6, PIN, PIN, 0x0F);               /* EF_START-HFN */
	uicc_fs_set(f, (const uint8_t[]){ 0xF0, 0x00, 0x00, 0xF0, 0x00, 0x00 }, 6);
	uicc_fs_transparent(adf, 0x6F5C, 3, PIN, ADM, 0x10);                   /* EF_THRESHOLD */
	uicc_fs_transparent(adf, 0x6F60, 40, PIN, PIN, 0x0A);                  /* EF_PLMNwAcT */
	uicc_fs_transparent(adf, 0x6F61, 40, PIN, ADM, 0x11);                  /* EF_OPLMNwAcT */
	uicc_fs_transparent(adf, 0x6F62, 5, PIN, ADM, 0x13);                   /* EF_HPLMNwAcT */
	uicc_fs_records(adf, 0x6FC7, UICC_EF_LINEAR_FIXED, 28, 1, PIN, PIN, 0);        /* EF_MBDN */
	f = uicc_fs_records(adf, 0x6FC9, UICC_EF_LINEAR_FIXED, 4, 1, PIN, PIN, 0);     /* EF_MBI */
	uicc_fs_set_record(f, 1, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
	f = uicc_fs_records(adf, 0x6FCA, UICC_EF_LINEAR_FIXED, 5, 1, PIN, PIN, 0);     /* EF_MWIS */
	uicc_fs_set_record(f, 1, (const uint8_t[]){ 0, 0, 0, 0, 0 }, 5);
	f = uicc_fs_records(adf, 0x6FCB, UICC_EF_LINEAR_FIXED, 16, 1, PIN, PIN, 0);    /* EF_CFIS */
	uicc_fs_set_record(f, 1, (const uint8_t[]){ 0x01, 0x00 }, 2);
	return adf;
}

static void telecom_files(struct uicc_file *mf, struct uicc_file *adf)
{
	struct uicc_file *df = uicc_fs_new_df(mf, 0x7F10, UICC_FILE_DF);

	uicc_fs_records(df, 0x6F3A, UICC_EF_LINEAR_FIXED, 28, 10, PIN, PIN, 0);       /* EF_ADN */
	uicc_fs_records(df, 0x6F3B, UICC_EF_LINEAR_FIXED, 28, 2, PIN, PIN2, 0);       /* EF_FDN */
	uicc_fs_alias(df, 0x6F3C, uicc_fs_child(adf, 0x6F3C));                        /* EF_SMS */
	uicc_fs_alias(df, 0x6F40, uicc_fs_child(adf, 0x6F40));                        /* EF_MSISDN */
	uicc_fs_alias(df, 0x6F42, uicc_fs_child(adf, 0x6F42));                        /* EF_SMSP */
	uicc_fs_alias(df, 0x6F43, uicc_fs_child(adf, 0x6F43));                        /* EF_SMSS */
	uicc_fs_records(df, 0x6F44, UICC_EF_CYCLIC, 28, 5, PIN, PIN, 0);              /* EF_LND */
	uicc_fs_records(df, 0x6F49, UICC_EF_LINEAR_FIXED, 28, 2, PIN, ADM, 0);        /* EF_SDN */
	uicc_fs_records(df, 0x6F4A, UICC_EF_LINEAR_FIXED, 13, 2, PIN, PIN, 0);        /* EF_EXT1 */
}

static void gsm_files(struct uicc_file *mf, struct uicc_file *adf)
{
	struct uicc_file *df = uicc_fs_new_df(mf, 0x7F20, UICC_FILE_DF);
	struct uicc_file *f;
	static const uint16_t same[] = { 0x6F07, 0x6F31, 0x6F78, 0x6F7B, 0x6F7E, 0x6FAD, 0x6F46,
					 0x6F3E, 0x6F3F, 0x6F45, 0x6F48, 0x6F50 };

	f = uicc_fs_transparent(df, 0x6F05, 4, ALW, PIN, 0);                   /* EF_LP: English */
	uicc_fs_set(f, (const uint8_t[]){ 0x01 }, 1);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		uicc_fs_alias(df, same[i], uicc_fs_child(adf, same[i]));
	f = uicc_fs_transparent(df, 0x6F20, 9, PIN, PIN, 0);                   /* EF_Kc */
	uicc_fs_set(f, (const uint8_t[]){ 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }, 9);
	uicc_fs_transparent(df, 0x6F30, 24, PIN, PIN, 0);                      /* EF_PLMNsel */
	f = uicc_fs_transparent(df, 0x6F38, 10, PIN, ADM, 0);                  /* EF_SST */
	fill_sst(f);
	f = uicc_fs_transparent(df, 0x6FAE, 1, ALW, ADM, 0);                   /* EF_Phase: 2+ */
	uicc_fs_set(f, (const uint8_t[]){ 0x03 }, 1);
	f = uicc_fs_transparent(df, 0x6FB7, 6, ALW, ADM, 0);                   /* EF_ECC (GSM: 3 bytes a code) */
	uicc_fs_set(f, (const uint8_t[]){ 0x11, 0xF2, 0xFF, 0x19, 0xF1, 0xFF }, 6);
}

struct uicc_file *uicc_fs_build_default(const struct simota_card_config *cfg, struct uicc_file **adf_usim)
{
	struct uicc_file *mf = mf_files(cfg);
	struct uicc_file *adf = usim_files(cfg, mf);

	telecom_files(mf, adf);
	gsm_files(mf, adf);
	*adf_usim = adf;
	return mf;
}
