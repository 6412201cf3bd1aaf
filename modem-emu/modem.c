/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One modem: its config, client ids, request dispatch, indications, and the parts it is made of. */
#include <stdlib.h>
#include <string.h>

#include "firmware.h"
#include "radio.h"
#include "sim-link.h"
#include "sms-store.h"

#define DEFAULT_IMEI "359881030314356"   /* a Luhn-valid IMEI (TS 23.003 §6.2.1) */

/* ---- config ---------------------------------------------------------------------------------------- */

void me_modem_config_clear(struct me_modem_config *cfg)
{
	g_free(cfg->path);
	g_free(cfg->cat);
	g_free(cfg->uim_writes);
	g_free(cfg->card);
	g_free(cfg->state);
	g_free(cfg->sim);
	g_free(cfg->netsim);
	g_free(cfg->imei);
	g_free(cfg->nv);
	memset(cfg, 0, sizeof(*cfg));
}

static bool digits_only(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool on_or_off(const char *path, const char *key, const char *value, GError **error)
{
	if (!value || !strcmp(value, "on") || !strcmp(value, "off"))
		return true;
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem %s: %s= takes on or off", path, key);
	return false;
}

bool me_modem_config_parse(const char *spec, struct me_modem_config *out, GError **error)
{
	char **parts = g_strsplit(spec, ",", -1);
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!parts[0] || !parts[0][0]) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem: no PATH in \"%s\"", spec);
		goto out;
	}
	out->path = g_strdup(parts[0]);
	for (char **p = parts + 1; *p; p++) {
		char *eq = strchr(*p, '=');
		char **slot = NULL;

		if (!eq) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "--modem %s: \"%s\" is not key=value", out->path, *p);
			goto out;
		}
		*eq = '\0';
		if (!strcmp(*p, "card"))
			slot = &out->card;
		else if (!strcmp(*p, "state"))
			slot = &out->state;
		else if (!strcmp(*p, "sim"))
			slot = &out->sim;
		else if (!strcmp(*p, "netsim"))
			slot = &out->netsim;
		else if (!strcmp(*p, "imei"))
			slot = &out->imei;
		else if (!strcmp(*p, "nv"))
			slot = &out->nv;
		else if (!strcmp(*p, "cat"))
			slot = &out->cat;
		else if (!strcmp(*p, "uim-writes"))
			slot = &out->uim_writes;
		if (!slot || *slot || !eq[1]) {
			g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem %s: %s \"%s\"",
				    out->path, !slot ? "unknown key" : *slot ? "repeated key" : "empty value", *p);
			goto out;
		}
		*slot = g_strdup(eq + 1);
	}
	if (!!out->card == !!out->sim) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "--modem %s: give card=CARD.ini or sim=unix:SOCK (one of them)", out->path);
		goto out;
	}
	if (out->sim && (!g_str_has_prefix(out->sim, "unix:") || !out->sim[5])) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem %s: sim=unix:SOCK, not \"%s\"",
			    out->path, out->sim);
		goto out;
	}
	if (out->state && !out->card) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem %s: state= goes with card=",
			    out->path);
		goto out;
	}
	if (out->netsim) {
		GSocketConnectable *a = me_address_parse(out->netsim, error);

		if (!a)
			goto out;
		g_object_unref(a);
	}
	if (out->imei && !digits_only(out->imei, 14, 16)) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--modem %s: imei= takes 14-16 digits",
			    out->path);
		goto out;
	}
	if (!out->imei)
		out->imei = g_strdup(DEFAULT_IMEI);
	if (!on_or_off(out->path, "cat", out->cat, error) || !on_or_off(out->path, "uim-writes", out->uim_writes, error))
		goto out;
	ok = true;
out:
	g_strfreev(parts);
	if (!ok)
		me_modem_config_clear(out);
	return ok;
}

GSocketConnectable *me_address_parse(const char *spec, GError **error)
{
	if (g_str_has_prefix(spec, "unix:") && spec[5])
		return G_SOCKET_CONNECTABLE(g_unix_socket_address_new(spec + 5));
	if (g_str_has_prefix(spec, "tcp:")) {
		const char *hp = spec + 4, *colon = strrchr(hp, ':');
		char *host, *end;
		unsigned long port;
		GSocketConnectable *a;

		if (colon && colon > hp && colon[1]) {
			port = strtoul(colon + 1, &end, 10);
			if (!*end && port > 0 && port <= 65535) {
				host = g_strndup(hp, (gsize)(colon - hp));
				if (host[0] == '[' && host[strlen(host) - 1] == ']') {
					memmove(host, host + 1, strlen(host));
					host[strlen(host) - 1] = '\0';
				}
				a = g_network_address_new(host, (guint16)port);
				g_free(host);
				return a;
			}
		}
	}
	g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		    "expected unix:PATH or tcp:HOST:PORT, got \"%s\"", spec);
	return NULL;
}

