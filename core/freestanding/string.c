// SPDX-License-Identifier: MPL-2.0
/*
 * The four functions the compiler may emit calls to even with
 * -ffreestanding (C17 5.1.2.1; GCC and clang document the same). Kernel
 * images only; the host build uses its libc.
 */

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);

/*
 * Words of any alignment: the compiler emits an unaligned load where the
 * target has one (x86_64, aarch64) and byte loads where it does not
 * (riscv64 without Zicclsm), so no architecture is named here. The kernel
 * builds with -fno-strict-aliasing; may_alias says so to the type too.
 */
typedef uint64_t __attribute__((aligned(1), may_alias)) uword_t;
typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD sizeof(word_t)
/* Bytes a block of the unrolled loops moves: eight words. */
#define BLOCK (8 * WORD)

static int misaligned(const void *p)
{
	return ((uintptr_t)p & (WORD - 1)) != 0;
}

/*
 * Forward copy: bytes until the destination is aligned, then blocks and
 * words (aligned loads when the source is aligned too), then bytes. Each
 * word is loaded before it is stored and no later load reaches below it,
 * so memmove may use this when dst < src even if the ranges overlap.
 */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
	while (n > 0 && misaligned(d)) {
		*d++ = *s++;
		n--;
	}
	if (!misaligned(s)) {
		for (; n >= BLOCK; n -= BLOCK, d += BLOCK, s += BLOCK) {
			word_t *dw = (word_t *)(void *)d;
			const word_t *sw = (const word_t *)(const void *)s;

			dw[0] = sw[0];
			dw[1] = sw[1];
			dw[2] = sw[2];
			dw[3] = sw[3];
			dw[4] = sw[4];
			dw[5] = sw[5];
			dw[6] = sw[6];
			dw[7] = sw[7];
		}
		for (; n >= WORD; n -= WORD, d += WORD, s += WORD) {
			*(word_t *)(void *)d = *(const word_t *)(const void *)s;
		}
	} else {
		for (; n >= WORD; n -= WORD, d += WORD, s += WORD) {
			*(word_t *)(void *)d =
				*(const uword_t *)(const void *)s;
		}
	}
	while (n-- > 0) {
		*d++ = *s++;
	}
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_forward(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n) {
		copy_forward(d, s, n);
		return dst;
	}
	/* dst overlaps the end of src: from the top down. */
	while (n > 0 && misaligned(d + n)) {
		n--;
		d[n] = s[n];
	}
	if (!misaligned(s + n)) {
		for (; n >= WORD; n -= WORD) {
			*(word_t *)(void *)(d + n - WORD) =
				*(const word_t *)(const void *)(s + n - WORD);
		}
	}
	while (n-- > 0) {
		d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	word_t w = (word_t)(unsigned char)c * 0x0101010101010101ULL;

	while (n > 0 && misaligned(d)) {
		*d++ = (unsigned char)c;
		n--;
	}
	for (; n >= BLOCK; n -= BLOCK, d += BLOCK) {
		word_t *dw = (word_t *)(void *)d;

		dw[0] = w;
		dw[1] = w;
		dw[2] = w;
		dw[3] = w;
		dw[4] = w;
		dw[5] = w;
		dw[6] = w;
		dw[7] = w;
	}
	for (; n >= WORD; n -= WORD, d += WORD) {
		*(word_t *)(void *)d = w;
	}
	while (n-- > 0) {
		*d++ = (unsigned char)c;
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a;
	const unsigned char *y = b;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			return x[i] < y[i] ? -1 : 1;
		}
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0') {
		n++;
	}
	return n;
}
