/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the engine: the in-memory view of unfinished transactions and
 * their outstanding commands (the database is the truth; this mirrors it),
 * the per-card session lock, and the helpers the engine's files share.
 *
 * Every entry point brackets its work inside the open batch (engine.h
 * "group commit").  A request (API call, campaign, lease hand-over) that
 * checks before it changes the in-memory view takes ots_engine_begin(): a
 * savepoint, rolled back alone when the request fails, up to
 * ots_engine_view_changes() if it changes that view.  The engine's own
 * steps (network input, timers) change the view as they write, which no
 * savepoint undoes: they take ots_engine_begin_step(), and one that fails
 * dooms the batch: rolled back whole and the view read again, as when a
 * COMMIT fails (engine.c).  Timeline events are dispatched to subscribers
 * and SMS handed to the southbound link only after the batch has committed
 * (synchronous=FULL), so a counter, a command, a stored R1 are durable
 * before anything leaves.
 */
#ifndef OTS_ENGINE_INTERNAL_H
#define OTS_ENGINE_INTERNAL_H

#include "db/db.h"
#include "transactions/engine.h"
#include "cards/packet.h"
#include "cards/registry.h"

/* OTS_CMD_SCRIPT: the one command of an RFM operation (transactions/rfm.c) */
enum ots_cmd_kind { OTS_CMD_C1 = 1, OTS_CMD_C2 = 2, OTS_CMD_RELEASE = 3, OTS_CMD_SCRIPT = 4 };

/*
 * transactions.action of an RFM operation (beside the deferred actions of
 * simota/deferred.h): its state goes queued -> c1-sent (shown "sent") ->
 * completed | failed.
 */
#define OTS_ACTION_RFM 0x52

/* What the transaction's timer does when it fires (persisted as an int). */
enum ots_due {
	OTS_DUE_NONE = 0,
	OTS_DUE_POR = 1,          /* the outstanding command's PoR timed out: resend */
	OTS_DUE_C2_RQ = 2,        /* the RQ's fixed duration / bound elapsed */
	OTS_DUE_C2_PRESET = 3,    /* the preset time after C1 elapsed */
	OTS_DUE_C2_BACKOFF = 4,   /* retry after an R2S "pending" */
	OTS_DUE_EXPIRE = 5,       /* the deadline */
};

enum ots_outcome { OTS_OUTCOME_NONE, OTS_OUTCOME_R1, OTS_OUTCOME_EXPIRED, OTS_OUTCOME_FAILED };

struct ots_cmd {
	uint64_t id;
	uint64_t tx_id;
	enum ots_cmd_kind kind;
	uint8_t kvn;
	uint64_t cntr;
	uint32_t msg_id;          /* first SMS; the segments follow */
	unsigned n_segs;
	unsigned attempt;
	int64_t sent_us;
};

struct ots_engine;

struct ots_commit_sub {
	unsigned id;
	ots_commit_cb cb;
	void *user;
};

struct ots_tx {
	struct ots_engine *engine;
	uint64_t id;
	char iccid[21];
	uint32_t txid;
	uint8_t tar[3];
	uint8_t kvn;
	enum simota_deferred_action action;
	char *text;
	GPtrArray *items;         /* char * */
	uint8_t default_item;     /* select-item: 1..items->len, 0 = none */
	bool has_input;
	struct simota_deferred_input input;
	struct ots_ev_policy ev;  /* resolved: no zeros left */

	enum ots_tx_state state;
	enum ots_outcome outcome;
	int64_t created_us, c1_at_us, deadline_us;
	bool has_rq;
	bool rq_stored;           /* its row holds the RQ (written once, tx_save) */
	struct simota_deferred_rq rq;
	enum ots_cmd_kind last_kind;
	unsigned attempts;        /* sends of the current message */
	uint32_t backoff_ms;
	int64_t due_us;
	enum ots_due due;
	bool has_result;
	char *why;

	struct ots_cmd *cmd;      /* outstanding, or NULL */
	guint timer;
	struct ots_rfm *rfm;      /* an RFM operation's script (rfm.c); NULL for a deferred one */
};

struct ots_card_run {
	char iccid[21];
	struct ots_tx *active;    /* the card's proactive session */
	GQueue queued;            /* struct ots_tx *, oldest first */
	struct simota_sms_reassembly *reasm;   /* PoR by SMS-SUBMIT being reassembled */
};

struct ots_pending_event {
	int64_t seq;              /* 0 until its row is written (ots_timeline_write) */
	uint64_t tx_id;
	char iccid[21];
	int64_t at_us;
	char *kind;
	char *detail;             /* a JSON object's text (ots_detail_new) */
};

