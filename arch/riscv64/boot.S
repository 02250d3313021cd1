/* SPDX-License-Identifier: MPL-2.0 */
/*
 * riscv64 entry, from OpenSBI (fw_dynamic, -bios default) or from U-Boot's
 * booti: S-mode, MMU off (satp = 0), a0 = this hart's id and a1 = the
 * physical address of the device tree (RISC-V SBI Spec v1.0.0 and Linux
 * Documentation/riscv/boot.rst "Pre-kernel requirements").
 *
 * The image is linked in the upper half (riscv64_layout.h) but entered at
 * its physical load address, so everything up to the jump to .Lhigh runs
 * position-independently: only pc-relative addressing (lla, call). It
 * builds a boot page table with three parts,
 *   - an identity map of the root slot holding the image, for the few
 *     instructions between the satp write and the jump;
 *   - the linear map at PHYS_OFFSET (every physical address: RAM, the
 *     device tree and the boot console's registers);
 *   - the image at its link address, in 2 MiB megapages from its load
 *     address;
 * turns on Sv48 (or Sv39), checks that satp took the mode, and jumps to
 * its link address. arch_kernel_pt_activate() later moves to the core's
 * kernel page table, and these tables are never used again.
 */

#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_layout.h"
#include "ostd/arch/riscv64_pte.h"
#include "ostd/arch/riscv64_asm.h"

#define BOOT_STACK_SIZE 16384

/*
 * Boot leaves (Privileged Spec v1.12, 4.3.1): V, the rights, and A and D
 * preset, so the walk never has to set them (or fault if the hardware
 * does not). Not G: nothing here outlives the switch to the kernel table.
 */
#define BOOT_LEAF_RW (RISCV_PTE_V | RISCV_PTE_R | RISCV_PTE_W | \
		      RISCV_PTE_A | RISCV_PTE_D)
#define BOOT_LEAF_RWX (BOOT_LEAF_RW | RISCV_PTE_X)

/*
 * A root entry covers 2^ROOT_SHIFT bytes (4.5.1 Sv48: VPN[3] = va[47:39];
 * 4.4.1 Sv39: VPN[2] = va[38:30]). A leaf PTE holds pa >> 12 at bit 10,
 * so a root-level leaf for root slot k is k << (ROOT_SHIFT - 2). The
 * linear map needs LINEAR_SLOTS root leaves from physical 0 (Sv48: one
 * 512 GiB terapage; Sv39: 64 GiB of gigapages).
 */
#if CONFIG_RISCV_SV39
#define BOOT_SATP_MODE RISCV_SATP_MODE_SV39
#define BOOT_MODE_NAME "Sv39 (satp.MODE 8)"
#define ROOT_SHIFT 30
#define LINEAR_SLOTS 64
#else
#define BOOT_SATP_MODE RISCV_SATP_MODE_SV48
#define BOOT_MODE_NAME "Sv48 (satp.MODE 9)"
#define ROOT_SHIFT 39
#define LINEAR_SLOTS 1
#endif

/* A table PTE: V alone, and the PPN of the table at @p reg (4.3.1). */
.macro table_pte reg, tmp
	srli \tmp, \reg, 2
	ori \tmp, \tmp, RISCV_PTE_V
.endm

	.section .text.boot, "ax"
	.global _start
_start:
	/*
	 * The Linux RISC-V Image header (Linux Documentation/riscv/
	 * boot-image-header.rst), so U-Boot's booti takes this image: 64
	 * bytes, little-endian, whose first word jumps over it. booti copies
	 * image_size bytes to the RAM base + text_offset, i.e. 0x80200000.
	 * No compressed instructions: code0 must be one 4-byte jump.
	 */
	.option push
	.option norvc
	j .Lentry			/* code0 */
	.word 0				/* code1 */
	.dword KERNEL_TEXT_OFFSET	/* text_offset */
	.dword __kernel_size		/* image_size, BSS included */
	.dword 0			/* flags: little-endian */
	.word 2				/* version 0.2 */
	.word 0				/* res1 */
	.dword 0			/* res2 */
	.ascii "RISCV\0\0\0"		/* magic (deprecated) */
	.ascii "RSC\x05"		/* magic2 */
	.word 0				/* res3: no PE/COFF header */
	.option pop

