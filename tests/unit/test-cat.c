/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CAT codec (TS 102 223, TS 31.111) against every entry of
 * cat-proactive.json (proactive commands, TERMINAL RESPONSEs, ENVELOPEs),
 * the REFRESH commands and responses of vectors-local/cat-refresh.json and
 * the SMS-PP DOWNLOAD envelopes of secured-packets.json: decode, compare
 * the fields, re-encode byte for byte; every truncation fails.  The File
 * List of REFRESH (§8.18) built and read path by path.
 */
#include <string.h>

#include "test-support.h"
#include "simota/cat.h"
#include "simota/sms.h"

#define PDU_MAX 4096

static struct simota_cat_msg msg, msg2;

static int hex8(const char *s)
{
	g_assert_nonnull(s);
	return (int)g_ascii_strtoull(s, NULL, 16);
}

static int64_t member_int(JsonObject *o, const char *name)
{
	g_assert_true(json_object_has_member(o, name));
	return json_object_get_int_member(o, name);
}

static gboolean member_bool(JsonObject *o, const char *name)
{
	return json_object_has_member(o, name) && json_object_get_boolean_member(o, name);
}

static JsonObject *member_obj(JsonObject *o, const char *name)
{
	if (!json_object_has_member(o, name))
		return NULL;
	return json_object_get_object_member(o, name);
}

static void assert_string(const struct simota_cat_msg *m, const struct simota_cat_string *s,
			  const char *expect)
{
	g_assert_cmpstr(simota_cat_string_get(m, s), ==, expect);
}

/* extra {len, <list_name>} vs a byte object; absent means absent or empty */
static void assert_bytes(const struct simota_cat_bytes *b, JsonObject *extra, const char *name,
			 const char *list_name)
{
	JsonObject *o = member_obj(extra, name);

	if (!o) {
		g_assert_true(!b->present || b->len == 0);
		return;
	}
	g_assert_true(b->present);
	g_assert_cmpint(b->len, ==, member_int(o, "len"));
	tv_assert_hex(b->data, b->len, tv_str(o, list_name));
}

/* ---- proactive commands ------------------------------------------------ */

static const char *const known_extra[] = {
	"alpha_id", "duration", "icon_id", "text_attr", "item_text_attr_list",
	"item_icon_id_list", "items", "item_id", "next_act", "resp_len", "default_text",
	"tone", "event_list", "address", "tpdu", "sms_submit", "file_list",
	"html",  /* oFono's HTML rendering of the text attributes: not a codec field */
};

static void check_extra_keys(JsonObject *extra)
{
	GList *keys = json_object_get_members(extra);

	for (GList *k = keys; k; k = k->next) {
		bool known = false;

		for (size_t i = 0; i < G_N_ELEMENTS(known_extra); i++)
			known |= strcmp(k->data, known_extra[i]) == 0;
		if (!known)
			g_error("extra field %s not checked", (const char *)k->data);
	}
	g_list_free(keys);
}

static void check_items(const struct simota_cat_msg *m, JsonObject *extra)
{
	JsonArray *items;

	if (!json_object_has_member(extra, "items")) {
		g_assert_cmpuint(m->n_items, ==, 0);
		return;
	}
	items = json_object_get_array_member(extra, "items");
	g_assert_cmpuint(m->n_items, ==, json_array_get_length(items));
	for (unsigned i = 0; i < m->n_items; i++) {
		JsonObject *it = json_array_get_object_element(items, i);

		g_assert_cmpint(m->items[i].id, ==, member_int(it, "id"));
		assert_string(m, &m->items[i].text, tv_str(it, "text"));
	}
}

/* SEND SHORT MESSAGE: the TPDU through the SMS codec, packed if asked (§6.4.10). */
static void check_sms_submit(const struct simota_cat_msg *m, JsonObject *s)
{
	struct simota_sms_submit sms;
	JsonObject *da = member_obj(s, "daddr");
	bool pack = m->details.qualifier & 0x01;
	char text[1024];
	size_t n;

	g_assert_cmpint(simota_sms_submit_decode(m->sms_tpdu.data, m->sms_tpdu.len,
						 pack ? SIMOTA_SMS_DECODE_UNPACKED_UD : 0, &sms), ==, SIMOTA_OK);
	if (pack)
		g_assert_cmpint(simota_sms_submit_pack(&sms), ==, SIMOTA_OK);
	g_assert_cmpint(sms.mr, ==, member_int(s, "mr"));
	g_assert_cmpint(sms.da.ton, ==, member_int(da, "number_type"));
	g_assert_cmpint(sms.da.npi, ==, member_int(da, "numbering_plan"));
	g_assert_cmpstr(sms.da.digits, ==, tv_str(da, "address"));
	g_assert_cmpint(sms.pid, ==, member_int(s, "pid"));
	g_assert_cmpint(sms.dcs, ==, member_int(s, "dcs"));
	g_assert_cmpint(sms.ud.udl, ==, member_int(s, "udl"));
	if (simota_sms_ud_text(&sms.ud, sms.dcs, text, sizeof(text), &n) != SIMOTA_OK) {
		const uint8_t *p;

		g_assert_cmpint(simota_sms_ud_payload(&sms.ud, sms.dcs, &p, &n), ==, SIMOTA_OK);
		g_assert_cmpuint(n, <, sizeof(text));
		memcpy(text, p, n);
		text[n] = '\0';
	}
	g_assert_cmpstr(text, ==, tv_str(s, "ud"));
}

