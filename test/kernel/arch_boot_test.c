// SPDX-License-Identifier: MPL-2.0
/*
 * Boot facts only one architecture has, each saying why.
 */

#include <stdint.h>

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/test.h"

#if CONFIG_ARCH_AARCH64
/*
 * AArch64 only: a loader may enter the kernel at EL2 (U-Boot with
 * virtualization=on does), and boot.S must drop to EL1, where the kernel's
 * translation regime, PAN and vectors live. The direct virt boot enters at
 * EL1, the U-Boot one at EL2: between them both paths run.
 */
TEST(boot_aarch64, runs_at_el1_whatever_the_entry_level)
{
	const struct ostd_boot_info *info = ostd_boot_info();
	uint64_t current_el;

	/* CurrentEL[3:2] (Arm ARM C5.2.1). */
	__asm__ volatile("mrs %0, CurrentEL" : "=r"(current_el));
	ASSERT_EQ((current_el >> 2) & 3, 1);
	ASSERT_TRUE(ostd_test_strcmp(info->entry_mode, "EL1") == 0 ||
		    ostd_test_strcmp(info->entry_mode, "EL2") == 0);
	if (IS_ENABLED(CONFIG_BOOT_UBOOT)) {
		ASSERT_STREQ(info->entry_mode, "EL2");
	}
}
#endif