.Lentry:
	/*
	 * trap.S tells a trap from U-mode by a non-zero sscratch (4.1.6);
	 * firmware may leave anything there.
	 */
	csrw sscratch, zero
	/*
	 * Privileged Spec v1.12, 4.1.2 stvec: the base must be 4-byte aligned
	 * (trap.S aligns it) and MODE = 0 selects direct mode: every trap
	 * jumps to the base. The physical address for now; .Lhigh installs
	 * the link address.
	 */
	lla t0, riscv_trap_entry
	csrw stvec, t0

	/*
	 * No interrupts until the kernel wants them: clear sstatus.SIE
	 * (Privileged Spec v1.12, 4.1.1) and every enable bit in sie (4.1.3).
	 */
	csrci sstatus, RISCV_SSTATUS_SIE
	csrw sie, zero

	/*
	 * The kernel has no FP state to save (-march=rv64imac), so turn the
	 * FP unit off: sstatus.FS = Off makes any stray FP instruction an
	 * illegal-instruction trap (Privileged Spec v1.12, 3.1.6.6 and
	 * 4.1.1). SUM and MXR start clear (4.1.1.2): S-mode cannot touch user
	 * pages, and execute-only pages stay unreadable.
	 */
	li t0, RISCV_SSTATUS_FS | RISCV_SSTATUS_SUM | RISCV_SSTATUS_MXR
	csrc sstatus, t0

	/*
	 * Only one hart runs this path. OpenSBI's HSM starts just the boot
	 * hart, but firmware that releases every hart at once (BBL, some
	 * U-Boot setups) would otherwise run two kernels on one BSS; the
	 * first hart to swap in 1 wins, the others park. The kernel starts
	 * the other harts itself, at riscv_secondary_entry below (smp.c).
	 * The lottery is in .data, so it is 0 from the image, not from the
	 * BSS clear below.
	 */
	lla t0, boot_lottery
	li t1, 1
	amoswap.w.aqrl t1, t1, (t0)
	bnez t1, .Lpark

	mv s1, a0			/* hartid */
	mv s2, a1			/* dtb */

	/* The boot tables and stack live in the BSS: clear it first. */
	lla t0, __bss_start
	lla t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, (t0)
	addi t0, t0, 8
	j 1b
2:
	/* s3 = where _start was loaded, s4 = link address - load address. */
	lla s3, _start
	ld t0, .Lstart_link
	sub s4, t0, s3
	/* The image map uses 2 MiB megapages: the load address must fit. */
	li t0, 0x1fffff
	and t0, s3, t0
	bnez t0, .Lmisaligned
	lla t0, riscv_image_delta
	sd s4, (t0)

	lla s5, boot_root

	/* (a) Identity: the root slot holding the image, as one leaf. */
	srli t0, s3, ROOT_SHIFT
	slli t1, t0, ROOT_SHIFT - 2
	ori t1, t1, BOOT_LEAF_RWX
	slli t0, t0, 3
	add t0, t0, s5
	sd t1, (t0)

	/* (b) The linear map: root slots 256.. map physical 0.. */
	li t0, 0
	li t2, LINEAR_SLOTS
	li t3, 256 * 8
	add t3, t3, s5
3:	slli t1, t0, ROOT_SHIFT - 2
	ori t1, t1, BOOT_LEAF_RW
	sd t1, (t3)
	addi t3, t3, 8
	addi t0, t0, 1
	bltu t0, t2, 3b

	/*
	 * (c) The image: KERNEL_VMA_BASE is slot 510 of the table that
	 * translates va[38:30] (Sv48: below root slot 511; Sv39: the root).
	 */
#if CONFIG_RISCV_SV39
	mv t4, s5
#else
	lla t4, boot_l3
	table_pte t4, t1
	li t2, 511 * 8
	add t2, t2, s5
	sd t1, (t2)
#endif
	lla t0, boot_l2
	table_pte t0, t1
	li t2, 510 * 8
	add t2, t2, t4
	sd t1, (t2)
	/* boot_l2[i] = the 2 MiB at (load address - 2 MiB) + i * 2 MiB. */
	li t0, KERNEL_TEXT_OFFSET
	sub t0, s3, t0
	srli t1, t0, 2
	ori t1, t1, BOOT_LEAF_RWX
	li t2, 1 << 19			/* 2 MiB in PTE units (pa >> 2). */
	lla t3, boot_l2
	li t5, 512
4:	sd t1, (t3)
	add t1, t1, t2
	addi t3, t3, 8
	addi t5, t5, -1
	bnez t5, 4b

	/*
	 * Privileged Spec v1.12, 4.2.1: an SFENCE.VMA orders the table stores
	 * above before the implicit reads of the walks that follow. Then
	 * satp (4.1.11): MODE, ASID 0 and the root's PPN. satp is WARL and a
	 * write with an unsupported MODE has no effect at all, so read it
	 * back. A second SFENCE.VMA after the write drops any translation
	 * cached before it (4.1.11: "changing satp ... does not imply any
	 * ordering constraints between page-table updates and subsequent
	 * address translations").
	 */
	srli t0, s5, 12
	li t1, BOOT_SATP_MODE << RISCV_SATP_MODE_SHIFT
	or t0, t0, t1
	sfence.vma zero, zero
	csrw satp, t0
	csrr t1, satp
	bne t0, t1, .Lno_mode
	sfence.vma zero, zero

	/* Still at the identity map: go to the link address. */
	ld t0, .Lhigh_link
	jr t0

.Lhigh:
	/* From here on pc-relative addresses are link addresses. */
	lla t0, riscv_trap_entry
	csrw stvec, t0
	lla sp, boot_stack_top
	mv s0, zero			/* fp = 0 ends backtraces. */
	mv a0, s1
	mv a1, s2
	call riscv_entry

.Lpark:
	csrci sstatus, RISCV_SSTATUS_SIE
