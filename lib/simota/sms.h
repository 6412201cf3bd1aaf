/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMS transfer layer codec (3GPP TS 23.040) as SIM OTA uses it:
 *  - addresses: TP address (§9.1.2.5) incl. alphanumeric, RP address
 *    (TS 24.011 §8.2.5.1), CAT Address value (TS 102 223 §8.1);
 *  - SCTS and validity period (§9.2.3.11, §9.2.3.12);
 *  - user data header (§9.2.3.24) with concatenation (IEI 00/08) and the
 *    command/response packet identifiers 70/71 (TS 31.115 §4);
 *  - TPDUs SMS-DELIVER, SMS-SUBMIT, SMS-DELIVER-REPORT (RP-ACK and RP-ERROR
 *    forms) (§9.2.2.1, §9.2.2.2, §9.2.2.1a);
 *  - segmentation of a secured packet over several SMS and reassembly;
 *  - the ME's answer to the network after an SMS-PP DOWNLOAD envelope
 *    (TS 31.111 §7.1.1.1).
 *
 * Every struct is self-contained (fixed bounded arrays, no pointers, no
 * malloc) and may be copied.  Decoders validate every length, encoders
 * refuse inconsistent structs.
 *
 * Users: the OTA server builds SMS-DELIVERs (PID 7F, DCS F6, UD 027000 +
 * packet, simota_sms_segment_packet()); the ME plugin decodes them and builds
 * the DELIVER-REPORT (simota_sms_pp_download_result()); the card decodes the
 * SMS-SUBMIT of its own SEND SHORT MESSAGE.
 */
#ifndef SIMOTA_SMS_H
#define SIMOTA_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/bytes.h"
#include "simota/error.h"

/* ---- limits ---------------------------------------------------------- */

#define SIMOTA_SMS_ADDR_MAX_DIGITS 20  /* TP address: 10 octets of BCD */
#define SIMOTA_SMS_ADDR_MAX_SEPTETS 11 /* alphanumeric: 80 bits / 7 */
/* digits[]: 20 BCD digits, or 11 GSM characters in UTF-8 (3 bytes max) */
#define SIMOTA_SMS_ADDR_TEXT_MAX (SIMOTA_SMS_ADDR_MAX_SEPTETS * 3 + 1)
#define SIMOTA_SMS_UD_MAX 140          /* TP-UD octets of a DELIVER/SUBMIT */
/*
 * Capacity of struct simota_sms_ud: also holds the 8 bit data of a SEND
 * SHORT MESSAGE TPDU whose command asks the ME to pack it (TS 102 223
 * §6.4.10: up to 160 unpacked GSM characters), and DELIVER-REPORT user data.
 */
#define SIMOTA_SMS_UD_CAP 160
/* Any TPDU this codec writes: SMS-SUBMIT 1+1+12+1+1+7+1 + 160 unpacked octets. */
#define SIMOTA_SMS_TPDU_MAX 184

/* ---- addresses -------------------------------------------------------- */

/* TS 23.040 §9.1.2.5 Type-of-number. */
enum simota_sms_ton {
	SIMOTA_SMS_TON_UNKNOWN = 0,
	SIMOTA_SMS_TON_INTERNATIONAL = 1,
	SIMOTA_SMS_TON_NATIONAL = 2,
	SIMOTA_SMS_TON_NETWORK_SPECIFIC = 3,
	SIMOTA_SMS_TON_SUBSCRIBER = 4,
	SIMOTA_SMS_TON_ALPHANUMERIC = 5,
	SIMOTA_SMS_TON_ABBREVIATED = 6,
};

