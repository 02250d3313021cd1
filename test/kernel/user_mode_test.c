// SPDX-License-Identifier: MPL-2.0
/*
 * user_mode_execute() on the real CPU: system calls come back with the
 * state saved, bad entry state is refused before the CPU sees it, and user
 * page faults reach the space's handler first (demand paging).
 */

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/printf.h"
#include "ostd/test.h"
#include "ostd/timer.h"

#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

static struct vm_space *space;

static const struct pt_prop prop_r = { .flags = PROT_R,
				       .cache = PT_CACHE_WRITEBACK };

TEST(user_mode, syscall_returns_with_the_user_state)
{
	uint8_t byte = 0;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(space, KT_DATA_VA, prop_r, 0x77, NULL),
		  OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(space, PROBE_READ), OSTD_OK);
	/* Many round trips: entry and exit must not leak kernel stack. */
	for (int i = 0; i < 1000; i++) {
		byte = 0;
		ASSERT_EQ(kt_user_probe(PROBE_READ, KT_DATA_VA + KT_MARKER_OFF,
					0, &byte),
			  1);
		ASSERT_EQ(byte, 0x77);
	}
	kt_space_destroy(space);
}

TEST(user_mode, bad_pc_or_stack_never_reaches_the_cpu)
{
	static const uint64_t bad_pc[] = {
		MAX_USER_VADDR,
		1ULL << 47,            /* Non-canonical on 48-bit machines. */
		0x8000000000000000ULL, /* Non-canonical everywhere. */
		UINT64_MAX,
	};
	struct user_context ctx;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_pc); i++) {
		user_context_init(&ctx, bad_pc[i], KT_STACK_TOP);
		ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_EXCEPTION);
		ASSERT_EQ(user_context_exception(&ctx)->kind, CPU_EXC_GENERAL);
		ASSERT_EQ(user_context_exception(&ctx)->addr, bad_pc[i]);
		ASSERT_EQ(user_context_pc(&ctx), bad_pc[i]);
	}
	user_context_init(&ctx, KT_CODE_VA, MAX_USER_VADDR + 8);
	ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_EXCEPTION);
	ASSERT_EQ(user_context_exception(&ctx)->addr, MAX_USER_VADDR + 8);
	kt_space_destroy(space);
}

TEST(user_mode, unmapped_pc_is_a_fetch_fault)
{
	struct user_context ctx;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	user_context_init(&ctx, KT_DATA_VA, KT_STACK_TOP);
	ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_EXCEPTION);
	ASSERT_EQ(user_context_exception(&ctx)->kind, CPU_EXC_PAGE_FAULT);
	ASSERT_EQ(user_context_exception(&ctx)->addr, KT_DATA_VA);
	ASSERT_EQ(user_context_exception(&ctx)->access, PROT_X);
	kt_space_destroy(space);
}

static unsigned int faults_seen;

/* Demand paging: map a page holding 0x42 where the program faulted. */
static ostd_err_t demand_page(struct vm_space *vs, uint64_t va, bool write,
			      void *ctx)
{
	(void)write;
	(void)ctx;
	faults_seen++;
	return kt_map_user_page(vs, va & ~(PAGE_SIZE - 1), prop_r, 0x42, NULL);
}

TEST(user_mode, page_faults_go_to_the_space_handler_first)
{
	uint8_t byte = 0;

	faults_seen = 0;
	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_probe_code(space, PROBE_READ), OSTD_OK);
	vm_space_set_fault_handler(space, demand_page, NULL);
	ASSERT_EQ(
		kt_user_probe(PROBE_READ, KT_DATA_VA + KT_MARKER_OFF, 0, &byte),
		1);
	ASSERT_EQ(byte, 0x42);
	ASSERT_EQ(faults_seen, 1);
	/* Mapped now: no second fault. */
	ASSERT_EQ(
		kt_user_probe(PROBE_READ, KT_DATA_VA + KT_MARKER_OFF, 0, &byte),
		1);
	ASSERT_EQ(faults_seen, 1);
	/* A write to the read-only page: the handler fails, the fault stays. */
	ASSERT_EQ(kt_map_probe_code(space, PROBE_WRITE), OSTD_OK);
	ASSERT_EQ(
		kt_user_probe(PROBE_WRITE, KT_DATA_VA + KT_WRITE_OFF, 1, NULL),
		0);
	ASSERT_EQ(faults_seen, 2);
	vm_space_set_fault_handler(space, NULL, NULL);
	kt_space_destroy(space);
}