/* ---- services ------------------------------------------------------------------------------------- */

static const struct me_service *const services[] = {
	&me_svc_dms, &me_svc_nas, &me_svc_wms, &me_svc_uim, &me_svc_cat, &me_svc_cat_old,
};

const struct me_service *me_service_find(uint8_t service)
{
	if (service == QMI_SERVICE_CTL)
		return &me_svc_ctl;
	for (size_t i = 0; i < G_N_ELEMENTS(services); i++)
		if (services[i]->id == service)
			return services[i];
	return NULL;
}

/* ---- client ids ----------------------------------------------------------------------------------- */

static guint cid_key(uint8_t service, uint8_t cid)
{
	return (guint)service << 8 | cid;
}

struct me_cid *me_modem_cid_get(struct me_modem *m, uint8_t service, uint8_t cid)
{
	return g_hash_table_lookup(m->cids, GUINT_TO_POINTER(cid_key(service, cid)));
}

struct me_cid *me_modem_cid_alloc(struct me_modem *m, struct me_client *c, uint8_t service)
{
	/* 1..254: 0 is CTL's, FF the broadcast id (QMI_CID_BROADCAST) */
	for (unsigned id = 1; id < QMI_CID_BROADCAST; id++) {
		struct me_cid *cid;

		if (me_modem_cid_get(m, service, (uint8_t)id))
			continue;
		cid = g_new0(struct me_cid, 1);
		cid->modem = m;
		cid->service = service;
		cid->cid = (uint8_t)id;
		cid->owner = c;
		cid->nas_serving = true;   /* serving system indications are on until a client turns them off */
		g_hash_table_insert(m->cids, GUINT_TO_POINTER(cid_key(service, cid->cid)), cid);
		return cid;
	}
	return NULL;
}

static void cid_released(struct me_modem *m, struct me_cid *cid)
{
	if (cid->service == QMI_SERVICE_CAT || cid->service == QMI_SERVICE_CAT2) {
		cid->cat_raw = cid->cat_full = 0;
		/* a command only this client was to answer: the firmware answers it */
		if (me_fw_pending_ref(m->fw)) {
			bool someone = false;
			GHashTableIter it;
			gpointer v;

			g_hash_table_iter_init(&it, m->cids);
			while (g_hash_table_iter_next(&it, NULL, &v)) {
				struct me_cid *o = v;

				if (o != cid && o->owner && (o->cat_raw || o->cat_full))
					someone = true;
			}
			if (!someone)
				me_fw_host_gone(m->fw);
		}
	}
}

void me_modem_cid_release(struct me_modem *m, struct me_cid *cid)
{
	g_hash_table_steal(m->cids, GUINT_TO_POINTER(cid_key(cid->service, cid->cid)));
	cid_released(m, cid);
	g_free(cid);
}

void me_modem_client_gone(struct me_modem *m, struct me_client *c)
{
	GHashTableIter it;
	gpointer v;
	GPtrArray *cat = g_ptr_array_new();

	g_hash_table_iter_init(&it, m->cids);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct me_cid *cid = v;

		if (cid->owner != c)
			continue;
		/* disowned: still allocated (a client may take it again with its id), no indications */
		cid->owner = NULL;
		if (cid->service == QMI_SERVICE_CAT || cid->service == QMI_SERVICE_CAT2)
			g_ptr_array_add(cat, cid);
	}
	for (guint i = 0; i < cat->len; i++)
		cid_released(m, cat->pdata[i]);
	g_ptr_array_free(cat, TRUE);
}

void me_modem_release_all(struct me_modem *m)
{
	GList *all = g_hash_table_get_values(m->cids);

	for (GList *l = all; l; l = l->next)
		me_modem_cid_release(m, l->data);
	g_list_free(all);
}

