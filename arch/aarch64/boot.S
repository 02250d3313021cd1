/* SPDX-License-Identifier: MPL-2.0 */
/*
 * aarch64 entry through the arm64 Linux boot protocol (Linux
 * Documentation/arm64/booting.rst): the loader (QEMU's -kernel, U-Boot's
 * booti) places the raw Image at a 2 MiB-aligned physical base +
 * text_offset and jumps to its first byte with the MMU off, x0 = the
 * physical address of the DTB, at EL1, or at EL2 with
 * -machine virt,virtualization=on.
 *
 * The image is linked in the upper half (aarch64_layout.h) but starts at
 * its physical address, so everything up to the jump to high_entry is
 * position independent (adr/adrp, no absolute address but the final jump):
 *
 *   1. At EL2, make EL1 a plain AArch64 kernel level and eret to it.
 *   2. Build boot_pt: one root page for both halves (TTBR0 = root,
 *      TTBR1 = root + 2 KiB), an L1 table of 1 GiB blocks that is both the
 *      identity map (root entry 0, for the instructions that turn the MMU
 *      on) and the linear map (root entry 256 = PHYS_OFFSET), with the
 *      image's GiB in 2 MiB blocks (devices may share it: raspi3b), and a
 *      2 MiB-block table for the image at KERNEL_VMA_OFFSET (root 511,
 *      L1 510).
 *   3. MAIR, TCR, TTBRs, SCTLR.M: the MMU is on; jump to the link address.
 *   4. There: the real VBAR_EL1, a clear BSS, the stack, and C.
 *
 * arch_kernel_pt_activate() (kernel_pt.c) later moves onto the core's
 * kernel page table and never uses boot_pt again.
 *
 * "Arm ARM" is DDI 0487; its section numbers move between revisions, so
 * system registers are cited by name (their descriptions are in D13.2 of
 * G.b, D19.2 / D23.2 later) and sections with the G.b number and name.
 */

#include "ostd/arch/aarch64_layout.h"
#include "ostd/arch/aarch64_pte.h"
#include "ostd/arch/aarch64_smp.h"
#include "generated/board.h"

/* Arm ARM C5.2 CurrentEL: EL in bits [3:2]. */
#define CURRENTEL_EL1 (1 << 2)
#define CURRENTEL_EL2 (2 << 2)

/*
 * HCR_EL2. RW (bit 31): EL1 is AArch64. HCD (bit 29): HVC is UNDEFINED at
 * EL1, so a stray hvc traps to our VBAR_EL1 handler instead of to EL2,
 * where nothing is installed. Every other bit 0: no stage 2, no traps,
 * interrupts stay at EL1 (IMO/FMO/AMO = 0), SMC not trapped (TSC = 0, so
 * PSCI over smc still reaches QEMU's firmware emulation).
 */
#define HCR_EL2_RW (1 << 31)
#define HCR_EL2_HCD (1 << 29)

/*
 * CNTHCTL_EL2 (with HCR_EL2.E2H = 0): EL1PCTEN (bit 0) and EL1PCEN (bit 1)
 * let EL1 use the physical counter and timer without trapping to EL2.
 */
#define CNTHCTL_EL2_EL1PCTEN (1 << 0)
#define CNTHCTL_EL2_EL1PCEN (1 << 1)

/*
 * CPTR_EL2 (E2H = 0): bits [13:12] and [9:0] are RES1; TFP (bit 10) and
 * TCPAC (bit 31) are 0, so nothing traps to EL2.
 */
#define CPTR_EL2_RES1 0x33ff

/* ICC_SRE_EL2: SRE (bit 0) and Enable (bit 3), see aarch64_drop_to_el1. */
#define ICC_SRE_EL2_SRE_ENABLE 0x9

/*
 * C5.2 SPSR_EL2: M[3:0] = 0b0101 is EL1h (EL1 on SP_EL1); D, A, I and F
 * (bits 9:6) masked, as booting.rst requires.
 */
#define SPSR_EL1H_DAIF 0x3c5

