/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SB_STK_PROFILE_H
#define SB_STK_PROFILE_H

#include <stddef.h>
#include <stdint.h>

/* The TERMINAL PROFILE the plugin downloads (TS 102 223 §5.2, TS 31.111 §5.2). */
const uint8_t *sb_stk_terminal_profile(size_t *len);

#endif
