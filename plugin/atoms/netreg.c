// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netreg atom driver, from the network backend (net.h): netsim is
 * "registered" while its link is up and "searching" while it is being
 * (re)connected; qmi says what the modem's NAS service says (registered,
 * roaming, searching, denied; the serving network; the signal), from its
 * indications.  "Not registered" when the modem is offline or has no
 * network.  oFono core only lets a card's SEND SHORT MESSAGE out once
 * registered (doc/plugin.md).  The operator is the serving network the
 * backend reports, else the home network of the card's IMSI.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <string.h>

#include <ofono/modem.h>
#include <ofono/netreg.h>
#include <ofono/sim.h>

#include "stkbridge.h"
#include "net/net.h"

struct sb_netreg {
	struct sb_modem *md;
	struct ofono_netreg *netreg;
	guint register_id;
	bool registered;          /* atom registered with the core */
	int last_strength;
};

/* The backend's registration; not registered while the modem is offline. */
static void current(struct sb_modem *md, struct sb_net_reg *reg)
{
	sb_net_get_reg(md->online ? md->net : NULL, reg);
}

static bool on_network(const struct sb_net_reg *reg)
{
	return reg->status == SB_NET_REGISTERED || reg->status == SB_NET_ROAMING;
}

void sb_netreg_link_changed(struct sb_modem *md)
{
	struct sb_netreg *nd = md->netreg_data;
	struct sb_net_reg reg;

	if (!nd || !nd->registered)
		return;
	current(md, &reg);
	ofono_netreg_status_notify(nd->netreg, (int)reg.status, -1, -1, reg.tech);
	if (reg.strength != nd->last_strength) {
		nd->last_strength = reg.strength;
		ofono_netreg_strength_notify(nd->netreg, reg.strength);
	}
}

static void sb_registration_status(struct ofono_netreg *netreg, ofono_netreg_status_cb_t cb, void *data)
{
	struct sb_netreg *nd = ofono_netreg_get_data(netreg);
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	struct sb_net_reg reg;

	current(nd->md, &reg);
	cb(&e, (int)reg.status, -1, -1, reg.tech, data);
}

/* The serving network as the backend reports it, else the home network of the card's IMSI. */
static void fill_operator(struct sb_netreg *nd, const struct sb_net_reg *reg, struct ofono_network_operator *op)
{
	struct ofono_sim *sim = nd->md->sim;
	const char *mcc = sim ? ofono_sim_get_mcc(sim) : NULL;
	const char *mnc = sim ? ofono_sim_get_mnc(sim) : NULL;

	memset(op, 0, sizeof(*op));
	g_strlcpy(op->name, reg->name[0] ? reg->name : "stkbridge", sizeof(op->name));
	if (reg->mcc[0] && reg->mnc[0]) {
		g_strlcpy(op->mcc, reg->mcc, sizeof(op->mcc));
		g_strlcpy(op->mnc, reg->mnc, sizeof(op->mnc));
	} else {
		g_strlcpy(op->mcc, mcc ? mcc : "001", sizeof(op->mcc));
		g_strlcpy(op->mnc, mnc ? mnc : "01", sizeof(op->mnc));
	}
	op->status = 2;      /* current */
	op->tech = reg->tech;
}

static void sb_current_operator(struct ofono_netreg *netreg, ofono_netreg_operator_cb_t cb, void *data)
{
	struct sb_netreg *nd = ofono_netreg_get_data(netreg);
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	struct ofono_network_operator op;
	struct sb_net_reg reg;

	current(nd->md, &reg);
	if (!on_network(&reg)) {
		cb(&e, NULL, data);
		return;
	}
	fill_operator(nd, &reg, &op);
	cb(&e, &op, data);
}

static void sb_list_operators(struct ofono_netreg *netreg, ofono_netreg_operator_list_cb_t cb, void *data)
{
	struct sb_netreg *nd = ofono_netreg_get_data(netreg);
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	struct ofono_network_operator op;
	struct sb_net_reg reg;

	current(nd->md, &reg);
	fill_operator(nd, &reg, &op);
	cb(&e, 1, &op, data);
}

static void sb_register_auto(struct ofono_netreg *netreg, ofono_netreg_register_cb_t cb, void *data)
{
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };

	cb(&e, data);
}

static void sb_register_manual(struct ofono_netreg *netreg, const char *mcc, const char *mnc,
			       ofono_netreg_register_cb_t cb, void *data)
{
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };

	cb(&e, data);
}

static void sb_strength(struct ofono_netreg *netreg, ofono_netreg_strength_cb_t cb, void *data)
{
	struct sb_netreg *nd = ofono_netreg_get_data(netreg);
	struct ofono_error e = { .type = OFONO_ERROR_TYPE_NO_ERROR };
	struct sb_net_reg reg;

	current(nd->md, &reg);
	nd->last_strength = on_network(&reg) ? reg.strength : -1;
	cb(&e, nd->last_strength, data);
}

static gboolean netreg_register_cb(gpointer p)
{
	struct sb_netreg *nd = p;

	nd->register_id = 0;
	ofono_netreg_register(nd->netreg);
	nd->registered = true;
	return G_SOURCE_REMOVE;
}

static int sb_netreg_probe(struct ofono_netreg *netreg, unsigned int vendor, void *data)
{
	struct sb_modem *md = data;
	struct sb_netreg *nd = g_new0(struct sb_netreg, 1);

	nd->md = md;
	nd->netreg = netreg;
	nd->last_strength = -1;
	md->netreg = netreg;
	md->netreg_data = nd;
	ofono_netreg_set_data(netreg, nd);
	nd->register_id = g_idle_add(netreg_register_cb, nd);
	return 0;
}

static void sb_netreg_remove(struct ofono_netreg *netreg)
{
	struct sb_netreg *nd = ofono_netreg_get_data(netreg);

	ofono_netreg_set_data(netreg, NULL);
	if (nd->register_id)
		g_source_remove(nd->register_id);
	if (nd->md->netreg_data == nd) {
		nd->md->netreg_data = NULL;
		nd->md->netreg = NULL;
	}
	g_free(nd);
}

static const struct ofono_netreg_driver sb_netreg_driver = {
	.name = SB_DRIVER,
	.probe = sb_netreg_probe,
	.remove = sb_netreg_remove,
	.registration_status = sb_registration_status,
	.current_operator = sb_current_operator,
	.list_operators = sb_list_operators,
	.register_auto = sb_register_auto,
	.register_manual = sb_register_manual,
	.strength = sb_strength,
};

int sb_netreg_driver_register(void)
{
	return ofono_netreg_driver_register(&sb_netreg_driver);
}

void sb_netreg_driver_unregister(void)
{
	ofono_netreg_driver_unregister(&sb_netreg_driver);
}
