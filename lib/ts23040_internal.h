/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the sms_*.c files; not part of the public API. */
#ifndef SIMOTA_SMS_INTERNAL_H
#define SIMOTA_SMS_INTERNAL_H

#include "simota/sms.h"

/*
 * TS 23.040 §9.2.3.16/§9.2.3.24: reads TP-UDL and TP-UD, which must end the
 * TPDU exactly; checks the UDH when udhi.  max_octets bounds TP-UD.
 */
simota_err simota_sms_ud_read(struct simota_reader *r, uint8_t dcs, bool udhi,
			      size_t max_octets, struct simota_sms_ud *out);
/* Writes TP-UDL and TP-UD after checking them against the DCS. */
simota_err simota_sms_ud_write(const struct simota_sms_ud *ud, uint8_t dcs,
			       size_t max_octets, struct simota_writer *w);

#endif