struct ots_outgoing {
	char link[16];            /* the southbound's name, chosen when the command was sent */
	char iccid[21];
	char msisdn[24];
	uint32_t msg_id;
	size_t len;
	uint8_t tpdu[SIMOTA_SMS_TPDU_MAX];
};

struct ots_sub {
	unsigned id;
	ots_event_cb cb;
	void *user;
};

struct ots_engine {
	struct ots_engine_config cfg;   /* defaults resolved; strings owned */
	struct simota_sms_address sv2_addr, sv1_addr;
	struct ots_db *db;
	struct ots_registry *reg;
	GArray *links;            /* struct ots_southbound, in the order they were added */
	GHashTable *txs;          /* id (uint64 *) -> struct ots_tx, unfinished */
	GHashTable *runs;         /* iccid -> struct ots_card_run */
	GHashTable *msgs;         /* msg_id -> struct ots_cmd (outstanding) */
	GArray *subs;             /* struct ots_sub */
	unsigned next_sub;
	int depth;
	bool failed;              /* a DB error inside the current bracket */
	bool in_savepoint;        /* the current bracket's savepoint is open */
	GPtrArray *events;        /* struct ots_pending_event *, of the current bracket */
	GPtrArray *outbox;        /* struct ots_outgoing *, of the current bracket */
	/* the batch (group commit): what its brackets released, waiting for its COMMIT */
	bool batch_open;
	bool batch_doomed;        /* a step or a savepoint failed: the batch must roll back */
	bool reloading;           /* a lost batch's state is being read again (engine.c) */
	int64_t solo_until;       /* after a lost batch, each bracket commits alone until then
				   * (monotonic us): a step that keeps failing loses only itself */
	uint64_t batch;           /* the open batch's number, else the last one's */
	unsigned batch_changes;   /* brackets it holds */
	GPtrArray *batch_events, *batch_outbox;
	guint flush_idle, flush_timer;
	guint reload_timer;       /* the state read again after a failed read (mirror_reload) */
	GArray *commit_subs;      /* struct ots_commit_sub */
	/*
	 * SQLite: batches in the WAL whose fdatasync has not returned yet, with
	 * their events and SMS (struct ots_unsynced *, oldest first); a worker
	 * syncs the WAL (engine.c, "the WAL's fdatasync").
	 */
	GQueue unsynced;
	struct ots_syncer *syncer;
	bool syncing;             /* a worker's fdatasync is in flight */
	bool flush_after_sync;    /* the open batch commits when that returns */
	bool checkpointing;       /* a worker's checkpoint is in flight */
	struct ots_engine_stats stats;
	struct ots_campaigns *campaigns;   /* campaign.c */
	int64_t msg_next, msg_end;          /* the SMS ids reserved, not yet used (tx.c take_msg_ids) */
	bool msg_block_uncommitted;         /* SQLite: that block was reserved in the open batch */
	bool msg_block_in_entry;            /* ... by the entry point now running */
	struct ots_lease *lease;            /* lease.c: several instances; NULL on SQLite */
};

/* engine.c */
void ots_engine_begin(struct ots_engine *e);
void ots_engine_begin_step(struct ots_engine *e);
/* A request about to change the in-memory view: its savepoint is released, a failure now dooms the batch. */
void ots_engine_view_changes(struct ots_engine *e);
void ots_engine_end(struct ots_engine *e);
void ots_engine_db_failed(struct ots_engine *e, GError *error);
struct ots_card_run *ots_engine_run(struct ots_engine *e, const char *iccid);
/* A stored transaction's state name ("sent" for an RFM operation's c1-sent). */
const char *ots_tx_row_state_name(int action, int state);

/* Stores and starts (or queues) a transaction built by the caller (engine.c); takes tx. */
bool ots_tx_enqueue(struct ots_engine *e, struct ots_tx *tx, uint64_t *id, GError **error);

/* The link a command to this card takes now (engine.h "southbound links"), or NULL. */
const struct ots_southbound *ots_engine_route(struct ots_engine *e, const struct ots_card *card);
/* The links drop what they still queue of SMS first..first+n-1. */
void ots_engine_cancel_sms(struct ots_engine *e, uint32_t first, unsigned n);

/* tx.c: the state machine */
void ots_tx_free(struct ots_tx *tx);
void ots_tx_event(struct ots_engine *e, struct ots_tx *tx, const char *kind, GString *detail);
/* The same for a transaction known by id only (it may be finished; 0: none, a campaign's event); takes detail. */
void ots_timeline_add(struct ots_engine *e, uint64_t tx_id, const char *iccid, const char *kind,
		      GString *detail);
