/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "simota/error.h"

const char *simota_strerror(simota_err err)
{
	switch (err) {
	case SIMOTA_OK: return "success";
	case SIMOTA_ERR_TRUNCATED: return "truncated input";
	case SIMOTA_ERR_BAD_LENGTH: return "malformed or inconsistent length";
	case SIMOTA_ERR_BAD_TAG: return "malformed or unexpected tag";
	case SIMOTA_ERR_TRAILING_DATA: return "unexpected trailing data";
	case SIMOTA_ERR_NO_SPACE: return "output buffer too small";
	case SIMOTA_ERR_MISSING_VALUE: return "mandatory element missing";
	case SIMOTA_ERR_NOT_UNDERSTOOD: return "comprehension-required element not understood";
	case SIMOTA_ERR_BAD_VALUE: return "value not allowed";
	case SIMOTA_ERR_UNSUPPORTED: return "not supported";
	case SIMOTA_ERR_BAD_ENCODING: return "invalid text encoding";
	case SIMOTA_ERR_BAD_KEY: return "key of wrong length for its algorithm";
	case SIMOTA_ERR_CRYPTO: return "cryptographic library failure";
	case SIMOTA_ERR_CHECKSUM: return "checksum does not verify";
	case SIMOTA_ERR_BAD_PADDING: return "padding counter inconsistent";
	case SIMOTA_ERR_COUNTER: return "counter rejected";
	case SIMOTA_ERR_INCOMPLETE: return "more segments needed";
	case SIMOTA_ERR_DUPLICATE: return "duplicate element";
	case SIMOTA_ERR_WEAK_KEY: return "triple DES key degenerates to single DES";
	case SIMOTA_ERR__COUNT: break;
	}
	return "unknown error";
}
