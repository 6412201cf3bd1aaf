/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ota-test-server engine: SV2 (card registry, secured packets, PoR
 * matching) and SV1 (deferred transactions, EV rules, timers), persisted in
 * SQLite.  This is the API the HTTP layer (ota-test-server/api/) and the
 * daemon call.  Everything runs in the thread of the GLib main context that
 * was the thread-default when ots_engine_new() was called; none of these
 * functions may be called from another thread.
 *
 * Key material goes in (card add/import) and never comes out: the JSON of a
 * card names its keysets' algorithms and counters, never the keys.
 *
 * Errors are GErrors of OTS_ERROR.  For OTS_ERROR_INVALID the message starts
 * with the name of the offending field (JSON member name as in doc/api.md)
 * followed by ": ", and ots_error_field() extracts it, so the HTTP layer can
 * answer 400 {"error": ..., "field": ...}.
 */
#ifndef OTS_ENGINE_H
#define OTS_ENGINE_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ots-error.h"
#include "simota/deferred.h"
#include "simota/sms.h"

struct ots_engine;

/* ---- creation --------------------------------------------------------- */

struct ots_engine_config {
	const char *db_path;          /* created mode 0600; refused if group/other can read it */
	const char *sv2_address;      /* TP-OA of the SMS-PP; a PoR by SMS-SUBMIT comes to it ("+15550199") */
	const char *sv1_address;      /* where MGs arrive, put in C1's 84 element ("+15550100") */
	/* Defaults of the EV policy (0: built-in default, in brackets). */
	uint32_t preset_ms;           /* C2 this long after C1 when no other rule fired [300 s] */
	uint32_t deadline_ms;         /* a transaction expires this long after its C1 [3600 s] */
	uint32_t backoff_initial_ms;  /* first C2 retry delay after R2S "pending" [10 s] */
	uint32_t backoff_max_ms;      /* cap of the doubling delay [300 s] */
	/* SV2 */
	uint32_t por_timeout_ms;      /* a command whose PoR has not come is resent [30 s] */
	uint32_t max_attempts;        /* sends of one message (with fresh counters) before failing [4] */
	/*
	 * Group commit ("group commit" below): the entry points one batch holds
	 * at most.  0 or 1: each entry point commits as it ends, before it
	 * returns (for callers that read the outcome at once: the engine's own
	 * tests); the daemon and the bench use OTS_BATCH_MAX_CHANGES.
	 */
	unsigned batch_max;
	/*
	 * Several instances on one PostgreSQL database (doc/scaling.md): this
	 * instance's name (NULL: the host name; 1-40 of [A-Za-z0-9._-]) and
	 * how long its leases hold without renewal (0: OTS_LEASE_MS).  Unused
	 * on SQLite (one instance owns everything).
	 */
	const char *instance;
	uint32_t lease_ms;
};
#define OTS_LEASE_MS 10000

/*
 * Opens (creating or migrating) the database, resumes every unfinished
 * transaction: timers are re-armed from their stored due times, commands
 * whose PoR had not come are resent when their PoR timeout (stored) passes
 * or as soon as the card's device (re)attaches.
 */
struct ots_engine *ots_engine_new(const struct ots_engine_config *cfg, GError **error);
void ots_engine_free(struct ots_engine *engine);

/* ---- southbound links (netsim, smpp, or an in-process link in tests/bench) ---- */

/*
 * A southbound link: it carries a command packet's SMS to the card and
 * brings its answers back up (the calls below).  The engine never knows
 * which link carries a packet: for each command it takes the card's fixed
 * link when the card's config names one ("link" in doc/card-config.md),
 * else the first link (in the order they were added) whose reaches() says
 * it can reach the card now (netsim, added first: a device with the card's
 * ICCID is attached; smpp: the card has an MSISDN).
 *
 * send_deliver hands over one SMS-DELIVER TPDU (TS 23.040 §9.2.2.1: the
 * SMS as the card must receive it: OA, PID, DCS, UDH, data); msg_id
 * identifies it in the reports.  false: the link cannot take it now (the
 * command then waits for its PoR timeout or for ots_engine_device_attached()).
 * The optional members may be NULL/false.
 */
