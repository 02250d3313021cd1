// SPDX-License-Identifier: MPL-2.0
#include "ktest_util.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/printf.h"
#include "ostd/string.h"
#include "ostd/task.h"
#include "ostd/timer.h"

/*
 * The kernel test images link the software MMU of their own format, which
 * reaches physical memory through the kernel's linear map here (the host
 * build has sim.c's arena instead).
 */
void *sim_phys_ptr(paddr_t pa, uint64_t len)
{
	(void)len;
	return arch_paddr_to_ptr(pa);
}

/* The rest needs the port's user mode and probes. */
#if CONFIG_ARCH_USER_MODE

const struct sim_mmu_hw *kt_sim_mmu(void)
{
#if CONFIG_ARCH_X86_64
	return &sim_mmu_x86_64;
#elif CONFIG_ARCH_RISCV64 && CONFIG_RISCV_SV39
	return &sim_mmu_sv39;
#elif CONFIG_ARCH_RISCV64
	return &sim_mmu_sv48;
#else
	return &sim_mmu_aarch64;
#endif
}

struct sim_mode kt_sim_mode(bool user)
{
	/*
	 * What the ports program: x86 CR0.WP, NX, SMEP and SMAP; RISC-V
	 * SUM and MXR clear; AArch64 PAN. Each software MMU reads only its
	 * own fields. The protections must be on (arch_user_access_protected()).
	 */
	bool prot = arch_user_access_protected();

	return (struct sim_mode){
		.user = user,
		.wp = true,
		.smep = prot,
		.smap = prot,
		.nxe = true,
		.pan = prot,
	};
}

ostd_err_t kt_space_new(struct vm_space **vs)
{
	ostd_err_t err = vm_space_new(vs, NULL, false);

	if (err == OSTD_OK) {
		err = vm_space_activate(*vs);
		if (err != OSTD_OK) {
			(void)vm_space_destroy(*vs);
		}
	}
	return err;
}

void kt_space_destroy(struct vm_space *vs)
{
	ostd_err_t err = vm_space_destroy(vs);

	if (err != OSTD_OK) {
		ostd_printf("kt_space_destroy: %s\n", ostd_err_name(err));
	}
}

static ostd_err_t fill_frame(struct frame f, uint8_t marker)
{
	uint8_t page[KT_WRITE_OFF + 8];
	struct vm_writer w = frame_writer(f);
	uint64_t done;

	memset(page, 0, sizeof(page));
	memcpy(page + KT_RET_OFF, arch_ret_insn.bytes, arch_ret_insn.len);
	memcpy(page + KT_SYSCALL_OFF, arch_syscall_insn.bytes,
	       arch_syscall_insn.len);
	page[KT_MARKER_OFF] = marker;

	struct vm_reader r = vm_reader_from_kernel(page, sizeof(page));
	ostd_err_t err = vm_reader_read(&r, &w, &done);

	/* arch_probe_exec() may call the ret through a kernel mapping. */
	arch_sync_icache(f.pa, PAGE_SIZE);
	return err;
}

ostd_err_t kt_test_frame(uint8_t marker, paddr_t *pa)
{
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err == OSTD_OK) {
		err = fill_frame(f, marker);
		if (err != OSTD_OK) {
			frame_drop(&f);
		} else {
			*pa = f.pa;
		}
	}
	return err;
}

static ostd_err_t map_frame(struct vm_space *vs, uint64_t va, paddr_t pa,
			    struct pt_prop prop)
{
	struct vm_space_cursor cur;
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + PAGE_SIZE, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_map_frame(&cur, pa, prop);
	vm_space_cursor_drop(&cur);
	return err;
}

ostd_err_t kt_map_frame(struct vm_space *vs, uint64_t va, paddr_t pa,
			struct pt_prop prop)
{
	return map_frame(vs, va, pa, prop);
}

ostd_err_t kt_map_user_page(struct vm_space *vs, uint64_t va,
			    struct pt_prop prop, uint8_t marker, paddr_t *pa)
{
	paddr_t frame;
	ostd_err_t err = kt_test_frame(marker, &frame);

	if (err != OSTD_OK) {
		return err;
	}
	err = map_frame(vs, va, frame, prop);
	if (err == OSTD_OK && pa != NULL) {
		*pa = frame;
	}
	/* The mapping holds its own reference. */
	struct frame f = { frame };

	frame_drop(&f);
	return err;
}

ostd_err_t kt_map_probe_code(struct vm_space *vs, enum probe_access kind)
{
	return kt_map_code(vs, arch_user_probe_code(kind));
}