/*
 * The timeline rows still in memory (the batch's and the bracket's events)
 * written to the database: before the batch's COMMIT, and before the
 * timeline is read.  A failure loses the batch (the caller dooms it).
 */
bool ots_timeline_write(struct ots_engine *e, GError **error);
/* Ends a transaction: completed (its outcome stored by the caller) or failed with why. */
void ots_tx_complete(struct ots_engine *e, struct ots_tx *tx);
void ots_tx_fail(struct ots_engine *e, struct ots_tx *tx, const char *why);
void ots_tx_activate(struct ots_engine *e, struct ots_tx *tx);
void ots_tx_arm(struct ots_engine *e, struct ots_tx *tx);
/* Whether a PoR deciphers and verifies as the answer to tx's outstanding command (nothing recorded). */
bool ots_tx_por_is_for(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len);
void ots_tx_on_por(struct ots_engine *e, struct ots_tx *tx, const uint8_t *pkt, size_t len,
		   const char *via);
void ots_tx_on_delivery_error(struct ots_engine *e, struct ots_tx *tx, uint8_t rp_cause,
			      uint8_t fcs);
void ots_tx_on_mg(struct ots_engine *e, struct ots_tx *tx);
/* An SMS of the outstanding command was refused (final: the transaction fails) or not delivered. */
void ots_tx_on_sms_failure(struct ots_engine *e, struct ots_tx *tx, bool final, const char *why);
bool ots_tx_poll(struct ots_engine *e, struct ots_tx *tx, GError **error);
void ots_tx_resend(struct ots_engine *e, struct ots_tx *tx, const char *why);
void ots_tx_next_session(struct ots_engine *e, struct ots_tx *tx);
bool ots_tx_insert(struct ots_engine *e, struct ots_tx *tx, GError **error);
bool ots_engine_load(struct ots_engine *e, GError **error);

/* tx-json.c: (de)serialisation shared by the DB rows and the API */
JsonNode *ots_ev_to_json(const struct ots_ev_policy *ev);
bool ots_ev_from_json(JsonNode *node, struct ots_ev_policy *ev, GError **error);
JsonNode *ots_rq_to_json(const struct simota_deferred_rq *rq);
bool ots_rq_from_json(JsonNode *node, const char *field, struct simota_deferred_rq *rq,
		      GError **error);
JsonNode *ots_result_to_json(const struct simota_deferred_msg *r2s);
JsonNode *ots_input_to_json(const struct simota_deferred_input *in);
bool ots_input_from_json(JsonNode *node, struct simota_deferred_input *in, GError **error);
char *ots_json_string(JsonNode *node);     /* compact text (g_free); "null" for NULL */
/* A string member, or NULL when absent or not a string. */
const char *ots_json_get_string(JsonObject *o, const char *name);
/* Every member of o is in known (NULL-terminated); else "NAME: unknown member". */
bool ots_json_members_known(JsonObject *o, const char *const *known, GError **error);
JsonNode *ots_json_parse(const char *text); /* NULL on error or NULL text */
/*
 * A timeline event's detail: the text of a JSON object (RFC 8259 §4)
 * written member by member, without a JSON tree.  The engine writes one for
 * every event it stores: json-glib's tree, its text and its freeing took a
 * seventh of the engine's time under load (doc/scaling.md).  Keys are the
 * engine's own literals; strings are escaped (§7) and made valid UTF-8;
 * NULL is null.  ots_timeline_add() closes and takes it.
 */
GString *ots_detail_new(void);
void ots_detail_str(GString *d, const char *key, const char *v);
void ots_detail_int(GString *d, const char *key, int64_t v);
void ots_detail_bool(GString *d, const char *key, bool v);
void ots_detail_node(GString *d, const char *key, JsonNode *v);   /* takes v */
char *ots_detail_end(GString *d);         /* the text (g_free); NULL d: "{}" */
const char *ots_action_name(enum simota_deferred_action a);
bool ots_action_from_name(const char *s, enum simota_deferred_action *out);
JsonNode *ots_tx_row_json(struct ots_engine *e, struct ots_db_stmt *row, bool timeline);
/* SMS msg_id of an outstanding command was refused or not delivered (an SMSC's report). */
void ots_engine_sms_failed(struct ots_engine *e, uint32_t msg_id, bool final, const char *why);
/* The card's transactions leave the mirror (another instance takes the card over). */
void ots_engine_drop_card(struct ots_engine *e, const char *iccid);
/* Reads one card's unfinished transactions into the mirror and resumes them (a card taken over). */
bool ots_engine_load_card(struct ots_engine *e, const char *iccid, unsigned *n, GError **error);