struct ots_southbound {
	bool (*send_deliver)(void *user, const char *iccid, const char *msisdn,
			     uint32_t msg_id, const uint8_t *tpdu, size_t len);
	void *user;
	const char *name;              /* "netsim", "smpp"; on the timeline (NULL: "link") */
	/* Can the link reach this card now (iccid, msisdn may be NULL)?  NULL: yes. */
	bool (*reaches)(void *user, const char *iccid, const char *msisdn);
	/* The engine gave up on SMS first..first+n-1 (their command was replaced): drop any still queued. */
	void (*cancel)(void *user, uint32_t first, unsigned n);
	/* The link's state for GET /v1/links (a new JSON object), never a secret. */
	JsonNode *(*status)(void *user);
	/*
	 * false when a PoR the card returns in the RP-ACK (SMS-DELIVER-REPORT,
	 * TS 31.111 §7.1.1.1) never reaches the server over this link (an SMSC
	 * that drops RP-ACK user data): then a TAR whose SPI asks for the PoR
	 * that way cannot work, and the API says so.
	 */
	bool por_in_rp_ack;
};
/* Replaces every link with this one (NULL: none); tests and benchmarks. */
void ots_engine_set_southbound(struct ots_engine *engine, const struct ots_southbound *sb);
/* Adds a link after those already there; removes the link whose user is this. */
void ots_engine_add_southbound(struct ots_engine *engine, const struct ots_southbound *sb);
void ots_engine_remove_southbound(struct ots_engine *engine, void *user);
/* [{"name", ...the link's status()}] */
JsonNode *ots_engine_links_json(struct ots_engine *engine);

/* A device serving this card (iccid may be NULL when only msisdn is known) connected. */
void ots_engine_device_attached(struct ots_engine *engine, const char *iccid, const char *msisdn);

/*
 * The DELIVER-REPORT for SMS msg_id: rp_error false = RP-ACK; tpdu is the
 * SMS-DELIVER-REPORT TPDU (may be empty).  Unknown ids are logged, ignored.
 */
void ots_engine_deliver_report(struct ots_engine *engine, uint32_t msg_id, bool rp_error,
			       uint8_t rp_cause, const uint8_t *tpdu, size_t len);

enum ots_submit_verdict {
	OTS_SUBMIT_POR,        /* a PoR (or a segment of one) from a registered card */
	OTS_SUBMIT_MG,         /* an MG to the SV1 address */
	OTS_SUBMIT_OTHER,      /* anything else: logged only */
	OTS_SUBMIT_BAD,        /* not a decodable SMS-SUBMIT */
	OTS_SUBMIT_FORWARDED,  /* several instances: stored for the instance that holds the card's lease */
};
/* An SMS-SUBMIT from the device serving iccid/msisdn (either may be NULL). */
enum ots_submit_verdict ots_engine_submit(struct ots_engine *engine, const char *iccid,
					  const char *msisdn, const uint8_t *tpdu, size_t len);
/*
 * The same for a link that carries the message's fields rather than its
 * TPDU (smpp: a deliver_sm); via names the route on the timeline
 * ("deliver-sm").  A PoR forwarded by an SMSC from the RP-ACK comes this
 * way too, looking like one by SMS-SUBMIT.
 */
enum ots_submit_verdict ots_engine_mo(struct ots_engine *engine, const char *iccid,
				      const char *msisdn, const struct simota_sms_submit *sms,
				      const char *via);

/*
 * What a link learnt about an SMS it was given (smpp: submit_sm_resp,
 * delivery receipts).  That the SMSC took an SMS is not reported: it would
 * cost a durable write per SMS and the receipt says more.
 */
