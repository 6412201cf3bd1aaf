/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card service over QMI (qmi.c: presence, files, PINs through UIM;
 * qmi-cat.c: the toolkit through raw CAT).  Shared between the two files
 * only.
 */
#ifndef SB_CARD_QMI_INTERNAL_H
#define SB_CARD_QMI_INTERNAL_H

#include <libqmi-glib.h>

#include "card/card-impl.h"
#include "qmi/port.h"

/* What the callbacks of requests in flight hold: NULL card once the card service is freed. */
struct qcard_life {
	unsigned refs;
	struct qcard *qc;
};

/* A proactive command the modem reported, until its terminal response. */
struct qcat_command {
	uint32_t ref;
	GBytes *cmd;
};

struct qcard {
	struct sb_card_service base;
	struct qcard_life *life;
	char *path;
	struct sb_qmi_port *port;
	bool watching;

	/* the device while open; gen counts its ups and our stops: an answer for an older one is dropped */
	unsigned gen;
	QmiDevice *dev;
	QmiClientUim *uim;
	gulong uim_ind;
	bool clients_ready;                  /* UIM (and CAT, if the modem has it) set up */

	/* start */
	bool starting;
	guint start_timer;
	bool up;
	bool absent_logged;

	/* the card status, last read */
	bool have_status;
	int card_state;                      /* QmiUimCardState */
	int app_state;                       /* QmiUimCardApplicationState, -1 without a USIM */
	int pin1, pin2;                      /* QmiUimPinState */
	int pin1_retries, puk1_retries, pin2_retries, puk2_retries;

	GList *inflight;                     /* struct sb_card_req * sent to the modem */

	/* CAT (qmi-cat.c) */
	uint8_t cat_service, cat_cid;        /* cat_cid 0: no CAT client */
	uint16_t cat_tid;
	gulong cat_ind;
	bool cat_logged;
	void (*cat_done)(struct qcard *qc);  /* the CAT set-up is over (CAT or not) */
	GQueue commands;                     /* struct qcat_command *, reported, not fetched */
	struct qcat_command *current;        /* fetched, its terminal response not sent */
};

/* A request's context in libqmi's callback. */
struct qctx {
	struct qcard_life *life;
	unsigned gen;
	struct sb_card_req *r;               /* NULL for the set-up's own requests */
	const char *what;
	int step;
	uint32_t ref;                        /* CAT: the reference id a terminal response names */
};

struct qctx *qcard_ctx_new(struct qcard *qc, struct sb_card_req *r, const char *what);
/* The card the answer is for, or NULL (the card service is gone, or the device the request went to). */
struct qcard *qcard_ctx_card(struct qctx *x);
/* x's request if it is still waiting for this answer (then it is no longer in flight), else NULL. */
struct sb_card_req *qcard_ctx_take(struct qcard *qc, struct qctx *x);
/* Frees x; r leaves the in-flight list. */
void qcard_ctx_free(struct qctx *x);

/* The request's wait, from UiccTimeout. */
unsigned qcard_timeout_s(const struct qcard *qc);
/* No answer, or one libqmi could not read: r (taken) fails (TIMEOUT / PROTOCOL), the card is lost, the modem reconnected. */
void qcard_transport_failed(struct qcard *qc, struct sb_card_req *r, const char *what, const GError *err);
void qcard_fail(struct sb_card_req *r, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* qmi-cat.c */
void qcat_setup(struct qcard *qc, void (*done)(struct qcard *qc));
void qcat_drop(struct qcard *qc);        /* the device went: forget the CAT client and the commands */
void qcat_forget_commands(struct qcard *qc);   /* the card went, or we stopped: forget the commands */
void qcat_envelope(struct sb_card_service *c, struct sb_card_req *r);
void qcat_terminal_response(struct sb_card_service *c, struct sb_card_req *r);
void qcat_fetch(struct sb_card_service *c, struct sb_card_req *r);

#endif