5:	wfi
	j 5b

/*
 * A secondary hart, started by arch_cpu_start() (smp.c) through SBI HSM
 * hart_start (SBI v1.0.0, 9.1): S-mode, satp = 0 (MMU off),
 * sstatus.SIE = 0, a0 = its hart id, a1 = the opaque argument, here the
 * physical address of its struct riscv_start_record (smp.c: the hart id
 * it is meant for, the kernel's satp, the stack top and the cpu_local,
 * all link or linear-map addresses). It runs at its physical address
 * until the jump to .Lsecondary_high, so pc-relative addressing only.
 */
	.p2align 2
	.global riscv_secondary_entry
riscv_secondary_entry:
	/*
	 * The hart's state as boot.S's .Lentry sets it: no interrupts
	 * (4.1.1 SIE, 4.1.3 sie), FP off and SUM/MXR clear (4.1.1.2: the
	 * kernel reaches user pages only inside usercopy.S), sscratch = 0
	 * (in the kernel, trap.S), and a trap vector at its physical address
	 * until the MMU is on (4.1.2, direct mode).
	 */
	csrw sie, zero
	csrci sstatus, RISCV_SSTATUS_SIE
	li t0, RISCV_SSTATUS_FS | RISCV_SSTATUS_SUM | RISCV_SSTATUS_MXR
	csrc sstatus, t0
	csrw sscratch, zero
	lla t0, riscv_trap_entry
	csrw stvec, t0

	/*
	 * The record, read at its physical address. A record meant for
	 * another hart means this one came up so late that the core gave up
	 * on it and handed its slot to the next hart: it must not run.
	 */
	ld t0, RISCV_START_HARTID(a1)
	bne t0, a0, .Lpark
	ld s1, RISCV_START_SATP(a1)
	ld s2, RISCV_START_STACK(a1)
	ld s3, RISCV_START_CL(a1)

	/*
	 * First boot.S's own tables, which still map this code at its
	 * physical address (the identity slot) and at its link address, so
	 * the jump works; the kernel page table maps only the latter. Same
	 * fences as at boot (4.2.1, 4.1.11); the boot hart checked the mode.
	 */
	lla t0, boot_root
	srli t0, t0, 12
	li t1, BOOT_SATP_MODE << RISCV_SATP_MODE_SHIFT
	or t0, t0, t1
	sfence.vma zero, zero
	csrw satp, t0
	sfence.vma zero, zero
	ld t0, .Lsecondary_high_link
	jr t0

.Lsecondary_high:
	lla t0, riscv_trap_entry
	csrw stvec, t0
	/*
	 * Then the kernel's table: the first fence orders the boot hart's
	 * table stores (published to this hart by the SBI call that started
	 * it) before the walks, the second drops what boot_root left cached
	 * (4.2.1; ASID 0 everywhere, riscv_satp_switch()).
	 */
	sfence.vma zero, zero
	csrw satp, s1
	sfence.vma zero, zero
	mv sp, s2
	mv tp, s3			/* This CPU's area (trap.S). */
	mv s0, zero			/* fp = 0 ends backtraces. */
	mv a0, s3
	call smp_secondary_entry
	j .Lpark

	/*
	 * Early failures, MMU off and no console driver yet: print through the
	 * SBI legacy console putchar (SBI v1.0.0, 5.2) and shut down through
	 * SRST with a failure reason (ch. 10).
	 */
.Lno_mode:
	lla s6, .Lno_mode_msg
	j .Lfail
.Lmisaligned:
	lla s6, .Lmisaligned_msg
.Lfail:
	lbu a0, (s6)
	beqz a0, 6f
	li a7, RISCV_SBI_EXT_LEGACY_PUTCHAR
	li a6, 0
	ecall
	addi s6, s6, 1
	j .Lfail
6:	li a7, RISCV_SBI_EXT_SRST
	li a6, RISCV_SBI_SRST_RESET
	li a0, RISCV_SBI_SRST_SHUTDOWN
	li a1, RISCV_SBI_SRST_REASON_FAILURE
	ecall
	j .Lpark

	.p2align 3
.Lstart_link:
	.dword _start
.Lhigh_link:
	.dword .Lhigh
.Lsecondary_high_link:
	.dword .Lsecondary_high

.Lno_mode_msg:
	.ascii "\nPANIC: riscv64: this CPU does not support "
	.ascii BOOT_MODE_NAME
	.asciz ": satp did not take the mode; boot stopped\n"
.Lmisaligned_msg:
	.ascii "\nPANIC: riscv64: the image is not loaded at a 2 MiB "
	.asciz "aligned address; boot stopped\n"

	.section .data
	.p2align 3
	.global riscv_image_delta
riscv_image_delta:
	.dword 0
boot_lottery:
	.word 0

	.section .bss
	.p2align 12
boot_root:
	.skip 4096
#if !CONFIG_RISCV_SV39
boot_l3:
	.skip 4096
#endif
boot_l2:
	.skip 4096
	.p2align 4
boot_stack:
	.skip BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:
