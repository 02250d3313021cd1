/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/compiler.h"
#include "ostd/config.h"
#include "ostd/panic.h"

/*
 * The four assertion macros of OSTD-C (see ../shared/STYLE.md):
 * - STATIC_ASSERT(cond, "msg"): compile time.
 * - CHECK(cond): always on; for states where continuing is unsafe, never for
 *   external input. Panics with the expression, file and line.
 * - ASSERT(cond): like CHECK, compiled in only with CONFIG_ASSERT.
 * - CHECKIF(cond): argument validation: `CHECKIF(len == 0) { return ...; }`.
 * Under UNIT_TESTING (the host build) CHECK and ASSERT route to CMocka's
 * mock_assert(), so a test can expect an assertion to fire.
 */

#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

#ifdef UNIT_TESTING
void mock_assert(const int result, const char *const expression,
		 const char *const file, const int line);
#define CHECK(cond) mock_assert((int)!!(cond), #cond, __FILE__, __LINE__)
#else
#define CHECK(cond)                                                           \
	do {                                                                  \
		if (unlikely(!(cond))) {                                      \
			ostd_panic_at(__FILE__, __LINE__, "CHECK failed: %s", \
				      #cond);                                 \
		}                                                             \
	} while (0)
#endif

#define ASSERT(cond)                             \
	do {                                     \
		if (IS_ENABLED(CONFIG_ASSERT)) { \
			CHECK(cond);             \
		}                                \
	} while (0)

#define CHECKIF(cond) if (unlikely(cond))