/* §8.18: the paths one by one, as many as the count says. */
static void check_file_list(const struct simota_cat_bytes *fl, JsonArray *paths)
{
	size_t pos = 0, len;
	const uint8_t *path;
	unsigned n;

	g_assert_cmpint(simota_cat_file_list_check(fl, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, json_array_get_length(paths));
	for (unsigned i = 0; i < n; i++) {
		g_assert_cmpint(simota_cat_file_list_next(fl, &pos, &path, &len), ==, SIMOTA_OK);
		tv_assert_hex(path, len, json_array_get_string_element(paths, i));
	}
	g_assert_cmpint(simota_cat_file_list_next(fl, &pos, &path, &len), ==, SIMOTA_ERR_MISSING_VALUE);
}

static void check_command_fields(const struct simota_cat_msg *m, JsonObject *v)
{
	JsonObject *extra = json_object_get_object_member(v, "extra"), *o;

	check_extra_keys(extra);
	g_assert_cmphex(m->details.type, ==, hex8(tv_str(v, "type")));
	g_assert_cmpint(m->details.number, ==, member_int(v, "number"));
	g_assert_cmphex(m->details.qualifier, ==, hex8(tv_str(v, "qualifier")));
	g_assert_cmphex(m->src, ==, hex8(tv_str(v, "src")));
	g_assert_cmphex(m->dst, ==, hex8(tv_str(v, "dst")));
	assert_string(m, &m->text, tv_str(v, "text"));
	assert_string(m, &m->alpha_id, tv_str(extra, "alpha_id"));
	assert_string(m, &m->default_text, tv_str(extra, "default_text"));
	check_items(m, extra);

	o = member_obj(extra, "duration");
	g_assert_cmpint(m->duration.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint(m->duration.unit, ==, member_int(o, "unit"));
		g_assert_cmpint(m->duration.interval, ==, member_int(o, "interval"));
	}
	o = member_obj(extra, "icon_id");
	g_assert_cmpint(m->icon_id.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint(m->icon_id.qualifier, ==, member_int(o, "qualifier"));
		g_assert_cmpint(m->icon_id.id, ==, member_int(o, "id"));
	}
	o = member_obj(extra, "item_icon_id_list");
	g_assert_cmpint(m->item_icons.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint(m->item_icons.qualifier, ==, member_int(o, "qualifier"));
		g_assert_cmpint(m->item_icons.len, ==, member_int(o, "len"));
		tv_assert_hex(m->item_icons.ids, m->item_icons.len, tv_str(o, "list"));
	}
	o = member_obj(extra, "resp_len");
	g_assert_cmpint(m->response_length.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint(m->response_length.min, ==, member_int(o, "min"));
		g_assert_cmpint(m->response_length.max, ==, member_int(o, "max"));
	}
	g_assert_cmpint(m->tone.present, ==, json_object_has_member(extra, "tone"));
	if (m->tone.present)
		g_assert_cmpint(m->tone.v, ==, member_int(extra, "tone"));
	g_assert_cmpint(m->item_id.present, ==, json_object_has_member(extra, "item_id"));
	if (m->item_id.present)
		g_assert_cmpint(m->item_id.v, ==, member_int(extra, "item_id"));
	assert_bytes(&m->text_attribute, extra, "text_attr", "attributes");
	assert_bytes(&m->item_text_attributes, extra, "item_text_attr_list", "list");
	assert_bytes(&m->next_action, extra, "next_act", "list");
	assert_bytes(&m->event_list, extra, "event_list", "list");
	assert_bytes(&m->file_list, extra, "file_list", "list");
	if ((o = member_obj(extra, "file_list")))
		check_file_list(&m->file_list, json_object_get_array_member(o, "paths"));

	o = member_obj(extra, "address");
	g_assert_cmpint(m->address.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint((m->address.ton_npi >> 4) & 7, ==, member_int(o, "ton"));
		g_assert_cmpint(m->address.ton_npi & 0x0F, ==, member_int(o, "npi"));
		g_assert_cmpstr(m->address.number, ==, tv_str(o, "number"));
	}
	g_assert_cmpint(m->sms_tpdu.present, ==, json_object_has_member(extra, "tpdu"));
	if (m->sms_tpdu.present)
		tv_assert_hex(m->sms_tpdu.data, m->sms_tpdu.len, tv_str(extra, "tpdu"));
	if ((o = member_obj(extra, "sms_submit")))
		check_sms_submit(m, o);
}

static void test_proactive(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	const char *result = tv_str(v, "parse_result");
	size_t len, out_len = 0;
	uint8_t *pdu = tv_hex(tv_str(v, "pdu"), &len);
	uint8_t out[PDU_MAX];
	simota_err err = simota_cat_command_decode(pdu, len, &msg);

	if (strcmp(result, "OK") != 0) {
		simota_err want = strcmp(result, "MISSING_VALUE") == 0 ? SIMOTA_ERR_MISSING_VALUE :
				  strcmp(result, "DATA_NOT_UNDERSTOOD") == 0 ? SIMOTA_ERR_NOT_UNDERSTOOD :
				  SIMOTA_ERR__COUNT;

		g_assert_cmpint(want, !=, SIMOTA_ERR__COUNT);
		g_assert_cmpint(err, ==, want);
		/* the header is there for the terminal's answer (§6.10) */
		g_assert_cmphex(msg.details.type, ==, pdu[5]);
		g_free(pdu);
		return;
	}
	g_assert_cmpint(err, ==, SIMOTA_OK);
	check_command_fields(&msg, v);
	g_assert_cmpint(simota_cat_command_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, tv_str(v, "pdu"));
	/* too small an output buffer is an error, not an overflow */
	g_assert_cmpint(simota_cat_command_encode(&msg, out, len - 1, &out_len), ==,
			SIMOTA_ERR_NO_SPACE);
	g_free(pdu);
}

/* ---- terminal responses ------------------------------------------------ */

static void test_response(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	JsonObject *extra = json_object_get_object_member(v, "extra");
	JsonObject *res = json_object_get_object_member(v, "result"), *o;
	const char *add = tv_str(res, "additional");
	size_t len, out_len = 0;
	uint8_t *pdu = tv_hex(tv_str(v, "pdu"), &len);
	uint8_t out[PDU_MAX];

	g_assert_cmpint(simota_cat_response_decode(pdu, len, &msg), ==, SIMOTA_OK);
	g_assert_cmphex(msg.details.type, ==, hex8(tv_str(v, "type")));
	g_assert_cmpint(msg.details.number, ==, member_int(v, "number"));
	g_assert_cmphex(msg.details.qualifier, ==, hex8(tv_str(v, "qualifier")));
	g_assert_cmphex(msg.src, ==, hex8(tv_str(v, "src")));
	g_assert_cmphex(msg.dst, ==, hex8(tv_str(v, "dst")));
	g_assert_true(msg.result.present);
	g_assert_cmphex(msg.result.general, ==, hex8(tv_str(res, "code")));
	tv_assert_hex(msg.result.add, msg.result.add_len, add ? add : "");

	if (member_bool(extra, "yesno")) {
		/* oFono's text "Yes" = 01; no text = 00 */
		g_assert_cmpint(simota_cat_inkey_yes_no(&msg), ==, tv_str(v, "text") ? 1 : 0);
	} else {
		g_assert_cmpint(simota_cat_inkey_yes_no(&msg), ==, -1);
		assert_string(&msg, &msg.text, tv_str(v, "text"));
	}
	if (member_bool(extra, "packed"))
		g_assert_cmpint(msg.text.dcs, ==, 0x00);
	g_assert_cmpint(msg.item_id.present, ==, json_object_has_member(extra, "item_id"));
	if (msg.item_id.present)
		g_assert_cmpint(msg.item_id.v, ==, member_int(extra, "item_id"));
	o = member_obj(extra, "duration");
	g_assert_cmpint(msg.duration.present, ==, o != NULL);
	if (o) {
		g_assert_cmpint(msg.duration.unit, ==, member_int(o, "unit"));
		g_assert_cmpint(msg.duration.interval, ==, member_int(o, "interval"));
	}
	g_assert_cmpint(simota_cat_response_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, tv_str(v, "pdu"));
	g_free(pdu);
}

/* ---- envelopes --------------------------------------------------------- */

static void assert_address(const struct simota_cat_address *a, JsonObject *o)
{
	g_assert_true(a->present);
	g_assert_cmpint(a->ton_npi, ==, member_int(o, "ton_npi"));
	g_assert_cmpstr(a->number, ==, tv_str(o, "number"));
}

static void assert_plmn(const char *mcc, const char *mnc, JsonObject *o)
{
	g_assert_cmpstr(mcc, ==, tv_str(o, "mcc"));
	g_assert_cmpstr(mnc, ==, tv_str(o, "mnc"));
}

/*
 * TS 102 223 §8.56 channel status as oFono's enum: 5 link dropped, 1 link
 * established / PDP activated, 3 TCP in LISTEN state, 0 otherwise.
 */
static int channel_status_enum(const struct simota_cat_bytes *b)
{
	if (b->data[1] == 0x05)
		return 5;
	if (b->data[0] & 0x80)
		return 1;
	return (b->data[0] & 0xC0) == 0x40 ? 3 : 0;
}

static void assert_channel(const struct simota_cat_bytes *b, JsonObject *o)
{
	g_assert_true(b->present);
	g_assert_cmpuint(b->len, ==, 2);
	g_assert_cmpint(b->data[0] & 0x07, ==, member_int(o, "id"));
	g_assert_cmpint(channel_status_enum(b), ==, member_int(o, "status"));
}

static void check_location_info(const struct simota_cat_location_info *li, JsonObject *o)
{
	g_assert_true(li->present);
	assert_plmn(li->mcc, li->mnc, o);
	g_assert_cmpint(li->lac_tac, ==, member_int(o, "lac_tac"));
	g_assert_cmpint(li->form == SIMOTA_CAT_CELL_GERAN || li->form == SIMOTA_CAT_CELL_UTRAN,
			==, member_bool(o, "has_ci"));
	if (member_bool(o, "has_ci"))
		g_assert_cmpint(li->ci, ==, member_int(o, "ci"));
	g_assert_cmpint(li->form == SIMOTA_CAT_CELL_UTRAN, ==, member_bool(o, "has_ext_ci"));
	if (member_bool(o, "has_ext_ci"))
		g_assert_cmpint(li->ext_ci, ==, member_int(o, "ext_ci"));
	g_assert_cmpint(li->form == SIMOTA_CAT_CELL_EUTRAN, ==, member_bool(o, "has_eutran_ci"));
	if (member_bool(o, "has_eutran_ci"))
		g_assert_cmpint(li->eutran_ci, ==, member_int(o, "eutran_ci"));
}

static void check_event(const struct simota_cat_msg *m, JsonObject *ev)
{
	JsonObject *o;
	int type = (int)member_int(ev, "type");

	g_assert_true(m->event_list.present);
	g_assert_cmpuint(m->event_list.len, ==, 1);
	g_assert_cmpint(m->event_list.data[0], ==, type);
	if ((o = member_obj(ev, "mt_call"))) {
		g_assert_cmpint(m->transaction_ids.data[0], ==, member_int(o, "transaction_id"));
		g_assert_cmpint(m->address.present, ==, json_object_has_member(o, "caller_address"));
		if (m->address.present)
			assert_address(&m->address, member_obj(o, "caller_address"));
	} else if ((o = member_obj(ev, "call_connected"))) {
		g_assert_cmpint(m->transaction_ids.data[0], ==, member_int(o, "transaction_id"));
	} else if ((o = member_obj(ev, "call_disconnected"))) {
		JsonObject *cause = member_obj(o, "cause");

		assert_bytes(&m->transaction_ids, o, "transaction_ids", "list");
		g_assert_cmpint(m->cause.present, ==, cause && member_bool(cause, "has_cause"));
		if (cause && json_object_has_member(cause, "len")) {
			g_assert_cmpint(m->cause.len, ==, member_int(cause, "len"));
			tv_assert_hex(m->cause.data, m->cause.len, tv_str(cause, "cause"));
		} else if (cause) {
			g_assert_cmpint(m->cause.len, ==, 0);	/* radio link failure */
		}
	} else if ((o = member_obj(ev, "location_status"))) {
		g_assert_cmpint(m->location_status.v, ==, member_int(o, "state"));
		g_assert_cmpint(m->location_info.present, ==, json_object_has_member(o, "info"));
		if (m->location_info.present)
			check_location_info(&m->location_info, member_obj(o, "info"));
	} else if ((o = member_obj(ev, "card_reader_status"))) {
		uint8_t s = m->card_reader_status.v;

		g_assert_true(m->card_reader_status.present);
		g_assert_cmpint(s & 0x07, ==, member_int(o, "id"));
		g_assert_cmpint(!!(s & 0x08), ==, member_bool(o, "removable"));
		g_assert_cmpint(!!(s & 0x10), ==, member_bool(o, "present"));
		g_assert_cmpint(!!(s & 0x20), ==, member_bool(o, "id1_size"));
		g_assert_cmpint(!!(s & 0x40), ==, member_bool(o, "card_present"));
		g_assert_cmpint(!!(s & 0x80), ==, member_bool(o, "card_powered"));
	} else if (json_object_has_member(ev, "language_selection")) {
		g_assert_cmpuint(m->language.len, ==, 2);
		g_assert_cmpmem(m->language.data, 2, tv_str(ev, "language_selection"), 2);
	} else if ((o = member_obj(ev, "browser_termination"))) {
		g_assert_cmpint(m->browser_termination_cause.v, ==, member_int(o, "cause"));
	} else if ((o = member_obj(ev, "data_available"))) {
		assert_channel(&m->channel_status, member_obj(o, "channel"));
		g_assert_cmpint(m->channel_data_length.v, ==, member_int(o, "channel_data_len"));
	} else if ((o = member_obj(ev, "channel_status"))) {
		assert_channel(&m->channel_status, member_obj(o, "channel"));
	} else if ((o = member_obj(ev, "network_rejection"))) {
		JsonObject *tai = member_obj(o, "tai");

		g_assert_true(m->tai.present);
		assert_plmn(m->tai.mcc, m->tai.mnc, tai);
		g_assert_cmpint(m->tai.tac, ==, member_int(tai, "tac"));
		g_assert_cmpint(m->access_technology.data[0], ==, member_int(o, "access_tech"));
		g_assert_cmpint(m->update_attach_type.v, ==, member_int(o, "update_attach"));
		g_assert_cmpint(m->rejection_cause.v, ==, member_int(o, "cause"));
	} else {
		/* user activity, idle screen available: the event alone */
		g_assert_true(type == SIMOTA_CAT_EVENT_USER_ACTIVITY ||
			      type == SIMOTA_CAT_EVENT_IDLE_SCREEN_AVAILABLE);
	}
}

/* SMS-PP DOWNLOAD: the SMS-DELIVER through the SMS codec. */
static void check_sms_deliver(const struct simota_cat_msg *m, JsonObject *msgv)
{
	struct simota_sms_deliver sms;
	JsonObject *oa = member_obj(msgv, "oaddr");
	char text[512];

	g_assert_cmpint(simota_sms_deliver_decode(m->sms_tpdu.data, m->sms_tpdu.len, &sms), ==,
			SIMOTA_OK);
	g_assert_cmpint(sms.oa.ton, ==, member_int(oa, "number_type"));
	g_assert_cmpint(sms.oa.npi, ==, member_int(oa, "numbering_plan"));
	g_assert_cmpstr(sms.oa.digits, ==, tv_str(oa, "address"));
	g_assert_cmpint(sms.pid, ==, member_int(msgv, "pid"));
	g_assert_cmpint(sms.dcs, ==, member_int(msgv, "dcs"));
	g_assert_cmpint(sms.ud.udl, ==, member_int(msgv, "udl"));
	g_assert_cmpint(sms.ud.udhi, ==, member_bool(msgv, "udhi"));
	if (sms.ud.udhi) {
		tv_assert_hex(sms.ud.ud, sms.ud.len, tv_str(msgv, "ud"));
		return;
	}
	g_assert_cmpuint(sms.ud.len, <, sizeof(text));
	memcpy(text, sms.ud.ud, sms.ud.len);
	text[sms.ud.len] = '\0';
	g_assert_cmpstr(text, ==, tv_str(msgv, "ud"));
}

static void test_envelope(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	JsonObject *fields = json_object_get_object_member(v, "fields"), *o;
	size_t len, out_len = 0;
	uint8_t *pdu = tv_hex(tv_str(v, "pdu"), &len);
	uint8_t out[PDU_MAX];

	g_assert_cmpint(simota_cat_envelope_decode(pdu, len, &msg), ==, SIMOTA_OK);
	g_assert_cmphex(msg.envelope_tag, ==, hex8(tv_str(v, "tag")));
	g_assert_cmphex(msg.src, ==, hex8(tv_str(v, "src")));
	g_assert_cmphex(msg.dst, ==, hex8(tv_str(v, "dst")));
	if ((o = member_obj(fields, "sms_pp_download"))) {
		assert_address(&msg.address, member_obj(o, "address"));
		tv_assert_hex(msg.sms_tpdu.data, msg.sms_tpdu.len, tv_str(v, "tpdu"));
		check_sms_deliver(&msg, member_obj(o, "message"));
	} else if ((o = member_obj(fields, "menu_selection"))) {
		g_assert_cmpint(msg.item_id.v, ==, member_int(o, "item_id"));
		g_assert_cmpint(msg.help_request, ==, member_bool(o, "help_request"));
	} else if ((o = member_obj(fields, "event_download"))) {
		check_event(&msg, o);
	} else {
		g_error("envelope kind not checked");
	}
	g_assert_cmpint(simota_cat_envelope_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, tv_str(v, "pdu"));
	g_free(pdu);
}

/* secured-packets.json: the D1 envelope built from the SCA and the TPDU. */
static void test_sms_pp_envelope(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	size_t sca_len, tpdu_len, out_len = 0;
	uint8_t *sca = tv_hex(tv_str(v, "sca"), &sca_len);
	uint8_t *tpdu = tv_hex(tv_str(v, "tpdu"), &tpdu_len);
	uint8_t out[PDU_MAX];
	struct simota_sms_address rp;

	/* the SCA is an RP address (TS 24.011 §8.2.5.1): length, TON/NPI, BCD */
	g_assert_cmpuint(sca_len, ==, sca[0] + 1u);
	g_assert_cmpint(simota_sms_rp_address_decode(sca, sca_len, &rp, &out_len), ==, SIMOTA_OK);
	memset(&msg, 0, sizeof(msg));
	msg.envelope_tag = SIMOTA_CAT_TAG_SMS_PP_DOWNLOAD;
	msg.src = SIMOTA_CAT_DEV_NETWORK;
	msg.dst = SIMOTA_CAT_DEV_UICC;
	msg.address.present = true;
	msg.address.ton_npi = sca[1];
	g_strlcpy(msg.address.number, rp.digits, sizeof(msg.address.number));
	msg.sms_tpdu.present = true;
	msg.sms_tpdu.len = (uint8_t)tpdu_len;
	memcpy(msg.sms_tpdu.data, tpdu, tpdu_len);
	g_assert_cmpint(simota_cat_envelope_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, tv_str(v, "envelope"));

	g_assert_cmpint(simota_cat_envelope_decode(out, out_len, &msg2), ==, SIMOTA_OK);
	g_assert_cmphex(msg2.envelope_tag, ==, 0xD1);
	g_assert_cmphex(msg2.src, ==, 0x83);
	g_assert_cmphex(msg2.dst, ==, 0x81);
	g_assert_cmphex(msg2.address.ton_npi, ==, sca[1]);
	g_assert_cmpstr(msg2.address.number, ==, rp.digits);
	g_assert_cmpmem(msg2.sms_tpdu.data, msg2.sms_tpdu.len, tpdu, tpdu_len);
	g_free(sca);
	g_free(tpdu);
}

/* ---- truncations --------------------------------------------------------- */

enum kind { PROACTIVE, RESPONSE, ENVELOPE };

static simota_err decode_kind(enum kind k, const uint8_t *p, size_t len, struct simota_cat_msg *m)
{
	return k == PROACTIVE ? simota_cat_command_decode(p, len, m) :
	       k == RESPONSE ? simota_cat_response_decode(p, len, m) :
	       simota_cat_envelope_decode(p, len, m);
}

/*
 * Every strict prefix fails.  A TERMINAL RESPONSE has no outer length: a
 * prefix that ends between objects and leaves out only optional ones (the
 * duration of GET INKEY 8.1.1 after "no response") is itself a valid
 * response; it must then re-encode to exactly that prefix.
 */
static void test_truncations(gconstpointer data)
{
	JsonObject *v = (JsonObject *)data;
	enum kind k = json_object_get_int_member(v, "_kind");
	size_t len, out_len;
	uint8_t *pdu = tv_hex(tv_str(v, "pdu"), &len);
	uint8_t out[PDU_MAX];

	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = g_memdup2(pdu, n);	/* exact size: ASan sees overreads */
		simota_err err = decode_kind(k, copy, n, &msg);

		if (err == SIMOTA_OK) {
			g_assert_cmpint(k, ==, RESPONSE);
			g_assert_cmpuint(n, >, 0);
			g_assert_cmpint(simota_cat_response_encode(&msg, out, sizeof(out), &out_len), ==,
					SIMOTA_OK);
			g_assert_cmpmem(out, out_len, pdu, n);
			g_test_message("%s: prefix of %zu bytes is a valid response", tv_str(v, "id"), n);
		}
		g_free(copy);
	}
	g_free(pdu);
}