/* To each CID of service that pred takes: its own indication, or (broadcast) one with CID 0xFF per client. */
static unsigned indicate(struct me_modem *m, uint8_t service, uint16_t msgid, me_cid_pred pred, me_ind_fill fill,
			 void *user, bool broadcast)
{
	GHashTable *done = g_hash_table_new(g_direct_hash, g_direct_equal);
	GHashTableIter it;
	gpointer v;
	unsigned n = 0;

	g_hash_table_iter_init(&it, m->cids);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct me_cid *cid = v;
		QmiMessage *ind;

		if (cid->service != service || !cid->owner || cid->owner->closed || (pred && !pred(cid, user)))
			continue;
		if (broadcast) {
			/* one per client: libqmi hands a broadcast to every client object of the service */
			if (g_hash_table_contains(done, cid->owner))
				continue;
			g_hash_table_add(done, cid->owner);
		}
		ind = me_qmi_indication_new(service, broadcast ? QMI_CID_BROADCAST : cid->cid, msgid);
		if (fill)
			fill(ind, user);
		me_client_send(cid->owner, ind);
		qmi_message_unref(ind);
		n++;
	}
	g_hash_table_destroy(done);
	return n;
}

unsigned me_modem_indicate(struct me_modem *m, uint8_t service, uint16_t msgid, me_cid_pred pred,
			   me_ind_fill fill, void *user)
{
	return indicate(m, service, msgid, pred, fill, user, false);
}

unsigned me_modem_broadcast(struct me_modem *m, uint8_t service, uint16_t msgid, me_cid_pred pred,
			    me_ind_fill fill, void *user)
{
	return indicate(m, service, msgid, pred, fill, user, true);
}

/* ---- requests ------------------------------------------------------------------------------------ */

QmiMessage *me_resp_new(struct me_req *r)
{
	return qmi_message_response_new(r->msg, QMI_PROTOCOL_ERROR_NONE);
}

void me_req_free(struct me_req *r)
{
	me_client_unref(r->client);
	qmi_message_unref(r->msg);
	g_free(r);
}

void me_req_finish(struct me_req *r, QmiMessage *resp)
{
	if (!r->client->closed && !(r->modem && r->modem->muted))
		me_client_send(r->client, resp);
	qmi_message_unref(resp);
	me_req_free(r);
}

void me_req_fail(struct me_req *r, QmiProtocolError error)
{
	me_req_finish(r, qmi_message_response_new(r->msg, error));
}

bool me_req_tlv(struct me_req *r, uint8_t type, struct me_tlv_r *rd)
{
	if (me_tlv_open(rd, r->msg, type))
		return true;
	me_req_fail(r, QMI_PROTOCOL_ERROR_MISSING_ARGUMENT);
	return false;
}

/* What this modem's firmware has: uim-writes=off leaves out UIM Write Transparent / Write Record. */
static bool modem_offers(const struct me_modem *m, const struct me_service *svc, uint16_t id)
{
	bool writes_off = !g_strcmp0(m->cfg.uim_writes, "off");

	return !(writes_off && svc->id == QMI_SERVICE_UIM && (id == 0x0022 || id == 0x0023));
}

static const struct me_msg_handler *handler_find(const struct me_modem *m, const struct me_service *svc, uint16_t id)
{
	for (size_t i = 0; i < svc->n_handlers; i++)
		if (svc->handlers[i].id == id)
			return modem_offers(m, svc, id) ? &svc->handlers[i] : NULL;
	return NULL;
}

void me_modem_dispatch(struct me_modem *m, struct me_client *c, QmiMessage *msg)
{
	uint8_t service = qmi_message_get_service(msg);
	const struct me_service *svc = me_service_find(service);
	struct me_req *r;
	const struct me_msg_handler *h;

	if (m->muted) {
		ME_DEBUG("%s: muted: request %s 0x%04x not answered", m->name, svc ? svc->name : "?",
			 qmi_message_get_message_id(msg));
		return;
	}
	r = g_new0(struct me_req, 1);
	r->client = c;
	me_client_ref(c);
	r->modem = m;
	r->msg = qmi_message_ref(msg);
	if (service == QMI_SERVICE_CTL) {
		me_ctl_handle(r);
		return;
	}
	if (!svc) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_SERVICE_TYPE);
		return;
	}
	r->cid = me_modem_cid_get(m, service, qmi_message_get_client_id(msg));
	if (!r->cid) {
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID);
		return;
	}
	if (!r->cid->owner)
		r->cid->owner = c;   /* a disowned id taken again (libqmi's qmi-proxy does the same) */
	h = handler_find(m, svc, qmi_message_get_message_id(msg));
	if (!h) {
		ME_DEBUG("%s: %s message 0x%04x not supported", m->name, svc->name, qmi_message_get_message_id(msg));
		me_req_fail(r, QMI_PROTOCOL_ERROR_INVALID_QMI_COMMAND);
		return;
	}
	ME_DEBUG("%s: client %u %s %s (cid %u)", m->name, c->n, svc->name, h->name, r->cid->cid);
	h->fn(r);
}

