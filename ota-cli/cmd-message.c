/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ota-cli message c1|c2|release|decode: the deferred-response messages of
 * doc/protocol.md as hex, for engineers and for the demo.  Encoding and
 * decoding are libsimota's (simota/deferred.h); this file only maps options
 * and JSON.  Errors: exit 1, one line on stderr, nothing on stdout.
 */
#include "cmd-message.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "fail.h"

#include "simota/deferred.h"
#include "simota/hex.h"

const char cli_message_usage[] =
"  ota-cli message c1 --txid HEX8 --action display-text|get-input|select-item|yes-no\n"
"                     --text TEXT [--item ID:TEXT]... [--sv1-address +NUMBER]\n"
"                     [--wanted fixed:SECONDS|indefinite|event]\n"
"  ota-cli message c2 --txid HEX8\n"
"  ota-cli message release --txid HEX8\n"
"      print the message (protocol.md §3) as one line of hex\n"
"  ota-cli message decode HEX\n"
"      prints the message as a JSON object\n";

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

static int cmd_c1(int argc, char **argv)
{
	char *txid_s = NULL, *action_s = NULL, *text = NULL, *address = NULL, *wanted = NULL;
	char **items = NULL;
	GOptionEntry entries[] = {
		{ "txid", 0, 0, G_OPTION_ARG_STRING, &txid_s, "transaction id", "HEX8" },
		{ "action", 0, 0, G_OPTION_ARG_STRING, &action_s, "what the user is asked", "ACTION" },
		/* FILENAME: the bytes as given, whatever the locale; checked as UTF-8 below */
		{ "text", 0, 0, G_OPTION_ARG_FILENAME, &text, "text shown (UTF-8)", "TEXT" },
		{ "item", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &items, "an item to select", "ID:TEXT" },
		{ "sv1-address", 0, 0, G_OPTION_ARG_STRING, &address, "where the MG goes", "+NUMBER" },
		{ "wanted", 0, 0, G_OPTION_ARG_STRING, &wanted, "wanted time extension", "RQ" },
		{ NULL },
	};
	GOptionContext *ctx = g_option_context_new("- build a C1");
	GError *error = NULL;
	struct simota_deferred_msg m;
	uint32_t txid;
	int rc = 1;

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_help_enabled(ctx, FALSE);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		rc = ota_cli_fail("%s", error->message);
		goto out;
	}
	if (!parse_txid(txid_s, &txid)) {
		rc = ota_cli_fail("--txid must be 8 hex digits, not 00000000");
		goto out;
	}
	simota_deferred_init(&m, SIMOTA_DEFERRED_C1, txid);
	for (size_t i = 0; action_s && i < G_N_ELEMENTS(actions); i++)
		if (strcmp(action_s, actions[i].name) == 0)
			m.action = actions[i].action;
	if (m.action == SIMOTA_DEFERRED_ACTION_NONE) {
		rc = ota_cli_fail("--action must be display-text, get-input, select-item or yes-no");
		goto out;
	}
	if (!text || !g_utf8_validate(text, -1, NULL)) {
		rc = ota_cli_fail("--text is required, in UTF-8");
		goto out;
	}
	m.text = text;
	m.text_len = strlen(text);
	for (size_t i = 0; items && items[i]; i++) {
		char *colon = strchr(items[i], ':');
		guint64 id;

		if (!colon || i >= SIMOTA_DEFERRED_MAX_ITEMS || !g_utf8_validate(items[i], -1, NULL)) {
			rc = ota_cli_fail("--item must be ID:TEXT (at most %d items)", SIMOTA_DEFERRED_MAX_ITEMS);
			goto out;
		}
		id = g_ascii_strtoull(items[i], NULL, 10);
		m.items[i].id = (uint8_t)id;
		m.items[i].text = colon + 1;
		m.items[i].text_len = strlen(colon + 1);
		m.n_items = i + 1;
		if (id == 0 || id > 255) {
			rc = ota_cli_fail("--item id must be 1-255");
			goto out;
		}
	}
	if (address) {
		const char *digits = address[0] == '+' ? address + 1 : address;
		if (strlen(digits) == 0 || strlen(digits) >= sizeof(m.sv1_address.digits) ||
		    strspn(digits, "0123456789") != strlen(digits)) {
			rc = ota_cli_fail("--sv1-address must be a phone number");
			goto out;
		}
		m.has_sv1_address = true;
		m.sv1_address.ton = address[0] == '+' ? 1 : 0;
		m.sv1_address.npi = 1;
		g_strlcpy(m.sv1_address.digits, digits, sizeof(m.sv1_address.digits));
	}
	if (wanted && !parse_rq(wanted, &m.wanted)) {
		rc = ota_cli_fail("--wanted must be fixed:SECONDS, indefinite or event");
		goto out;
	}
	rc = print_encoded(&m);
