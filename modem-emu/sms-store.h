/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stored messages, as WMS indexes them (QmiWmsStorageType):
 *  - UIM: the SIM's EF_SMS (TS 31.102 §4.2.25; record = status byte, then
 *    the SC address and the TPDU, FF padded): read when PIN1 allows, kept
 *    in memory, every change written to the card before it is answered;
 *    index = record number - 1;
 *  - NV: the modem's own memory (ME_STORE_NV_SLOTS messages); with
 *    nv=PATH kept in that file too (replaced atomically on every change),
 *    else lost when modem-emu stops.
 * A message is its raw form as WMS carries it: SC address (TS 24.011
 * §8.2.5.1, length octet first) then the TPDU.
 */
#ifndef MODEM_EMU_SMS_STORE_H
#define MODEM_EMU_SMS_STORE_H

#include "modem-emu.h"

#define ME_STORE_UIM 0
#define ME_STORE_NV 1
#define ME_STORE_NV_SLOTS 64
#define ME_SMS_RAW_MAX 176

struct me_sms_entry {
	bool used;
	uint8_t tag;                 /* QmiWmsMessageTagType */
	uint8_t raw[ME_SMS_RAW_MAX];
	size_t len;
};

struct me_store *me_store_new(struct me_modem *m);
void me_store_free(struct me_store *st);
/* PIN1 allows EF_SMS: read it; done(ok) once it is read or found missing (ok), or the card went (!ok). */
void me_store_card_ready(struct me_store *st, void (*done)(void *user, bool ok), void *user);
void me_store_card_gone(struct me_store *st);

bool me_store_valid(uint8_t storage);
unsigned me_store_capacity(const struct me_store *st, uint8_t storage);
/* NULL when index is out of range or free. */
const struct me_sms_entry *me_store_get(const struct me_store *st, uint8_t storage, uint32_t index);

/* ok false: storage full, or not written (the card refused it). */
typedef void (*me_store_cb)(bool ok, uint32_t index, void *user);
void me_store_add(struct me_store *st, uint8_t storage, uint8_t tag, const uint8_t *raw, size_t len,
		  me_store_cb cb, void *user);
void me_store_set_tag(struct me_store *st, uint8_t storage, uint32_t index, uint8_t tag, me_store_cb cb,
		      void *user);
void me_store_delete(struct me_store *st, uint8_t storage, uint32_t index, me_store_cb cb, void *user);

#endif