void me_handle_supported_messages(struct me_req *r)
{
	const struct me_service *svc = me_service_find(qmi_message_get_service(r->msg));
	uint8_t mask[256 / 8 * 2] = { 0 };
	size_t len = 0;
	QmiMessage *resp = me_resp_new(r);
	struct me_tlv_w t;

	/* TLV 0x10: one bit per message id, bit n of byte n / 8 (libqmi: qmicli's "supported messages") */
	for (size_t i = 0; svc && i < svc->n_handlers; i++) {
		uint16_t id = svc->handlers[i].id;

		if (id / 8 >= sizeof(mask) || !modem_offers(r->modem, svc, id))
			continue;
		mask[id / 8] |= (uint8_t)(1u << (id % 8));
		if ((size_t)id / 8 + 1 > len)
			len = (size_t)id / 8 + 1;
	}
	me_tlv_begin(&t, resp, 0x10);
	me_tlv_bytes(&t, 2, mask, len);
	me_tlv_end(&t);
	me_req_finish(r, resp);
}

/* ---- registration, radio, card --------------------------------------------------------------------- */

bool me_modem_radio_allowed(struct me_modem *m)
{
	return m->operating_mode == QMI_DMS_OPERATING_MODE_ONLINE && m->radio_enabled &&
	       m->card.state == ME_CARD_READY && m->card.iccid[0];
}

enum me_reg_state me_modem_reg_state(struct me_modem *m)
{
	if (me_radio_attached(m->radio))
		return ME_REG_HOME;
	if (me_modem_radio_allowed(m) && me_radio_configured(m->radio))
		return ME_REG_SEARCHING;
	return ME_REG_OFF;
}

void me_modem_update_radio(struct me_modem *m)
{
	if (m->closing)
		return;
	me_radio_update(m->radio);
	me_modem_registration_changed(m);
}

void me_modem_registration_changed(struct me_modem *m)
{
	if (!m->closing)
		me_nas_registration_changed(m);
}

void me_modem_card_changed(struct me_modem *m)
{
	if (m->closing)
		return;
	me_uim_card_status_changed(m);
	me_modem_update_radio(m);
}

void me_modem_set_operating_mode(struct me_modem *m, uint8_t mode)
{
	if (mode == QMI_DMS_OPERATING_MODE_RESET) {
		/* power-cycle the SIM and the radio, then online again */
		ME_INFO("%s: reset", m->name);
		m->operating_mode = QMI_DMS_OPERATING_MODE_ONLINE;
		me_sim_set_inserted(m->sim, false);
		me_sim_set_inserted(m->sim, true);
		me_modem_update_radio(m);
		return;
	}
	m->operating_mode = mode;
	ME_INFO("%s: operating mode %s", m->name, qmi_dms_operating_mode_get_string(mode));
	me_modem_update_radio(m);
}

void me_modem_sim_insert(struct me_modem *m, bool inserted)
{
	ME_INFO("%s: SIM %s", m->name, inserted ? "inserted" : "removed");
	me_sim_set_inserted(m->sim, inserted);
	if (!inserted) {
		m->card.state = ME_CARD_ABSENT;
		me_modem_card_changed(m);
	}
}

void me_modem_radio(struct me_modem *m, bool up)
{
	ME_INFO("%s: radio %s", m->name, up ? "up" : "down");
	m->radio_enabled = up;
	me_modem_update_radio(m);
}

static const char *card_state_name(enum me_card_state s)
{
	static const char *const names[] = { "absent", "init", "ready", "error" };

	return names[s];
}

static const char *reg_state_name(enum me_reg_state s)
{
	static const char *const names[] = { "off", "searching", "home" };

	return names[s];
}

