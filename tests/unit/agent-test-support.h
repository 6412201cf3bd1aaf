/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the agent's unit tests share. */
#ifndef STKBRIDGE_AGENT_TEST_SUPPORT_H
#define STKBRIDGE_AGENT_TEST_SUPPORT_H

#include <glib.h>

#include "request.h"

/* Builds a request from a GVariant (floating or not; consumed) as the D-Bus layer does; asserts it decodes. */
void agent_make_request(struct stkagent_request *req, const char *method, GVariant *params);

#endif
