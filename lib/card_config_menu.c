/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The toolkit menu of a card config (doc/card-config.md "Menu"):
 *
 *   [menu]
 *   title=stkbridge                    alpha identifier of SET UP MENU (TS 102 223 §6.4.8)
 *
 *   [menu-item N]                      N: the item identifier (TS 102 223 §8.9), 1-255
 *   text=Your name                     the item's text
 *   help=Says hello                    optional: the answer to a help request (§7.3.2)
 *   step1=input:Your name?             a scripted session: DISPLAY TEXT, GET INPUT, SELECT ITEM
 *   step2=display:Hello, $1!           ($N: the answer of step N)
 *   applet=deferred@defe01             or: the item belongs to that applet instance
 *
 * Items are listed in the order of their identifiers.  Errors name the
 * file, the group and the key.
 */
#include <stdlib.h>
#include <string.h>

#include "card_config_internal.h"
#include "simota/hex.h"

#define MENU_GROUP "menu"
#define ITEM_PREFIX "menu-item"
#define TEXT_MAX 240                  /* a text that still fits one proactive command */

static void item_clear(struct simota_card_menu_item *it)
{
	g_free(it->text);
	g_free(it->help);
	g_free(it->applet);
	for (unsigned k = 0; k < it->n_steps; k++) {
		g_free(it->steps[k].text);
		for (unsigned o = 0; o < it->steps[k].n_options; o++)
			g_free(it->steps[k].options[o]);
		g_free(it->steps[k].options);
	}
	g_free(it->steps);
}

void cc_menu_free(struct simota_card_menu *m)
{
	if (!m)
		return;
	g_free(m->title);
	for (unsigned i = 0; i < m->n_items; i++)
		item_clear(&m->items[i]);
	g_free(m->items);
	g_free(m);
}

struct simota_card_menu *cc_menu_dup(const struct simota_card_menu *m)
{
	struct simota_card_menu *c;

	if (!m)
		return NULL;
	c = g_new0(struct simota_card_menu, 1);
	c->title = g_strdup(m->title);
	c->n_items = m->n_items;
	c->items = g_new0(struct simota_card_menu_item, m->n_items);
	for (unsigned i = 0; i < m->n_items; i++) {
		const struct simota_card_menu_item *from = &m->items[i];
		struct simota_card_menu_item *it = &c->items[i];

		it->id = from->id;
		it->text = g_strdup(from->text);
		it->help = g_strdup(from->help);
		it->applet = g_strdup(from->applet);
		it->n_steps = from->n_steps;
		it->steps = g_new0(struct simota_card_menu_step, from->n_steps);
		for (unsigned k = 0; k < from->n_steps; k++) {
			it->steps[k].kind = from->steps[k].kind;
			it->steps[k].text = g_strdup(from->steps[k].text);
			it->steps[k].n_options = from->steps[k].n_options;
			it->steps[k].options = g_new0(char *, from->steps[k].n_options + 1);
			for (unsigned o = 0; o < from->steps[k].n_options; o++)
				it->steps[k].options[o] = g_strdup(from->steps[k].options[o]);
		}
	}
	return c;
}

/* A text key: 1 to TEXT_MAX bytes of UTF-8; absent: *out stays NULL (an error when required). */
static bool get_menu_text(struct cc_parser *p, const char *group, const char *key, bool required, char **out)
{
	char *v = cc_get_value(p, group, key);
	bool ok = true;

	*out = NULL;
	if (!v || !*v) {
		g_free(v);
		return required ? cc_fail(p, group, key, "missing") : true;
	}
	if (!g_utf8_validate(v, -1, NULL))
		ok = cc_fail(p, group, key, "not valid UTF-8");
	else if (strlen(v) > TEXT_MAX)
		ok = cc_fail(p, group, key, "longer than %d bytes", TEXT_MAX);
	if (ok)
		*out = v;
	else
		g_free(v);
	return ok;
}

/* $N in text: N from 1 to `before` (an earlier step that answered); "$$" is a '$'. */
static bool check_refs(struct cc_parser *p, const char *group, const char *key, const char *text,
		       const struct simota_card_menu_item *it, unsigned before)
{
	for (const char *c = text; *c; c++) {
		unsigned n;

		if (*c != '$')
			continue;
		if (c[1] == '$') {
			c++;
			continue;
		}
		n = (unsigned)(c[1] - '0');
		if (before == 0)
			return cc_fail(p, group, key, "$%c: the first step has no earlier answer ($$ for a '$')",
				       c[1] ? c[1] : ' ');
		if (c[1] < '1' || c[1] > '9' || n > before)
			return cc_fail(p, group, key, "$%c: expected $1 to $%u (an earlier step) or $$", c[1] ? c[1] : ' ',
				       before);
		if (it->steps[n - 1].kind == SIMOTA_CARD_STEP_DISPLAY)
			return cc_fail(p, group, key, "$%u: step %u is a display, it has no answer", n, n);
	}
	return true;
}