JsonNode *me_modem_status(struct me_modem *m)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *n;
	GHashTableIter it;
	gpointer v;
	unsigned stored_uim = 0, stored_nv = 0;

	for (unsigned i = 0; i < me_store_capacity(m->store, ME_STORE_UIM); i++)
		stored_uim += me_store_get(m->store, ME_STORE_UIM, i) != NULL;
	for (unsigned i = 0; i < me_store_capacity(m->store, ME_STORE_NV); i++)
		stored_nv += me_store_get(m->store, ME_STORE_NV, i) != NULL;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "path");
	json_builder_add_string_value(b, m->cfg.path);
	json_builder_set_member_name(b, "sim");
	json_builder_add_string_value(b, card_state_name(m->card.state));
	json_builder_set_member_name(b, "sim_pid");
	json_builder_add_int_value(b, me_sim_child_pid(m->sim));
	json_builder_set_member_name(b, "sim_starts");
	json_builder_add_int_value(b, me_sim_child_starts(m->sim));
	json_builder_set_member_name(b, "iccid");
	json_builder_add_string_value(b, m->card.iccid);
	json_builder_set_member_name(b, "imsi");
	json_builder_add_string_value(b, m->card.identities ? m->card.imsi : "");
	json_builder_set_member_name(b, "msisdn");
	json_builder_add_string_value(b, m->card.msisdn);
	json_builder_set_member_name(b, "pin1");
	json_builder_add_string_value(b, !m->card.pin1.known ? "unknown" : !m->card.pin1.enabled ? "disabled" :
				      m->card.pin1.verified ? "verified" : m->card.pin1.blocked ? "blocked" :
				      "required");
	json_builder_set_member_name(b, "registration");
	json_builder_add_string_value(b, reg_state_name(me_modem_reg_state(m)));
	json_builder_set_member_name(b, "operating_mode");
	json_builder_add_string_value(b, qmi_dms_operating_mode_get_string(m->operating_mode));
	json_builder_set_member_name(b, "muted");
	json_builder_add_boolean_value(b, m->muted);
	json_builder_set_member_name(b, "cids");
	json_builder_begin_array(b);
	g_hash_table_iter_init(&it, m->cids);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct me_cid *cid = v;

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "service");
		json_builder_add_string_value(b, me_service_find(cid->service)->name);
		json_builder_set_member_name(b, "cid");
		json_builder_add_int_value(b, cid->cid);
		json_builder_set_member_name(b, "client");
		json_builder_add_int_value(b, cid->owner ? cid->owner->n : 0);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "stored_uim");
	json_builder_add_int_value(b, stored_uim);
	json_builder_set_member_name(b, "stored_nv");
	json_builder_add_int_value(b, stored_nv);
	json_builder_set_member_name(b, "sms_pp_downloads");
	json_builder_add_int_value(b, me_fw_downloads(m->fw));
	json_builder_set_member_name(b, "proactive_commands");
	json_builder_add_int_value(b, me_fw_proactive_commands(m->fw));
	json_builder_set_member_name(b, "delivers");
	json_builder_add_int_value(b, me_radio_delivers(m->radio));
	json_builder_set_member_name(b, "submits");
	json_builder_add_int_value(b, me_radio_submits(m->radio));
	json_builder_end_object(b);
	n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

/* ---- the object ---------------------------------------------------------------------------------- */

struct me_modem *me_modem_find(struct me_server *srv, const char *path)
{
	char *real = realpath(path, NULL);

	for (guint i = 0; i < srv->modems->len; i++) {
		struct me_modem *m = srv->modems->pdata[i];
		char *mreal;
		bool same = !strcmp(m->cfg.path, path);

		if (!same && real && (mreal = realpath(m->cfg.path, NULL))) {
			/* libqmi's qmi-proxy keys devices by their real path: symlinks name the same modem */
			same = !strcmp(mreal, real);
			free(mreal);
		}
		if (same) {
			free(real);
			return m;
		}
	}
	free(real);
	return NULL;
}

struct me_modem *me_modem_new(struct me_server *srv, const struct me_modem_config *cfg, unsigned index)
{
	struct me_modem *m = g_new0(struct me_modem, 1);

	m->srv = srv;
	m->cfg = *cfg;
	m->index = index;
	m->name = g_strdup(cfg->path);
	m->cids = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	m->operating_mode = QMI_DMS_OPERATING_MODE_ONLINE;
	m->radio_enabled = true;
	m->fw = me_fw_new(m);
	m->sim = me_sim_new(m, &me_fw_sim_ops, m->fw);
	m->radio = me_radio_new(m);
	m->store = me_store_new(m);
	m->wms = me_wms_new(m);
	m->nas = me_nas_new(m);
	m->cat = me_cat_new(m);
	return m;
}

void me_modem_start(struct me_modem *m)
{
	me_sim_set_inserted(m->sim, true);
}

void me_modem_free(struct me_modem *m)
{
	if (!m)
		return;
	m->closing = true;
	me_sim_free(m->sim);
	me_radio_free(m->radio);
	me_wms_free(m->wms);
	me_nas_free(m->nas);
	me_cat_free(m->cat);
	me_store_free(m->store);
	me_fw_free(m->fw);
	g_hash_table_destroy(m->cids);
	me_modem_config_clear(&m->cfg);
	g_free(m->name);
	g_free(m);
}
