/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The one test macro layer. Tests are written once against these macros and
 * run in two places:
 * - on the host, where the macros map onto CMocka (built with ASan and
 *   UBSan) and a failed assertion aborts the test through CMocka;
 * - in every kernel image, where a tiny runner prints one line per test and a
 *   closing "N passed, N failed", and a failed assertion prints the file,
 *   line and values and returns from the test.
 *
 * A test is `TEST(suite, name) { ... }`. Assertions may only be used in the
 * test body itself, since on the kernel side they `return` from it.
 */

#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/config.h"

struct ostd_test_case {
	const char *suite;
	const char *name;
	void (*fn)(void);
};

/*
 * Test cases are collected in the `ostd_tests` section. Its name is a C
 * identifier, so the linker defines __start_/__stop_ symbols around it and
 * ASan leaves its objects without redzones, keeping the array dense.
 */
#define OSTD_TEST_SECTION "ostd_tests"

#define TEST(suite, name)                                                      \
	static void test_##suite##_##name(void);                               \
	static const struct ostd_test_case test_case_##suite##_##name SECTION( \
		OSTD_TEST_SECTION)                                             \
		USED ALIGNED(8) = { #suite, #name, test_##suite##_##name };    \
	static void test_##suite##_##name(void)

extern const struct ostd_test_case __start_ostd_tests[];
extern const struct ostd_test_case __stop_ostd_tests[];

#ifdef UNIT_TESTING

/* CMocka needs these headers in this order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define ASSERT_TRUE(x) assert_true(x)
#define ASSERT_FALSE(x) assert_false(x)
#define ASSERT_EQ(a, b) assert_int_equal((uint64_t)(a), (uint64_t)(b))
#define ASSERT_NE(a, b) assert_int_not_equal((uint64_t)(a), (uint64_t)(b))
#define ASSERT_STREQ(a, b) assert_string_equal((a), (b))
#define ASSERT_LE(a, b) assert_true((a) <= (b))
#define ASSERT_LT(a, b) assert_true((a) < (b))
#define ASSERT_GE(a, b) assert_true((a) >= (b))
#define ASSERT_GT(a, b) assert_true((a) > (b))

#else /* !UNIT_TESTING: the in-kernel runner */

void ostd_test_fail(const char *file, int line, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
int ostd_test_strcmp(const char *a, const char *b);

#define OSTD_TEST_CHECK_(cond, ...)                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			ostd_test_fail(__FILE__, __LINE__, __VA_ARGS__); \
			return;                                          \
		}                                                        \
	} while (0)

#define ASSERT_TRUE(x) OSTD_TEST_CHECK_((x), "%s is false", #x)
#define ASSERT_FALSE(x) OSTD_TEST_CHECK_(!(x), "%s is true", #x)
#define OSTD_TEST_CMP_(a, op, b)                                             \
	do {                                                                 \
		uint64_t a_ = (uint64_t)(a);                                 \
		uint64_t b_ = (uint64_t)(b);                                 \
		OSTD_TEST_CHECK_(a_ op b_, "%s %s %s: 0x%llx vs 0x%llx", #a, \
				 #op, #b, (unsigned long long)a_,            \
				 (unsigned long long)b_);                    \
	} while (0)
#define ASSERT_EQ(a, b) OSTD_TEST_CMP_(a, ==, b)
#define ASSERT_NE(a, b) OSTD_TEST_CMP_(a, !=, b)
#define ASSERT_STREQ(a, b)                                                 \
	do {                                                               \
		const char *a_ = (a);                                      \
		const char *b_ = (b);                                      \
		OSTD_TEST_CHECK_(ostd_test_strcmp(a_, b_) == 0,            \
				 "%s == %s: \"%s\" vs \"%s\"", #a, #b, a_, \
				 b_);                                      \
	} while (0)
#define ASSERT_LE(a, b) OSTD_TEST_CHECK_((a) <= (b), "%s <= %s", #a, #b)
#define ASSERT_LT(a, b) OSTD_TEST_CHECK_((a) < (b), "%s < %s", #a, #b)
#define ASSERT_GE(a, b) OSTD_TEST_CHECK_((a) >= (b), "%s >= %s", #a, #b)
#define ASSERT_GT(a, b) OSTD_TEST_CHECK_((a) > (b), "%s > %s", #a, #b)

#endif /* UNIT_TESTING */