/* TS 23.040 §9.1.2.5 Numbering-plan-identification. */
enum simota_sms_npi {
	SIMOTA_SMS_NPI_UNKNOWN = 0,
	SIMOTA_SMS_NPI_ISDN = 1,       /* E.164 */
	SIMOTA_SMS_NPI_DATA = 3,
	SIMOTA_SMS_NPI_TELEX = 4,
	SIMOTA_SMS_NPI_SC_SPECIFIC_5 = 5,
	SIMOTA_SMS_NPI_SC_SPECIFIC_6 = 6,
	SIMOTA_SMS_NPI_NATIONAL = 8,
	SIMOTA_SMS_NPI_PRIVATE = 9,
	SIMOTA_SMS_NPI_ERMES = 10,
};

struct simota_sms_address {
	uint8_t ton;   /* 0-7 */
	uint8_t npi;   /* 0-15 */
	/*
	 * NUL-terminated.  BCD forms: digits '0'-'9', '*', '#', 'a', 'b', 'c'
	 * (TS 23.040 §9.1.2.3).  TON 5 in a TP address: the alphanumeric
	 * text in UTF-8 (GSM 7 bit default alphabet, TS 23.038 §6.2.1).
	 */
	char digits[SIMOTA_SMS_ADDR_TEXT_MAX];
	/*
	 * TP address only: the Address-Length (semi-octets) as decoded.  For
	 * an alphanumeric address senders differ (useful semi-octets or
	 * twice the octets); the encoder keeps this value when it describes
	 * the same octets and septets, else writes the useful semi-octets.
	 * 0: let the encoder choose.
	 */
	uint8_t tp_length;
};

/*
 * TS 23.040 §9.1.2.5: TP address (Address-Length in semi-octets, TOA,
 * value).  Reads from p..len and sets *consumed to the address's size.
 */
simota_err simota_sms_address_decode(const uint8_t *p, size_t len,
				     struct simota_sms_address *out, size_t *consumed);
simota_err simota_sms_address_encode(const struct simota_sms_address *a,
				     struct simota_writer *w);

/*
 * TS 24.011 §8.2.5.1/§8.2.5.2: RP address (length in octets, TOA, BCD); the
 * SMSC address in front of a TPDU (TS 27.005 PDU mode).  A length of 0 is
 * an empty address (ton/npi 0, "").
 */
simota_err simota_sms_rp_address_decode(const uint8_t *p, size_t len,
					struct simota_sms_address *out, size_t *consumed);
simota_err simota_sms_rp_address_encode(const struct simota_sms_address *a,
					struct simota_writer *w);

/*
 * TS 102 223 §8.1 / TS 31.111 §7.1.1.2: the value of an Address data object
 * (TOA then BCD digits, no length): the whole of p..len.
 */
simota_err simota_sms_address_value_decode(const uint8_t *p, size_t len,
					   struct simota_sms_address *out);
simota_err simota_sms_address_value_encode(const struct simota_sms_address *a,
					   struct simota_writer *w);

/*
 * A number as configs and APIs write it: "+15550100" (international TON) or
 * "15550100" (unknown TON), ISDN numbering plan (TS 23.040 §9.1.2.5);
 * 1-20 decimal digits, else SIMOTA_ERR_BAD_VALUE.
 */
simota_err simota_sms_address_from_text(const char *s, struct simota_sms_address *out);

/* ---- time stamps and validity period ------------------------------------ */

/* TS 23.040 §9.2.3.11: service centre time stamp (also absolute VP). */
struct simota_sms_scts {
	uint8_t year, month, day;      /* year 0-99 */
	uint8_t hour, minute, second;
	int8_t tz_quarters;            /* time zone in quarters of an hour, -79..79 */
};

#define SIMOTA_SMS_SCTS_LEN 7
simota_err simota_sms_scts_decode(const uint8_t p[SIMOTA_SMS_SCTS_LEN],
				  struct simota_sms_scts *out);
simota_err simota_sms_scts_encode(const struct simota_sms_scts *t,
				  struct simota_writer *w);

/* TS 23.040 §9.2.3.3: TP-VPF values (bits 4..3 of an SMS-SUBMIT's first octet). */
enum simota_sms_vpf {
	SIMOTA_SMS_VPF_NONE = 0,
	SIMOTA_SMS_VPF_ENHANCED = 1,
	SIMOTA_SMS_VPF_RELATIVE = 2,
	SIMOTA_SMS_VPF_ABSOLUTE = 3,
};

