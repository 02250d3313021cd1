// SPDX-License-Identifier: MPL-2.0
#include "ostd/boot.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/console.h"
#include "ostd/fdt.h"
#include "ostd/frame.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/sched.h"
#include "ostd/math.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/pt_config.h"
#include "ostd/vm_space.h"

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

ostd_err_t ostd_boot_info_set_initrd(struct ostd_boot_info *info, paddr_t base,
				     uint64_t size)
{
	ostd_err_t err =
		ostd_boot_info_add_mem(info, base, size, OSTD_MEM_RESERVED);

	if (err == OSTD_OK) {
		info->initrd = base;
		info->initrd_size = size;
	}
	return err;
}

ostd_err_t ostd_boot_info_add_fdt(struct ostd_boot_info *info, paddr_t fdt)
{
	const void *blob = arch_paddr_to_ptr(fdt);

	CHECKIF (ostd_fdt_check(blob) != OSTD_OK) {
		return OSTD_EINVAL;
	}
	struct ostd_boot_info next = *info;
	ostd_err_t err = ostd_fdt_add_memory(blob, &next);

	if (err == OSTD_OK) {
		err = ostd_boot_info_add_mem(&next, fdt, ostd_fdt_size(blob),
					     OSTD_MEM_RESERVED);
	}
	/*
	 * The initrd (DT spec 3.6 /chosen; Linux's linux,initrd-start and
	 * -end, end exclusive), kept away from the frame allocator.
	 */
	uint64_t start;
	uint64_t end;

	if (err == OSTD_OK &&
	    ostd_fdt_prop_u64(blob, "/chosen", "linux,initrd-start", &start) ==
		    OSTD_OK &&
	    ostd_fdt_prop_u64(blob, "/chosen", "linux,initrd-end", &end) ==
		    OSTD_OK &&
	    end > start) {
		err = ostd_boot_info_set_initrd(&next, pa_init(start),
						end - start);
	}
	if (err == OSTD_OK) {
		next.fdt = fdt;
		*info = next;
	}
	return err;
}

/* Inclusive last byte, so a region ending at 2^64 needs no special case. */
static uint64_t region_last(const struct ostd_mem_region *r)
{
	return pa_addr(r->base) + (r->size - 1);
}

/*
 * Bytes of [lo, hi] (inclusive) not covered by any reserved region. Sweeps
 * left to right, each step jumping past the reserved region that covers
 * the current byte; at most mem_count jumps.
 */
static uint64_t uncovered_bytes(const struct ostd_boot_info *info, uint64_t lo,
				uint64_t hi)
{
	uint64_t total = 0;
	uint64_t cur = lo;

	for (;;) {
		/* The first reserved byte at or after cur, and its region. */
		const struct ostd_mem_region *next = NULL;

		for (unsigned int i = 0; i < info->mem_count; i++) {
			const struct ostd_mem_region *r = &info->mem[i];

			if (r->kind != OSTD_MEM_RESERVED ||
			    region_last(r) < cur || pa_addr(r->base) > hi) {
				continue;
			}
			if (next == NULL ||
			    MAX(pa_addr(r->base), cur) <
				    MAX(pa_addr(next->base), cur)) {
				next = r;
			}
		}
		if (next == NULL) {
			return total + (hi - cur) + 1;
		}
		uint64_t start = MAX(pa_addr(next->base), cur);

		total += start - cur;
		/* Extend through every reserved region touching this run. */
		uint64_t last = region_last(next);

		for (bool grew = true; grew;) {
			grew = false;
			for (unsigned int i = 0; i < info->mem_count; i++) {
				const struct ostd_mem_region *r = &info->mem[i];

				if (r->kind == OSTD_MEM_RESERVED &&
				    pa_addr(r->base) <=
					    add_saturating(last, 1) &&
				    region_last(r) > last) {
					last = region_last(r);
					grew = true;
				}
			}
		}
		if (last >= hi) {
			return total;
		}
		cur = last + 1;
	}
}

uint64_t ostd_boot_info_usable_bytes(const struct ostd_boot_info *info)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < info->mem_count; i++) {
		const struct ostd_mem_region *r = &info->mem[i];

		if (r->kind == OSTD_MEM_USABLE) {
			total = add_saturating(
				total, uncovered_bytes(info, pa_addr(r->base),
						       region_last(r)));
		}
	}
	return total;
}

const void *ostd_boot_initrd(uint64_t *size)
{
	*size = boot_info->initrd_size;
	return *size == 0 ? NULL : arch_paddr_to_ptr(boot_info->initrd);
}

const struct ostd_boot_info *ostd_boot_info(void)
{
	return boot_info;
}

void ostd_boot(const struct ostd_boot_info *info)
{
	smp_init_boot_cpu();
	boot_info = info;
	ostd_console_init(info);
	ostd_printf(
		"OSTD-C %s on %s/%s (boot: %s, entered in %s), %llu MiB "
		"usable\n",
		CONFIG_VERSION, info->arch, info->board, info->boot_protocol,
		info->entry_mode,
		(unsigned long long)(ostd_boot_info_usable_bytes(info) >> 20));
	/* A port whose page-table format contradicts itself stops here. */
	if (pt_config_check(arch_pt_config_user()) != OSTD_OK ||
	    pt_config_check(arch_pt_config_kernel()) != OSTD_OK) {
		panic("the page-table configs of this port are inconsistent");
	}
	ostd_err_t err = frame_init(info);

	if (err != OSTD_OK) {
		panic("cannot set up the frame allocator: %s",
		      ostd_err_name(err));
	}
	ostd_printf(
		"frames: %llu managed (%llu KiB)\n",
		(unsigned long long)frame_stats_total(),
		(unsigned long long)(frame_stats_total() * (PAGE_SIZE >> 10)));
	err = vm_space_init_kernel(arch_pt_config_kernel());
	if (err != OSTD_OK) {
		panic("cannot create the kernel page table: %s",
		      ostd_err_name(err));
	}
	arch_kernel_pt_activate(vm_space_kernel_pt());
	task_init_boot_cpu();
	plat_timer_init();
	arch_irq_enable();
	smp_start_secondaries();
	ostd_power_off(ostd_main());
}