/*
 * SCTLR_EL1. RES1 in Armv8.0: bits 29, 28, 23 (SPAN from Armv8.1), 22
 * (EIS), 20 (TSCXT), 11 (EOS). With the MMU off: M = C = I = 0, A = 0,
 * EE = 0 (little-endian); its reset value is UNKNOWN when we come from EL2.
 * With the MMU on we add M (bit 0, stage 1 translation), C (bit 2, data
 * cacheable), SA (bit 3) and SA0 (bit 4, SP alignment checks at EL1 and
 * EL0) and I (bit 12, instruction cacheable). WXN (bit 19) stays 0 (the
 * kernel table has no W+X anyway; pt_format.c sets PXN/UXN explicitly),
 * nTWI/nTWE (bits 16, 18) stay 0 so an EL0 wfi/wfe traps, and UCI, UCT,
 * DZE, UMA stay 0 (no cache maintenance, CTR_EL0, DC ZVA or DAIF access
 * from EL0).
 *
 * SPAN (bit 23) is cleared where ID_AA64MMFR1_EL1.PAN says the CPU has
 * FEAT_PAN: then every exception taken to EL1 sets PSTATE.PAN ("PSTATE.PAN
 * is set to 1 on taking an exception to EL1"), so a trap handler never runs
 * with user access open.
 */
#define SCTLR_EL1_RES1 0x30d00800
#define SCTLR_EL1_MMU_ON (SCTLR_EL1_RES1 | 0x101d)
#define SCTLR_EL1_SPAN (1 << 23)
#define ID_AA64MMFR1_PAN_SHIFT 20

/*
 * TCR_EL1: T0SZ [5:0] = T1SZ [21:16] = 17 (aarch64_layout.h explains why),
 * IRGN/ORGN = 0b01 (walks are Normal write-back write-allocate cacheable)
 * and SH = 0b11 (Inner Shareable) for both halves, TG0 [15:14] = 0b00 and
 * TG1 [31:30] = 0b10 (4 KiB granule each: the two fields encode it
 * differently), A1 = 0 (the ASID comes from TTBR0_EL1), AS = 0 (8-bit
 * ASIDs), TBI0 = TBI1 = 0 (the top byte is translated: no tagged
 * pointers), HA = HD = 0 (no hardware Access flag or dirty state, as the
 * codec and the software MMU assume). IPS [34:32] is added at run time.
 */
#define TCR_EL1_BASE 0xb5113511
#define TCR_EL1_IPS_SHIFT 32
/* IPS = 0b101: 48 bits, the widest the codec's descriptors can hold. */
#define TCR_EL1_IPS_48 5

/*
 * Boot block descriptors (D5.3.3 "Memory attribute fields in the VMSAv8-64
 * translation table format descriptors", ostd/arch/aarch64_pte.h): valid
 * blocks with AF set (no hardware Access flag), global (nG = 0), AP[2:1] =
 * 0b00 (EL1 read/write, no EL0 access) and UXN. RAM and the image are
 * Normal write-back, Inner Shareable and executable at EL1 (the boot map
 * is short-lived: the kernel table splits text from data); devices are
 * Device-nGnRnE and never executable.
 */
#define BOOT_BLOCK_RAM                                                   \
	(AARCH64_PTE_TYPE_BLOCK | AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_WB) | \
	 AARCH64_PTE_SH_INNER | AARCH64_PTE_AF | AARCH64_PTE_UXN)
#define BOOT_BLOCK_DEVICE                                   \
	(AARCH64_PTE_TYPE_BLOCK |                           \
	 AARCH64_PTE_ATTRINDX(AARCH64_MAIR_IDX_DEVICE) |    \
	 AARCH64_PTE_AF | AARCH64_PTE_UXN | AARCH64_PTE_PXN)

/*
 * The board's console, a PL011 on every aarch64 board (board.ini
 * [devices]), for the messages before C runs.
 */
#define EARLY_UART BOARD_CONSOLE_BASE
#define UARTFR 0x18
#define UARTFR_TXFF 5

#define BOOT_STACK_SIZE 16384