enum ots_sms_fate {
	OTS_SMS_RETRYING,       /* refused for now (throttled, queue full): the link sends it again */
	OTS_SMS_REFUSED,        /* refused; the command is sent again soon with a fresh counter */
	OTS_SMS_REFUSED_FINAL,  /* refused for good (e.g. invalid destination): the transaction fails */
	OTS_SMS_DELIVERED,      /* delivery receipt: delivered to the handset */
	OTS_SMS_UNDELIVERED,    /* delivery receipt: not delivered (expired, undeliverable, rejected) */
};
struct ots_sms_report {
	enum ots_sms_fate fate;
	const char *link;        /* "smpp" */
	const char *ref;         /* the SMSC's message id, or NULL */
	uint32_t status;         /* command_status of a refusal, error code of a receipt */
	const char *reason;      /* "ESME_RTHROTTLED (throttling error)", a receipt's "DELIVRD" */
};
/*
 * On the timeline of the SMS's transaction ("submit-retry", "submit-refused",
 * "delivery-receipt"), even after the command was
 * answered; a refusal or an undelivered receipt drives the transaction.
 */
void ots_engine_sms_report(struct ots_engine *engine, uint32_t msg_id, const struct ots_sms_report *r);
/*
 * The link lost SMS msg_id not knowing whether the SMSC took it (the
 * connection dropped before its answer): the command, if still outstanding,
 * is sent again at once with a fresh counter (the card's counter check drops
 * a duplicate).  trigger names the cause on the timeline.
 */
void ots_engine_sms_lost(struct ots_engine *engine, uint32_t msg_id, const char *trigger);
/*
 * A message from the card's side that the link could not read (logged; a
 * "link-refused" event on the active transaction of the card with this
 * MSISDN when there is one).
 */
void ots_engine_link_refused(struct ots_engine *engine, const char *link, const char *msisdn,
			     const char *why);

/*
 * The route a command to this card (and TAR: NULL for the card's default)
 * would take now: {"link": name or null, "warnings": [...]}; a warning when
 * the TAR's SPI asks for the PoR in the RP-ACK and that link does not bring
 * RP-ACK data back.  NULL for an unknown card.
 */
JsonNode *ots_engine_route_json(struct ots_engine *engine, const char *iccid, const uint8_t *tar);
/* The same for an unfinished transaction's card and TAR; NULL when finished or unknown. */
JsonNode *ots_engine_tx_route_json(struct ots_engine *engine, uint64_t id);

/* ---- card registry (SV2) ---------------------------------------------- */

/*
 * Imports a uicc-emu card config file (doc/card-config.md, parsed by
 * lib/card_config.c).  The card's ICCID is returned in *iccid
 * (g_free; may be NULL).  OTS_ERROR_EXISTS if registered and !replace.
 * Keysets' counters start at the file's values.
 */
bool ots_engine_card_import_file(struct ots_engine *engine, const char *path, bool replace,
				 char **iccid, GError **error);
/* The same from the file's contents (e.g. uploaded through the API). */
bool ots_engine_card_import_data(struct ots_engine *engine, const char *data, size_t len,
				 bool replace, char **iccid, GError **error);
/*
 * Adds a card from JSON (doc/api.md "card"): {"iccid", "msisdn", "imsi"?,
 * "keysets": [{"kvn", "kic", "kid", "kic-key", "kid-key", "counter"?}],
 * "tars": [{"tar", "spi", "keysets"?: [kvn...], "min-security-level"?,
 * "mg-address"?, "applet"?}]}; bytes as hex strings.  Errors name the field
 * ("keysets[0].kic-key").
 */
bool ots_engine_card_add_json(struct ots_engine *engine, JsonNode *card, bool replace,
			      GError **error);
/*
 * Adds every card of a JSON array of them (doc/api.md "POST /v1/cards", a
 * batch) in one database transaction: one commit for the batch, and all of
 * them are stored or none.  Errors name the card's index
 * ("[3].keysets[0].kic-key").
 */
