// SPDX-License-Identifier: MPL-2.0
#include "ostd/boot.h"

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/math.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"

static const struct ostd_boot_info *boot_info;

ostd_err_t ostd_boot_info_add_mem(struct ostd_boot_info *info, paddr_t base,
				  uint64_t size, enum ostd_mem_kind kind)
{
	CHECKIF (size == 0) {
		return OSTD_EINVAL;
	}
	/* The last byte must be addressable: base + size - 1 must not wrap. */
	CHECKIF (size - 1 > UINT64_MAX - pa_addr(base)) {
		return OSTD_EOVERFLOW;
	}
	CHECKIF (info->mem_count >= OSTD_MAX_MEM_REGIONS) {
		return OSTD_ENOMEM;
	}
	info->mem[info->mem_count++] = (struct ostd_mem_region){
		.base = base,
		.size = size,
		.kind = kind,
	};
	return OSTD_OK;
}

uint64_t ostd_boot_info_usable_bytes(const struct ostd_boot_info *info)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < info->mem_count; i++) {
		if (info->mem[i].kind == OSTD_MEM_USABLE) {
			total = add_saturating(total, info->mem[i].size);
		}
	}
	return total;
}

const struct ostd_boot_info *ostd_boot_info(void)
{
	return boot_info;
}

void ostd_boot(const struct ostd_boot_info *info)
{
	boot_info = info;
	plat_console_init(info);
	ostd_printf(
		"OSTD-C %s on %s/%s (boot: %s, entered in %s), %llu MiB "
		"usable\n",
		CONFIG_VERSION, info->arch, info->board, info->boot_protocol,
		info->entry_mode,
		(unsigned long long)(ostd_boot_info_usable_bytes(info) >> 20));
	ostd_power_off(ostd_main());
}