/*
 * The Image header, booting.rst "The image header": code0/code1, then
 * text_offset, image_size and flags (little-endian u64s), three reserved
 * u64s, the magic "ARM\x64" at offset 56 and a reserved u32. flags = 0xa:
 * little-endian (bit 0 = 0), 4 KiB pages (bits 2:1 = 0b01), and bit 3: the
 * 2 MiB-aligned base may be anywhere in physical memory.
 */
	.section .text.head, "ax"
	.global _start
_start:
	b	aarch64_boot			/* code0 */
	.long	0				/* code1 */
	.quad	__image_text_offset
	.quad	__image_size
	.quad	0xa				/* flags */
	.quad	0
	.quad	0
	.quad	0
	.long	0x644d5241			/* "ARM\x64" */
	.long	0

	.section .text.boot, "ax"
aarch64_boot:
	mov	x19, x0				/* The DTB, for aarch64_entry. */
	mrs	x20, CurrentEL
	and	x20, x20, #0xc
	bl	aarch64_drop_to_el1

at_el1:
	msr	daifset, #0xf
	msr	spsel, #1			/* EL1h: the kernel runs on SP_EL1. */
	/*
	 * TPIDR_EL1 (the per-CPU pointer, smp.c) resets to an UNKNOWN value:
	 * 0 until smp_init_boot_cpu() installs CPU 0's area.
	 */
	msr	tpidr_el1, xzr
	/*
	 * VBAR_EL1 at the physical early_vectors: a fault before the MMU is
	 * on is reported, not hung on. The ISB makes VBAR_EL1 and SCTLR_EL1
	 * apply to the following instructions (D13.1.2 "Synchronization
	 * requirements for AArch64 System registers").
	 */
	adr	x0, early_vectors
	msr	vbar_el1, x0
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	isb

	/* x21: the 2 MiB-aligned physical base the image was placed at. */
	adr	x21, _start
	sub	x21, x21, #AARCH64_TEXT_OFFSET
	tst	x21, #0x1fffff
	b.ne	bad_load_address

	bl	build_boot_pt
	adrp	x3, boot_root
	add	x4, x3, #AARCH64_ROOT_KERNEL_HALF
	bl	enable_mmu
	/* The only absolute address so far: the image's link address. */
	ldr	x0, =high_entry
	br	x0

/*
 * Leaves EL2 for EL1 and returns there, to the caller (x30); at EL1 it
 * just returns. Every CPU comes through here: the boot CPU from
 * aarch64_boot, the others from aarch64_secondary_entry, since the EL2
 * controls below are per PE. Clobbers x0-x1; touches no stack (SP_EL1 is
 * not set up yet, and the eret leaves SP_EL2 behind).
 */
aarch64_drop_to_el1:
	mrs	x0, CurrentEL
	and	x0, x0, #0xc
	cmp	x0, #CURRENTEL_EL1
	b.eq	1f
	cmp	x0, #CURRENTEL_EL2
	b.ne	bad_el

	mov	x0, #(HCR_EL2_RW | HCR_EL2_HCD)
	msr	hcr_el2, x0
	/*
	 * With EL2 enabled, EL1 reads of MIDR_EL1 and MPIDR_EL1 return
	 * VPIDR_EL2 and VMPIDR_EL2, whose reset values are UNKNOWN: pass the
	 * real ones through.
	 */
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	mov	x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
	msr	cnthctl_el2, x0
	/* CNTVOFF_EL2: virtual count = physical count. */
	msr	cntvoff_el2, xzr
	mov	x0, #CPTR_EL2_RES1
	msr	cptr_el2, x0
	/*
	 * A GICv3 CPU interface (ID_AA64PFR0_EL1.GIC [27:24] != 0): set
	 * ICC_SRE_EL2.SRE (bit 0) and .Enable (bit 3), or EL1's accesses to
	 * ICC_SRE_EL1 trap to EL2, where nothing is installed (IHI 0069,
	 * 12.2.27 "ICC_SRE_EL2"). S3_4_C12_C9_5 is ICC_SRE_EL2 by encoding.
	 */
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #24, #4
	cbz	x0, 2f
	mrs	x0, S3_4_C12_C9_5
	mov	x1, #ICC_SRE_EL2_SRE_ENABLE
	orr	x0, x0, x1
	msr	S3_4_C12_C9_5, x0
	isb
