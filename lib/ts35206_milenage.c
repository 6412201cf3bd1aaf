/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Milenage (3GPP TS 35.206 §4): f1, f1*, f2, f3, f4, f5, f5* and OPc, with
 * the constants of §4.1 (r1 = 64, r2 = 0, r3 = 32, r4 = 64, r5 = 96 bits;
 * c1 = 0, c2 = 1, c3 = 2, c4 = 4, c5 = 8 in the last byte) and AES-128 as
 * the kernel E[.]K, one EVP_CIPHER_CTX per key prepared once.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "simota/milenage.h"
#include "ts102225_internal.h"

struct simota_milenage {
	EVP_CIPHER_CTX *aes;        /* AES-128-ECB with K, no padding */
	uint8_t opc[SIMOTA_MILENAGE_OP_LEN];
};

/* TS 35.206 §4.1: the kernel function E[x]K, one 128-bit block. */
static simota_err encrypt_block(struct simota_milenage *m, const uint8_t in[16], uint8_t out[16])
{
	int outl = 0;

	if (!EVP_EncryptUpdate(m->aes, out, &outl, in, 16) || outl != 16)
		return SIMOTA_ERR_CRYPTO;
	return SIMOTA_OK;
}

simota_err simota_milenage_new(struct simota_ota_crypto *crypto, const uint8_t k[SIMOTA_MILENAGE_K_LEN],
			       const uint8_t opc[SIMOTA_MILENAGE_OP_LEN], struct simota_milenage **out)
{
	struct simota_milenage *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return SIMOTA_ERR_NO_SPACE;
	m->aes = EVP_CIPHER_CTX_new();
	if (!m->aes || !EVP_EncryptInit_ex2(m->aes, simota_crypto_aes128_ecb(crypto), k, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(m->aes, 0)) {
		simota_milenage_free(m);
		return SIMOTA_ERR_CRYPTO;
	}
	memcpy(m->opc, opc, sizeof(m->opc));
	*out = m;
	return SIMOTA_OK;
}

/* TS 35.206 §4.1: OPc = OP xor E[OP]K. */
simota_err simota_milenage_new_op(struct simota_ota_crypto *crypto, const uint8_t k[SIMOTA_MILENAGE_K_LEN],
				  const uint8_t op[SIMOTA_MILENAGE_OP_LEN], struct simota_milenage **out)
{
	static const uint8_t none[SIMOTA_MILENAGE_OP_LEN];
	struct simota_milenage *m;
	simota_err err = simota_milenage_new(crypto, k, none, &m);

	if (err)
		return err;
	if ((err = encrypt_block(m, op, m->opc))) {
		simota_milenage_free(m);
		*out = NULL;
		return err;
	}
	for (size_t i = 0; i < sizeof(m->opc); i++)
		m->opc[i] ^= op[i];
	*out = m;
	return SIMOTA_OK;
}

void simota_milenage_free(struct simota_milenage *m)
{
	if (!m)
		return;
	EVP_CIPHER_CTX_free(m->aes);   /* cleanses the key schedule */
	OPENSSL_cleanse(m->opc, sizeof(m->opc));
	free(m);
}

void simota_milenage_opc(const struct simota_milenage *m, uint8_t opc[SIMOTA_MILENAGE_OP_LEN])
{
	memcpy(opc, m->opc, SIMOTA_MILENAGE_OP_LEN);
}

/* TEMP = E[RAND xor OPc]K */
static simota_err temp_of(struct simota_milenage *m, const uint8_t rand[16], uint8_t temp[16])
{
	uint8_t x[16];

	for (int i = 0; i < 16; i++)
		x[i] = rand[i] ^ m->opc[i];
	return encrypt_block(m, x, temp);
}

/*
 * OUTn = E[rot(in xor OPc, r) xor c]K xor OPc, with in = TEMP (f2-f5*) or
 * IN1 (f1, f1*, which also add TEMP before the kernel).  Every r is a
 * multiple of 8: rot() is a byte rotation towards the most significant end.
 */
static simota_err out_of(struct simota_milenage *m, const uint8_t in[16], const uint8_t *temp,
			 unsigned r_bytes, uint8_t c, uint8_t out[16])
{
	uint8_t x[16], y[16];
	simota_err err;

	for (unsigned i = 0; i < 16; i++)
		x[i] = in[(i + r_bytes) % 16] ^ m->opc[(i + r_bytes) % 16];
	if (temp)
		for (int i = 0; i < 16; i++)
			x[i] ^= temp[i];
	x[15] ^= c;
	if ((err = encrypt_block(m, x, y)))
		return err;
	for (int i = 0; i < 16; i++)
		out[i] = y[i] ^ m->opc[i];
	OPENSSL_cleanse(x, sizeof(x));
	OPENSSL_cleanse(y, sizeof(y));
	return SIMOTA_OK;
}

/* TS 35.206 §4.1: IN1 = SQN || AMF || SQN || AMF; OUT1 with r1 = 64, c1 = 0;
 * f1 = OUT1[0..63], f1* = OUT1[64..127]. */
simota_err simota_milenage_f1(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
			      const uint8_t sqn[SIMOTA_AKA_SQN_LEN], const uint8_t amf[SIMOTA_AKA_AMF_LEN],
			      uint8_t mac_a[SIMOTA_AKA_MAC_LEN], uint8_t mac_s[SIMOTA_AKA_MAC_LEN])
{
	uint8_t temp[16], in1[16], out1[16];
	simota_err err;

	if ((err = temp_of(m, rand, temp)))
		return err;
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, in1, 8);
	if ((err = out_of(m, in1, temp, 8, 0x00, out1)))
		return err;
	if (mac_a)
		memcpy(mac_a, out1, 8);
	if (mac_s)
		memcpy(mac_s, out1 + 8, 8);
	OPENSSL_cleanse(temp, sizeof(temp));
	return SIMOTA_OK;
}

/* TS 35.206 §4.1: OUT2 (r2 = 0, c2 = 1): f5 = OUT2[0..47], f2 = OUT2[64..127];
 * OUT3 (r3 = 32, c3 = 2): f3; OUT4 (r4 = 64, c4 = 4): f4; OUT5 (r5 = 96,
 * c5 = 8): f5* = OUT5[0..47]. */
simota_err simota_milenage_f2345(struct simota_milenage *m, const uint8_t rand[SIMOTA_AKA_RAND_LEN],
				 uint8_t res[SIMOTA_AKA_RES_LEN], uint8_t ck[SIMOTA_AKA_CK_LEN],
				 uint8_t ik[SIMOTA_AKA_IK_LEN], uint8_t ak[SIMOTA_AKA_AK_LEN],
				 uint8_t ak_star[SIMOTA_AKA_AK_LEN])
{
	uint8_t temp[16], out[16];
	simota_err err;

	if ((err = temp_of(m, rand, temp)))
		return err;
	if (res || ak) {
		if ((err = out_of(m, temp, NULL, 0, 0x01, out)))
			return err;
		if (ak)
			memcpy(ak, out, 6);
		if (res)
			memcpy(res, out + 8, 8);
	}
	if (ck && (err = out_of(m, temp, NULL, 4, 0x02, ck)))
		return err;
	if (ik && (err = out_of(m, temp, NULL, 8, 0x04, ik)))
		return err;
	if (ak_star) {
		if ((err = out_of(m, temp, NULL, 12, 0x08, out)))
			return err;
		memcpy(ak_star, out, 6);
	}
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(out, sizeof(out));
	return SIMOTA_OK;
}
