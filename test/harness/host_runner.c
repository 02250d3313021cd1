// SPDX-License-Identifier: MPL-2.0
/*
 * The host test runner: every TEST() linked into the binary becomes a CMocka
 * test, one CMocka group per suite, and the run closes with the same
 * "N passed, N failed" line the in-kernel runner prints.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ostd/boot.h"
#include "ostd/panic.h"
#include "ostd/test.h"

static void run_case(void **state)
{
	const struct ostd_test_case *t = *state;

	t->fn();
}

static int setup_case(void **state)
{
	(void)state;
	return 0;
}

int ostd_main(void)
{
	size_t count = (size_t)(__stop_ostd_tests - __start_ostd_tests);
	struct CMUnitTest *tests =
		calloc(count == 0 ? 1 : count, sizeof(*tests));
	unsigned int failed = 0;

	if (tests == NULL) {
		fprintf(stderr, "host runner: out of memory\n");
		return OSTD_EXIT_TEST_FAILED;
	}
	cmocka_set_message_output(CM_OUTPUT_STDOUT);
	/* Tests of one suite sit next to each other: they share a file. */
	for (size_t first = 0; first < count;) {
		const char *suite = __start_ostd_tests[first].suite;
		size_t n = 0;

		while (first + n < count &&
		       strcmp(__start_ostd_tests[first + n].suite, suite) ==
			       0) {
			const struct ostd_test_case *t =
				&__start_ostd_tests[first + n];

			tests[n] = (struct CMUnitTest){
				.name = t->name,
				.test_func = run_case,
				.setup_func = setup_case,
				.initial_state = (void *)t,
			};
			n++;
		}
		int group_failed =
			_cmocka_run_group_tests(suite, tests, n, NULL, NULL);
		failed += group_failed > 0 ? (unsigned int)group_failed : 0;
		first += n;
	}
	free(tests);
	fflush(stdout);
	printf("%zu passed, %u failed\n", count - failed, failed);
	return failed == 0 ? OSTD_EXIT_SUCCESS : OSTD_EXIT_TEST_FAILED;
}
