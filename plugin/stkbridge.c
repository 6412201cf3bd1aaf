// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stkbridge: an oFono 1.x plugin whose modems bridge a UICC backend (the
 * card) and a network backend (SMS), so that SIM toolkit sessions and OTA
 * SMS-PP data download run end to end (doc/plugin.md).
 *
 * init: registers the modem and atom drivers, reads the config file
 * (/etc/ofono/stkbridge.conf or $STKBRIDGE_CONFIG) and creates one modem per
 * valid group.  A bad group is logged naming the group and the key; the
 * other modems still come up.
 */
#define OFONO_API_SUBJECT_TO_CHANGE
#include <errno.h>
#include <stdlib.h>

#include <ofono/log.h>
#include <ofono/modem.h>
#include <ofono/plugin.h>
#include <ofono/version.h>

#include "stkbridge.h"

#define DEFAULT_CONFIG "/etc/ofono/stkbridge.conf"

static GSList *modems;     /* struct ofono_modem * we created */

const char *sb_config_path(void)
{
	const char *env = getenv("STKBRIDGE_CONFIG");

	return env && *env ? env : DEFAULT_CONFIG;
}

/*
 * The plugin's code without ofonod (config, links, the card service) logs
 * with GLib in the "stkbridge" domain; its debug lines join oFono's, shown
 * with ofonod -d like the atoms' own DBG lines.
 */
static guint core_debug_handler;

static void core_debug(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
	DBG("%s", message);
}

static void create_modem(const struct sb_modem_conf *conf)
{
	struct ofono_modem *modem = ofono_modem_create(conf->name, SB_DRIVER);
	struct sb_modem *md;
	int err;

	if (!modem) {
		ofono_error("stkbridge: [%s]: cannot create the modem (name in use?)", conf->name);
		return;
	}
	md = sb_modem_new(conf);
	ofono_modem_set_data(modem, md);
	ofono_modem_set_name(modem, conf->name);
	err = ofono_modem_register(modem);
	if (err < 0) {
		ofono_error("stkbridge: [%s]: modem registration failed (%d)", conf->name, err);
		ofono_modem_set_data(modem, NULL);
		ofono_modem_remove(modem);
		/* remove() was not called on an unprobed modem: free ours */
		g_free(md->conf->name);
		sb_uicc_addr_clear(&md->conf->uicc);
		sb_net_addr_clear(&md->conf->net);
		g_free(md->conf);
		g_free(md);
		return;
	}
	ofono_info("stkbridge: modem %s: card %s%s%s", conf->name, md->conf->uicc.path,
		   conf->net.kind == SB_NET_NONE ? ", no network" : ", network ",
		   conf->net.kind == SB_NET_NETSIM_UNIX ? conf->net.path :
		   conf->net.kind == SB_NET_NETSIM_TCP ? conf->net.host : "");
	modems = g_slist_prepend(modems, modem);
}

static int stkbridge_init(void)
{
	const char *path = sb_config_path();
	struct sb_config *cfg;
	int err;

	err = sb_modem_driver_register();
	if (err < 0)
		return err;
	core_debug_handler = g_log_set_handler(G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, core_debug, NULL);
	sb_sim_driver_register();
	sb_stk_driver_register();
	sb_sms_driver_register();
	sb_netreg_driver_register();

	cfg = sb_config_load(path);
	for (guint i = 0; i < cfg->errors->len; i++)
		ofono_error("stkbridge: %s", (const char *)g_ptr_array_index(cfg->errors, i));
	for (guint i = 0; i < cfg->warnings->len; i++)
		ofono_warn("stkbridge: %s", (const char *)g_ptr_array_index(cfg->warnings, i));
	for (guint i = 0; i < cfg->modems->len; i++)
		create_modem(g_ptr_array_index(cfg->modems, i));
	ofono_info("stkbridge: %u modem(s) from %s", g_slist_length(modems), path);
	sb_config_free(cfg);
	return 0;
}

static void stkbridge_exit(void)
{
	for (GSList *l = modems; l; l = l->next)
		ofono_modem_remove(l->data);
	g_slist_free(modems);
	modems = NULL;
	sb_netreg_driver_unregister();
	sb_sms_driver_unregister();
	sb_stk_driver_unregister();
	sb_sim_driver_unregister();
	sb_modem_driver_unregister();
	if (core_debug_handler)
		g_log_remove_handler(G_LOG_DOMAIN, core_debug_handler);
	core_debug_handler = 0;
}

OFONO_PLUGIN_DEFINE(stkbridge, "SIM toolkit / OTA bridge to a UICC and an SMS network backend", OFONO_VERSION,
		    OFONO_PLUGIN_PRIORITY_DEFAULT, stkbridge_init, stkbridge_exit)
