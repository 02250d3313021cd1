// SPDX-License-Identifier: MPL-2.0
/*
 * The in-kernel test runner: runs every TEST() linked into the image, prints
 * one CMocka-style line per test and a closing "N passed, N failed", and
 * returns a failing status if anything failed, so the image's exit status
 * and its summary line always agree. A test that leaves more or fewer
 * frames in use than it found fails too.
 */

#include <stdarg.h>

#include "ostd/boot.h"
#include "ostd/frame.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/printf.h"
#include "ostd/test.h"

static bool current_failed;

int ostd_test_strcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		return a == b ? 0 : 1;
	}
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* Marks the running test failed and says where and why. */
static void report(const char *file, int line, const char *what,
		   const char *fmt, va_list ap)
{
	current_failed = true;
	ostd_printf("%s:%d: %s failed: ", file, line, what);
	ostd_vprintf(fmt, ap);
	ostd_puts("\n");
}

void ostd_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(file, line, "assertion", fmt, ap);
	va_end(ap);
}

void ostd_test_expect_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(file, line, "expectation", fmt, ap);
	va_end(ap);
}

static void print_name(const char *tag, const struct ostd_test_case *t,
		       unsigned int index)
{
	if (t->params == NULL) {
		ostd_printf("[ %s ] %s.%s\n", tag, t->suite, t->name);
	} else {
		ostd_printf("[ %s ] %s.%s[%s]\n", tag, t->suite, t->name,
			    t->params->name(index));
	}
}

int ostd_main(void)
{
	unsigned int passed = 0;
	unsigned int failed = 0;
	unsigned int total = 0;

	for (const struct ostd_test_case *t = __start_ostd_tests;
	     t < __stop_ostd_tests; t++) {
		total += ostd_test_runs(t);
	}
	ostd_printf("[==========] Running %u test(s).\n", total);
	for (const struct ostd_test_case *t = __start_ostd_tests;
	     t < __stop_ostd_tests; t++) {
		for (unsigned int i = 0; i < ostd_test_runs(t); i++) {
			/*
			 * Grace periods are real: what a test retired is freed
			 * after every CPU passed a quiescent state.
			 */
			pt_rcu_barrier();
			uint64_t before = frame_stats_in_use();

			print_name("RUN     ", t, i);
			current_failed = false;
			ostd_test_run_case(t, i);
			pt_rcu_barrier();
			if (frame_stats_in_use() != before) {
				ostd_test_fail(__FILE__, __LINE__,
					       "frames in use went from %llu "
					       "to %llu",
					       (unsigned long long)before,
					       (unsigned long long)
						       frame_stats_in_use());
			}
			if (current_failed) {
				failed++;
				print_name(" FAILED ", t, i);
			} else {
				passed++;
				print_name("      OK", t, i);
			}
		}
	}
	ostd_printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? OSTD_EXIT_SUCCESS : OSTD_EXIT_TEST_FAILED;
}