bool ots_engine_card_add_json_all(struct ots_engine *engine, JsonArray *cards, bool replace,
				  GError **error);
/*
 * One page of the cards, in ICCID order (doc/api.md "GET /v1/cards"): an
 * array of at most limit (> 0) cards as ots_engine_card_show() gives them,
 * whose ICCID is above after (NULL: from the first); *more when others
 * follow.  It does not fill the registry's cache.
 */
JsonNode *ots_engine_card_list(struct ots_engine *engine, const char *after, unsigned limit,
			       bool *more, GError **error);
/* One card without keys: keysets with kvn, kic, kid, algorithm names, counter. */
JsonNode *ots_engine_card_show(struct ots_engine *engine, const char *iccid, GError **error);
/* OTS_ERROR_STATE while the card has unfinished transactions. */
bool ots_engine_card_remove(struct ots_engine *engine, const char *iccid, GError **error);

/* ---- transactions (SV1) -------------------------------------------------- */

/*
 * EV policy: which events send C2 (the earliest that fires wins).
 *   on_mg:        C2 when the card's MG arrives (and the C1 gives the card
 *                 the SV1 address, element 84);
 *   on_rq:        C2 when the IR's fixed duration (or an until-event RQ's
 *                 bound) has elapsed since C1;
 *   preset_ms:    C2 this long after C1 (0: engine default, OTS_EV_NO_PRESET:
 *                 never).  Not applied when the RQ is indefinite: then only
 *                 an MG or an explicit poll sends C2.
 *   deadline_ms:  the transaction expires (and is released) this long after
 *                 C1 (0: engine default).
 *   wanted:       the time extension asked for in C1 (element 85;
 *                 form NONE: not sent).
 */
#define OTS_EV_NO_PRESET UINT32_MAX
struct ots_ev_policy {
	bool on_mg;
	bool on_rq;
	uint32_t preset_ms;
	uint32_t deadline_ms;
	struct simota_deferred_rq wanted;
};
/* on_mg, on_rq true; engine defaults for the rest; nothing wanted. */
void ots_ev_policy_init(struct ots_ev_policy *ev);

struct ots_tx_request {
	const char *iccid;
	enum simota_deferred_action action;
	const char *text;              /* UTF-8; NULL allowed for select-item */
	const char *const *items;      /* select-item: texts, ids 1..n in order */
	size_t n_items;
	uint8_t default_item;          /* select-item: the item offered first, 1..n_items (C1
					* element 8D); 0 = none */
	bool has_input;                /* get-input constraints (element 8C) */
	struct simota_deferred_input input;
	const uint8_t *tar;            /* 3 bytes, NULL: the card's first "deferred" TAR */
	struct ots_ev_policy ev;
};

/*
 * Validates (errors name "iccid", "action", "text", "items", "items[i]",
 * "default-item", "ev.*"), stores the transaction and its C1 durably and starts it (or
 * queues it behind the card's active transaction).  Unknown card:
 * OTS_ERROR_NOT_FOUND.
 */
bool ots_engine_tx_start(struct ots_engine *engine, const struct ots_tx_request *req,
			 uint64_t *id, GError **error);
/*
 * The same from JSON {"iccid", "action": "display-text"|"get-input"|
 * "select-item"|"yes-no", "text", "items": [..], "default-item": N,
 * "input": {"min","max",
 * "digits","hidden"}, "tar": "defe01", "ev": {"mg": bool, "rq": bool,
 * "preset-ms", "deadline-ms", "wanted": {"form": "fixed"|"indefinite"|
 * "until-mg"|"next-session", "seconds"}}}.
 */
bool ots_engine_tx_start_json(struct ots_engine *engine, JsonNode *request,
			      uint64_t *id, GError **error);

/*
 * Transaction states.  Final: completed (R1 delivered and released),
 * expired, failed.
 */