/* ---- built from scratch: the commands the vectors do not hold ---------- */

static void roundtrip_command(struct simota_cat_msg *m, const char *hex)
{
	uint8_t out[PDU_MAX];
	size_t out_len;

	g_assert_cmpint(simota_cat_command_encode(m, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, hex);
	g_assert_cmpint(simota_cat_command_decode(out, out_len, &msg2), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_command_encode(&msg2, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, hex);
}

static void new_command(struct simota_cat_msg *m, uint8_t type, uint8_t qualifier)
{
	memset(m, 0, sizeof(*m));
	m->details.number = 1;
	m->details.type = type;
	m->details.qualifier = qualifier;
	m->src = SIMOTA_CAT_DEV_UICC;
	m->dst = SIMOTA_CAT_DEV_TERMINAL;
}

static void test_build_commands(void)
{
	uint32_t secs;

	/* TS 102 223 §6.6.6 POLL INTERVAL, 20 s */
	new_command(&msg, SIMOTA_CAT_POLL_INTERVAL, 0);
	msg.duration.present = true;
	msg.duration.unit = 1;
	msg.duration.interval = 20;
	roundtrip_command(&msg, "d00d81030103008202818284020114");
	g_assert_cmpint(msg2.duration.interval, ==, 20);

	/* §6.6.21 TIMER MANAGEMENT start timer 1 for 1 h 2 min 3 s */
	new_command(&msg, SIMOTA_CAT_TIMER_MANAGEMENT, 0);
	msg.timer_id.present = true;
	msg.timer_id.v = 1;
	simota_cat_timer_value_set(&msg.timer_value, 3723);
	roundtrip_command(&msg, "d011810301270082028182a40101a503102030");
	g_assert_cmpint(simota_cat_timer_value_seconds(&msg2.timer_value, &secs), ==, SIMOTA_OK);
	g_assert_cmpuint(secs, ==, 3723);
	/* start without a value: missing */
	new_command(&msg, SIMOTA_CAT_TIMER_MANAGEMENT, 0);
	g_assert_cmpint(simota_cat_command_decode(
		(const uint8_t *)"\xd0\x0c\x81\x03\x01\x27\x00\x82\x02\x81\x82\xa4\x01\x01", 14,
		&msg2), ==, SIMOTA_ERR_MISSING_VALUE);

	/* §6.6.13 REFRESH, file change notification of EF_SMS 3F00 7F10 6F3C */
	new_command(&msg, SIMOTA_CAT_REFRESH, 0x01);
	msg.file_list.present = true;
	msg.file_list.len = 7;
	memcpy(msg.file_list.data, "\x01\x3f\x00\x7f\x10\x6f\x3c", 7);
	roundtrip_command(&msg, "d0128103010101820281829207013f007f106f3c");
	g_assert_cmpint(simota_cat_command_decode(
		(const uint8_t *)"\xd0\x09\x81\x03\x01\x01\x01\x82\x02\x81\x82", 11, &msg2), ==,
		SIMOTA_ERR_MISSING_VALUE);
	/* §8.18: a count that does not match the paths, or bytes that are no path: result 32 */
	g_assert_cmpint(simota_cat_command_decode(
		(const uint8_t *)"\xd0\x12\x81\x03\x01\x01\x01\x82\x02\x81\x82\x92\x07\x02\x3f\x00\x7f\x10\x6f\x3c",
		20, &msg2), ==, SIMOTA_ERR_NOT_UNDERSTOOD);
	g_assert_cmpint(simota_cat_command_decode(
		(const uint8_t *)"\xd0\x12\x81\x03\x01\x01\x01\x82\x02\x81\x82\x92\x07\x01\x7f\x10\x6f\x3c\x00",
		20, &msg2), ==, SIMOTA_ERR_NOT_UNDERSTOOD);
}

/* TS 102 223 §8.18: a File List built path by path, read back. */
static void test_file_list(void)
{
	static const uint8_t spn_usim[] = { 0x3F, 0x00, 0x7F, 0xFF, 0x6F, 0x46 };
	static const uint8_t spn_gsm[] = { 0x3F, 0x00, 0x7F, 0x20, 0x6F, 0x46 };
	static const uint8_t dir[] = { 0x3F, 0x00, 0x2F, 0x00 };
	static const uint8_t img[] = { 0x3F, 0x00, 0x7F, 0x10, 0x5F, 0x50, 0x4F, 0x20 };
	struct simota_cat_bytes fl;
	const uint8_t *path;
	size_t pos = 0, len;
	unsigned n;

	simota_cat_file_list_init(&fl);
	g_assert_cmpint(simota_cat_file_list_check(&fl, &n), ==, SIMOTA_OK);
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim, sizeof(spn_usim), 255), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_file_list_add(&fl, dir, sizeof(dir), 255), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_file_list_add(&fl, img, sizeof(img), 255), ==, SIMOTA_OK);
	/* listed once */
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim, sizeof(spn_usim), 255), ==, SIMOTA_OK);
	tv_assert_hex(fl.data, fl.len, "03" "3f007fff6f46" "3f002f00" "3f007f105f504f20");
	g_assert_true(simota_cat_file_list_has(&fl, dir, sizeof(dir)));
	g_assert_false(simota_cat_file_list_has(&fl, spn_gsm, sizeof(spn_gsm)));
	/* no room for 6 more bytes within 24: unchanged */
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_gsm, sizeof(spn_gsm), 24), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpuint(fl.len, ==, 19);
	/* not full paths: no 3F00 first, a 3F00 inside, odd, too short */
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim + 2, 4, 255), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_cat_file_list_add(&fl, (const uint8_t *)"\x3f\x00\x3f\x00", 4, 255), ==,
			SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim, 5, 255), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim, 2, 255), ==, SIMOTA_ERR_BAD_VALUE);
	/* read back in order */
	g_assert_cmpint(simota_cat_file_list_next(&fl, &pos, &path, &len), ==, SIMOTA_OK);
	tv_assert_hex(path, len, "3f007fff6f46");
	g_assert_cmpint(simota_cat_file_list_next(&fl, &pos, &path, &len), ==, SIMOTA_OK);
	tv_assert_hex(path, len, "3f002f00");
	g_assert_cmpint(simota_cat_file_list_next(&fl, &pos, &path, &len), ==, SIMOTA_OK);
	tv_assert_hex(path, len, "3f007f105f504f20");
	g_assert_cmpint(simota_cat_file_list_next(&fl, &pos, &path, &len), ==, SIMOTA_ERR_MISSING_VALUE);
	/* a list whose count is wrong, or with a trailing odd byte, is refused */
	fl.data[0] = 2;
	g_assert_cmpint(simota_cat_file_list_check(&fl, &n), ==, SIMOTA_ERR_BAD_VALUE);
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_gsm, sizeof(spn_gsm), 255), ==, SIMOTA_ERR_BAD_VALUE);
	fl.data[0] = 3;
	fl.data[fl.len++] = 0x3F;
	g_assert_cmpint(simota_cat_file_list_check(&fl, &n), ==, SIMOTA_ERR_BAD_VALUE);
	/* the value is 255 bytes at most: 63 paths of 4 bytes */
	simota_cat_file_list_init(&fl);
	for (unsigned i = 0; i < 63; i++) {
		uint8_t p[4] = { 0x3F, 0x00, 0x2F, (uint8_t)i };

		g_assert_cmpint(simota_cat_file_list_add(&fl, p, 4, 1000), ==, SIMOTA_OK);
	}
	/* 3F00 2F00 is among them already; 3F00 7FFF is not and does not fit */
	g_assert_cmpint(simota_cat_file_list_add(&fl, dir, sizeof(dir), 1000), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_file_list_add(&fl, spn_usim, 4, 1000), ==, SIMOTA_ERR_NO_SPACE);
	g_assert_cmpuint(fl.data[0], ==, 63);
	g_assert_cmpuint(fl.len, ==, 253);

	/* §6.6.15 PROVIDE LOCAL INFORMATION (IMEI) */
	new_command(&msg, SIMOTA_CAT_PROVIDE_LOCAL_INFO, 0x01);
	roundtrip_command(&msg, "d009810301260182028182");

	/* §6.6.1 DISPLAY TEXT in UCS2 chosen automatically, immediate response */
	new_command(&msg, SIMOTA_CAT_DISPLAY_TEXT, 0x80);
	msg.dst = SIMOTA_CAT_DEV_DISPLAY;
	g_assert_cmpint(simota_cat_string_set(&msg, &msg.text, "\xd0\x94", -1), ==, SIMOTA_OK);
	msg.immediate_response = true;
	roundtrip_command(&msg, "d0108103012180820281028d030804142b00");
	g_assert_cmpstr(simota_cat_string_get(&msg2, &msg2.text), ==, "\xd0\x94");

	/* §6.6.7 SET UP MENU without items: one empty item removes the menu */
	new_command(&msg, SIMOTA_CAT_SET_UP_MENU, 0);
	simota_cat_string_set(&msg, &msg.alpha_id, "", -1);
	roundtrip_command(&msg, "d00d81030125008202818285008f00");
	g_assert_cmpuint(msg2.n_items, ==, 0);

	/* unknown type: header kept, "beyond capabilities" */
	g_assert_cmpint(simota_cat_command_decode(
		(const uint8_t *)"\xd0\x09\x81\x03\x07\x40\x00\x82\x02\x81\x82", 11, &msg2), ==,
		SIMOTA_ERR_UNSUPPORTED);
	g_assert_cmphex(msg2.details.type, ==, 0x40);
	g_assert_cmpint(msg2.details.number, ==, 7);
	g_assert_cmpint(simota_cat_error_result(SIMOTA_ERR_UNSUPPORTED), ==, 0x30);
	g_assert_cmpint(simota_cat_error_result(SIMOTA_ERR_NOT_UNDERSTOOD), ==, 0x32);
	g_assert_cmpint(simota_cat_error_result(SIMOTA_ERR_MISSING_VALUE), ==, 0x36);
}

