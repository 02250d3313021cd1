// SPDX-License-Identifier: MPL-2.0
/*
 * The FDT reader on this machine's own boot blob, where the boot protocol
 * gives one (riscv64, aarch64). x86_64 PVH and the host have none.
 */

#include "ostd/arch/mm.h"

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/fdt.h"
#include "ostd/test.h"

#include "generated/board.h"

TEST(fdt, boot_blob_is_sound)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	/* A board whose manifest names its RAM (raspi3b) has none either. */
#ifdef BOARD_RAM_SIZE
	ASSERT_EQ(pa_addr(info->fdt), 0);
	return;
#endif
	if (IS_ENABLED(CONFIG_ARCH_X86_64) || IS_ENABLED(CONFIG_ARCH_HOST)) {
		ASSERT_EQ(pa_addr(info->fdt), 0);
		return;
	}
	/* Reached like any physical memory: through the linear map. */
	const void *fdt = arch_paddr_to_ptr(info->fdt);
	ASSERT_NE(pa_addr(info->fdt), 0);
	ASSERT_EQ(ostd_fdt_check(fdt), OSTD_OK);
	ASSERT_GT(ostd_fdt_size(fdt), 40);

	/*
	 * Parsing again gives the memory the boot path found, less at most
	 * the blob itself, which the port may reserve on top.
	 */
	struct ostd_boot_info again = { 0 };
	uint64_t boot_usable = ostd_boot_info_usable_bytes(info);

	ASSERT_EQ(ostd_fdt_add_memory(fdt, &again), OSTD_OK);
	ASSERT_GE(ostd_boot_info_usable_bytes(&again), boot_usable);
	ASSERT_LE(ostd_boot_info_usable_bytes(&again) - boot_usable,
		  ostd_fdt_size(fdt));

	/* Every QEMU tree has a /chosen node and a root compatible. */
	ASSERT_TRUE(ostd_fdt_prop_string(fdt, "/", "compatible") != NULL);
	ASSERT_TRUE(ostd_fdt_prop_string(fdt, "/no-such-node", "x") == NULL);

	uint64_t base = 1;

	ASSERT_EQ(ostd_fdt_find_reg(fdt, "no,such-device", &base, NULL),
		  OSTD_ENOENT);
	ASSERT_EQ(base, 1);
}

TEST(fdt, rejects_non_blobs)
{
	static const uint32_t zeros[16];

	ASSERT_EQ(ostd_fdt_check(zeros), OSTD_EINVAL);
	ASSERT_EQ(ostd_fdt_check(NULL), OSTD_EINVAL);
	ASSERT_TRUE(ostd_fdt_prop_string(zeros, "/", "compatible") == NULL);
}

TEST(fdt, cpus_children)
{
	const struct ostd_boot_info *info = ostd_boot_info();

	if (pa_addr(info->fdt) == 0) {
		return; /* No blob on this boot path (see above). */
	}
	const void *fdt = arch_paddr_to_ptr(info->fdt);
	unsigned int cpus = 0;
	uint32_t i = 0;

	/* Every QEMU tree with a blob names its CPUs "cpu@<reg>" in /cpus. */
	for (const char *name;
	     (name = ostd_fdt_child_name(fdt, "/cpus", i)) != NULL; i++) {
		if (name[0] == 'c' && name[1] == 'p' && name[2] == 'u' &&
		    name[3] == '@') {
			cpus++;
		}
	}
	ASSERT_GE(cpus, 1);
	ASSERT_TRUE(ostd_fdt_child_name(fdt, "/cpus", i) == NULL);
	ASSERT_TRUE(ostd_fdt_child_name(fdt, "/no-such-node", 0) == NULL);
	/* The root's children include /cpus itself. */
	bool root_has_cpus = false;

	for (uint32_t j = 0; !root_has_cpus; j++) {
		const char *name = ostd_fdt_child_name(fdt, "/", j);

		ASSERT_TRUE(name != NULL);
		root_has_cpus = name[0] == 'c' && name[1] == 'p' &&
				name[2] == 'u' && name[3] == 's' &&
				name[4] == '\0';
	}
}