struct simota_sms_vp {
	enum simota_sms_vpf format;
	uint8_t relative;               /* VPF_RELATIVE: TP-VP octet */
	struct simota_sms_scts absolute; /* VPF_ABSOLUTE */
	uint8_t enhanced[7];            /* VPF_ENHANCED: the 7 octets as on the wire */
};

/* TS 23.040 §9.2.3.12.1: relative TP-VP octet → seconds. */
uint32_t simota_sms_vp_relative_seconds(uint8_t vp);
/* Smallest relative TP-VP octet covering at least `seconds` (255 if none does). */
uint8_t simota_sms_vp_relative_from_seconds(uint32_t seconds);
/*
 * TS 23.040 §9.2.3.12.3: enhanced format → seconds (0 for "no validity
 * period specified") and the single-shot flag.  SIMOTA_ERR_UNSUPPORTED for
 * the extension bit and reserved formats; SIMOTA_ERR_BAD_VALUE for
 * non-decimal semi-octets.
 */
simota_err simota_sms_vp_enhanced_decode(const uint8_t vp[7], uint32_t *seconds,
					 bool *single_shot);
/* Enhanced format "relative integer seconds" (0-255) or hh:mm:ss semi-octets. */
simota_err simota_sms_vp_enhanced_encode(uint32_t seconds, bool single_shot, uint8_t vp[7]);

/* ---- user data header ------------------------------------------------- */

#define SIMOTA_SMS_IEI_CONCAT_8 0x00   /* TS 23.040 §9.2.3.24.1 */
#define SIMOTA_SMS_IEI_CONCAT_16 0x08  /* TS 23.040 §9.2.3.24.8 */
#define SIMOTA_SMS_IEI_CPI 0x70        /* command packet identifier, TS 31.115 §4 */
#define SIMOTA_SMS_IEI_RPI 0x71        /* response packet identifier, TS 31.115 §4 */

#define SIMOTA_SMS_UDH_MAX 139         /* UDHL value: all of TP-UD but the UDHL octet */
#define SIMOTA_SMS_UDH_MAX_IES 69      /* 139 octets / 2 */

struct simota_sms_udh {
	uint8_t n_ies;
	uint8_t len;                   /* octets used in data[] = the UDHL */
	struct {
		uint8_t iei;
		uint8_t len;           /* IEDL */
		uint8_t offset;        /* of the value in data[] */
	} ies[SIMOTA_SMS_UDH_MAX_IES];
	uint8_t data[SIMOTA_SMS_UDH_MAX]; /* IEs as on the wire */
};

/*
 * TS 23.040 §9.2.3.24: parses the UDH at the start of p..len (UDHL then
 * IEs that must fill the UDHL exactly); *udh_octets = 1 + UDHL.
 */
simota_err simota_sms_udh_parse(const uint8_t *p, size_t len,
				struct simota_sms_udh *out, size_t *udh_octets);
/* Writes UDHL and the IEs (TS 23.040 §9.2.3.24). */
simota_err simota_sms_udh_encode(const struct simota_sms_udh *udh, struct simota_writer *w);
/* Empty header; then add IEs in wire order. */
void simota_sms_udh_init(struct simota_sms_udh *udh);
simota_err simota_sms_udh_add(struct simota_sms_udh *udh, uint8_t iei,
			      const uint8_t *value, size_t len);
/* Index of the first IE with this IEI, or -1. */
int simota_sms_udh_find(const struct simota_sms_udh *udh, uint8_t iei);
static inline const uint8_t *simota_sms_udh_value(const struct simota_sms_udh *udh, int i)
{
	return udh->data + udh->ies[i].offset;
}