static void test_unknown_objects(void)
{
	/* DISPLAY TEXT with an unknown object 7E: skipped without CR, fatal with CR */
	static const char plain[] = "d0148103012180820281028d05044869212a7e0200ff";
	static const char cr[] = "d0148103012180820281028d05044869212afe0200ff";
	size_t len;
	uint8_t *p = tv_hex(plain, &len);

	g_assert_cmpint(simota_cat_command_decode(p, len, &msg), ==, SIMOTA_OK);
	g_assert_cmpstr(simota_cat_string_get(&msg, &msg.text), ==, "Hi!*");
	g_free(p);
	p = tv_hex(cr, &len);
	g_assert_cmpint(simota_cat_command_decode(p, len, &msg), ==, SIMOTA_ERR_NOT_UNDERSTOOD);
	g_free(p);
}

static void test_build_responses(void)
{
	uint8_t out[PDU_MAX];
	size_t out_len;

	/* GET INKEY yes/no: yes */
	memset(&msg, 0, sizeof(msg));
	msg.details = (struct simota_cat_command_details){ 1, SIMOTA_CAT_GET_INKEY, 0x04 };
	msg.src = SIMOTA_CAT_DEV_TERMINAL;
	msg.dst = SIMOTA_CAT_DEV_UICC;
	msg.result.present = true;
	g_assert_cmpint(simota_cat_inkey_set_yes_no(&msg, true), ==, SIMOTA_OK);
	g_assert_cmpint(simota_cat_response_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, "8103012204820282818301008d020401");
	/* success without the text: missing */
	g_assert_cmpint(simota_cat_response_decode(out, out_len - 4, &msg2), ==,
			SIMOTA_ERR_MISSING_VALUE);

	/* PROVIDE LOCAL INFORMATION: location (E-UTRAN) */
	memset(&msg, 0, sizeof(msg));
	msg.details = (struct simota_cat_command_details){ 1, SIMOTA_CAT_PROVIDE_LOCAL_INFO, 0 };
	msg.src = SIMOTA_CAT_DEV_TERMINAL;
	msg.dst = SIMOTA_CAT_DEV_UICC;
	msg.result.present = true;
	msg.location_info.present = true;
	strcpy(msg.location_info.mcc, "262");
	strcpy(msg.location_info.mnc, "01");
	msg.location_info.lac_tac = 0x1234;
	msg.location_info.form = SIMOTA_CAT_CELL_EUTRAN;
	msg.location_info.eutran_ci = 0x0ABCDEF;
	g_assert_cmpint(simota_cat_response_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, "810301260082028281830100930962f2101234" "0abcdeff");
	g_assert_cmpint(simota_cat_response_decode(out, out_len, &msg2), ==, SIMOTA_OK);
	g_assert_cmpint(msg2.location_info.form, ==, SIMOTA_CAT_CELL_EUTRAN);
	g_assert_cmphex(msg2.location_info.eutran_ci, ==, 0x0ABCDEF);
	g_assert_cmpint(simota_cat_response_decode(out, 12, &msg2), ==, SIMOTA_ERR_MISSING_VALUE);
}

