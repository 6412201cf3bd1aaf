/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "agent-test-support.h"

void agent_make_request(struct stkagent_request *req, const char *method, GVariant *params)
{
	enum stkagent_method m;
	GError *error = NULL;

	g_assert_true(stkagent_method_lookup(method, &m));
	g_variant_ref_sink(params);
	g_assert_true(stkagent_request_init(req, m, params, &error));
	g_assert_no_error(error);
	g_variant_unref(params);
}
