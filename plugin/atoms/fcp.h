/* SPDX-License-Identifier: GPL-2.0-or-later */
/* File control parameters of a SELECT response (TS 102 221 §11.1.1.3). Pure parsing. */
#ifndef SB_FCP_H
#define SB_FCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sb_fcp_structure {
	SB_FCP_TRANSPARENT,
	SB_FCP_LINEAR_FIXED,
	SB_FCP_CYCLIC,
	SB_FCP_DF,              /* DF or ADF */
	SB_FCP_OTHER,
};

struct sb_fcp {
	enum sb_fcp_structure structure;
	uint16_t fid;           /* 0 when absent */
	unsigned file_size;     /* tag 80: EF body size */
	unsigned record_len;    /* linear fixed / cyclic */
	unsigned n_records;
	bool activated;         /* life cycle status (tag 8A): operational, activated (or absent) */
};

/* TS 102 221 §11.1.1.3: parses "62 L <FCP>".  False if it is not a usable FCP. */
bool sb_fcp_parse(const uint8_t *p, size_t len, struct sb_fcp *out);

/*
 * TS 102 221 §9.5.2: whether the PIN with key reference keyref (01 PIN1,
 * 81 PIN2, ...) is enabled, from the PIN status template DO of a DF's FCP
 * ("62 L ..."): 1 / 0, or -1 when the FCP does not say.
 */
int sb_fcp_pin_enabled(const uint8_t *p, size_t len, uint8_t keyref);

#endif