/* "display:TEXT", "input:PROMPT", "select:TITLE|OPTION|OPTION..." */
static bool parse_step(struct cc_parser *p, const char *group, const char *key, char *v,
		       struct simota_card_menu_item *it, unsigned index)
{
	struct simota_card_menu_step *st = &it->steps[index];
	char *body = strchr(v, ':');

	if (!body)
		return cc_fail(p, group, key, "expected display:TEXT, input:PROMPT or select:TITLE|OPTION|...");
	*body++ = '\0';
	if (!strcmp(v, "display"))
		st->kind = SIMOTA_CARD_STEP_DISPLAY;
	else if (!strcmp(v, "input"))
		st->kind = SIMOTA_CARD_STEP_INPUT;
	else if (!strcmp(v, "select"))
		st->kind = SIMOTA_CARD_STEP_SELECT;
	else
		return cc_fail(p, group, key, "unknown step \"%s\" (display, input, select)", v);
	if (st->kind == SIMOTA_CARD_STEP_SELECT) {
		char **parts = g_strsplit(body, "|", -1);
		guint n = g_strv_length(parts);
		bool ok = true;

		if (n < 2 || n > 1 + SIMOTA_CARD_MAX_SELECT_OPTIONS)
			ok = cc_fail(p, group, key, "expected a title and 1 to %d options separated by |",
				     SIMOTA_CARD_MAX_SELECT_OPTIONS);
		for (guint i = 1; ok && i < n; i++)
			if (!*g_strstrip(parts[i]))
				ok = cc_fail(p, group, key, "option %u is empty", i);
		if (ok) {
			st->text = g_strdup(g_strstrip(parts[0]));
			st->options = g_new0(char *, n);
			for (guint i = 1; i < n; i++)
				st->options[st->n_options++] = g_strdup(parts[i]);
		}
		g_strfreev(parts);
		if (!ok)
			return false;
	} else {
		st->text = g_strdup(g_strstrip(body));
	}
	if (!*st->text)
		return cc_fail(p, group, key, "empty text");
	return check_refs(p, group, key, st->text, it, index);
}

/* step1, step2, ... with no gap. */
static bool parse_steps(struct cc_parser *p, const char *group, struct simota_card_menu_item *it)
{
	it->steps = g_new0(struct simota_card_menu_step, SIMOTA_CARD_MAX_MENU_STEPS);
	for (unsigned i = 0; i < SIMOTA_CARD_MAX_MENU_STEPS + 1; i++) {
		char key[16];
		char *v;
		bool ok;

		g_snprintf(key, sizeof(key), "step%u", i + 1);
		v = cc_get_value(p, group, key);
		if (!v || !*v) {
			g_free(v);
			break;
		}
		if (i == SIMOTA_CARD_MAX_MENU_STEPS) {
			g_free(v);
			return cc_fail(p, group, key, "more than %d steps", SIMOTA_CARD_MAX_MENU_STEPS);
		}
		ok = g_utf8_validate(v, -1, NULL) && strlen(v) <= TEXT_MAX + 8 ? true :
			cc_fail(p, group, key, "not valid UTF-8 or longer than %d bytes", TEXT_MAX);
		ok = ok && parse_step(p, group, key, v, it, i);
		g_free(v);
		it->n_steps = i + 1;
		if (!ok)
			return false;
	}
	for (unsigned i = it->n_steps + 1; i <= SIMOTA_CARD_MAX_MENU_STEPS; i++) {
		char key[16];

		g_snprintf(key, sizeof(key), "step%u", i);
		if (g_key_file_has_key(p->kf, group, key, NULL))
			return cc_fail(p, group, key, "step%u is missing before it", it->n_steps + 1);
	}
	/* only what the item has */
	it->steps = g_renew(struct simota_card_menu_step, it->steps, it->n_steps ? it->n_steps : 1);
	return true;
}