/* TS 23.040 §9.2.3.24.1 / §9.2.3.24.8: concatenated short message IE. */
struct simota_sms_concat {
	uint16_t ref;
	bool ref16;          /* IEI 08 (16 bit reference) rather than 00 */
	uint8_t total;       /* 1-255 */
	uint8_t seq;         /* 1-total */
};

/*
 * The concatenation IE of a UDH (the last one, if repeated).
 * SIMOTA_ERR_MISSING_VALUE if there is none, SIMOTA_ERR_BAD_LENGTH for a
 * wrong IEDL, SIMOTA_ERR_BAD_VALUE for total 0 or a sequence number 0 or
 * above the total (a receiver ignores such an IE, §9.2.3.24.1).
 */
simota_err simota_sms_udh_get_concat(const struct simota_sms_udh *udh, struct simota_sms_concat *out);
simota_err simota_sms_udh_add_concat(struct simota_sms_udh *udh, const struct simota_sms_concat *c);

/* ---- user data ---------------------------------------------------------- */

/*
 * TP-UDHI, TP-UDL and TP-UD as on the wire.  TP-UDL counts septets when the
 * DCS says GSM 7 bit (or a reserved alphabet) uncompressed, else octets
 * (TS 23.040 §9.2.3.16); ud[] always holds the octets, UDH included.
 */
struct simota_sms_ud {
	bool udhi;
	uint8_t udl;
	uint8_t len;                   /* octets in ud[] */
	uint8_t ud[SIMOTA_SMS_UD_CAP];
};

/* TS 23.040 §9.2.3.16: TP-UDL counts septets for this DCS. */
bool simota_sms_dcs_udl_in_septets(uint8_t dcs);

/* Octets of TP-UD that a TP-UDL stands for under this DCS. */
size_t simota_sms_ud_octets(uint8_t dcs, uint8_t udl);

/*
 * Sets octet user data (8 bit or UCS2 DCS): an optional UDH (NULL: none,
 * TP-UDHI 0) then data.  SIMOTA_ERR_NO_SPACE beyond cap octets (normally
 * SIMOTA_SMS_UD_MAX).
 */
simota_err simota_sms_ud_set_octets(struct simota_sms_ud *ud, const struct simota_sms_udh *udh,
				    const uint8_t *data, size_t len, size_t cap);
/*
 * Sets GSM 7 bit user data: optional UDH, fill bits up to a septet boundary
 * (TS 23.040 §9.2.3.24), then the septets packed (TS 23.038 §6.1.2.1).
 */
simota_err simota_sms_ud_set_septets(struct simota_sms_ud *ud, const struct simota_sms_udh *udh,
				     const uint8_t *septets, size_t n);
/* UTF-8 text coded per the DCS (GSM 7 bit or UCS2; 8 bit → BAD_VALUE). */
simota_err simota_sms_ud_set_text(struct simota_sms_ud *ud, uint8_t dcs,
				  const struct simota_sms_udh *udh, const char *utf8, size_t len);

/*
 * The UDH (when TP-UDHI) and where the rest starts.  udh may be NULL.
 * Without TP-UDHI: an empty udh, *udh_octets 0.
 */
simota_err simota_sms_ud_get_udh(const struct simota_sms_ud *ud, struct simota_sms_udh *udh,
				 size_t *udh_octets);
/* Octet data after the UDH (DCS not GSM 7 bit). */
simota_err simota_sms_ud_payload(const struct simota_sms_ud *ud, uint8_t dcs,
				 const uint8_t **p, size_t *len);
/* Unpacked septets after the UDH and its fill bits (GSM 7 bit DCS). */
simota_err simota_sms_ud_septets(const struct simota_sms_ud *ud, uint8_t dcs,
				 uint8_t *out, size_t cap, size_t *n);
/* The text after the UDH as UTF-8: GSM 7 bit, UCS2 (8 bit → BAD_VALUE). */
simota_err simota_sms_ud_text(const struct simota_sms_ud *ud, uint8_t dcs,
			      char *out, size_t cap, size_t *out_len);

