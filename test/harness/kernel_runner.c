// SPDX-License-Identifier: MPL-2.0
/*
 * The in-kernel test runner: runs every TEST() linked into the image, prints
 * one CMocka-style line per test and a closing "N passed, N failed", and
 * returns a failing status if anything failed, so the image's exit status
 * and its summary line always agree.
 */

#include <stdarg.h>

#include "ostd/boot.h"
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

void ostd_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	current_failed = true;
	ostd_printf("%s:%d: assertion failed: ", file, line);
	va_start(ap, fmt);
	ostd_vprintf(fmt, ap);
	va_end(ap);
	ostd_puts("\n");
}

int ostd_main(void)
{
	unsigned int passed = 0;
	unsigned int failed = 0;

	ostd_printf("[==========] Running %u test(s).\n",
		    (unsigned int)(__stop_ostd_tests - __start_ostd_tests));
	for (const struct ostd_test_case *t = __start_ostd_tests;
	     t < __stop_ostd_tests; t++) {
		ostd_printf("[ RUN      ] %s.%s\n", t->suite, t->name);
		current_failed = false;
		t->fn();
		if (current_failed) {
			failed++;
			ostd_printf("[  FAILED  ] %s.%s\n", t->suite, t->name);
		} else {
			passed++;
			ostd_printf("[       OK ] %s.%s\n", t->suite, t->name);
		}
	}
	ostd_printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? OSTD_EXIT_SUCCESS : OSTD_EXIT_TEST_FAILED;
}
