// SPDX-License-Identifier: MPL-2.0
/*
 * Tests that must fail, behind options, to prove that every runner turns a
 * failure into a red summary and a failing exit status:
 * - CONFIG_TEST_FAIL_DEMO: an assertion fails;
 * - CONFIG_TEST_FAULT_DEMO: the kernel dereferences an unmapped address, and
 *   the trap handler must report it and power off, never hang.
 */

#include <stdint.h>

#include "ostd/arch/cpu.h"

#include "ostd/config.h"
#include "ostd/test.h"

#if CONFIG_TEST_FAIL_DEMO
TEST(demo, deliberate_failure)
{
	ASSERT_EQ(1 + 1, 3);
}
#endif

#if CONFIG_TEST_FAULT_DEMO
TEST(demo, kernel_fault)
{
	volatile uint64_t *p = (volatile uint64_t *)arch_unmapped_test_addr();

	ASSERT_EQ(*p, 0x0bad);
}
#endif
