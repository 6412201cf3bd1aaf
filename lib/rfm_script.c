/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RFM scripts and the script file (simota/rfm_script.h, doc/rfm.md "Script files"). */
#include <string.h>

#include "simota/hex.h"
#include "simota/rfm.h"
#include "simota/rfm_script.h"

/* An item of a line is at most this long (a C-APDU of 261 bytes, with blanks between them) */
#define LINE_MAX (3 * SIMOTA_APDU_MAX_LEN + 64)

void simota_rfm_script_init(struct simota_rfm_script *s)
{
	s->has_tar = false;
	s->has_format = false;
	s->format = SIMOTA_RFM_COMPACT;
	s->n = 0;
	s->used = 0;
}

/* ISO/IEC 7816-4 §5.1: one short C-APDU, its bytes kept in the script's buffer. */
simota_err simota_rfm_script_add_hex(struct simota_rfm_script *s, const char *hex, const char **why)
{
	uint8_t *p = s->buf + s->used;
	size_t cap = sizeof(s->buf) - s->used, len;
	simota_err err;

	if (s->n == SIMOTA_RFM_SCRIPT_MAX_COMMANDS) {
		*why = "more than 255 commands (the PoR counts them in one byte)";
		return SIMOTA_ERR_NO_SPACE;
	}
	err = simota_hex_decode(hex, p, cap, &len);
	if (err == SIMOTA_ERR_BAD_VALUE) {
		*why = "not hex (two digits a byte, blanks or ':' between bytes)";
		return err;
	}
	if (err == SIMOTA_ERR_NO_SPACE) {
		*why = "the script's commands take more than 4096 bytes";
		return err;
	}
	if (len == 0) {
		*why = "no command";
		return SIMOTA_ERR_MISSING_VALUE;
	}
	err = simota_apdu_decode(p, len, &s->cmds[s->n]);
	switch (err) {
	case SIMOTA_OK:
		break;
	case SIMOTA_ERR_TRUNCATED:
		*why = "shorter than a C-APDU header (CLA INS P1 P2)";
		return err;
	case SIMOTA_ERR_UNSUPPORTED:
		*why = "an extended-length C-APDU; only short ones fit a script";
		return err;
	default:
		*why = "no short C-APDU: its length byte matches no case of ISO/IEC 7816-4 §5.1";
		return err;
	}
	s->used += len;
	s->n++;
	*why = NULL;
	return SIMOTA_OK;
}

static const char *const format_names[] = {
	[SIMOTA_RFM_COMPACT] = "compact", [SIMOTA_RFM_EXPANDED] = "expanded",
};

const char *simota_rfm_format_name(enum simota_rfm_format f)
{
	return (unsigned)f < 2 ? format_names[f] : "?";
}

bool simota_rfm_format_from_name(const char *name, enum simota_rfm_format *out)
{
	for (unsigned i = 0; name && i < 2; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "tar HEX" / "format NAME": the directive's value, or NULL when the line is no such directive. */
static const char *directive(const char *line, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(line, word, n) != 0 || (line[n] && !is_blank(line[n])))
		return NULL;
	line += n;
	while (is_blank(*line))
		line++;
	return line;
}

static simota_err line_error(struct simota_rfm_script_error *err, unsigned line, const char *why,
			     simota_err code)
{
	err->line = line;
	err->why = why;
	return code;
}

/* One line, without its comment and surrounding blanks. */
static simota_err parse_line(const char *line, unsigned no, struct simota_rfm_script *s,
			     struct simota_rfm_script_error *err)
{
	const char *v, *why;
	size_t n;
	simota_err e;

	if ((v = directive(line, "tar"))) {
		if (s->has_tar)
			return line_error(err, no, "a second tar line", SIMOTA_ERR_DUPLICATE);
		if (simota_hex_decode(v, s->tar, 3, &n) != SIMOTA_OK || n != 3)
			return line_error(err, no, "tar: expected 3 bytes of hex (b00010)",
					  SIMOTA_ERR_BAD_VALUE);
		s->has_tar = true;
		return SIMOTA_OK;
	}
	if ((v = directive(line, "format"))) {
		if (s->has_format)
			return line_error(err, no, "a second format line", SIMOTA_ERR_DUPLICATE);
		if (!simota_rfm_format_from_name(v, &s->format))
			return line_error(err, no, "format: expected compact or expanded",
					  SIMOTA_ERR_BAD_VALUE);
		s->has_format = true;
		return SIMOTA_OK;
	}
	e = simota_rfm_script_add_hex(s, line, &why);
	return e == SIMOTA_OK ? SIMOTA_OK : line_error(err, no, why, e);
}

simota_err simota_rfm_script_parse(const char *text, size_t len, struct simota_rfm_script *s,
				   struct simota_rfm_script_error *err)
{
	char line[LINE_MAX];
	unsigned no = 0;
	size_t i = 0;

	simota_rfm_script_init(s);
	err->line = 0;
	err->why = NULL;
	while (i < len) {
		size_t start = i, end, n;
		const char *hash;
		simota_err e;

		while (i < len && text[i] != '\n')
			i++;
		end = i++;
		no++;
		if (memchr(text + start, '\0', end - start))
			return line_error(err, no, "a NUL byte: not a text file", SIMOTA_ERR_BAD_VALUE);
		hash = memchr(text + start, '#', end - start);
		if (hash)
			end = (size_t)(hash - text);
		while (start < end && is_blank(text[start]))
			start++;
		while (end > start && is_blank(text[end - 1]))
			end--;
		n = end - start;
		if (n == 0)
			continue;
		if (n >= sizeof(line))
			return line_error(err, no, "longer than any C-APDU", SIMOTA_ERR_BAD_LENGTH);
		memcpy(line, text + start, n);
		line[n] = '\0';
		e = parse_line(line, no, s, err);
		if (e != SIMOTA_OK)
			return e;
	}
	if (s->n == 0)
		return line_error(err, no, "no command in the script", SIMOTA_ERR_MISSING_VALUE);
	return SIMOTA_OK;
}

/* TS 102 226 §5.1.1 (compact), §5.2.1 (expanded, definite length) */
simota_err simota_rfm_script_encode(const struct simota_rfm_script *s, struct simota_writer *w,
				    size_t *bad)
{
	*bad = 0;
	if (s->n == 0)
		return SIMOTA_ERR_MISSING_VALUE;
	if (s->format == SIMOTA_RFM_EXPANDED)
		return simota_rfm_expanded_encode(s->cmds, s->n, false, w);
	for (size_t i = 0; i < s->n; i++) {
		/* one at a time, so that a command the compact form cannot carry is named */
		simota_err err = simota_rfm_compact_encode(&s->cmds[i], 1, w);

		if (err == SIMOTA_ERR_BAD_VALUE) {
			*bad = i;
			return err;
		}
		if (err != SIMOTA_OK)
			return err;
	}
	return SIMOTA_OK;
}