enum ots_tx_state {
	OTS_TX_QUEUED,         /* waiting for the card's active transaction */
	OTS_TX_C1_SENT,        /* C1 out, waiting for its PoR (IR) */
	OTS_TX_WAITING,        /* IR received, waiting for an EV rule */
	OTS_TX_C2_SENT,        /* C2 out, waiting for the R2S */
	OTS_TX_RELEASING,      /* outcome known (R1 stored, or expired), release out */
	OTS_TX_COMPLETED,
	OTS_TX_EXPIRED,
	OTS_TX_FAILED,
};
const char *ots_tx_state_name(enum ots_tx_state state);
bool ots_tx_state_from_name(const char *name, enum ots_tx_state *out);
static inline bool ots_tx_state_is_final(enum ots_tx_state s)
{
	return s >= OTS_TX_COMPLETED;
}

/*
 * {"id", "iccid", "txid": "0000002a", "tar", "action", "text", "items", "default-item",
 *  "ev": {...}, "state", "created", "deadline" (RFC 3339 UTC, microseconds),
 *  "rq": {"form", "seconds"?, "event"?} or null, "attempts",
 *  "result": {"general": 0, "additional": "hex", "text"?, "item"?, "yes"?} or null,
 *  "why": string or null (failed/expired),
 *  "timeline": [event, ...] (see ots_event_to_json)}
 */
JsonNode *ots_engine_tx_get(struct ots_engine *engine, uint64_t id, GError **error);
/* Which transactions a listing wants (doc/api.md "GET /v1/transactions"). */
struct ots_tx_filter {
	const char *state;       /* a state's name (ots_tx_state_name), NULL: any */
	const char *iccid;       /* NULL: any card */
	uint64_t before;         /* ids below this one; 0: from the newest */
	unsigned limit;          /* at most this many (> 0) */
};
/*
 * One page of transactions (without timeline), newest first, through an
 * index for each filter; *more when others follow.  An unknown state is
 * OTS_ERROR_INVALID ("state: ...").
 */
JsonNode *ots_engine_tx_list(struct ots_engine *engine, const struct ots_tx_filter *filter,
			     bool *more, GError **error);
/* Final state of a transaction (for --wait style callers), or -1 if unknown. */
int ots_engine_tx_state(struct ots_engine *engine, uint64_t id);

/*
 * C2 now (the explicit poll), for a transaction in WAITING; in C2_SENT it
 * is a no-op success.  Other states: OTS_ERROR_STATE.
 */
bool ots_engine_tx_poll(struct ots_engine *engine, uint64_t id, GError **error);

/* ---- timeline events (SSE) -------------------------------------------- */

/*
 * Timeline event kinds ("event" member): queued, c1-sent, por-received
 * (detail: status, message), ir-received (rq), mg-received, c2-sent
 * (attempt), r2s-received (state), r1-delivered (result), release-sent,
 * released, expired, failed (why), por-invalid (why; never handed on),
 * por-error (status), resent (kind, attempt), por-timeout.
 */
struct ots_event {
	int64_t seq;             /* global, increasing */
	uint64_t tx_id;
	const char *iccid;
	int64_t at_us;           /* g_get_real_time() */
	const char *kind;
	const char *detail;      /* a JSON object's text; borrowed for the callback's duration */
};
/* {"seq", "tx", "iccid", "at", "event", ...detail members}: the text (g_free), a new node */
char *ots_event_to_text(const struct ots_event *ev);
JsonNode *ots_event_to_json(const struct ots_event *ev);

/* Called after the event is committed to the database. */
typedef void (*ots_event_cb)(const struct ots_event *ev, void *user);
unsigned ots_engine_subscribe(struct ots_engine *engine, ots_event_cb cb, void *user);
void ots_engine_unsubscribe(struct ots_engine *engine, unsigned id);

/* ---- group commit (doc/scaling.md) ----------------------------------------- */

