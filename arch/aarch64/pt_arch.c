// SPDX-License-Identifier: MPL-2.0
/*
 * Which page-table formats the aarch64 kernel uses and tests. Kernel only:
 * the host build has its own list, with every port's formats.
 */

#include "ostd/arch/aarch64_pte.h"
#include "ostd/arch/mm.h"

#include "ostd/compiler.h"
#include "ostd/pt_config.h"

const struct pt_config *arch_pt_config_user(void)
{
	return &aarch64_user_config;
}

const struct pt_config *arch_pt_config_kernel(void)
{
	return &aarch64_kernel_config;
}

const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count)
{
	static const struct pt_config *const configs[] = {
		&aarch64_user_config,
		&aarch64_kernel_config,
	};

	*count = (unsigned int)ARRAY_SIZE(configs);
	return configs;
}
