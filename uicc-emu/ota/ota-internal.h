/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the OTA receiving entity: keysets with prepared keys, one packet's context. */
#ifndef UICC_OTA_INTERNAL_H
#define UICC_OTA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gio/gio.h>

#include "simota/cat.h"
#include "simota/ota.h"
#include "simota/sms.h"

#include "card/card-access.h"
#include "simota/card_config.h"
#include "ota/ota.h"

/* A secured packet: up to SIMOTA_SMS_CONCAT_MAX_SEGMENTS segments of 140 octets. */
#define OTA_PACKET_MAX (SIMOTA_SMS_CONCAT_MAX_SEGMENTS * SIMOTA_SMS_CONCAT_SEGMENT_MAX)
#define OTA_POR_MAX 300
#define OTA_POR_SEGMENTS 4

#define OTA_POR_KEPT_MAX 8

/*
 * A PoR owed by SMS-SUBMIT (SPI2 b6, TS 102 225 §5.1.1): kept until the
 * terminal has answered its SEND SHORT MESSAGEs (ota-por-kept.c).  One whose
 * command was accepted (status 00: the counter moved, the applet ran) is also
 * in the card state, so a power cycle does not lose it.
 */
struct ota_por_kept {
	struct uicc_ota *ota;
	unsigned slot;                     /* its index in ota->kept */
	unsigned id;                       /* card state group "ota-por <id>"; 0: memory only */
	struct simota_sms_address da;      /* the command's originating address */
	uint8_t por[OTA_POR_MAX];          /* the response packet, UDH 02 71 00 first */
	size_t len;
	unsigned outstanding;              /* its SEND SHORT MESSAGEs queued and not yet answered */
	bool again;                        /* one of them failed for now: sent again after the next profile */
};

/*
 * One keyset of the card config.  Its keys are prepared (libsimota prepared
 * keys: OpenSSL contexts, about a kilobyte each) for the packet that uses
 * them and released when that packet is done: an idle card holds none
 * (ota-keys.c).  At attach each key is tried once, so a key OpenSSL cannot
 * use is reported then, and only then.
 */
struct ota_keyset {
	const struct simota_card_keyset *cfg;
	struct simota_ota_key *cipher;     /* KIc key while a packet needs it; NULL: not prepared */
	struct simota_ota_key *cc;         /* KID key read as a CC algorithm (TS 102 225 §5.1.3) */
	bool cipher_usable, cc_usable;     /* configured, and OpenSSL can prepare it */
};

/* What one command packet needs while it is processed (ota-entity.c): allocated for it. */
struct ota_work {
	uint8_t packet[OTA_PACKET_MAX];
	uint8_t work[OTA_PACKET_MAX];
	struct simota_cat_msg msg;         /* envelope decode */
};

/* A concatenated command packet being reassembled (TS 31.115 §4), between envelopes. */
struct ota_reassembly {
	struct simota_sms_reassembly st;
	struct simota_sms_address oa;
};

struct uicc_ota {
	struct uicc_card *card;
	struct uicc_toolkit *tk;
	struct uicc_card_state *state;
	const struct simota_card_config *cfg;
	struct uicc_tk_applet *applet;
	struct simota_ota_crypto *crypto;
	struct simota_ota_key *crc16, *crc32;   /* RC needs no key: shared by every keyset */
	struct ota_keyset keysets[SIMOTA_CARD_MAX_KEYSETS];
	unsigned n_keysets;

	struct ota_reassembly *reasm;      /* NULL: no segment waits */
	uint8_t por_ref;                   /* concatenation reference of PoRs by SMS-SUBMIT */

	struct ota_por_kept *kept[OTA_POR_KEPT_MAX];   /* NULL: free */
	unsigned last_kept_id;

	/* applets whose first commit may carry the counter (uicc_ota_instance_shares_commit) */
	const struct uicc_tk_applet *shares_commit[UICC_TK_MAX_APPLETS];
	unsigned n_shares_commit;
};

/* What the checks found, for the PoR (ota-por.c). */
struct ota_packet {
	struct uicc_ota *ota;
	struct simota_sms_address oa;      /* originating address of the SMS-DELIVER */
	uint8_t pid, dcs;
	uint8_t spi[2], kic, kid, tar[3];
	struct simota_ota_spi s;
	size_t cc_len;
	uint64_t cntr;                     /* 0 until deciphered */
	struct simota_ota_key *por_kic, *por_kid;   /* keys SPI2 asks for (status 00 only) */
	bool por_sent;
	bool counter_staged;               /* moved, not yet durable (ota_counter_stage) */
	uint8_t counter_kvn;               /* whose */
	bool counter_lost;                 /* and could not be made durable: nothing may leave, 9300 */
};

/* ota-keys.c */
bool ota_keys_init(struct uicc_ota *ota, GError **error);
void ota_keys_free(struct uicc_ota *ota);
struct ota_keyset *ota_keyset(struct uicc_ota *ota, uint8_t kvn);
/* Releases the keys the last packet prepared (ota-entity.c calls it when the packet is done). */
void ota_keys_release(struct uicc_ota *ota);
/*
 * Picks the keys of a command (or of its PoR: por = true reads SPI2) and
 * checks that the TAR allows their keysets.  Returns 00 or the PoR status
 * (06 no such keyset / algorithm or key not available, 0A keyset not allowed).
 */
uint8_t ota_keys_select(struct uicc_ota *ota, const struct simota_card_tar *tc,
			const struct ota_packet *p, bool por,
			struct simota_ota_key **kic_key, struct simota_ota_key **kid_key);
/* The keyset whose counter the command's SPI refers to; status as above. */
uint8_t ota_counter_keyset(struct uicc_ota *ota, const struct simota_card_tar *tc,
			   const struct ota_packet *p, struct ota_keyset **out);
uint64_t ota_counter_get(struct uicc_ota *ota, const struct ota_keyset *ks);
/* Stores and commits the new value; false (value restored) if the commit failed. */
bool ota_counter_commit(struct uicc_ota *ota, const struct ota_keyset *ks, uint64_t value);
/*
 * Stores the new value after a savepoint of the card state, not committed:
 * the next commit makes it durable (ota-entity.c settles it before anything
 * that follows from the packet can leave the card).
 */
void ota_counter_stage(struct uicc_ota *ota, const struct ota_keyset *ks, uint64_t value);

/* ota-por.c */
/* Sends the PoR if SPI2 asks for one with this status (TS 102 225 §5.2). */
void ota_por_send(struct uicc_tk_invocation *inv, struct ota_packet *p, uint8_t status,
		  const uint8_t *data, size_t len);

/* ota-por-kept.c: PoRs owed by SMS-SUBMIT */
/* Loads the stored ones (at attach). */
void ota_por_kept_load(struct uicc_ota *ota);
/* Room for one more (else the command is refused with 9300 before it moves the counter). */
bool ota_por_kept_room(const struct uicc_ota *ota);
/*
 * Keeps the response packet por (UDH 02 71 00 first) of packet p, stored if
 * durable, and queues its SEND SHORT MESSAGEs (withdrawn again by a profile
 * without SEND SHORT MESSAGE).  False if there is no room.
 */
bool ota_por_kept_add(struct uicc_tk_invocation *inv, const struct ota_packet *p, const uint8_t *por, size_t len,
		      bool durable);
/* TERMINAL PROFILE: the kept PoRs not queued go now, if the terminal can send them. */
void ota_por_kept_on_profile(struct uicc_tk_invocation *inv, struct uicc_ota *ota);

#endif