static void test_timer_expiration(void)
{
	uint8_t out[PDU_MAX];
	size_t out_len;
	uint32_t secs;

	/* TS 102 223 §7.4: timer 2 expired after 10 min */
	memset(&msg, 0, sizeof(msg));
	msg.envelope_tag = SIMOTA_CAT_TAG_TIMER_EXPIRATION;
	msg.src = SIMOTA_CAT_DEV_TERMINAL;
	msg.dst = SIMOTA_CAT_DEV_UICC;
	msg.timer_id.present = true;
	msg.timer_id.v = 2;
	simota_cat_timer_value_set(&msg.timer_value, 600);
	g_assert_cmpint(simota_cat_envelope_encode(&msg, out, sizeof(out), &out_len), ==, SIMOTA_OK);
	tv_assert_hex(out, out_len, "d70c82028281a40102a503000100");
	g_assert_cmpint(simota_cat_envelope_decode(out, out_len, &msg2), ==, SIMOTA_OK);
	g_assert_cmpint(msg2.timer_id.v, ==, 2);
	g_assert_cmpint(simota_cat_timer_value_seconds(&msg2.timer_value, &secs), ==, SIMOTA_OK);
	g_assert_cmpuint(secs, ==, 600);
}

static void add_all(JsonObject *root, const char *array, const char *prefix,
		    GTestDataFunc fn, enum kind k)
{
	JsonArray *a = json_object_get_array_member(root, array);

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *v = json_array_get_object_element(a, i);
		char *path = g_strdup_printf("/cat/%s/%s", prefix, tv_str(v, "id"));
		char *tpath = g_strdup_printf("/cat/truncated/%s/%s", prefix, tv_str(v, "id"));

		json_object_set_int_member(v, "_kind", k);
		g_test_add_data_func(path, v, fn);
		g_test_add_data_func(tpath, v, test_truncations);
		g_free(path);
		g_free(tpath);
	}
}

