/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the modem firmware does with its SIM (TS 102 221, TS 31.102,
 * TS 102 223, TS 31.111):
 *  - power-up: EF_ICCID, EF_DIR (the USIM's AID), SELECT ADF.USIM (the PIN
 *    status template), the PIN counters (VERIFY / UNBLOCK without data),
 *    TERMINAL PROFILE; once PIN1 allows it EF_IMSI, EF_MSISDN, EF_SMSP,
 *    EF_AD and the messages of EF_SMS;
 *  - the proactive session: FETCH on 91XX; a command a CAT client asked for
 *    goes to it as a raw event report (reference id) and its TERMINAL
 *    RESPONSE comes back from it; MORE TIME, POLL INTERVAL, POLLING OFF and
 *    (unless a client takes it in full) SEND SHORT MESSAGE are done here;
 *    any other command nobody takes is answered "terminal currently unable";
 *  - SMS-PP data download (TS 31.111 §7.1.1): the ENVELOPE, and the card's
 *    answer for the RP-ACK / RP-ERROR.
 */
#ifndef MODEM_EMU_FIRMWARE_H
#define MODEM_EMU_FIRMWARE_H

#include "modem-emu.h"
#include "sim-link.h"

/* The terminal profile the firmware downloads (TS 102 223 §5.2, TS 31.111 §5.2). */
const uint8_t *me_fw_default_profile(size_t *len);

struct me_fw *me_fw_new(struct me_modem *m);
void me_fw_free(struct me_fw *fw);
extern const struct me_sim_ops me_fw_sim_ops;

/* After the host changed a PIN's state: query the counters again, read what PIN1 now allows. */
void me_fw_pins_changed(struct me_fw *fw);

/* A CAT client's TERMINAL RESPONSE for reference ref; false if no command with ref waits. */
bool me_fw_terminal_response(struct me_fw *fw, uint32_t ref, const uint8_t *tr, size_t len, me_apdu_cb cb,
			     void *user);
/* The command waiting for a host's TERMINAL RESPONSE: its reference, or 0. */
uint32_t me_fw_pending_ref(const struct me_fw *fw);
/* The CAT clients that could answer the waiting command are gone: the firmware answers it. */
void me_fw_host_gone(struct me_fw *fw);
/* ENVELOPE from a CAT client. */
void me_fw_envelope(struct me_fw *fw, const uint8_t *env, size_t len, me_apdu_cb cb, void *user);

/* TS 31.111 §7.1.1: an SMS-DELIVER to the card; cb gets what goes to the network. */
typedef void (*me_download_cb)(const struct simota_sms_pp_result *res, void *user);
void me_fw_data_download(struct me_fw *fw, const uint8_t *tpdu, size_t len, me_download_cb cb, void *user);

/* Counters for status. */
unsigned me_fw_downloads(const struct me_fw *fw);
unsigned me_fw_proactive_commands(const struct me_fw *fw);

#endif
