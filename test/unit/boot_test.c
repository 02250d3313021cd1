// SPDX-License-Identifier: MPL-2.0
/* The configuration and the boot information the port handed to the core. */

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/test.h"

#include "generated/board.h"

TEST(boot, config_matches_boot_info)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	ASSERT_TRUE(info != NULL);
	ASSERT_STREQ(info->arch, CONFIG_ARCH);
	ASSERT_STREQ(info->board, CONFIG_BOARD);
	ASSERT_TRUE(info->boot_protocol != NULL);
	ASSERT_TRUE(info->entry_mode != NULL);
	/* Exactly one arch symbol is set, and it names the same arch. */
	ASSERT_EQ(CONFIG_ARCH_X86_64 + CONFIG_ARCH_RISCV64 +
			  CONFIG_ARCH_AARCH64 + CONFIG_ARCH_HOST,
		  1);
}

TEST(boot, memory_map_is_sane)
{
	const struct ostd_boot_info *info = ostd_boot_info();
	uint64_t usable = ostd_boot_info_usable_bytes(info);

	ASSERT_GT(info->mem_count, 0);
	ASSERT_LE(info->mem_count, OSTD_MAX_MEM_REGIONS);
	/*
	 * Every runner gives the machine 256 MiB (board.ini, arch/host), but
	 * a board without a device tree uses its manifest's RAM (raspi3b:
	 * QEMU accepts only -m 1G).
	 */
	ASSERT_GE(usable, 200ULL << 20);
#ifdef BOARD_RAM_SIZE
	ASSERT_LE(usable, BOARD_RAM_SIZE);
#else
	ASSERT_LE(usable, 256ULL << 20);
#endif
	for (unsigned int i = 0; i < info->mem_count; i++) {
		ASSERT_NE(info->mem[i].size, 0);
		ASSERT_LE(info->mem[i].size - 1,
			  UINT64_MAX - pa_addr(info->mem[i].base));
	}
}

TEST(boot, kernel_image_is_in_usable_memory)
{
	const struct ostd_boot_info *info = ostd_boot_info();
	uint64_t start = pa_addr(info->kernel_start);
	uint64_t end = pa_addr(info->kernel_end);
	bool inside = false;

	if (IS_ENABLED(CONFIG_ARCH_HOST)) {
		/* A host process has no kernel image in simulated memory. */
		ASSERT_EQ(start, end);
		return;
	}
	ASSERT_LT(start, end);
	for (unsigned int i = 0; i < info->mem_count; i++) {
		const struct ostd_mem_region *r = &info->mem[i];

		if (r->kind == OSTD_MEM_USABLE && pa_addr(r->base) <= start &&
		    end - pa_addr(r->base) <= r->size) {
			inside = true;
		}
	}
	ASSERT_TRUE(inside);
}

TEST(boot, add_mem_rejects_bad_regions)
{
	struct ostd_boot_info info = { 0 };

	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x1000), 0,
					 OSTD_MEM_USABLE),
		  OSTD_EINVAL);
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(UINT64_MAX - 0xfff),
					 0x2000, OSTD_MEM_USABLE),
		  OSTD_EOVERFLOW);
	ASSERT_EQ(info.mem_count, 0);
	/* The very last page of the address space is representable. */
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(UINT64_MAX - 0xfff),
					 0x1000, OSTD_MEM_RESERVED),
		  OSTD_OK);
	for (unsigned int i = 1; i < OSTD_MAX_MEM_REGIONS; i++) {
		ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(i << 12),
						 0x1000, OSTD_MEM_USABLE),
			  OSTD_OK);
	}
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0), 0x1000,
					 OSTD_MEM_USABLE),
		  OSTD_ENOMEM);
	ASSERT_EQ(info.mem_count, OSTD_MAX_MEM_REGIONS);
	ASSERT_EQ(ostd_boot_info_usable_bytes(&info),
		  (OSTD_MAX_MEM_REGIONS - 1) * 0x1000ULL);
}

TEST(boot, reserved_regions_are_subtracted_once)
{
	struct ostd_boot_info info = { 0 };

	/* 1 MiB of RAM at 1 MiB, with overlapping reservations inside. */
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x100000), 0x100000,
					 OSTD_MEM_USABLE),
		  OSTD_OK);
	ASSERT_EQ(ostd_boot_info_usable_bytes(&info), 0x100000);
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x100000), 0x2000,
					 OSTD_MEM_RESERVED),
		  OSTD_OK);
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x101000), 0x2000,
					 OSTD_MEM_RESERVED),
		  OSTD_OK);
	/* Sticks out past the end of RAM: only the inside part counts. */
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x1ff000), 0x10000,
					 OSTD_MEM_RESERVED),
		  OSTD_OK);
	/* Entirely outside RAM: no effect. */
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(0x0), 0x1000,
					 OSTD_MEM_RESERVED),
		  OSTD_OK);
	ASSERT_EQ(ostd_boot_info_usable_bytes(&info), 0x100000 - 0x4000);
	/* A region ending at the top of the address space. */
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(UINT64_MAX - 0x1fff),
					 0x2000, OSTD_MEM_USABLE),
		  OSTD_OK);
	ASSERT_EQ(ostd_boot_info_add_mem(&info, pa_init(UINT64_MAX - 0xfff),
					 0x1000, OSTD_MEM_RESERVED),
		  OSTD_OK);
	ASSERT_EQ(ostd_boot_info_usable_bytes(&info),
		  0x100000 - 0x4000 + 0x1000);
}