/* ---- TPDUs ---------------------------------------------------------------- */

/* TS 23.040 §9.2.3.1 TP-MTI. */
enum simota_sms_mti {
	SIMOTA_SMS_MTI_DELIVER = 0,       /* SC→MS; MS→SC: DELIVER-REPORT */
	SIMOTA_SMS_MTI_SUBMIT = 1,        /* MS→SC; SC→MS: SUBMIT-REPORT */
	SIMOTA_SMS_MTI_STATUS_REPORT = 2, /* SC→MS; MS→SC: COMMAND */
};

/* TS 23.040 §9.2.2.1 SMS-DELIVER. */
struct simota_sms_deliver {
	bool tp_mms;         /* raw TP-MMS bit: 1 = no more messages waiting */
	bool tp_lp;          /* loop prevention */
	bool tp_sri;         /* status report indication */
	bool tp_rp;          /* reply path */
	struct simota_sms_address oa;
	uint8_t pid;
	uint8_t dcs;
	struct simota_sms_scts scts;
	struct simota_sms_ud ud;
};

/* TS 23.040 §9.2.2.2 SMS-SUBMIT. */
struct simota_sms_submit {
	bool tp_rd;          /* reject duplicates */
	bool tp_srr;         /* status report request */
	bool tp_rp;          /* reply path */
	uint8_t mr;
	struct simota_sms_address da;
	uint8_t pid;
	uint8_t dcs;
	struct simota_sms_vp vp;
	struct simota_sms_ud ud;
};

/* TS 23.040 §9.2.2.1a SMS-DELIVER-REPORT, RP-ACK or RP-ERROR form. */
struct simota_sms_deliver_report {
	bool rp_error;       /* RP-ERROR form: TP-FCS present */
	uint8_t fcs;         /* TP-FCS (RP-ERROR form) */
	bool has_pid, has_dcs, has_ud;  /* TP-PI bits 0, 1, 2 */
	uint8_t pid;         /* 0 when absent */
	uint8_t dcs;         /* 0 when absent (TS 23.040 §9.2.3.27: GSM 7 bit) */
	struct simota_sms_ud ud; /* has_ud: TP-UDL and TP-UD (up to SIMOTA_SMS_UD_CAP octets) */
};

/* TS 23.040 §9.2.3.22 TP-FCS values used by data download. */
#define SIMOTA_SMS_FCS_TOOLKIT_BUSY 0xD4         /* SIM Application Toolkit Busy */
#define SIMOTA_SMS_FCS_DATA_DOWNLOAD_ERROR 0xD5  /* (U)SIM data download error */
#define SIMOTA_SMS_FCS_UNSPECIFIED 0xFF

/* Decoder flags. */
enum {
	/*
	 * SMS-SUBMIT from a SEND SHORT MESSAGE whose qualifier asks the ME to
	 * pack (TS 102 223 §6.4.10): 8 bit user data up to 160 octets.
	 */
	SIMOTA_SMS_DECODE_UNPACKED_UD = 1 << 0,
};

/* TS 23.040 §9.2.2.1.  The whole of p..len is one TPDU; MTI 00 or the reserved 11 (§9.2.3.1). */
simota_err simota_sms_deliver_decode(const uint8_t *p, size_t len, struct simota_sms_deliver *out);
simota_err simota_sms_deliver_encode(const struct simota_sms_deliver *in,
				     uint8_t *out, size_t cap, size_t *out_len);

/* TS 23.040 §9.2.2.2. */
simota_err simota_sms_submit_decode(const uint8_t *p, size_t len, unsigned flags,
				    struct simota_sms_submit *out);
/* Accepts up to SIMOTA_SMS_UD_CAP octets of 8 bit data (re-encoding an unpacked one). */
simota_err simota_sms_submit_encode(const struct simota_sms_submit *in,
				    uint8_t *out, size_t cap, size_t *out_len);
