// SPDX-License-Identifier: MPL-2.0
/*
 * The example kernel's system calls against Linux's, for the same
 * arguments. Every expected value below is what Linux returns when fds 1
 * and 2 are a tty and fd 0 is open read-only: `./ostd test x86_64-q35`
 * runs this ELF both in QEMU and natively on the host that way and
 * compares the statuses and the bytes written. Exits with 77 when every
 * check holds, else with the number of the first that failed. No libc:
 * the same source for every arch, built into out/CONFIG/user/.
 */

#include <stdint.h>

#if defined(__x86_64__)
#define NR_WRITE 1
#define NR_EXIT 60
#define NR_HIGH_BITS_IGNORED 1 /* do_syscall_64() takes an int. */

static long sys(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
#define NR_WRITE 64
#define NR_EXIT 93
#if defined(__aarch64__)
#define NR_HIGH_BITS_IGNORED 1 /* el0_svc_common() takes an int. */
#define NR_REG "x8"
#define ARG_REG(i) "x" #i
#define TRAP "svc #0"
#else
#define NR_HIGH_BITS_IGNORED 0 /* do_trap_ecall_u() reads all of a7. */
#define NR_REG "a7"
#define ARG_REG(i) "a" #i
#define TRAP "ecall"
#endif

static long sys(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t n __asm__(NR_REG) = nr;
	register uint64_t r0 __asm__(ARG_REG(0)) = a0;
	register uint64_t r1 __asm__(ARG_REG(1)) = a1;
	register uint64_t r2 __asm__(ARG_REG(2)) = a2;

	__asm__ volatile(TRAP : "+r"(r0) : "r"(n), "r"(r1), "r"(r2) : "memory");
	return (long)r0;
}
#endif

#define EBADF 9
#define EFAULT 14
#define ENOSYS 38
#define CHUNK 2048 /* The tty's write chunk (iterate_tty_write()). */
#define KERNEL_VA 0xffffffff80000000ULL

/* Bytes a console must pass through: NUL, controls, DEL, 0xff, CR, tab. */
static const char msg[] = "syscalls: \0\1\x7f\xff\r\t|\n";
#define LEN (sizeof(msg) - 1)

/*
 * The program's only writable object, so the data segment (user.ld) ends
 * where it does: the page after it is not mapped, by either kernel.
 */
static volatile char tail[2 * 4096] __attribute__((aligned(4096)));

struct tally {
	unsigned int checks, failed;
};

static void expect(struct tally *t, long got, long want)
{
	t->checks++;
	if (got != want && t->failed == 0) {
		t->failed = t->checks;
	}
}

static void write_checks(struct tally *t)
{
	uint64_t m = (uint64_t)msg;
	uint64_t top = (uint64_t)tail + sizeof(tail);

	for (unsigned int i = 0; i < sizeof(tail); i++) {
		tail[i] = (char)('a' + i % 26);
	}
	expect(t, sys(NR_WRITE, 1, m, LEN), LEN);
	expect(t, sys(NR_WRITE, 2, m, LEN), LEN);
	expect(t, sys(NR_WRITE, 1 | 1ULL << 32, m, LEN), LEN); /* fd: 32 bits */
	expect(t, sys(NR_WRITE, 1, m, 0), 0);
	expect(t, sys(NR_WRITE, 1, 0, 0), 0);
	/* Bad fds come first, whatever the buffer. */
	expect(t, sys(NR_WRITE, 0, m, LEN), -EBADF);
	expect(t, sys(NR_WRITE, 3, m, LEN), -EBADF);
	expect(t, sys(NR_WRITE, 0xffffffff, KERNEL_VA, 1), -EBADF);
	/* access_ok(): the whole range in user space, even for 0 bytes. */
	expect(t, sys(NR_WRITE, 1, KERNEL_VA, 0), -EFAULT);
	expect(t, sys(NR_WRITE, 1, KERNEL_VA, 16), -EFAULT);
	expect(t, sys(NR_WRITE, 1, m, UINT64_MAX), -EFAULT); /* Wraps. */
	expect(t, sys(NR_WRITE, 1, top - CHUNK, 1ULL << 62), -EFAULT);
	/* Faults: whole chunks up to the one that faults, or -EFAULT. */
	expect(t, sys(NR_WRITE, 1, 0, 16), -EFAULT);
	expect(t, sys(NR_WRITE, 1, top - 100, 200), -EFAULT);
	expect(t, sys(NR_WRITE, 1, top - CHUNK - 100, CHUNK + 200), CHUNK);
	expect(t, sys(NR_WRITE, 1, top - 2 * CHUNK - 100, 3 * CHUNK), 2 * CHUNK);
	expect(t, sys(NR_WRITE, 1, m, LEN), LEN);
}

void _start(void);

void _start(void)
{
	struct tally t = { 0, 0 };

	write_checks(&t);
	/* Numbers Linux does not have; then one with high bits set. */
	expect(&t, sys(1000, 1, (uint64_t)msg, LEN), -ENOSYS);
	expect(&t, sys(1000 | 1ULL << 32, 1, (uint64_t)msg, LEN), -ENOSYS);
	expect(&t, sys(NR_WRITE | 1ULL << 32, 1, (uint64_t)msg, LEN),
	       NR_HIGH_BITS_IGNORED ? (long)LEN : -ENOSYS);
	/* exit(int): only the low byte of the low 32 bits is the status. */
	sys(NR_EXIT, t.failed != 0 ? t.failed : 0xabcd00000000014dULL, 0, 0);
	for (;;) {
	}
}