/*
 * What every entry point changes (an API call, a timer, a southbound input)
 * joins the open batch: one database transaction, committed with one fsync
 * when the main loop has nothing more to read (an idle source), at the
 * latest OTS_BATCH_MAX_MS after the batch opened or once it holds
 * OTS_BATCH_MAX_CHANGES entry points.  Events, SMS, and every answer that
 * says "stored" leave after that commit: a caller that answers after an
 * entry point asks ots_engine_unflushed() and holds its answer until a
 * commit listener hears that batch.
 *
 * A request (API call) that fails loses only its own changes.  A step of
 * the engine's own (a PoR, a report, a timer) that fails loses the batch:
 * it is rolled back, the engine reads its state again, and for
 * OTS_SOLO_MS each entry point commits alone, so a step that keeps failing
 * loses nothing but itself.  What a lost batch held is done again as after
 * a kill -9: commands resent when their PoR timers run out.
 */
#define OTS_BATCH_MAX_MS 4
#define OTS_BATCH_MAX_CHANGES 256
#define OTS_SOLO_MS 10000

/* The number of the batch holding changes not yet durable; 0 when none is open. */
uint64_t ots_engine_unflushed(struct ots_engine *engine);
/*
 * Called after each batch's COMMIT (durable true), or after it failed and
 * was rolled back (durable false: the engine re-read its state from the
 * database; every change of that batch is gone and nothing of it left).
 * Batches end in their numbers' order: what the re-reading writes commits
 * after the lost batch's end was heard (a listener releases what waits
 * for a batch when it hears that batch or a later one end).
 */
typedef void (*ots_commit_cb)(uint64_t batch, bool durable, void *user);
unsigned ots_engine_on_commit(struct ots_engine *engine, ots_commit_cb cb, void *user);
void ots_engine_off_commit(struct ots_engine *engine, unsigned id);
/* Commits the open batch now (no-op inside an entry point or when none is open). */
void ots_engine_flush(struct ots_engine *engine);

/* ---- several instances (PostgreSQL, transactions/lease.c) ------------------------- */

/*
 * A request that failed with OTS_ERROR_ELSEWHERE (its card is leased by
 * another live instance) handed to that owner: kind "transactions" or
 * "rfm" (request: the JSON of ots_engine_tx_start_json /
 * ots_engine_rfm_start_json) or "poll" ({"id"}).  Stored and the owner
 * notified when this instance's batch commits; done hears the owner's
 * answer (the new id, or its error) once it is durable there, or
 * OTS_ERROR_UNAVAILABLE when the owner did not act within twice the lease
 * time (then the request was withdrawn: certainly never acted on).  false:
 * not forwarded (error set), done is not called.
 */
typedef void (*ots_forward_cb)(uint64_t id, const GError *error, void *user);
bool ots_engine_forward(struct ots_engine *engine, const char *kind, const char *iccid,
			JsonNode *request, ots_forward_cb done, void *user, GError **error);
/* The card of an unfinished or finished transaction (g_free), NULL when unknown. */
char *ots_engine_tx_iccid(struct ots_engine *engine, uint64_t id);

/* ---- statistics (logs, bench) ------------------------------------------ */

struct ots_engine_stats {
	uint64_t cards;
	uint64_t cards_cached;   /* in the registry's cache (memory) */
	uint64_t active_tx;      /* not final */
	uint64_t commands_sent;
	uint64_t pors_received, pors_invalid;
	uint64_t db_commits;     /* batches and other transactions committed since start */
	uint64_t db_syncs;       /* the fsyncs that made them durable (SQLite: one WAL fdatasync
				  * may cover several batches; PostgreSQL: each commit) */
	uint64_t wal_checkpoints; /* SQLite, group commit: checkpoints a worker completed */
	uint64_t batches_failed; /* batches rolled back (their COMMIT or a step failed; state re-read) */
};
void ots_engine_get_stats(struct ots_engine *engine, struct ots_engine_stats *out);

#endif
