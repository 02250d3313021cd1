// SPDX-License-Identifier: MPL-2.0
/*
 * Which page-table formats the riscv64 kernel uses and tests. Kernel only:
 * the host build has its own list, with every port's formats.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/riscv64_pte.h"

#include "ostd/compiler.h"
#include "ostd/config.h"
#include "ostd/pt_config.h"

/*
 * Sv48, the mode QEMU's default CPU boots with (DESIGN.md §10), unless
 * CONFIG_RISCV_SV39 asks for Sv39; boot.S turns on the matching satp mode
 * and stops if the CPU refuses it (satp.MODE is WARL).
 */
const struct pt_config *arch_pt_config_user(void)
{
	return IS_ENABLED(CONFIG_RISCV_SV39) ? &riscv_sv39_user_config
					     : &riscv_sv48_user_config;
}

const struct pt_config *arch_pt_config_kernel(void)
{
	return IS_ENABLED(CONFIG_RISCV_SV39) ? &riscv_sv39_kernel_config
					     : &riscv_sv48_kernel_config;
}

/*
 * The kernel's own pair only: the shared suite builds VmSpaces on the
 * running kernel table, which exists in one format. The host runs the
 * codec and software-MMU tests for Sv39 and Sv48 alike.
 */
const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count)
{
	static const struct pt_config *const sv48[] = {
		&riscv_sv48_user_config,
		&riscv_sv48_kernel_config,
	};
	static const struct pt_config *const sv39[] = {
		&riscv_sv39_user_config,
		&riscv_sv39_kernel_config,
	};

	*count = 2;
	return IS_ENABLED(CONFIG_RISCV_SV39) ? sv39 : sv48;
}
