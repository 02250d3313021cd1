/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Compiler-specific attributes live here and nowhere else, so the rest of the
 * tree stays plain C17 (seL4 keeps NORETURN/CONST/PURE the same way).
 */

#define NORETURN _Noreturn
#define WARN_UNUSED __attribute__((warn_unused_result))
#define PACKED __attribute__((packed))
#define ALIGNED(n) __attribute__((aligned(n)))
#define UNUSED __attribute__((unused))
#define USED __attribute__((used))
/* Keeps a cold path out of its caller, so the hot path stays lean. */
#define NOINLINE __attribute__((noinline))
#define WEAK __attribute__((weak))
#define SECTION(s) __attribute__((section(s)))
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The struct of type @p type whose member @p member is at @p ptr. */
#define CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Turns a CONFIG_* symbol (always defined as 0 or 1) into a C expression. */
#define IS_ENABLED(cfg) ((cfg) != 0)

/*
 * Marks a function whose unsigned arithmetic wraps on purpose (hashes,
 * PRNGs), so the trapping-overflow build (CONFIG_HOST_INTSAN) lets it be.
 */
#define OSTD_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))

/*
 * OSTD_TSAN: built with ThreadSanitizer (GCC says __SANITIZE_THREAD__,
 * clang __has_feature). TSan sees happens-before only through atomics and
 * locks, not through the barriers that membarrier(2) or an IPI forces on
 * other CPUs; code that relies on those gives it the edge explicitly.
 */
#if defined(__SANITIZE_THREAD__)
#define OSTD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OSTD_TSAN 1
#endif
#endif
#ifndef OSTD_TSAN
#define OSTD_TSAN 0
#endif

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/*
 * Single-copy-atomic accesses to memory that lock-free readers or the MMU
 * may read concurrently (PTEs): no tearing, no compiler reordering across
 * the release/acquire points.
 */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
