// SPDX-License-Identifier: MPL-2.0
/*
 * The host test runner: every TEST() linked into the binary becomes a CMocka
 * test (a TEST_EACH one per parameter, named "name[param]"), one CMocka
 * group per suite, and the run closes with the same "N passed, N failed"
 * line the in-kernel runner prints. A test that leaves more or fewer frames
 * in use than it found fails in its teardown.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ostd/boot.h"
#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/test.h"

/* The runner's own bookkeeping is not the tests': no CMocka tracking. */
#undef malloc
#undef calloc
#undef free

struct run {
	const struct ostd_test_case *t;
	unsigned int index;
	uint64_t frames_before;
	uint64_t bbm_before;
	char name[128];
};

/* Failed expectations of the running test (EXPECT_*). */
static _Atomic unsigned int expect_failures;

void ostd_test_expect_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	expect_failures++;
	fflush(stdout);
	fprintf(stdout, "%s:%d: expectation failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
}

static void run_case(void **state)
{
	struct run *r = *state;

	expect_failures = 0;
	ostd_test_run_case(r->t, r->index);
	/* The test ran to its end: now it fails for its expectations. */
	if (expect_failures != 0) {
		fail_msg("%s: %u expectation(s) failed", r->name,
			 expect_failures);
	}
}

static int setup_case(void **state)
{
	struct run *r = *state;

	/*
	 * Grace periods are real: nodes a test retired are freed once every
	 * CPU passed a quiescent state, so both counts are taken after one.
	 */
	pt_rcu_barrier();
	r->frames_before = frame_stats_in_use();
	r->bbm_before = sim_bbm_unexpected();
	return 0;
}

static int teardown_case(void **state)
{
	struct run *r = *state;

	pt_rcu_barrier();
	uint64_t after = frame_stats_in_use();

	if (after != r->frames_before) {
		print_error("%s: frames in use went from %llu to %llu\n",
			    r->name, (unsigned long long)r->frames_before,
			    (unsigned long long)after);
		return -1;
	}
	/* The AArch64 software MMU's detector (sim.h): none may go unseen. */
	if (sim_bbm_unexpected() != r->bbm_before) {
		print_error("%s: %llu break-before-make violations\n", r->name,
			    (unsigned long long)(sim_bbm_unexpected() -
						 r->bbm_before));
		return -1;
	}
	return 0;
}

static bool selected(const struct ostd_test_case *t, const char *filter)
{
	char name[160];

	if (filter == NULL || filter[0] == '\0') {
		return true;
	}
	snprintf(name, sizeof(name), "%s.%s", t->suite, t->name);
	return strstr(name, filter) != NULL;
}

int ostd_main(void)
{
	size_t cases = (size_t)(__stop_ostd_tests - __start_ostd_tests);
	size_t count = 0;

	/* OSTD_TEST_FILTER=text runs only the suites/tests whose
	 * "suite.name" contains it (a debugging aid). */
	const char *filter = getenv("OSTD_TEST_FILTER");

	for (size_t i = 0; i < cases; i++) {
		count += ostd_test_runs(&__start_ostd_tests[i]);
	}
	struct CMUnitTest *tests = calloc(count + 1, sizeof(*tests));
	struct run *runs = calloc(count + 1, sizeof(*runs));
	unsigned int failed = 0;

	if (tests == NULL || runs == NULL) {
		fprintf(stderr, "host runner: out of memory\n");
		return OSTD_EXIT_TEST_FAILED;
	}
	cmocka_set_message_output(CM_OUTPUT_STDOUT);
	/* Tests of one suite sit next to each other: they share a file. */
	size_t next_run = 0;

	for (size_t first = 0; first < cases;) {
		const char *suite = __start_ostd_tests[first].suite;
		size_t n = 0;
		size_t c = first;

		for (; c < cases &&
		       strcmp(__start_ostd_tests[c].suite, suite) == 0;
		     c++) {
			const struct ostd_test_case *t = &__start_ostd_tests[c];

			if (!selected(t, filter)) {
				count -= ostd_test_runs(t);
				continue;
			}
			for (unsigned int i = 0; i < ostd_test_runs(t); i++) {
				struct run *r = &runs[next_run++];

				r->t = t;
				r->index = i;
				if (t->params == NULL) {
					snprintf(r->name, sizeof(r->name), "%s",
						 t->name);
				} else {
					snprintf(r->name, sizeof(r->name),
						 "%s[%s]", t->name,
						 t->params->name(i));
				}
				tests[n++] = (struct CMUnitTest){
					.name = r->name,
					.test_func = run_case,
					.setup_func = setup_case,
					.teardown_func = teardown_case,
					.initial_state = r,
				};
			}
		}
		if (n == 0) {
			first = c;
			continue;
		}
		int group_failed =
			_cmocka_run_group_tests(suite, tests, n, NULL, NULL);
		failed += group_failed > 0 ? (unsigned int)group_failed : 0;
		first = c;
	}
	free(tests);
	free(runs);
	fflush(stdout);
	printf("break-before-make: %llu violations, %llu of them planted by "
	       "the detector's own tests\n",
	       (unsigned long long)sim_bbm_violations(),
	       (unsigned long long)(sim_bbm_violations() -
				    sim_bbm_unexpected()));
	printf("%zu passed, %u failed\n", count - failed, failed);
	/* A violation outside any test (none is expected there) fails too. */
	if (sim_bbm_unexpected() != 0 && failed == 0) {
		return OSTD_EXIT_TEST_FAILED;
	}
	return failed == 0 ? OSTD_EXIT_SUCCESS : OSTD_EXIT_TEST_FAILED;
}