out:
	g_clear_error(&error);
	g_option_context_free(ctx);
	g_free(txid_s);
	g_free(action_s);
	g_free(text);
	g_free(address);
	g_free(wanted);
	g_strfreev(items);
	return rc;
}

static int cmd_txid_only(int argc, char **argv, enum simota_deferred_type type)
{
	uint32_t txid;
	struct simota_deferred_msg m;

	if (argc != 3 || strcmp(argv[1], "--txid") != 0)
		return ota_cli_fail("usage: ota-cli message %s --txid HEX8", argv[0]);
	if (!parse_txid(argv[2], &txid))
		return ota_cli_fail("--txid must be 8 hex digits, not 00000000");
	simota_deferred_init(&m, type, txid);
	return print_encoded(&m);
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

static int cmd_decode(int argc, char **argv)
{
	struct simota_deferred_msg m;
	uint8_t *bytes;
	size_t n;
	simota_err err;
	JsonBuilder *b;
	JsonNode *root;
	char *json, txid[9];

	if (argc != 2)
		return ota_cli_fail("usage: ota-cli message decode HEX");
	bytes = g_malloc(strlen(argv[1]) / 2 + 1);
	if (simota_hex_decode(argv[1], bytes, strlen(argv[1]) / 2 + 1, &n) != SIMOTA_OK || n == 0) {
		g_free(bytes);
		return ota_cli_fail("the message must be hex digits, two a byte");
	}
	err = simota_deferred_decode(bytes, n, &m);
	if (err) {
		g_free(bytes);
		return ota_cli_fail("not a valid message: %s", simota_strerror(err));
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, simota_deferred_type_name(m.type));
	g_snprintf(txid, sizeof(txid), "%08x", m.txid);
	json_builder_set_member_name(b, "txid");
	json_builder_add_string_value(b, txid);
	if (m.action != SIMOTA_DEFERRED_ACTION_NONE) {
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, simota_deferred_action_name(m.action));
	}
	if (m.text)
		add_text(b, "text", m.text, m.text_len);
	if (m.n_items) {
		json_builder_set_member_name(b, "items");
		json_builder_begin_array(b);
		for (size_t i = 0; i < m.n_items; i++) {
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "id");
			json_builder_add_int_value(b, m.items[i].id);
			add_text(b, "text", m.items[i].text, m.items[i].text_len);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
	}
	if (m.has_sv1_address) {
		char *a = g_strdup_printf("%s%s", m.sv1_address.ton == 1 ? "+" : "", m.sv1_address.digits);
		json_builder_set_member_name(b, "sv1_address");
		json_builder_add_string_value(b, a);
		g_free(a);
	}
	add_rq(b, "wanted", &m.wanted);
	add_rq(b, "rq", &m.rq);
	if (m.type == SIMOTA_DEFERRED_R2S) {
		json_builder_set_member_name(b, "state");
		json_builder_add_string_value(b, simota_deferred_state_name(m.state));
	}
	if (m.has_result) {
		char gen[3];
		json_builder_set_member_name(b, "result");
		json_builder_begin_object(b);
		g_snprintf(gen, sizeof(gen), "%02x", m.result.general);
		json_builder_set_member_name(b, "general");
		json_builder_add_string_value(b, gen);
		if (m.result.text)
			add_text(b, "text", m.result.text, m.result.text_len);
		if (m.result.item_id) {
			json_builder_set_member_name(b, "item");
			json_builder_add_int_value(b, m.result.item_id);
		}
		if (m.result.yes >= 0) {
			json_builder_set_member_name(b, "yes");
			json_builder_add_boolean_value(b, m.result.yes);
		}
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	json = json_to_string(root, FALSE);
	printf("%s\n", json);
	g_free(json);
	json_node_unref(root);
	g_object_unref(b);
	g_free(bytes);
	return 0;
}

int cli_message_main(int argc, char **argv)
{
	if (argc < 2)
		return ota_cli_fail("missing subcommand: c1, c2, release or decode (see ota-cli --help)");
	if (strcmp(argv[1], "c1") == 0)
		return cmd_c1(argc - 1, argv + 1);
	if (strcmp(argv[1], "c2") == 0)
		return cmd_txid_only(argc - 1, argv + 1, SIMOTA_DEFERRED_C2);
	if (strcmp(argv[1], "release") == 0)
		return cmd_txid_only(argc - 1, argv + 1, SIMOTA_DEFERRED_RELEASE);
	if (strcmp(argv[1], "decode") == 0)
		return cmd_decode(argc - 1, argv + 1);
	return ota_cli_fail("unknown subcommand 'message %s' (see ota-cli --help)", argv[1]);
}