/* applet=<name>@<tar>: an applet with a menu item, on a [tar] of this file. */
static bool check_applet(struct cc_parser *p, const char *group, const struct simota_card_config *cfg,
			 const char *v)
{
	const char *at = strchr(v, '@');
	char name[32];
	uint8_t tar[3];
	size_t n;
	const struct simota_card_applet *applet;
	const struct simota_card_tar *tc;

	if (!at || (size_t)(at - v) >= sizeof(name) || strlen(at + 1) != 6 ||
	    !g_ascii_isxdigit(at[1]) || simota_hex_decode(at + 1, tar, 3, &n) != SIMOTA_OK || n != 3)
		return cc_fail(p, group, "applet", "expected <applet>@<tar>, e.g. deferred@defe01");
	memcpy(name, v, (size_t)(at - v));
	name[at - v] = '\0';
	applet = simota_card_applet_find(name);
	if (!applet || !applet->menu)
		return cc_fail(p, group, "applet", "\"%s\" has no menu item (applets with one: deferred)", name);
	tc = simota_card_config_tar(cfg, tar);
	if (!tc || strcmp(tc->applet, name))
		return cc_fail(p, group, "applet", "no [tar %s] with applet=%s in this file", at + 1, name);
	return true;
}

static bool parse_item(struct cc_parser *p, const char *group, unsigned id, const struct simota_card_config *cfg,
		       struct simota_card_menu_item *it)
{
	static const char *const known[] = {
		"text", "help", "applet", "step1", "step2", "step3", "step4", "step5", "step6", "step7", "step8",
		"step9", NULL
	};

	if (!cc_check_known_keys(p, group, known))
		return false;
	it->id = (uint8_t)id;
	if (!get_menu_text(p, group, "text", true, &it->text) || !get_menu_text(p, group, "help", false, &it->help))
		return false;
	it->applet = cc_get_value(p, group, "applet");
	if (it->applet && !*it->applet) {
		g_free(it->applet);
		it->applet = NULL;
	}
	if (!parse_steps(p, group, it))
		return false;
	if (it->applet && it->n_steps)
		return cc_fail(p, group, "applet", "an item has an applet or steps, not both");
	if (!it->applet && !it->n_steps)
		return cc_fail(p, group, NULL, "give applet=<applet>@<tar> or step1=...");
	return !it->applet || check_applet(p, group, cfg, it->applet);
}

static int compare_items(const void *a, const void *b)
{
	return (int)((const struct simota_card_menu_item *)a)->id - (int)((const struct simota_card_menu_item *)b)->id;
}

bool cc_parse_menu(struct cc_parser *p, struct simota_card_config *cfg)
{
	static const char *const known[] = { "title", NULL };
	char **groups = g_key_file_get_groups(p->kf, NULL);
	struct simota_card_menu *m = g_new0(struct simota_card_menu, 1);
	bool has_menu = g_key_file_has_group(p->kf, MENU_GROUP), ok = true;
	bool seen[256] = { false };

	m->items = g_new0(struct simota_card_menu_item, SIMOTA_CARD_MAX_MENU_ITEMS);
	for (char **g = groups; ok && *g; g++) {
		guint64 id;

		if (!g_str_has_prefix(*g, ITEM_PREFIX))
			continue;
		if ((*g)[strlen(ITEM_PREFIX)] != ' ' ||
		    !g_ascii_string_to_unsigned(*g + strlen(ITEM_PREFIX) + 1, 10, 1, 255, &id, NULL))
			ok = cc_fail(p, *g, NULL, "expected [menu-item N] with an item identifier N from 1 to 255");
		else if (!has_menu)
			ok = cc_fail(p, *g, NULL, "no [menu] group");
		else if (seen[id])
			ok = cc_fail(p, *g, NULL, "item %u defined twice", (unsigned)id);
		else if (m->n_items == SIMOTA_CARD_MAX_MENU_ITEMS)
			ok = cc_fail(p, *g, NULL, "more than %d menu items", SIMOTA_CARD_MAX_MENU_ITEMS);
		else
			ok = parse_item(p, *g, (unsigned)id, cfg, &m->items[m->n_items++]);
		if (ok)
			seen[id] = true;
	}
	if (ok && has_menu) {
		ok = cc_check_known_keys(p, MENU_GROUP, known) && get_menu_text(p, MENU_GROUP, "title", true, &m->title);
		if (ok && m->n_items == 0)
			ok = cc_fail(p, MENU_GROUP, NULL, "no [menu-item N] group");
	}
	g_strfreev(groups);
	if (!ok || !has_menu) {
		cc_menu_free(m);
		return ok;
	}
	qsort(m->items, m->n_items, sizeof(m->items[0]), compare_items);
	m->items = g_renew(struct simota_card_menu_item, m->items, m->n_items);
	cfg->menu = m;
	return true;
}