/*
 * TS 102 223 §6.4.10 / TS 23.038 §4: packing by the ME.  8 bit user data
 * holding GSM characters (one per octet) becomes GSM 7 bit packed, the DCS
 * its 7 bit counterpart (F4 → F0, 04 → 00, ...), the UDH kept.  Already
 * 7 bit: unchanged.  UCS2 or compressed: SIMOTA_ERR_BAD_VALUE.
 */
simota_err simota_sms_submit_pack(struct simota_sms_submit *sms);

/* TS 23.040 §9.2.2.1a.  rp_error: the TPDU came in an RP-ERROR (has TP-FCS). */
simota_err simota_sms_deliver_report_decode(const uint8_t *p, size_t len, bool rp_error,
					    struct simota_sms_deliver_report *out);
simota_err simota_sms_deliver_report_encode(const struct simota_sms_deliver_report *in,
					    uint8_t *out, size_t cap, size_t *out_len);

/* ---- secured packets over several SMS (TS 31.115 §4, TS 23.040 §9.2.3.24.1) ---- */

/* A reassembly state holds at most this many segments (4480 octets). */
#define SIMOTA_SMS_CONCAT_MAX_SEGMENTS 32
#define SIMOTA_SMS_CONCAT_SEGMENT_MAX SIMOTA_SMS_UD_MAX /* payload octets of one SMS */

/*
 * Splits a secured packet (from CPL/RPL on) into 8 bit user data: one UD
 * with UDH `02 iei 00` when it fits in 140 octets; else segments with a
 * concatenation IE (ref, ref16) in every segment, followed in the first
 * segment only by the packet identifier IE (iei: 0x70 command, 0x71
 * response), e.g. `07 00 03 ref total 01 70 00` then `05 00 03 ref total n`.
 * SIMOTA_ERR_NO_SPACE if more than max_segs segments (or 255) are needed.
 */
simota_err simota_sms_segment_packet(uint8_t iei, const uint8_t *packet, size_t len,
				     uint16_t ref, bool ref16,
				     struct simota_sms_ud *segs, size_t max_segs, size_t *n_segs);

/* Caller-owned state for one message being reassembled. */
struct simota_sms_reassembly {
	bool started;
	struct simota_sms_concat concat;  /* ref, ref16, total of this message */
	uint8_t received;
	uint8_t packet_iei;               /* 70/71 found in segment 1, or 0 */
	uint8_t have[SIMOTA_SMS_CONCAT_MAX_SEGMENTS];
	uint8_t seg_len[SIMOTA_SMS_CONCAT_MAX_SEGMENTS];
	uint8_t data[SIMOTA_SMS_CONCAT_MAX_SEGMENTS][SIMOTA_SMS_CONCAT_SEGMENT_MAX];
};

void simota_sms_reassembly_init(struct simota_sms_reassembly *st);
/*
 * Adds the octet (8 bit DCS) user data of one SMS (TP-UDHI set for a segment).  Returns
 * SIMOTA_OK once every segment is there (then call _get), SIMOTA_ERR_INCOMPLETE
 * while some are missing.  Refused without changing the state:
 * SIMOTA_ERR_DUPLICATE (sequence number seen before), SIMOTA_ERR_BAD_VALUE
 * (another reference or total, sequence number 0 or above the total),
 * SIMOTA_ERR_UNSUPPORTED (more than SIMOTA_SMS_CONCAT_MAX_SEGMENTS), and the
 * UDH parse errors.  A UD without a concatenation IE is a whole message.
 */
simota_err simota_sms_reassembly_add(struct simota_sms_reassembly *st, const struct simota_sms_ud *ud);
/* The packet once complete (SIMOTA_ERR_INCOMPLETE before); *iei as packet_iei. */
simota_err simota_sms_reassembly_get(const struct simota_sms_reassembly *st,
				     uint8_t *out, size_t cap, size_t *out_len, uint8_t *iei);