int main(int argc, char **argv)
{
	JsonObject *cat, *sp;
	JsonArray *env;

	g_test_init(&argc, &argv, NULL);
	cat = tv_load("cat-proactive.json");
	add_all(cat, "proactive", "proactive", test_proactive, PROACTIVE);
	add_all(cat, "terminal_responses", "response", test_response, RESPONSE);
	add_all(cat, "envelopes", "envelope", test_envelope, ENVELOPE);
	cat = tv_load_from(LOCAL_VECTORS_DIR, "cat-refresh.json");
	add_all(cat, "proactive", "proactive", test_proactive, PROACTIVE);
	add_all(cat, "terminal_responses", "response", test_response, RESPONSE);

	sp = tv_load("secured-packets.json");
	env = json_object_get_array_member(sp, "envelopes");
	for (guint i = 0; i < json_array_get_length(env); i++) {
		JsonObject *v = json_array_get_object_element(env, i);
		char *path;

		if (g_strcmp0(tv_str(v, "kind"), "sms_pp_download") != 0)
			continue;
		path = g_strdup_printf("/cat/sms-pp-envelope/%s", tv_str(v, "id"));
		g_test_add_data_func(path, v, test_sms_pp_envelope);
		g_free(path);
		/* its truncations, with the envelope as the PDU */
		json_object_set_string_member(v, "pdu", tv_str(v, "envelope"));
		json_object_set_int_member(v, "_kind", ENVELOPE);
		path = g_strdup_printf("/cat/truncated/sms-pp-envelope/%s", tv_str(v, "id"));
		g_test_add_data_func(path, v, test_truncations);
		g_free(path);
	}
	g_test_add_func("/cat/build/commands", test_build_commands);
	g_test_add_func("/cat/build/file-list", test_file_list);
	g_test_add_func("/cat/build/unknown-objects", test_unknown_objects);
	g_test_add_func("/cat/build/responses", test_build_responses);
	g_test_add_func("/cat/build/timer-expiration", test_timer_expiration);
	return g_test_run();
}
