// SPDX-License-Identifier: MPL-2.0
/*
 * The example kernel (DESIGN.md §9): runs the static ELF passed as the
 * initrd in a fresh VmSpace and a task, serves write and exit as Linux
 * does, and powers off with its status (139 if it faults, 1 if the file is
 * refused). Public API only, every arch.
 */

#include "ostd/boot.h"
#include "ostd/config.h"
#include "ostd/console.h"
#include "ostd/elf.h"
#include "ostd/math.h"
#include "ostd/printf.h"
#include "ostd/task.h"
#include "ostd/user.h"
#include "ostd/vm_space.h"

/*
 * Below 2^38, the lowest user-space top of the formats (Sv39's user tables
 * end at 2^38 - 4096, page_table.va_last), so one address serves every arch.
 */
#define STACK_TOP 0x3fff000000ULL
#define STACK_SIZE (64 * PAGE_SIZE)
/* Linux's errno values (the same on every arch here) and MAX_RW_COUNT. */
enum { EBADF = 9, EFAULT = 14, ENOSYS = 38 };
#define MAX_RW_COUNT 0x7ffff000ULL

static struct vm_space *space;
static struct elf_image img;

/* Maps fresh pages over [va, end) that hold src's bytes at [src_va, +len). */
static ostd_err_t map(uint64_t va, uint64_t end, uint32_t prot, const uint8_t *src, uint64_t src_va,
		      uint64_t len)
{
	struct vm_space_cursor cur;
	struct frame f;
	uint64_t done;
	ostd_err_t err = vm_space_cursor_mut(space, va, end, &cur);

	if (err != OSTD_OK) {
		return err;
	}
	for (; err == OSTD_OK && va < end; va += PAGE_SIZE) {
		uint64_t lo = MAX(va, src_va);
		uint64_t hi = MAX(lo, MIN(va + PAGE_SIZE, src_va + len));
		struct vm_reader r = vm_reader_from_kernel(src + (lo - src_va), hi - lo);

		if ((err = frame_alloc(&frame_type_untyped, &f)) != OSTD_OK) {
			break;
		}
		struct vm_writer w = frame_writer(f);

		if ((err = vm_writer_skip(&w, lo - va)) == OSTD_OK &&
		    (err = vm_reader_read(&r, &w, &done)) == OSTD_OK) {
			err = vm_space_map_frame(&cur, f.pa, (struct pt_prop){ .flags = prot });
		}
		frame_drop(&f);
	}
	vm_space_cursor_drop(&cur);
	return err;
}

static ostd_err_t load(const void *data, uint64_t size)
{
	struct elf_segment s;
	ostd_err_t err = elf_parse(data, size, &img);

	/* Any header refused (or overlapping, EEXIST) refuses the file. */
	for (unsigned int i = 0; err == OSTD_OK && i < img.phnum; i++) {
		if ((err = elf_segment(&img, i, &s)) == OSTD_OK && s.memsz > 0) {
			err = map(s.page_start, s.page_end, s.prot, img.data + s.offset, s.vaddr,
				  s.filesz);
		}
	}
	/* The stack; sp points at argc = 0, argv = envp = auxv = NULL. */
	return err != OSTD_OK ? err
			      : map(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_R | PROT_W, NULL, 0, 0);
}

/*
 * write(unsigned int fd, const char *buf, size_t count) as Linux serves it
 * when fds 1 and 2 are a tty (vfs_write(), then iterate_tty_write()):
 * - only the low 32 bits of fd count; any fd but 1 and 2 is -EBADF;
 * - access_ok(): [buf, buf + count) must lie in user space without
 *   wrapping, even for count 0, or -EFAULT before any byte is read;
 * - count is capped at MAX_RW_COUNT; the bytes go out in 2048-byte chunks,
 *   each copied whole before any of it is written. A fault drops the chunk
 *   it is in and ends the call: the result is what was written, or -EFAULT;
 * - bytes go out as under the tty's default termios (OPOST | ONLCR): the
 *   console writes "\n" as "\r\n", and every other byte as it is.
 */
static int64_t sys_write(const uint64_t *a)
{
	static char chunk[2048]; /* Static: one user task, a small kernel stack. */
	uint64_t count = MIN(a[2], MAX_RW_COUNT), done = 0, got;

	if ((uint32_t)a[0] != 1 && (uint32_t)a[0] != 2) {
		return -EBADF;
	}
	if (a[2] > MAX_USER_VADDR || a[1] > MAX_USER_VADDR - a[2]) {
		return -EFAULT;
	}
	for (uint64_t n; done < count; done += n) {
		n = MIN(count - done, sizeof(chunk));
		if (vm_space_copy_from_user(space, chunk, a[1] + done, n, &got) != OSTD_OK) {
			break;
		}
		ostd_console_write(chunk, n);
	}
	return done == 0 && count > 0 ? -EFAULT : (int64_t)done;
}

/* The task: runs the program and sets *status to its exit status. */
static void run(void *status)
{
	struct user_context ctx;
	const struct user_syscall_abi *abi = &user_syscall_abi;
	uint64_t a[6];

	enum user_return_reason why;

	/* This task runs the program, on whichever CPU: its space goes with it. */
	if (vm_space_activate(space) != OSTD_OK) {
		*(int *)status = 1;
		return;
	}
	task_set_cpu_limit(task_current(), (uint64_t)CONFIG_USER_CPU_LIMIT_S * 1000);
	user_context_init(&ctx, img.entry, STACK_TOP - 32);
	while ((why = user_mode_execute(&ctx)) == USER_RETURN_SYSCALL) {
		uint64_t nr = user_context_syscall_nr(&ctx) & abi->nr_mask;

		user_context_syscall_args(&ctx, a);
		if (nr == abi->exit || nr == abi->exit_group) {
			*(int *)status = (int)(a[0] & 0xff);
			return;
		}
		user_context_set_syscall_ret(&ctx, nr == abi->write ? (uint64_t)sys_write(a)
								    : (uint64_t)-ENOSYS);
	}
	if (why == USER_RETURN_KERNEL_EVENT) {
		ostd_printf("hello: killed: CPU time limit (%d s) used up\n",
			    CONFIG_USER_CPU_LIMIT_S);
		*(int *)status = 137;
		return;
	}
	const struct cpu_exception *e = user_context_exception(&ctx);

	ostd_printf("hello: killed: %s at %#llx (pc %#llx)\n", e->name, (unsigned long long)e->addr,
		    (unsigned long long)user_context_pc(&ctx));
	*(int *)status = 139;
}

int ostd_main(void)
{
	uint64_t size;
	const void *prog = ostd_boot_initrd(&size);
	struct task task;
	int status = 0;
	ostd_err_t err = prog != NULL ? vm_space_new(&space, NULL, false) : OSTD_ENOENT;

	if (err == OSTD_OK && (err = vm_space_activate(space)) == OSTD_OK &&
	    (err = load(prog, size)) == OSTD_OK &&
	    (err = task_spawn(&task, "user", run, &status)) == OSTD_OK) {
		err = task_join(&task, NULL);
	}
	if (err != OSTD_OK) {
		ostd_printf("hello: user program refused (a static ELF for this arch, as "
			    "the initrd): %s\n",
			    ostd_err_name(err));
		return 1;
	}
	return status;
}