/* ---- SMS-PP data download: the ME's answer (TS 31.111 §7.1.1.1) ---------- */

enum simota_rp_message {
	SIMOTA_RP_ACK,
	SIMOTA_RP_ERROR,
};

struct simota_sms_pp_result {
	enum simota_rp_message rp;
	uint8_t tp_fcs;       /* RP-ERROR: the failure cause; 0 with RP-ACK */
	bool has_report;      /* a DELIVER-REPORT TPDU goes in RP-User-Data */
	struct simota_sms_deliver_report report;
};

/*
 * Maps the card's answer to the ENVELOPE (SMS-PP DOWNLOAD) to the message
 * the ME sends to the network.  sw is the final status word after any GET
 * RESPONSE, data the response data (may be empty); pid and dcs are those of
 * the SMS-DELIVER:
 *   90 00 / 91 XX (and 61 XX, 9F XX): RP-ACK; with data a DELIVER-REPORT
 *     TP-PI 07, PID, DCS, UDL, data; without, no TPDU.
 *   62 XX / 63 XX (and 9E XX): RP-ERROR, TP-FCS D5, TP-PI 07, PID, DCS, UDL,
 *     data; without data, no TPDU.
 *   93 00: RP-ERROR, TP-FCS D4 (toolkit busy), no TPDU (the ME may instead
 *     retry the ENVELOPE).
 *   6F XX and any other: RP-ERROR, TP-FCS D5, no TPDU.
 * "No TPDU": the cause travels alone (an AT +CNMA or RIL layer writes it);
 * simota_sms_deliver_report_encode() of `report` still gives the minimal
 * `00 FCS 00` form if a transport needs one (report is always filled).
 * The report's TP-UDHI is 1 when the data starts with a user data header
 * holding IEI 71 (a TS 31.115 response packet, "02 71 00 ...") and the DCS
 * counts octets, else 0; TP-UD is the card's data as it is either way.
 * Android writes 0 always, so a receiver must accept both
 * (doc/wire-formats.md, "TP-UDHI of the DELIVER-REPORT").
 */
simota_err simota_sms_pp_download_result(uint8_t pid, uint8_t dcs, uint16_t sw,
					 const uint8_t *data, size_t len,
					 struct simota_sms_pp_result *out);

/* ---- SMS-PP data download: the ME's side around the card (TS 31.111 §7.1.1) ---------------- */

/* TS 23.038 §4: the message class a DCS gives (0-3), or -1 for none. */
int simota_sms_dcs_class(uint8_t dcs);

/*
 * TS 31.111 §7.1.1: an SMS-DELIVER the ME passes to the card rather than
 * storing: TP-PID 7F ((U)SIM data download) with a class 2 DCS.
 */
bool simota_sms_is_data_download(uint8_t pid, uint8_t dcs);

/*
 * TS 31.111 §7.1.1.2: the ENVELOPE (SMS-PP DOWNLOAD) for an SMS-DELIVER
 * TPDU: D1 { device identities network -> UICC, Address (the service
 * centre's, TON/NPI with the extension bit; sca NULL or without digits: no
 * Address object), SMS TPDU }.
 */
simota_err simota_sms_pp_download_envelope(const struct simota_sms_address *sca,
					   const uint8_t *tpdu, size_t len,
					   uint8_t *out, size_t cap, size_t *out_len);

/*
 * What a link that carries an SMS-DELIVER-REPORT TPDU with every RP-ERROR
 * (netsim, doc/netsim.md) sends for res: the report when res has one, the
 * minimal "00 FCS 00" form for an RP-ERROR without one, else no TPDU
 * (*out_len 0); *rp_cause the RP-Cause (TS 24.011 §8.2.5.4: #111 protocol
 * error, unspecified, with RP-ERROR; 0 with RP-ACK).
 */
simota_err simota_sms_pp_download_report(const struct simota_sms_pp_result *res, uint8_t *out,
					 size_t cap, size_t *out_len, uint8_t *rp_cause);

#endif
