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
 * A test is `TEST(suite, name) { ... }`. Assertions (ASSERT_*) are fatal
 * and may only be used in the test body itself, since on the kernel side
 * they `return` from it. Expectations (EXPECT_*, as gtest's) are not: a
 * failed one prints the file, line and values, marks the running test
 * failed and lets it go on, so helpers may use them too.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/config.h"

/*
 * A parameter set: a test declared with TEST_EACH runs once per parameter
 * and is listed once per parameter, as "suite.name[param]".
 */
struct ostd_test_params {
	unsigned int (*count)(void);
	const void *(*get)(unsigned int index);
	const char *(*name)(unsigned int index);
};

struct ostd_test_case {
	const char *suite;
	const char *name;
	void (*fn)(void);
	/* For TEST_EACH: the body, and the parameters to run it with. */
	void (*fn_param)(const void *param);
	const struct ostd_test_params *params;
};

/* The parameter set of every page-table format this build has. */
extern const struct ostd_test_params ostd_test_pt_formats;

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
		USED ALIGNED(8) = { #suite, #name, test_##suite##_##name,      \
				    NULL, NULL };                              \
	static void test_##suite##_##name(void)

/*
 * `TEST_EACH(suite, name, params, type, var) { ... }` runs the body once per
 * parameter in @p params, with `type var` bound to it.
 */
#define TEST_EACH(suite, name, params, type, var)                              \
	static void test_##suite##_##name(type var);                           \
	static void test_##suite##_##name##_thunk(const void *p)               \
	{                                                                      \
		test_##suite##_##name((type)p);                                \
	}                                                                      \
	static const struct ostd_test_case test_case_##suite##_##name SECTION( \
		OSTD_TEST_SECTION) USED ALIGNED(8) = {                         \
		#suite, #name, NULL, test_##suite##_##name##_thunk, &(params)  \
	};                                                                     \
	static void test_##suite##_##name(type var)

/* A test run once per page-table format, with `cfg` bound to it. */
#define TEST_FORMAT(suite, name)                                               \
	TEST_EACH(suite, name, ostd_test_pt_formats, const struct pt_config *, \
		  cfg)

/* Runs case @p t with parameter @p index (ignored for plain tests). */
static inline void ostd_test_run_case(const struct ostd_test_case *t,
				      unsigned int index)
{
	if (t->params == NULL) {
		t->fn();
	} else {
		t->fn_param(t->params->get(index));
	}
}

/* How many runs case @p t makes. */
static inline unsigned int ostd_test_runs(const struct ostd_test_case *t)
{
	return t->params == NULL ? 1 : t->params->count();
}

extern const struct ostd_test_case __start_ostd_tests[];
extern const struct ostd_test_case __stop_ostd_tests[];

/*
 * Reports a failed expectation at @p file:@p line and marks the running
 * test failed; each runner (test/harness) has its own.
 */
void ostd_test_expect_failed(const char *file, int line, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

enum ostd_test_op {
	OSTD_TEST_EQ,
	OSTD_TEST_NE,
	OSTD_TEST_LE,
	OSTD_TEST_LT,
	OSTD_TEST_GE,
	OSTD_TEST_GT,
};

static inline bool ostd_test_expect_true(const char *file, int line, bool ok,
					 const char *what)
{
	if (!ok) {
		ostd_test_expect_failed(file, line, "expected %s", what);
	}
	return ok;
}

static inline bool ostd_test_expect_cmp(const char *file, int line,
					enum ostd_test_op op, const char *a_str,
					const char *b_str, uint64_t a,
					uint64_t b)
{
	static const char *const names[] = { "==", "!=", "<=", "<", ">=", ">" };
	bool ok = op == OSTD_TEST_EQ   ? a == b
		  : op == OSTD_TEST_NE ? a != b
		  : op == OSTD_TEST_LE ? a <= b
		  : op == OSTD_TEST_LT ? a < b
		  : op == OSTD_TEST_GE ? a >= b
				       : a > b;

	if (!ok) {
		ostd_test_expect_failed(
			file, line, "expected %s %s %s: 0x%llx vs 0x%llx",
			a_str, names[op], b_str, (unsigned long long)a,
			(unsigned long long)b);
	}
	return ok;
}

/*
 * Soft expectations: each evaluates its operands once and is an
 * expression, true if it held, so a helper can still stop where going on
 * makes no sense: `if (!EXPECT_EQ(setup(), OSTD_OK)) goto out;`. Operands
 * compare as uint64_t, as ASSERT_EQ's do on the host.
 */
#define EXPECT_TRUE(x) ostd_test_expect_true(__FILE__, __LINE__, (x), #x)
#define EXPECT_FALSE(x) \
	ostd_test_expect_true(__FILE__, __LINE__, !(x), "!(" #x ")")
#define OSTD_TEST_EXPECT_CMP_(op, a, b)                                     \
	ostd_test_expect_cmp(__FILE__, __LINE__, op, #a, #b, (uint64_t)(a), \
			     (uint64_t)(b))
#define EXPECT_EQ(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_EQ, a, b)
#define EXPECT_NE(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_NE, a, b)
#define EXPECT_LE(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_LE, a, b)
#define EXPECT_LT(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_LT, a, b)
#define EXPECT_GE(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_GE, a, b)
#define EXPECT_GT(a, b) OSTD_TEST_EXPECT_CMP_(OSTD_TEST_GT, a, b)

/* A failure found without a comparison: reports @p what; false. */
#define ADD_FAILURE(what) \
	ostd_test_expect_true(__FILE__, __LINE__, false, (what))

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
