/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An RFM script: the C-APDUs an OTA server sends to a card's remote file
 * management application in one command packet (TS 102 226 §5), the TAR
 * they go to and the format (compact §5.1 or expanded §5.2) they are
 * written in.  ota-cli reads it from a script file, ota-test-server from
 * the "apdus" (or "script") member of a request (doc/rfm.md "Script files",
 * doc/api.md).
 *
 * The script file is text, one item a line:
 *
 *   # a comment, to the end of the line (also after an item)
 *   tar b00010              the TAR (6 hex digits); at most once
 *   format compact          or expanded; at most once (default compact)
 *   A0 A4 00 00 02 7F 20    a C-APDU in hex, blanks or ':' between bytes
 *
 * Each C-APDU is a short ISO/IEC 7816-4 command (case 1 to 4, simota/apdu.h)
 * as the card is to run it: the compact encoding writes it as a T=0 TPDU
 * (a case-4 Le dropped), the expanded one as a C-APDU TLV with its Le.
 * Blank lines and CR line ends are ignored.  Errors name the line (or the
 * command's index) and say why in a static string; nothing is allocated.
 */
#ifndef SIMOTA_RFM_SCRIPT_H
#define SIMOTA_RFM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simota/apdu.h"
#include "simota/bytes.h"

/* The count of executed commands in a PoR is one byte (TS 102 226 §5.1.2, §5.2.2). */
#define SIMOTA_RFM_SCRIPT_MAX_COMMANDS 255u
/* C-APDU bytes a script may hold (more than any concatenated command packet carries). */
#define SIMOTA_RFM_SCRIPT_MAX_BYTES 4096u

enum simota_rfm_format { SIMOTA_RFM_COMPACT, SIMOTA_RFM_EXPANDED };

struct simota_rfm_script {
	bool has_tar;
	uint8_t tar[3];
	bool has_format;
	enum simota_rfm_format format;       /* SIMOTA_RFM_COMPACT unless a format line says so */
	size_t n;                            /* commands */
	struct simota_apdu cmds[SIMOTA_RFM_SCRIPT_MAX_COMMANDS];  /* data points into buf */
	size_t used;
	uint8_t buf[SIMOTA_RFM_SCRIPT_MAX_BYTES];
};

/* Where and why a script was refused. */
struct simota_rfm_script_error {
	unsigned line;                       /* 1-based line of the file; 0: not from a file */
	const char *why;                     /* static text */
};

/* An empty script (compact, no TAR). */
void simota_rfm_script_init(struct simota_rfm_script *s);

/*
 * Appends one C-APDU given as hex text ("A0 A4 00 00 02 7F 20").
 * SIMOTA_ERR_BAD_VALUE not hex; SIMOTA_ERR_MISSING_VALUE empty;
 * SIMOTA_ERR_TRUNCATED / BAD_LENGTH / UNSUPPORTED no short C-APDU
 * (simota_apdu_decode); SIMOTA_ERR_NO_SPACE more than the script may hold.
 * *why says it in words.
 */
simota_err simota_rfm_script_add_hex(struct simota_rfm_script *s, const char *hex, const char **why);

/* Parses a whole script file (len bytes of text, need not be NUL-terminated). */
simota_err simota_rfm_script_parse(const char *text, size_t len, struct simota_rfm_script *s,
				   struct simota_rfm_script_error *err);

/* "compact" / "expanded"; false for another name. */
const char *simota_rfm_format_name(enum simota_rfm_format f);
bool simota_rfm_format_from_name(const char *name, enum simota_rfm_format *out);

/*
 * The secured data of the command packet (TS 102 226 §5.1.1 compact, §5.2.1
 * expanded with a definite length).  A command the compact format cannot
 * carry (simota_rfm_compact_encode: data for an outgoing command, Le alone
 * for an incoming one) is SIMOTA_ERR_BAD_VALUE with *bad its index; an
 * empty script SIMOTA_ERR_MISSING_VALUE.
 */
simota_err simota_rfm_script_encode(const struct simota_rfm_script *s, struct simota_writer *w,
				    size_t *bad);

#endif
