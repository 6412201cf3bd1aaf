/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libsimota error codes: one code per distinct way a decode/encode can fail. */
#ifndef SIMOTA_ERROR_H
#define SIMOTA_ERROR_H

typedef enum {
	SIMOTA_OK = 0,
	SIMOTA_ERR_TRUNCATED,        /* input ends before a length says it should */
	SIMOTA_ERR_BAD_LENGTH,       /* a length field is malformed or inconsistent */
	SIMOTA_ERR_BAD_TAG,          /* tag malformed, unexpected or out of order */
	SIMOTA_ERR_TRAILING_DATA,    /* bytes left after a complete object */
	SIMOTA_ERR_NO_SPACE,         /* output buffer too small */
	SIMOTA_ERR_MISSING_VALUE,    /* a mandatory element is absent (TS 102 223 §6.10: result 36) */
	SIMOTA_ERR_NOT_UNDERSTOOD,   /* a comprehension-required element is unknown (result 32) */
	SIMOTA_ERR_BAD_VALUE,        /* a field holds a value the spec does not allow */
	SIMOTA_ERR_UNSUPPORTED,      /* valid per spec, not implemented by this codec */
	SIMOTA_ERR_BAD_ENCODING,     /* text not representable / invalid UTF-8 / invalid UCS2 */
	SIMOTA_ERR_BAD_KEY,          /* key of the wrong length for its algorithm */
	SIMOTA_ERR_CRYPTO,           /* OpenSSL failed (provider not loadable, ...) */
	SIMOTA_ERR_CHECKSUM,         /* RC/CC/DS does not verify */
	SIMOTA_ERR_BAD_PADDING,      /* padding counter inconsistent with the data */
	SIMOTA_ERR_COUNTER,          /* counter rejected by the receiving entity's policy */
	SIMOTA_ERR_INCOMPLETE,       /* reassembly still waits for segments */
	SIMOTA_ERR_DUPLICATE,        /* a segment or element seen twice */
	SIMOTA_ERR_WEAK_KEY,         /* a 3DES key that degenerates to single DES (K1 = K2 ...) */
	SIMOTA_ERR__COUNT
} simota_err;

/* A static, human-readable one-line description ("truncated input"). */
const char *simota_strerror(simota_err err);

#endif