ostd_err_t kt_map_code(struct vm_space *vs, struct arch_code code)
{
	struct frame f;
	uint64_t done;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err != OSTD_OK) {
		return err;
	}
	struct vm_writer w = frame_writer(f);
	struct vm_reader r = vm_reader_from_kernel(code.bytes, code.len);

	err = vm_reader_read(&r, &w, &done);
	if (err == OSTD_OK) {
		(void)kt_unmap_user(vs, KT_CODE_VA, PAGE_SIZE);
		err = map_frame(vs, KT_CODE_VA, f.pa,
				(struct pt_prop){ .flags = PROT_R | PROT_X });
	}
	frame_drop(&f);
	return err;
}

ostd_err_t kt_unmap_user(struct vm_space *vs, uint64_t va, uint64_t len)
{
	struct vm_space_cursor cur;
	ostd_err_t err = vm_space_cursor_mut(vs, va, va + len, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_cursor_unmap(&cur, len, NULL);
	vm_space_cursor_drop(&cur);
	return err;
}

int kt_user_probe(enum probe_access kind, uint64_t addr, uint8_t val,
		  uint8_t *byte)
{
	struct user_context ctx;
	struct arch_code code = arch_user_probe_code(kind);

	user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
	user_context_set_arg(&ctx, 0, addr);
	user_context_set_arg(&ctx, 1, val);
	enum user_return_reason why = user_mode_execute(&ctx);
	const struct cpu_exception *e = user_context_exception(&ctx);

	if (why == USER_RETURN_SYSCALL) {
		uint64_t want_pc = kind == PROBE_EXEC
					   ? addr + arch_syscall_insn.len
					   : KT_CODE_VA + code.len;

		if (user_context_pc(&ctx) != want_pc) {
			ostd_printf("probe: syscall, but pc %#llx, not %#llx\n",
				    (unsigned long long)user_context_pc(&ctx),
				    (unsigned long long)want_pc);
			return -1;
		}
		if (byte != NULL) {
			*byte = (uint8_t)user_context_syscall_nr(&ctx);
		}
		return 1;
	}
	uint32_t want_access = kind == PROBE_READ    ? PROT_R
			       : kind == PROBE_WRITE ? PROT_W
						     : PROT_X;

	if (e->kind == CPU_EXC_PAGE_FAULT && e->addr == addr &&
	    e->access == want_access) {
		return 0;
	}
	ostd_printf("probe: unexpected %s (kind %d) at %#llx access %u, "
		    "pc %#llx\n",
		    e->name, (int)e->kind, (unsigned long long)e->addr,
		    e->access, (unsigned long long)user_context_pc(&ctx));
	return -1;
}

ostd_err_t kt_user_load32(struct vm_space *vs, uint64_t va, uint32_t *val)
{
	struct vm_user_reader r;
	struct vm_io_owner token;
	ostd_err_t err =
		vm_space_create_reader(vs, va, sizeof(*val), &r, &token);

	if (err != OSTD_OK) {
		return err;
	}
	err = vm_space_activate_reader(vs, &token);
	if (err == OSTD_OK) {
		err = vm_reader_atomic_load(&r, val);
		/* Ours, active, of this space: giving it back cannot fail. */
		CHECK(vm_space_dispose_reader(vs, &token) == OSTD_OK);
	}
	CHECK(vm_space_remove_reader(vs, &token) == OSTD_OK);
	return err;
}

bool kt_wait_until(bool (*done)(void *arg), void *arg, uint64_t ms)
{
	uint64_t start = timer_ticks();
	uint64_t ticks = (ms * OSTD_TICK_HZ + 999) / 1000;

	/*
	 * Ticks advance only while CPU 0 takes its timer interrupt, which it
	 * does while it runs this loop too (kernel code is interruptible,
	 * just never switched away from), or while it runs another task.
	 */
	while (!done(arg)) {
		if (timer_ticks() - start > ticks) {
			return done(arg);
		}
		task_yield();
		arch_cpu_relax();
	}
	return true;
}

/*
 * The user programs below are written out as machine code, one
 * instruction per line, with the manual's encoding for each: the test
 * images have no user-mode assembler pass, and the bytes must not depend
 * on where they are mapped (every branch is pc-relative).
 */
#if CONFIG_ARCH_X86_64

/* Intel SDM vol. 2A/2B, the instruction pages named on each line. */
static const uint8_t counter_code[] = {
	0xff, 0x07, /* 1: incl (%rdi)     INC r/m32, FF /0 */
	0xeb, 0xfc, /*    jmp 1b          JMP rel8, EB cb (-4) */
};

static const uint8_t watch_code[] = {
	0x31, 0xc0,       /*    xorl %eax,%eax    XOR r/m32,r32 (31 /r): seen */
	0x31, 0xc9,       /*    xorl %ecx,%ecx    iteration count */
	0x8b, 0x17,       /* 1: movl (%rdi),%edx  MOV r32,r/m32 (8B /r): v */
	0x09, 0xd0,       /*    orl %edx,%eax     OR r/m32,r32 (09 /r) */
	0x89, 0x46, 0x08, /*    movl %eax,8(%rsi) MOV r/m32,r32 (89 /r) */
	0x89, 0x56, 0x04, /*    movl %edx,4(%rsi) */
	0xff, 0xc1,       /*    incl %ecx         INC r/m32 (FF /0) */
	0x89, 0x0e,       /*    movl %ecx,(%rsi) */
	0xeb, 0xf0,       /*    jmp 1b            JMP rel8 (EB cb, -16) */
};

#elif CONFIG_ARCH_RISCV64

/*
 * RISC-V Unprivileged Spec 20191213: LW/SW 2.6, ADDI/OR 2.4, JAL 2.5,
 * ADDIW 5.2 (RV64I). Each 32-bit word is stored little-endian (1.5).
 */
#define KT_RV(w)                                           \
	(uint8_t)((w)&0xff), (uint8_t)(((w) >> 8) & 0xff), \
		(uint8_t)(((w) >> 16) & 0xff), (uint8_t)(((w) >> 24) & 0xff)

static const uint8_t counter_code[] = {
	KT_RV(0x00052283U), /* 1: lw t0, 0(a0) */
	KT_RV(0x0012829bU), /*    addiw t0, t0, 1 */
	KT_RV(0x00552023U), /*    sw t0, 0(a0) */
	KT_RV(0xff5ff06fU), /*    jal zero, 1b (-12) */
};

static const uint8_t watch_code[] = {
	KT_RV(0x00000293U), /*    addi t0, zero, 0: seen */
	KT_RV(0x00000313U), /*    addi t1, zero, 0: iteration count */
	KT_RV(0x00052383U), /* 1: lw t2, 0(a0): v */
	KT_RV(0x0072e2b3U), /*    or t0, t0, t2 */
	KT_RV(0x0055a423U), /*    sw t0, 8(a1) */
	KT_RV(0x0075a223U), /*    sw t2, 4(a1) */
	KT_RV(0x0013031bU), /*    addiw t1, t1, 1 */
	KT_RV(0x0065a023U), /*    sw t1, 0(a1) */
	KT_RV(0xfe9ff06fU), /*    jal zero, 1b (-24) */
};

#else /* AArch64 */

/*
 * Arm ARM (DDI 0487) C6.2, the A64 base instructions: LDR (immediate),
 * STR (immediate), ADD (immediate), ORR (shifted register), MOVZ (the
 * MOV wide-immediate alias), B. Little-endian words (B2.6).
 */
#define KT_A64(w)                                          \
	(uint8_t)((w)&0xff), (uint8_t)(((w) >> 8) & 0xff), \
		(uint8_t)(((w) >> 16) & 0xff), (uint8_t)(((w) >> 24) & 0xff)

static const uint8_t counter_code[] = {
	KT_A64(0xb9400001U), /* 1: ldr w1, [x0] */
	KT_A64(0x11000421U), /*    add w1, w1, #1 */
	KT_A64(0xb9000001U), /*    str w1, [x0] */
	KT_A64(0x17fffffdU), /*    b 1b (-12) */
};

static const uint8_t watch_code[] = {
	KT_A64(0x52800002U), /*    mov w2, #0: seen */
	KT_A64(0x52800003U), /*    mov w3, #0: iteration count */
	KT_A64(0xb9400004U), /* 1: ldr w4, [x0]: v */
	KT_A64(0x2a040042U), /*    orr w2, w2, w4 */
	KT_A64(0xb9000822U), /*    str w2, [x1, #8] */
	KT_A64(0xb9000424U), /*    str w4, [x1, #4] */
	KT_A64(0x11000463U), /*    add w3, w3, #1 */
	KT_A64(0xb9000023U), /*    str w3, [x1] */
	KT_A64(0x17fffffaU), /*    b 1b (-24) */
};

#endif

struct arch_code kt_counter_code(void)
{
	return (struct arch_code){ counter_code, sizeof(counter_code) };
}

struct arch_code kt_watch_code(void)
{
	return (struct arch_code){ watch_code, sizeof(watch_code) };
}

#endif /* CONFIG_ARCH_USER_MODE */
