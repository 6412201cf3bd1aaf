/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The server's one error domain, used by every module (db/, cards/,
 * transactions/, links/, api/).  For OTS_ERROR_INVALID the message starts
 * with the name of the offending field (JSON member name as in doc/api.md)
 * followed by ": ", and ots_error_field() extracts it, so the HTTP layer can
 * answer 400 {"error": ..., "field": ...}.
 */
#ifndef OTS_ERROR_H
#define OTS_ERROR_H

#include <glib.h>

#define OTS_ERROR (ots_error_quark())
GQuark ots_error_quark(void);

enum ots_error_code {
	OTS_ERROR_INVALID,     /* bad input; message "FIELD: reason" (HTTP 400) */
	OTS_ERROR_NOT_FOUND,   /* unknown card or transaction (HTTP 404) */
	OTS_ERROR_EXISTS,      /* card already registered (HTTP 409) */
	OTS_ERROR_STATE,       /* not possible in the transaction's state (HTTP 409) */
	OTS_ERROR_DB,          /* SQLite failure (HTTP 500) */
	OTS_ERROR_INSECURE,    /* DB file readable by group/others: refused */
	OTS_ERROR_ELSEWHERE,   /* the card is leased by another live instance (lease.c) */
	OTS_ERROR_UNAVAILABLE, /* that instance did not act in time; nothing was done (HTTP 503) */
};

/* The field name of an OTS_ERROR_INVALID error (g_free), else NULL. */
char *ots_error_field(const GError *error);

#endif