/* lease.c: several instances on one PostgreSQL database; every call is a no-op on SQLite */
struct ots_lease;
/* Registers this instance (waiting out a previous one of its name), LISTENs, reads its cards. */
bool ots_lease_start(struct ots_engine *e, GError **error);
void ots_lease_stop(struct ots_engine *e);
/* This instance's name, NULL without leases (SQLite). */
const char *ots_lease_name(struct ots_engine *e);
bool ots_lease_instance_name_ok(const char *name);
/*
 * Whether this instance holds the card's lease, taking it when nobody live
 * does (its unfinished transactions are then resumed); false: another
 * instance holds it (*owner, g_free; "" while it is being taken).  An
 * unknown card is "held" (the caller reports it).
 */
bool ots_lease_hold(struct ots_engine *e, const char *iccid, char **owner);
/*
 * An SMS from a card whose lease another live instance holds: stored in
 * the open batch for that owner, who acts on it as if it had come there.
 */
bool ots_lease_forward_mo(struct ots_engine *e, const char *owner, const char *iccid,
			  const char *msisdn, const char *card, const struct simota_sms_submit *sms,
			  const char *via);
/* A report that SMS msg_id failed, for the instance that holds its card's lease (stored in the batch). */
void ots_lease_forward_failure(struct ots_engine *e, const char *owner, const char *iccid,
			       uint32_t msg_id, bool final, const char *why);
/* A card of this campaign changed here; the instance that paces it is told (NOTIFY at COMMIT). */
void ots_lease_campaign_changed(struct ots_engine *e, uint64_t campaign);
/* A device reaches a card another live instance holds: that one is asked to let it go. */
void ots_lease_ask_release(struct ots_engine *e, const char *owner, const char *iccid);
/* At an entry point: the lease renewed at once when due (a long batch keeps it); see lease.c. */
void ots_lease_keep(struct ots_engine *e);
/* Inside the batch, before its COMMIT: the lease renewed; false when it had expired. */
bool ots_lease_renew(struct ots_engine *e, GError **error);
/* After a failed batch: registered again if the lease was lost, the held cards read again. */
bool ots_lease_reload(struct ots_engine *e, GError **error);

/* rfm.c: RFM operations (rfm.h) */
struct ots_rfm;
void ots_rfm_free(struct ots_rfm *rfm);
/* Stores the operation's script beside its transaction row (ots_tx_insert). */
bool ots_rfm_insert(struct ots_engine *e, const struct ots_tx *tx, GError **error);
/* Reads an operation's script when the engine loads its transaction; false if it has none. */
bool ots_rfm_load(struct ots_engine *e, struct ots_tx *tx);
/* The secured data of the operation's command packet. */
bool ots_rfm_message(const struct ots_tx *tx, uint8_t *out, size_t cap, size_t *len,
		     GError **error);
/* The verified PoR of the operation's command: its result stored, the operation ended. */
void ots_rfm_on_por(struct ots_engine *e, struct ots_tx *tx,
		    const struct simota_ota_response *rsp);
/* The operation ends in this state (tx.c, before tx is freed): its campaign hears it. */
void ots_rfm_finished(struct ots_engine *e, struct ots_tx *tx, enum ots_tx_state final);
/* {"format", "apdus", "campaign"} of operation id (the transaction JSON's "rfm"); NULL if none. */
JsonNode *ots_rfm_json(struct ots_engine *e, uint64_t id);

/* campaign.c */
/* The running campaigns this instance paces, those not yet running here (again after a takeover). */
bool ots_campaigns_load(struct ots_engine *e, GError **error);
void ots_campaigns_free(struct ots_engine *e);
/* An operation of a campaign ended: answered says whether its card sent a PoR. */
void ots_campaign_op_finished(struct ots_engine *e, uint64_t campaign, const char *iccid,
			      uint64_t tx_id, bool answered, bool ok, const char *why);
/* Several instances: a card of a campaign this one paces changed elsewhere; counted again. */
void ots_campaign_recount(struct ots_engine *e, uint64_t campaign);

#define OTS_TX_COLUMNS "id, iccid, txid, tar, kvn, action, text, items, input, ev, state, " \
	"created, c1_at, deadline, rq, attempts, backoff_ms, due, due_kind, outcome, result, why, " \
	"default_item"
/* How many they are (tx-json.c checks it against its column enum). */
#define OTS_TX_N_COLUMNS 23

#endif