/*
 * User code may not read the CPU state that locates the kernel (x86 SIDT
 * with UMIP, riscv satp, aarch64 TTBR1_EL1): the read traps at its own
 * pc, as a general protection fault or an illegal instruction, and the
 * system call after it is never reached. The x86 read would store through
 * argument 0, so a writable page is there for it.
 */
TEST(user_mode, reading_privileged_cpu_state_traps)
{
	const struct pt_prop rw = { .flags = PROT_R | PROT_W,
				    .cache = PT_CACHE_WRITEBACK };
	struct user_context ctx;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_user_page(space, KT_DATA_VA, rw, 0, NULL), OSTD_OK);
	ASSERT_EQ(kt_map_code(space, arch_user_sysinfo_code()), OSTD_OK);
	user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
	user_context_set_arg(&ctx, 0, KT_DATA_VA + KT_WRITE_OFF);
	ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_EXCEPTION);
	ASSERT_TRUE(user_context_exception(&ctx)->kind == CPU_EXC_GENERAL ||
		    user_context_exception(&ctx)->kind == CPU_EXC_ILLEGAL_INSN);
	ASSERT_EQ(user_context_pc(&ctx), KT_CODE_VA);
	kt_space_destroy(space);
}

/*
 * A breakpoint instruction in user code comes back as CPU_EXC_BREAKPOINT
 * (not as a protection fault), with the pc where the arch reports it and
 * the registers intact; a debugger that steps past it goes on to the
 * system call after it.
 */
TEST(user_mode, breakpoint_is_reported_and_user_code_goes_on)
{
	struct arch_code code = arch_user_breakpoint_code();
	struct user_context ctx;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_code(space, code), OSTD_OK);
	for (int round = 0; round < 3; round++) {
		user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
		user_context_set_arg(&ctx, 0, 0x5a5a + round);
		ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_EXCEPTION);
		ASSERT_EQ(user_context_exception(&ctx)->kind,
			  CPU_EXC_BREAKPOINT);
		ASSERT_EQ(user_context_pc(&ctx),
			  KT_CODE_VA + arch_breakpoint_pc_offset);
		ASSERT_EQ(user_context_syscall_arg(&ctx, 0), 0x5a5a + round);
		user_context_set_pc(&ctx, KT_CODE_VA + arch_breakpoint_len);
		ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_SYSCALL);
		ASSERT_EQ(user_context_pc(&ctx), KT_CODE_VA + code.len);
		ASSERT_EQ(user_context_syscall_arg(&ctx, 0), 0x5a5a + round);
	}
	kt_space_destroy(space);
}

/*
 * A long loop in user mode takes timer interrupts, which are handled and
 * resume user code with its registers intact: the loop ends exactly at its
 * system call with the counter at zero. The ticks seen are printed, not
 * asserted (no timing in tests).
 */
TEST(user_mode, interrupts_in_user_mode_resume_it)
{
	struct user_context ctx;
	uint64_t ticks = timer_ticks();

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_code(space, arch_user_spin_code()), OSTD_OK);
	for (int round = 0; round < 4; round++) {
		user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
		user_context_set_arg(&ctx, 0, 20000000);
		ASSERT_EQ(user_mode_execute(&ctx), USER_RETURN_SYSCALL);
		ASSERT_EQ(user_context_pc(&ctx),
			  KT_CODE_VA + arch_user_spin_code().len);
	}
	ostd_printf("user_mode: %llu ticks while spinning in user mode\n",
		    (unsigned long long)(timer_ticks() - ticks));
	kt_space_destroy(space);
}

#endif /* CONFIG_ARCH_USER_MODE */