2:
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	msr	elr_el2, x30
	/*
	 * ERET is a context synchronization event (Arm ARM Glossary), so the
	 * writes above are in effect at EL1 without an ISB.
	 */
	eret
1:	ret

/*
 * Builds boot_pt (see the top) with the MMU off. Clobbers x0-x14.
 */
build_boot_pt:
	adrp	x0, __boot_pt_start
	adrp	x1, __boot_pt_end
1:	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	1b

	adrp	x2, boot_root
	adrp	x3, boot_l1_linear
	adrp	x4, boot_l1_image
	adrp	x5, boot_l2_image
	/* Table descriptors (D5.3.1): next-level address | 0b11. */
	orr	x6, x3, #AARCH64_PTE_TYPE_TABLE
	str	x6, [x2]			/* Identity, via TTBR0. */
	str	x6, [x2, #256 * 8]		/* PHYS_OFFSET, via TTBR1. */
	orr	x6, x4, #AARCH64_PTE_TYPE_TABLE
	str	x6, [x2, #511 * 8]
	orr	x6, x5, #AARCH64_PTE_TYPE_TABLE
	str	x6, [x4, #510 * 8]

	/*
	 * The 1 GiB blocks: below the image's GiB, devices; from it on,
	 * AARCH64_BOOT_RAM_GIB of RAM (at most up to the table's end), but
	 * devices again from AARCH64_BOOT_DEVICE_FLOOR. The image's GiB is
	 * boot_l2_linear's 2 MiB blocks, split by the same floor.
	 */
	lsr	x7, x21, #30
	add	x11, x7, #AARCH64_BOOT_RAM_GIB
	mov	x12, #512
	cmp	x11, x12
	csel	x11, x11, x12, lo
	ldr	x9, =BOOT_BLOCK_DEVICE
	ldr	x10, =BOOT_BLOCK_RAM
	ldr	x12, =AARCH64_BOOT_DEVICE_FLOOR
	mov	x8, #0
2:	cmp	x8, x11
	b.hs	22f
	lsl	x14, x8, #30
	cmp	x8, x7
	csel	x13, x9, x10, lo
	cmp	x14, x12
	csel	x13, x9, x13, hs
	orr	x13, x13, x14
	str	x13, [x3, x8, lsl #3]
	add	x8, x8, #1
	b	2b
22:	adrp	x6, boot_l2_linear
	orr	x13, x6, #AARCH64_PTE_TYPE_TABLE
	str	x13, [x3, x7, lsl #3]
	lsl	x14, x7, #30
	add	x8, x7, #1
	lsl	x8, x8, #30
23:	cmp	x14, x12
	csel	x13, x9, x10, hs
	orr	x13, x13, x14
	str	x13, [x6], #8
	add	x14, x14, #(1 << 21)
	cmp	x14, x8
	b.lo	23b

	/* The image: 2 MiB blocks from the physical base. */
	ldr	x8, =__boot_image_blocks
	mov	x9, #0
4:	cmp	x9, x8
	b.hs	5f
	add	x13, x21, x9, lsl #21
	orr	x13, x13, x10
	str	x13, [x5, x9, lsl #3]
	add	x9, x9, #1
	b	4b

	/*
	 * The walker reads the tables through the cache once the MMU is on
	 * (TCR_EL1.IRGN0/1): invalidate any stale line over what we just
	 * wrote with the MMU off, data cache off (D4.4.7 "Data and unified
	 * caches" / "Cache maintenance requirements ... when the MMU is
	 * off"; DC IVAC by the smallest line size, CTR_EL0.DminLine).
	 */
5:	dsb	sy
	mrs	x6, ctr_el0
	ubfx	x6, x6, #16, #4
	mov	x7, #4
	lsl	x7, x7, x6
	adrp	x0, __boot_pt_start
	adrp	x1, __boot_pt_end
6:	dc	ivac, x0
	add	x0, x0, x7
	cmp	x0, x1
	b.lo	6b
	dsb	sy
	ret

/*
 * Turns the MMU on with TTBR0_EL1 = x3 and TTBR1_EL1 = x4: boot_pt's two
 * halves on the boot CPU; boot_pt's identity half and the kernel page
 * table on the others (aarch64_secondary_entry). The same MAIR, TCR and
 * SCTLR values on every CPU. Clobbers x0-x2.
 */
enable_mmu:
	/* MAIR_EL1: the attribute indices the codec uses (aarch64_pte.h). */
	ldr	x0, =AARCH64_MAIR_VALUE
	msr	mair_el1, x0
	/*
	 * TCR_EL1.IPS from ID_AA64MMFR0_EL1.PARange [3:0] (same encoding),
	 * capped at 48 bits: a larger IPS with the 4 KiB granule would need
	 * FEAT_LPA2 descriptors, which the codec does not write.
	 */
	mrs	x1, id_aa64mmfr0_el1
	and	x1, x1, #0xf
	mov	x2, #TCR_EL1_IPS_48
	cmp	x1, x2
	csel	x1, x1, x2, lo
	ldr	x0, =TCR_EL1_BASE
	orr	x0, x0, x1, lsl #TCR_EL1_IPS_SHIFT
	msr	tcr_el1, x0
	msr	ttbr0_el1, x3
	msr	ttbr1_el1, x4
	isb
	/*
	 * Nothing the loader left in the TLB may survive (D5.10.2 "TLB
	 * maintenance requirements and the TLB maintenance instructions"):
	 * TLBI VMALLE1, then DSB to complete it and ISB before the MMU uses
	 * the TLB.
	 */
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x0, =SCTLR_EL1_MMU_ON
	mrs	x1, id_aa64mmfr1_el1
	ubfx	x1, x1, #ID_AA64MMFR1_PAN_SHIFT, #4
	cbz	x1, 1f
	and	x0, x0, #~SCTLR_EL1_SPAN
1:	msr	sctlr_el1, x0
	/*
	 * ISB: the instructions after it are fetched with the MMU on
	 * (D13.1.2). Then drop whatever the instruction cache fetched
	 * speculatively with the MMU off (IC IALLU, D4.4.7), as Linux's
	 * __enable_mmu does.
	 */
	isb
	ic	iallu
	dsb	nsh
	isb
	ret

	.ltorg

/*
 * The other CPUs start here (smp.c), at this physical address with the
 * MMU and caches off: from PSCI CPU_ON (DEN 0022, 5.6 "CPU_ON") with x0 =
 * its context_id, the physical address of the CPU's boot record; from a
 * spin table (QEMU raspi's stub, hw/arm/raspi.c) with x0 = 0, and then the
 * record is the one whose mpidr is this CPU's MPIDR_EL1 affinity. Either
 * way at EL2 or EL1, like the boot CPU, and it goes the boot CPU's way:
 * EL1, the early vectors, the MMU on with the same MAIR/TCR/SCTLR (but
 * TTBR1_EL1 straight on the kernel page table: boot_pt's identity half
 * only carries us over the switch), then the link address, the kernel
 * vectors, the stack, TPIDR_EL1 and smp_secondary_entry(cl).
 *
 * The records are read with the data cache off: smp.c cleans them to the
 * point of coherency first.
 */
	.global aarch64_secondary_entry
aarch64_secondary_entry:
	mov	x19, x0
	bl	aarch64_drop_to_el1
	msr	daifset, #0xf
	msr	spsel, #1
	adr	x0, early_vectors
	msr	vbar_el1, x0
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	isb
	cbnz	x19, 3f

	/* Spin table: look the record up by affinity (Aff3..Aff0). */
	mrs	x0, mpidr_el1
	ldr	x1, =AARCH64_BOOT_MPIDR_AFF
	and	x0, x0, x1
	adrp	x19, aarch64_boot_records
	add	x19, x19, :lo12:aarch64_boot_records
	mov	x2, #AARCH64_BOOT_RECORD_COUNT
1:	ldr	x1, [x19, #AARCH64_BOOT_REC_STACK]
	cbz	x1, 2f				/* Not a record in use. */
	ldr	x1, [x19, #AARCH64_BOOT_REC_MPIDR]
	cmp	x1, x0
	b.eq	3f
2:	add	x19, x19, #AARCH64_BOOT_REC_SIZE
	subs	x2, x2, #1
	b.ne	1b
	/* Nobody asked for this CPU: park it (smp.c times out on it). */
	b	secondary_park

3:	ldr	x20, [x19, #AARCH64_BOOT_REC_CL]
	ldr	x21, [x19, #AARCH64_BOOT_REC_STACK]
	ldr	x4, [x19, #AARCH64_BOOT_REC_TTBR1]
	adrp	x3, boot_root
	bl	enable_mmu
	ldr	x0, =secondary_high
	br	x0

secondary_park:
	wfe
	b	secondary_park

	.ltorg

/*
 * From here on we run at the link address, in the upper half.
 */
	.text
high_entry:
	/* The real vectors (trap.S); the ISB as above. */
	ldr	x0, =aarch64_vectors
	msr	vbar_el1, x0
	isb

	/* Clear the BSS (linker.ld aligns both ends to 16 bytes). */
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	ldr	x0, =boot_stack_top
	mov	sp, x0
	mov	x29, xzr			/* Ends frame-pointer backtraces. */
	mov	x30, xzr
	mov	x0, x19				/* aarch64_entry(dtb, el, base) */
	lsr	x1, x20, #2
	mov	x2, x21
	bl	aarch64_entry
3:	msr	daifset, #0xf
	wfi
	b	3b

/*
 * A secondary CPU at its link address (aarch64_secondary_entry): x20 =
 * its struct cpu_local, x21 = its stack top. TPIDR_EL1 before any C, for
 * arch_cpu_local() (aarch64_cpu_local.h).
 */
secondary_high:
	ldr	x0, =aarch64_vectors
	msr	vbar_el1, x0
	isb
	mov	sp, x21
	msr	tpidr_el1, x20
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x20
	bl	smp_secondary_entry
	udf	#0

	.section .text.boot, "ax"
/*
 * We cannot run here: say so on QEMU virt's UART, position-independently
 * and without a stack, and stop. The runner's timeout ends QEMU.
 */
bad_load_address:
	adr	x0, msg_bad_load
	b	early_fail
bad_el:
	adr	x0, msg_bad_el
	b	early_fail
early_exception:
	adr	x0, msg_early_exc
early_fail:
	ldr	x1, =EARLY_UART
1:	ldrb	w2, [x0], #1
	cbz	w2, 3f
2:	ldr	w3, [x1, #UARTFR]
	tbnz	w3, #UARTFR_TXFF, 2b
	str	w2, [x1]
	b	1b
3:	msr	daifset, #0xf
	wfi
	b	3b

msg_bad_load:
	.ascii	"\r\nboot: the Image is not at a 2 MiB-aligned base + "
	.asciz	"text_offset\r\n"
msg_bad_el:
	.asciz	"\r\nboot: entered at neither EL1 nor EL2\r\n"
msg_early_exc:
	.asciz	"\r\nboot: exception before the kernel vectors were set\r\n"

/*
 * Vectors for the boot code (D1.10.2 "Exception vectors": 16 entries of
 * 0x80 bytes, 2 KiB aligned), used by physical address: any exception
 * before high_entry ends in early_fail.
 */
	.balign	2048
early_vectors:
	.rept	16
	.balign	0x80
	b	early_exception
	.endr

	.section .boot_pt, "aw", %nobits
	.balign	4096
boot_root:
	.skip	4096
boot_l1_linear:
	.skip	4096
boot_l1_image:
	.skip	4096
boot_l2_image:
	.skip	4096
boot_l2_linear:
	.skip	4096

	.section .bss
	.balign	16
boot_stack:
	.skip	BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:
