/* SPDX-License-Identifier: MPL-2.0 */
/*
 * aarch64 entry through the arm64 Linux boot protocol (Linux
 * Documentation/arm64/booting.rst): QEMU's -kernel loads the raw Image at
 * RAM base + text_offset and jumps to its first byte with the MMU off,
 * x0 = the physical address of the DTB, at EL1, or at EL2 with
 * -machine virt,virtualization=on.
 *
 * At EL2 we make EL1 a plain AArch64 kernel level and eret to it. At EL1 we
 * install VBAR_EL1 before anything else can fault, set up the stack, clear
 * the BSS and call aarch64_entry(dtb, entry_el). The MMU and the caches
 * stay off.
 *
 * "Arm ARM" is DDI 0487 (G.b numbering); system registers are cited by
 * their description in D13.2, by name.
 */

/* Arm ARM C5.2 CurrentEL: EL in bits [3:2]. */
#define CURRENTEL_EL1 (1 << 2)
#define CURRENTEL_EL2 (2 << 2)

/*
 * Arm ARM D13.2.47 HCR_EL2. RW (bit 31): EL1 is AArch64. HCD (bit 29): HVC
 * is UNDEFINED at EL1, so a stray hvc traps to our VBAR_EL1 handler instead
 * of to EL2, where nothing is installed. Every other bit 0: no stage 2, no
 * traps, interrupts stay at EL1 (IMO/FMO/AMO = 0), SMC not trapped (TSC =
 * 0, so PSCI over smc still reaches QEMU's firmware emulation).
 */
#define HCR_EL2_RW (1 << 31)
#define HCR_EL2_HCD (1 << 29)

/*
 * Arm ARM D13.2 CNTHCTL_EL2 (with HCR_EL2.E2H = 0): EL1PCTEN (bit 0) and
 * EL1PCEN (bit 1) let EL1 use the physical counter and timer without
 * trapping to EL2.
 */
#define CNTHCTL_EL2_EL1PCTEN (1 << 0)
#define CNTHCTL_EL2_EL1PCEN (1 << 1)

/*
 * Arm ARM D13.2 CPTR_EL2 (E2H = 0): bits [13:12] and [9:0] are RES1; TFP
 * (bit 10) and TCPAC (bit 31) are 0, so nothing traps to EL2.
 */
#define CPTR_EL2_RES1 0x33ff

/*
 * Arm ARM C5.2 SPSR_EL2: M[3:0] = 0b0101 is EL1h (EL1 on SP_EL1); D, A, I
 * and F (bits 9:6) masked, as booting.rst requires.
 */
#define SPSR_EL1H_DAIF 0x3c5

/*
 * Arm ARM D13.2 SCTLR_EL1: only the bits that are RES1 in Armv8.0 (29, 28,
 * 23, 22, 20, 11). M = 0 (MMU off), C = I = 0 (caches off), A = 0, EE = 0
 * (little-endian). Its reset value is UNKNOWN when we come from EL2.
 */
#define SCTLR_EL1_RES1 0x30d00800

/* QEMU virt's PL011 (hw/arm/virt.c), for the one message before C runs. */
#define EARLY_UART 0x09000000
#define UARTFR 0x18
#define UARTFR_TXFF 5

#define BOOT_STACK_SIZE 16384

/*
 * The Image header, booting.rst "The image header": code0/code1, then
 * text_offset, image_size and flags (little-endian u64s), three reserved
 * u64s, the magic "ARM\x64" at offset 56 and a reserved u32. flags = 0:
 * little-endian, page size unspecified, and bit 3 clear so loaders place
 * the image at the 2 MiB-aligned base of RAM + text_offset, which is where
 * linker.ld links it.
 */
	.section .text.head, "ax"
	.global _start
_start:
	b	aarch64_boot			/* code0 */
	.long	0				/* code1 */
	.quad	__image_text_offset
	.quad	__image_size
	.quad	0				/* flags */
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

	/*
	 * Nothing below may use an absolute address before we know we run
	 * where we are linked: compare the PC-relative and the linked
	 * address of _start.
	 */
	adr	x1, _start
	ldr	x2, =_start
	cmp	x1, x2
	b.ne	bad_load_address

	cmp	x20, #CURRENTEL_EL1
	b.eq	at_el1
	cmp	x20, #CURRENTEL_EL2
	b.ne	bad_el

	mov	x0, #(HCR_EL2_RW | HCR_EL2_HCD)
	msr	hcr_el2, x0
	/*
	 * With EL2 enabled, EL1 reads of MIDR_EL1 and MPIDR_EL1 return
	 * VPIDR_EL2 and VMPIDR_EL2 (Arm ARM D13.2 VPIDR_EL2, VMPIDR_EL2),
	 * whose reset values are UNKNOWN: pass the real ones through.
	 */
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	mov	x0, #(CNTHCTL_EL2_EL1PCTEN | CNTHCTL_EL2_EL1PCEN)
	msr	cnthctl_el2, x0
	/* Arm ARM D13.2 CNTVOFF_EL2: virtual count = physical count. */
	msr	cntvoff_el2, xzr
	mov	x0, #CPTR_EL2_RES1
	msr	cptr_el2, x0
	mov	x0, #SPSR_EL1H_DAIF
	msr	spsr_el2, x0
	adr	x0, at_el1
	msr	elr_el2, x0
	/*
	 * ERET is a context synchronization event (Arm ARM Glossary), so the
	 * writes above are in effect at EL1 without an ISB.
	 */
	eret

at_el1:
	msr	daifset, #0xf
	/*
	 * Arm ARM D13.2 VBAR_EL1: from here on, a fault is reported. The
	 * ISB makes the new VBAR_EL1 and SCTLR_EL1 apply to the following
	 * instructions (Arm ARM D13.1, "Synchronization requirements for
	 * AArch64 System registers").
	 */
	ldr	x0, =aarch64_vectors
	msr	vbar_el1, x0
	ldr	x0, =SCTLR_EL1_RES1
	msr	sctlr_el1, x0
	isb

	ldr	x0, =boot_stack_top
	mov	sp, x0

	/* Clear the BSS (linker.ld aligns both ends to 16 bytes). */
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	mov	x29, xzr			/* Ends frame-pointer backtraces. */
	mov	x30, xzr
	mov	x0, x19				/* aarch64_entry(dtb, el) */
	lsr	x1, x20, #2
	bl	aarch64_entry
3:	msr	daifset, #0xf
	wfi
	b	3b

/*
 * We cannot run here: say so on QEMU virt's UART, position-independently
 * and without a stack, and stop. There is no vector table yet, so stopping
 * is all we can do; the runner's timeout ends QEMU.
 */
bad_load_address:
	adr	x0, msg_bad_load
	b	early_fail
bad_el:
	adr	x0, msg_bad_el
early_fail:
	mov	x1, #EARLY_UART
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
	.ascii	"\r\nboot: the Image is not at its link address 0x40080000 "
	.asciz	"(RAM base + text_offset)\r\n"
msg_bad_el:
	.asciz	"\r\nboot: entered at neither EL1 nor EL2\r\n"
	.balign	4

	.section .bss
	.balign	16
boot_stack:
	.skip	BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:
