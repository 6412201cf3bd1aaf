/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ota-cli message c1|c2|release|decode`: the deferred-response messages of
 * doc/protocol.md as hex, for engineers and for the demo.  Encoding and
 * decoding are libsimota's (simota/deferred.h); this file only maps options
 * and JSON.
 */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "simota/deferred.h"
#include "simota/hex.h"

#include "ota-cli.h"

static const struct {
	const char *name;
	enum simota_deferred_action action;
} actions[] = {
	{ "display-text", SIMOTA_DEFERRED_DISPLAY_TEXT },
	{ "get-input", SIMOTA_DEFERRED_GET_INPUT },
	{ "select-item", SIMOTA_DEFERRED_SELECT_ITEM },
	{ "yes-no", SIMOTA_DEFERRED_YES_NO },
};

static bool parse_txid(const char *s, uint32_t *txid)
{
	char *end;
	guint64 v;

	if (!s || strlen(s) != 8)
		return false;
	v = g_ascii_strtoull(s, &end, 16);
	if (*end || v == SIMOTA_DEFERRED_TXID_NONE)
		return false;
	*txid = (uint32_t)v;
	return true;
}

/* fixed:SECONDS | indefinite | event (protocol.md §3.3) */
static bool parse_rq(const char *s, struct simota_deferred_rq *rq)
{
	if (g_str_has_prefix(s, "fixed:")) {
		char *end;
		guint64 v = g_ascii_strtoull(s + 6, &end, 10);
		if (*end || s[6] == '\0' || v == 0 || v > G_MAXUINT32)
			return false;
		rq->form = SIMOTA_DEFERRED_RQ_FIXED;
		rq->seconds = (uint32_t)v;
		return true;
	}
	if (strcmp(s, "indefinite") == 0) {
		rq->form = SIMOTA_DEFERRED_RQ_INDEFINITE;
		return true;
	}
	if (strcmp(s, "event") == 0) {
		rq->form = SIMOTA_DEFERRED_RQ_UNTIL_EVENT;
		rq->event = SIMOTA_DEFERRED_EVENT_MG_SENT;
		return true;
	}
	return false;
}

static int print_encoded(const struct simota_deferred_msg *m)
{
	uint8_t out[4096];
	size_t len;
	simota_err err = simota_deferred_encode(m, out, sizeof(out), &len);
	char *hex;

	if (err)
		return ota_cli_fail("cannot encode the message: %s", simota_strerror(err));
	hex = simota_hex_dup(out, len);
	printf("%s\n", hex);
	g_free(hex);
	return 0;
}

struct c1_opts {
	char *txid, *action, *text, *address, *wanted;
	char **items;
	int default_item;
};

static void c1_opts_clear(struct c1_opts *o)
{
	g_free(o->txid);
	g_free(o->action);
	g_free(o->text);
	g_free(o->address);
	g_free(o->wanted);
	g_strfreev(o->items);
}

static int action_opt(const char *s, enum simota_deferred_action *out)
{
	for (size_t i = 0; s && i < G_N_ELEMENTS(actions); i++)
		if (strcmp(s, actions[i].name) == 0) {
			*out = actions[i].action;
			return 0;
		}
	return ota_cli_fail("--action must be display-text, get-input, select-item or yes-no");
}

/* --item ID:TEXT... (doc/protocol.md §3.2: element 83); the texts point into items */
static int items_opt(char **items, struct simota_deferred_msg *m)
{
	for (size_t i = 0; items && items[i]; i++) {
		char *colon = strchr(items[i], ':');
		guint64 id;

		if (!colon || i >= SIMOTA_DEFERRED_MAX_ITEMS || !g_utf8_validate(items[i], -1, NULL))
			return ota_cli_fail("--item must be ID:TEXT (at most %d items)",
					    SIMOTA_DEFERRED_MAX_ITEMS);
		id = g_ascii_strtoull(items[i], NULL, 10);
		if (id == 0 || id > 255)
			return ota_cli_fail("--item id must be 1-255");
		m->items[i].id = (uint8_t)id;
		m->items[i].text = colon + 1;
		m->items[i].text_len = strlen(colon + 1);
		m->n_items = i + 1;
	}
	return 0;
}

/* --default-item ID (doc/protocol.md §3.2: element 8D), the ID of one of the --item options */
static int default_item_opt(int id, struct simota_deferred_msg *m)
{
	if (id == -1)
		return 0;
	for (size_t i = 0; i < m->n_items; i++)
		if (m->items[i].id == id) {
			m->default_item = (uint8_t)id;
			return 0;
		}
	return ota_cli_fail("--default-item must be the ID of one of the --item options");
}

/* --sv1-address +NUMBER (TS 23.040 §9.1.2.5: international when it starts with '+') */
static int address_opt(const char *address, struct simota_deferred_msg *m)
{
	const char *digits;

	if (!address)
		return 0;
	digits = address[0] == '+' ? address + 1 : address;
	if (strlen(digits) == 0 || strlen(digits) >= sizeof(m->sv1_address.digits) ||
	    strspn(digits, "0123456789") != strlen(digits))
		return ota_cli_fail("--sv1-address must be a phone number");
	m->has_sv1_address = true;
	m->sv1_address.ton = address[0] == '+' ? 1 : 0;
	m->sv1_address.npi = 1;
	g_strlcpy(m->sv1_address.digits, digits, sizeof(m->sv1_address.digits));
	return 0;
}

/* The C1 the options describe; its texts point into o. */
static int c1_from_opts(const struct c1_opts *o, struct simota_deferred_msg *m)
{
	uint32_t txid;

	if (!parse_txid(o->txid, &txid))
		return ota_cli_fail("--txid must be 8 hex digits, not 00000000");
	simota_deferred_init(m, SIMOTA_DEFERRED_C1, txid);
	if (action_opt(o->action, &m->action))
		return 1;
	if (!o->text || !g_utf8_validate(o->text, -1, NULL))
		return ota_cli_fail("--text is required, in UTF-8");
	m->text = o->text;
	m->text_len = strlen(o->text);
	if (items_opt(o->items, m) || address_opt(o->address, m) ||
	    default_item_opt(o->default_item, m))
		return 1;
	if (o->wanted && !parse_rq(o->wanted, &m->wanted))
		return ota_cli_fail("--wanted must be fixed:SECONDS, indefinite or event");
	return 0;
}

int ota_cli_message_c1(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct c1_opts o = { .default_item = -1 };
	const GOptionEntry entries[] = {
		{ "txid", 0, 0, G_OPTION_ARG_STRING, &o.txid, "transaction id", "HEX8" },
		{ "action", 0, 0, G_OPTION_ARG_STRING, &o.action,
		  "what the user is asked: display-text, get-input, select-item or yes-no", "ACTION" },
		/* FILENAME: the bytes as given, whatever the locale; checked as UTF-8 */
		{ "text", 0, 0, G_OPTION_ARG_FILENAME, &o.text, "text shown (UTF-8)", "TEXT" },
		{ "item", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.items, "an item to select", "ID:TEXT" },
		{ "default-item", 0, 0, G_OPTION_ARG_INT, &o.default_item,
		  "the item offered first (one of the --item IDs)", "ID" },
		{ "sv1-address", 0, 0, G_OPTION_ARG_STRING, &o.address, "where the MG goes", "+NUMBER" },
		{ "wanted", 0, 0, G_OPTION_ARG_STRING, &o.wanted,
		  "wanted time extension: fixed:SECONDS, indefinite or event", "RQ" },
		{ NULL },
	};
	struct simota_deferred_msg m;
	int rc = 1;

	if (ota_cli_parse(cmd, &argc, &argv, entries, NULL) && c1_from_opts(&o, &m) == 0)
		rc = print_encoded(&m);
	c1_opts_clear(&o);
	return rc;
}

/* A message that carries only its txid (C2, release). */
static int txid_message(const struct ota_cli_command *cmd, int argc, char **argv,
			enum simota_deferred_type type)
{
	char *txid_s = NULL;
	const GOptionEntry entries[] = {
		{ "txid", 0, 0, G_OPTION_ARG_STRING, &txid_s, "transaction id", "HEX8" },
		{ NULL },
	};
	struct simota_deferred_msg m;
	uint32_t txid;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, entries, NULL))
		goto out;
	if (!parse_txid(txid_s, &txid)) {
		rc = ota_cli_fail("--txid must be 8 hex digits, not 00000000");
		goto out;
	}
	simota_deferred_init(&m, type, txid);
	rc = print_encoded(&m);
out:
	g_free(txid_s);
	return rc;
}

int ota_cli_message_c2(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return txid_message(cmd, argc, argv, SIMOTA_DEFERRED_C2);
}

int ota_cli_message_release(const struct ota_cli_command *cmd, int argc, char **argv)
{
	return txid_message(cmd, argc, argv, SIMOTA_DEFERRED_RELEASE);
}

static void add_rq(JsonBuilder *b, const char *name, const struct simota_deferred_rq *rq)
{
	if (rq->form == SIMOTA_DEFERRED_RQ_NONE)
		return;
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "form");
	json_builder_add_string_value(b, rq->form == SIMOTA_DEFERRED_RQ_FIXED ? "fixed" :
				      rq->form == SIMOTA_DEFERRED_RQ_INDEFINITE ? "indefinite" : "until-event");
	if (rq->seconds) {
		json_builder_set_member_name(b, "seconds");
		json_builder_add_int_value(b, rq->seconds);
	}
	if (rq->form == SIMOTA_DEFERRED_RQ_UNTIL_EVENT) {
		json_builder_set_member_name(b, "event");
		json_builder_add_string_value(b, rq->event == SIMOTA_DEFERRED_EVENT_MG_SENT ? "mg-sent" :
					      "next-session");
	}
	json_builder_end_object(b);
}

static void add_text(JsonBuilder *b, const char *name, const char *p, size_t len)
{
	char *s = g_strndup(p, len);

	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, s);
	g_free(s);
}

static void add_items(JsonBuilder *b, const struct simota_deferred_msg *m)
{
	json_builder_set_member_name(b, "items");
	json_builder_begin_array(b);
	for (size_t i = 0; i < m->n_items; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_int_value(b, m->items[i].id);
		add_text(b, "text", m->items[i].text, m->items[i].text_len);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void add_result(JsonBuilder *b, const struct simota_deferred_msg *m)
{
	char gen[3];

	json_builder_set_member_name(b, "result");
	json_builder_begin_object(b);
	g_snprintf(gen, sizeof(gen), "%02x", m->result.general);
	json_builder_set_member_name(b, "general");
	json_builder_add_string_value(b, gen);
	if (m->result.text)
		add_text(b, "text", m->result.text, m->result.text_len);
	if (m->result.item_id) {
		json_builder_set_member_name(b, "item");
		json_builder_add_int_value(b, m->result.item_id);
	}
	if (m->result.yes >= 0) {
		json_builder_set_member_name(b, "yes");
		json_builder_add_boolean_value(b, m->result.yes);
	}
	json_builder_end_object(b);
}

/* The message as JSON, members in the order of doc/ota-cli.md (g_free). */
static char *message_json(const struct simota_deferred_msg *m)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	char *json, txid[9];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, simota_deferred_type_name(m->type));
	g_snprintf(txid, sizeof(txid), "%08x", m->txid);
	json_builder_set_member_name(b, "txid");
	json_builder_add_string_value(b, txid);
	if (m->action != SIMOTA_DEFERRED_ACTION_NONE) {
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, simota_deferred_action_name(m->action));
	}
	if (m->text)
		add_text(b, "text", m->text, m->text_len);
	if (m->n_items)
		add_items(b, m);
	if (m->default_item) {
		json_builder_set_member_name(b, "default_item");
		json_builder_add_int_value(b, m->default_item);
	}
	if (m->has_sv1_address) {
		char *a = g_strdup_printf("%s%s", m->sv1_address.ton == 1 ? "+" : "", m->sv1_address.digits);

		json_builder_set_member_name(b, "sv1_address");
		json_builder_add_string_value(b, a);
		g_free(a);
	}
	add_rq(b, "wanted", &m->wanted);
	add_rq(b, "rq", &m->rq);
	if (m->type == SIMOTA_DEFERRED_R2S) {
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, simota_deferred_state_name(m->state));
	}
	if (m->has_result)
		add_result(b, m);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return json;
}

/* The message's bytes from hex (g_free), or NULL after printing the error. */
static uint8_t *message_bytes(const char *hex, size_t *len)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *bytes = g_malloc(cap);

	if (simota_hex_decode(hex, bytes, cap, len) != SIMOTA_OK || *len == 0) {
		g_free(bytes);
		ota_cli_fail("the message must be hex digits, two a byte");
		return NULL;
	}
	return bytes;
}

int ota_cli_message_decode(const struct ota_cli_command *cmd, int argc, char **argv)
{
	struct simota_deferred_msg m;
	uint8_t *bytes = NULL;
	size_t len;
	simota_err err;
	char *json;
	int rc = 1;

	if (!ota_cli_parse(cmd, &argc, &argv, NULL, NULL) || !(bytes = message_bytes(argv[1], &len)))
		return 1;
	/* m points into bytes */
	err = simota_deferred_decode(bytes, len, &m);
	if (err) {
		rc = ota_cli_fail("not a valid message: %s", simota_strerror(err));
	} else {
		json = message_json(&m);
		printf("%s\n", json);
		g_free(json);
		rc = 0;
	}
	g_free(bytes);
	return rc;
}
