// SPDX-License-Identifier: MPL-2.0
/*
 * Which page-table formats the riscv64 kernel uses and tests. Kernel only:
 * the host build has its own list, with every port's formats.
 */

#include "ostd/arch/riscv64_pte.h"

#include "ostd/compiler.h"
#include "ostd/pt_config.h"

/*
 * Sv48, the mode QEMU's default CPU boots with (DESIGN.md §10). Sv39 needs
 * a CONFIG_RISCV_SV39 symbol (or a boot-time choice after reading satp back,
 * since satp.MODE is WARL) that does not exist yet; when it does, these two
 * become `IS_ENABLED(CONFIG_RISCV_SV39) ? &riscv_sv39_... : &riscv_sv48_...`
 * so both branches keep compiling.
 */
const struct pt_config *arch_pt_config_user(void)
{
	return &riscv_sv48_user_config;
}

const struct pt_config *arch_pt_config_kernel(void)
{
	return &riscv_sv48_kernel_config;
}

/*
 * The codec is pure, so the conformance suite can run Sv39 in a kernel
 * that itself runs Sv48: both level counts get tested on the target.
 */
const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count)
{
	static const struct pt_config *const configs[] = {
		&riscv_sv48_user_config,
		&riscv_sv48_kernel_config,
		&riscv_sv39_user_config,
		&riscv_sv39_kernel_config,
	};

	*count = (unsigned int)ARRAY_SIZE(configs);
	return configs;
}
