/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SEND SHORT MESSAGE (TS 102 223 §6.4.10), built by the runtime for its
 * users: the OTA receiving entity's PoR by SMS-SUBMIT, the deferred
 * applet's MG.
 */
#include <stdlib.h>
#include <string.h>

#include "simota/cat.h"
#include "toolkit/toolkit.h"

/* No user information: a null alpha identifier, so the terminal tells the user nothing. */
enum uicc_tk_result uicc_tk_send_short_message(struct uicc_tk_invocation *inv, const struct simota_sms_submit *sms,
					       uicc_tk_tr_fn on_tr, void *user_data)
{
	struct simota_cat_msg *m = calloc(1, sizeof(*m));
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX], cmd[UICC_TK_MAX_COMMAND];
	size_t tpdu_len, cmd_len;
	enum uicc_tk_result r = UICC_TK_ERR_BAD_COMMAND;

	if (!m)
		return UICC_TK_ERR_NO_SPACE;
	if (simota_sms_submit_encode(sms, tpdu, sizeof(tpdu), &tpdu_len) != SIMOTA_OK)
		goto out;
	m->details.number = uicc_tk_next_command_number(uicc_tk_invocation_toolkit(inv));
	m->details.type = SIMOTA_CAT_SEND_SHORT_MESSAGE;
	m->details.qualifier = 0x00;          /* packing not required */
	m->src = SIMOTA_CAT_DEV_UICC;
	m->dst = SIMOTA_CAT_DEV_NETWORK;
	if (simota_cat_string_set(m, &m->alpha_id, "", -1) != SIMOTA_OK)
		goto out;
	m->sms_tpdu.present = true;
	m->sms_tpdu.len = (uint8_t)tpdu_len;
	memcpy(m->sms_tpdu.data, tpdu, tpdu_len);
	if (simota_cat_command_encode(m, cmd, sizeof(cmd), &cmd_len) != SIMOTA_OK)
		goto out;
	r = uicc_tk_proactive_send(inv, cmd, cmd_len, on_tr, user_data);
out:
	free(m);
	return r;
}
