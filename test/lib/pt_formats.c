// SPDX-License-Identifier: MPL-2.0
/* The page-table formats as a test parameter set (TEST_FORMAT). */

#include "ostd/arch/mm.h"

#include "ostd/pt_config.h"
#include "ostd/test.h"

static const struct pt_config *const *configs(unsigned int *count)
{
	return arch_pt_configs_for_tests(count);
}

static unsigned int formats_count(void)
{
	unsigned int count;

	(void)configs(&count);
	return count;
}

static const void *formats_get(unsigned int index)
{
	unsigned int count;

	return configs(&count)[index];
}

static const char *formats_name(unsigned int index)
{
	unsigned int count;

	return configs(&count)[index]->name;
}

const struct ostd_test_params ostd_test_pt_formats = {
	.count = formats_count,
	.get = formats_get,
	.name = formats_name,
};
