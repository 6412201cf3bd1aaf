/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stkagent: the agent process.  One stkagent_modem per oFono modem that
 * has org.ofono.SimToolkit; each exports its own org.ofono.SimToolkitAgent
 * object (base path + modem path) and registers it as the modem's default
 * agent.  Requests are answered from a script (answers.h) or by the user
 * at the terminal (terminal.h); every one is logged (json-log.h).
 */
#ifndef STKAGENT_AGENT_H
#define STKAGENT_AGENT_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stdio.h>

#include "answers.h"
#include "json-log.h"
#include "request.h"

#define OFONO_SERVICE		"org.ofono"
#define OFONO_MANAGER_INTERFACE	"org.ofono.Manager"
#define OFONO_MODEM_INTERFACE	"org.ofono.Modem"
#define OFONO_STK_INTERFACE	"org.ofono.SimToolkit"

struct stkagent_terminal;

struct stkagent_ctx {
	GDBusConnection *conn;
	GMainLoop *loop;
	char *base_path;		/* agent objects live under it */
	char *only_modem;		/* --modem PATH, or NULL for all */
	struct stkagent_script *script;	/* NULL: interactive */
	struct stkagent_terminal *terminal;
	struct stkagent_log *log;
	bool quiet;			/* no human-readable screen output */
	FILE *screen;			/* where the human-readable output goes */

	char *ofono_owner;		/* unique name of org.ofono, or NULL */
	guint name_watch;
	guint signal_subs[3];
	GHashTable *modems;		/* modem path → struct stkagent_modem */
	GDBusNodeInfo *agent_info;	/* org.ofono.SimToolkitAgent, parsed at the first export */
	GCancellable *cancellable;	/* for calls to a previous ofonod */
	bool stopping;
	guint stop_calls;		/* UnregisterAgent calls in flight */
};

struct stkagent_pending;

struct stkagent_modem {
	struct stkagent_ctx *ctx;
	char *path;
	char *agent_path;
	guint object_id;		/* exported agent object, 0 if not */
	bool has_stk;
	bool registered;
	bool registering;
	guint retry_source;
	struct stkagent_pending *pending;	/* the request being answered */
};

/* agent-object.c */
struct stkagent_modem *stkagent_modem_new(struct stkagent_ctx *ctx, const char *path);
void stkagent_modem_free(struct stkagent_modem *modem);
/* Exports the agent object; false (and logged) on failure. */
bool stkagent_modem_export(struct stkagent_modem *modem);
void stkagent_modem_unexport(struct stkagent_modem *modem);
/* Ends the request in progress unanswered (oFono gone, Release, exiting). */
void stkagent_modem_abandon(struct stkagent_modem *modem, const char *why);
/*
 * Answers the request in progress (from the terminal); source names who
 * answered.  Ignored when nothing is pending.
 */
void stkagent_modem_answer(struct stkagent_modem *modem, const struct stkagent_answer *answer,
			   const char *source);
const struct stkagent_request *stkagent_modem_request(const struct stkagent_modem *modem);

/* ofono-watch.c */
void stkagent_watch_start(struct stkagent_ctx *ctx);
/* Unregisters every agent, then quits the main loop. */
void stkagent_watch_stop(struct stkagent_ctx *ctx);
/* Called by agent-object.c on Release: register again shortly. */
void stkagent_watch_schedule_register(struct stkagent_modem *modem, guint delay_ms);

/* Logging: the JSON log and the screen (agent-object.c) */
void stkagent_log_event(struct stkagent_ctx *ctx, const char *modem, const char *method,
			const char *error, const char *note);
void stkagent_screen(struct stkagent_ctx *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
