/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SMPP link's configuration (doc/smpp.md): `--smpp HOST:PORT` on the
 * command line, everything else, the password first, in the key file of
 * `--smpp-config FILE`, group [smpp].  The file is refused unless it is a
 * regular file of mode 0600 (or stricter).  Errors name the file, the group
 * and the key, never a value.
 */
#ifndef OTS_SMPP_CONFIG_H
#define OTS_SMPP_CONFIG_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "simota/sms.h"

enum ots_smpp_bind_mode {
	OTS_SMPP_TRANSCEIVER,            /* one bind_transceiver (default) */
	OTS_SMPP_TRANSMITTER_RECEIVER,   /* bind_transmitter + bind_receiver on two connections */
};

struct ots_smpp_config {
	char *host;
	uint16_t port;
	char system_id[16];
	char password[9];                /* never logged, never in an API answer */
	char system_type[13];
	char service_type[6];
	enum ots_smpp_bind_mode bind;
	unsigned window;                 /* submit_sm awaiting their response [16] */
	uint8_t data_coding;             /* 0xF6 [default], 0x02 or 0x04 */
	bool has_source;                 /* source= given; else the server's --address */
	struct simota_sms_address source;
	bool registered_delivery;        /* ask for SMSC delivery receipts [false] */
	bool rp_ack_forwarded;           /* the SMSC forwards RP-ACK data as deliver_sm [false] */
	/* timers (milliseconds) */
	unsigned enquire_link_ms;        /* enquire_link when idle this long [30000] */
	unsigned response_timeout_ms;    /* a request unanswered this long: the connection is reset [10000] */
	unsigned reconnect_min_ms;       /* first reconnect delay, doubling [1000] */
	unsigned reconnect_max_ms;       /* longest reconnect delay [60000] */
	unsigned throttle_ms;            /* pause after ESME_RTHROTTLED, doubling [1000] */
	unsigned queue_max;              /* SMS waiting for the window [100000] */
};

/*
 * host_port: "HOST:PORT" ("[v6]:PORT" too); path: the key file.  On error
 * cfg is cleared.
 */
bool ots_smpp_config_load(const char *host_port, const char *path, struct ots_smpp_config *cfg,
			  GError **error);
/* Frees host, wipes the password. */
void ots_smpp_config_clear(struct ots_smpp_config *cfg);

#endif
