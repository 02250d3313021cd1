/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/types.h"

/*
 * What the boot path learned about the machine. The arch entry code fills it
 * from its boot protocol (PVH start info, the device tree, ...) and hands it
 * to ostd_boot(); afterwards it is read-only.
 */

#define OSTD_MAX_MEM_REGIONS 32

enum ostd_mem_kind {
	OSTD_MEM_USABLE,
	OSTD_MEM_RESERVED,
};

/*
 * Regions may overlap: a reserved region always wins over the usable ones
 * it overlaps (a device tree reports firmware and the blob itself inside
 * RAM). Consumers such as the frame allocator subtract reserved ranges.
 */
struct ostd_mem_region {
	paddr_t base;
	uint64_t size;
	enum ostd_mem_kind kind;
};

struct ostd_boot_info {
	/* "x86_64", "riscv64", "aarch64" or "host"; equals CONFIG_ARCH. */
	const char *arch;
	/* The board name; equals CONFIG_BOARD. */
	const char *board;
	/* How we got here: "pvh", "opensbi", "direct", "host", ... */
	const char *boot_protocol;
	/* The privilege level we were entered at, e.g. "EL1", "S-mode". */
	const char *entry_mode;
	/* The physical range the kernel image occupies. */
	paddr_t kernel_start;
	paddr_t kernel_end;
	/* The device tree blob, or 0 if the boot protocol gives none. */
	paddr_t fdt;
	/*
	 * The initial RAM disk the loader placed (QEMU -initrd: PVH module
	 * 0, /chosen linux,initrd-start), or size 0. The example kernel
	 * runs it as the user program. Reserved in mem[].
	 */
	paddr_t initrd;
	uint64_t initrd_size;
	/* The boot CPU's hardware id (APIC id, hart id, MPIDR affinity). */
	uint64_t boot_cpu_id;
	struct ostd_mem_region mem[OSTD_MAX_MEM_REGIONS];
	unsigned int mem_count;
};

/**
 * Appends a memory region to @p info.
 *
 * @retval OSTD_OK Added.
 * @retval OSTD_EINVAL @p size is zero.
 * @retval OSTD_EOVERFLOW The region runs past the end of the address space.
 * @retval OSTD_ENOMEM The table is full; @p info is unchanged.
 */
WARN_UNUSED ostd_err_t ostd_boot_info_add_mem(struct ostd_boot_info *info,
					      paddr_t base, uint64_t size,
					      enum ostd_mem_kind kind);

/**
 * Records the initrd at [@p base, + @p size) and reserves it, so the frame
 * allocator leaves it alone. Errors as ostd_boot_info_add_mem(); then
 * nothing changed.
 */
WARN_UNUSED ostd_err_t ostd_boot_info_set_initrd(struct ostd_boot_info *info,
						 paddr_t base, uint64_t size);

/**
 * Describes the machine from the device tree at @p fdt: sets info->fdt,
 * adds the memory nodes and reservations (ostd_fdt_add_memory()) and
 * reserves the blob itself, which sits in RAM the tree calls usable and is
 * read again later (boards look their devices up in it). All or nothing.
 *
 * @retval OSTD_EINVAL The blob is malformed.
 * @retval OSTD_ENOENT It describes no memory.
 * @retval OSTD_ENOMEM @p info has no room left.
 */
WARN_UNUSED ostd_err_t ostd_boot_info_add_fdt(struct ostd_boot_info *info,
					      paddr_t fdt);

/**
 * Total bytes of usable memory in @p info: usable regions less whatever
 * reserved regions overlap them. Overlapping usable regions count twice
 * (a boot protocol that reports those is broken anyway).
 */
uint64_t ostd_boot_info_usable_bytes(const struct ostd_boot_info *info);

/**
 * The framework's entry point, called once by the arch's boot code on the
 * boot CPU with a stack, a cleared BSS and a trap vector installed. It
 * initialises the console, prints the banner, runs ostd_main() and powers
 * off with its result.
 */
NORETURN void ostd_boot(const struct ostd_boot_info *info);

/**
 * The initrd's bytes (reached through the kernel's map of physical
 * memory) and, in *@p size, their number; NULL and 0 if there is none.
 */
const void *ostd_boot_initrd(uint64_t *size);

/** The boot information given to ostd_boot(). */
const struct ostd_boot_info *ostd_boot_info(void);

/**
 * The image's main function: the kernel author's (examples/hello) or the
 * in-kernel test runner's. Its return value is the exit status.
 */
int ostd_main(void);
