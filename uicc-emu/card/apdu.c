/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command APDU parsing: the header, P3 and the body (ISO/IEC 7816-3 §12.1,
 * TS 102 221 §10.1, §7.3.1.1 T=0 transport), and the class byte's logical
 * channel (TS 102 221 §10.1.1).  Which case a command is depends on the
 * command, so the handlers ask with uicc_apdu_case1/2/data.
 */
#include "card/card-internal.h"

bool uicc_apdu_parse(const uint8_t *p, size_t len, struct uicc_apdu *a)
{
	if (len < 4)
		return false;
	a->cla = p[0];
	a->ins = p[1];
	a->p1 = p[2];
	a->p2 = p[3];
	a->has_p3 = len >= 5;
	a->p3 = a->has_p3 ? p[4] : 0;
	a->body = a->has_p3 ? p + 5 : p + 4;
	a->body_len = a->has_p3 ? len - 5 : 0;
	a->gsm = a->cla == 0xA0;
	/* TS 102 221 Table 10.3: b2b1 of 0X / 8X / 9X / AX... are the channel */
	a->channel = a->gsm ? 0 : (a->cla & 0x03);
	return true;
}

/* ISO/IEC 7816-3 §12.1.2: a case-1 TPDU carries P3 = 00. */
bool uicc_apdu_case1(const struct uicc_apdu *a)
{
	return a->body_len == 0 && (!a->has_p3 || a->p3 == 0);
}

/* Case 2: P3 is Le, 00 meaning 256 (T=0); no P3 at all is read as Le 256. */
bool uicc_apdu_case2(const struct uicc_apdu *a, unsigned *le)
{
	if (a->body_len != 0)
		return false;
	*le = a->has_p3 && a->p3 ? a->p3 : 256;
	return true;
}

/* Case 3 (or 4 sent as a T=0 TPDU): P3 is Lc and exactly Lc bytes follow. */
bool uicc_apdu_data(const struct uicc_apdu *a, bool allow_le, const uint8_t **data, size_t *lc)
{
	if (!a->has_p3)
		return false;
	if (a->body_len != a->p3 && !(allow_le && a->p3 && a->body_len == (size_t)a->p3 + 1))
		return false;
	*data = a->body;
	*lc = a->p3;
	return true;
}
