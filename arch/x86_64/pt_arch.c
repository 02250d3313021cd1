// SPDX-License-Identifier: MPL-2.0
/* The x86_64 kernel's page-table formats (kernel images only). */

#include "ostd/arch/mm.h"

#include "ostd/pt_config.h"

extern const struct pt_config x86_64_user_config;
extern const struct pt_config x86_64_kernel_config;

const struct pt_config *arch_pt_config_user(void)
{
	return &x86_64_user_config;
}

const struct pt_config *arch_pt_config_kernel(void)
{
	return &x86_64_kernel_config;
}

const struct pt_config *const *arch_pt_configs_for_tests(unsigned int *count)
{
	static const struct pt_config *const configs[] = {
		&x86_64_user_config,
		&x86_64_kernel_config,
	};

	*count = 2;
	return configs;
}
