/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The aarch64 kernel's virtual memory layout (DESIGN.md §2), shared by
 * boot.S, linker.ld and C. It mirrors x86_64's (x86_64_layout.h).
 *
 * Translation: TCR_EL1.T0SZ = T1SZ = 17 with the 4 KiB granule, so both
 * halves are 47 bits wide and start at Arm level 0 with a 256-entry table
 * (Arm ARM DDI 0487, D8.2 "Translation process", "Selection between TTBR0
 * and TTBR1" and the table-size rule for the initial lookup level). One
 * 512-entry root page serves both: TTBR0_EL1 = root reaches entries
 * 0..255 (user, VA[63:47] all 0), TTBR1_EL1 = root + 2 KiB reaches entries
 * 256..511 (kernel, VA[63:47] all 1). That is exactly the core's single
 * root (pt_format.c: user 0..255, kernel 256..511) and the host's software
 * MMU (arch/host/sim_mmu_aarch64.c). With T0SZ = 16 instead, TTBR0 would
 * also reach entries 256..511 of a user root at VA 2^47 and up, an EL1
 * alias of the kernel; with 17 VA 2^47 faults, as on x86_64 and Sv48.
 *
 *   0xffff800000000000  PHYS_OFFSET: the linear map, pa at PHYS_OFFSET + pa
 *                       (root entry 256). RAM is Normal write-back; the
 *                       device windows drivers ask for
 *                       (kernel_map_device()) are Device-nGnRnE at the
 *                       same offset.
 *   0xffffc00000000000  AARCH64_UNMAPPED_TEST_ADDR: root entry 384, never
 *                       mapped, for the kernel-fault demo.
 *   0xffffffff80000000  KERNEL_VMA_OFFSET: the image, linked at
 *                       KERNEL_VMA_OFFSET + TEXT_OFFSET, and running at
 *                       the 2 MiB-aligned physical base the loader chose
 *                       plus TEXT_OFFSET (root entry 511, L1 entry 510).
 */

#ifdef __ASSEMBLER__
#define AARCH64_ULL(x) x
#else
#define AARCH64_ULL(x) x##ULL
#endif

#define AARCH64_TNSZ 17
#define PHYS_OFFSET AARCH64_ULL(0xffff800000000000)
#define AARCH64_UNMAPPED_TEST_ADDR AARCH64_ULL(0xffffc00000000000)
#define KERNEL_VMA_OFFSET AARCH64_ULL(0xffffffff80000000)
/* The Image's text_offset (Linux Documentation/arm64/booting.rst). */
#define AARCH64_TEXT_OFFSET 0x80000
/*
 * How much physical memory boot.S's linear map covers, from the 1 GiB
 * block that holds the image: the frame allocator and the kernel page
 * table are built through it. Everything below that block is mapped as
 * Device memory (QEMU virt's devices sit below RAM).
 */
#define AARCH64_BOOT_RAM_GIB 64

/*
 * Where devices start in boot.S's map, counting up from RAM. A board
 * without a device tree names its RAM in its manifest (board.ini `ram`,
 * generated/board.h), and there the devices may follow RAM in the same
 * GiB (raspi3b: RAM below 0x3c000000, peripherals from 0x3f000000, the
 * local interrupt controller at 0x40000000). Elsewhere RAM has no end
 * known before the device tree is read, and devices sit below it (virt).
 */
#include "generated/board.h"
#ifdef BOARD_RAM_SIZE
#define AARCH64_BOOT_DEVICE_FLOOR (BOARD_RAM_BASE + BOARD_RAM_SIZE)
#else
#define AARCH64_BOOT_DEVICE_FLOOR AARCH64_ULL(0xffffffffffffffff)
#endif

/* The root slot of the linear map, and the byte offset of TTBR1's half. */
#define AARCH64_ROOT_KERNEL_HALF 2048
