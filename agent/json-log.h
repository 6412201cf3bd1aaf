/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's JSON log (--json-log FILE|-): one JSON object a line per
 * interaction, written with a single write(2) so that readers tailing the
 * file never see half a line.  Fields: doc/agent.md "JSON log".
 */
#ifndef STKAGENT_JSON_LOG_H
#define STKAGENT_JSON_LOG_H

#include <glib.h>
#include <stdbool.h>

#include "request.h"

/* How a request ended. */
enum stkagent_outcome {
	STKAGENT_OUTCOME_REPLIED,	/* a method return */
	STKAGENT_OUTCOME_ERROR,		/* an error reply */
	STKAGENT_OUTCOME_CANCELLED,	/* oFono called Cancel() (its timeout, or session end) */
	STKAGENT_OUTCOME_ABANDONED,	/* not answered: Release, oFono gone, or agent exiting */
};

struct stkagent_log_entry {
	gint64 time_us;			/* wall clock when the request arrived */
	gint64 elapsed_us;		/* until it ended */
	const char *modem;		/* modem object path, or NULL */
	const struct stkagent_request *request;
	const struct stkagent_reply *reply;	/* NULL unless REPLIED / ERROR */
	enum stkagent_outcome outcome;
	const char *source;		/* "script", "default", "user", "none" */
	const char *script;		/* the answer as written in the answers file, or NULL */
	const char *note;		/* extra remark, or NULL */
};

/* One request as a JSON object text (no newline). */
char *stkagent_log_format_request(const struct stkagent_log_entry *entry);
/*
 * An event that is not a request from oFono (RegisterAgent, UnregisterAgent,
 * Cancel, Release, ofono-appeared, ...) as a JSON object text.
 */
char *stkagent_log_format_event(gint64 time_us, const char *modem, const char *method,
				const char *error, const char *note);
/* ISO 8601 UTC with milliseconds: 2024-05-01T12:00:00.123Z */
char *stkagent_log_format_time(gint64 time_us);

struct stkagent_log;

/* "-" is standard output; a file is opened for appending (created 0644). */
struct stkagent_log *stkagent_log_open(const char *path, GError **error);
/* Appends one line (adds the newline); false if the write failed. */
bool stkagent_log_write(struct stkagent_log *log, const char *line);
void stkagent_log_close(struct stkagent_log *log);

#endif
