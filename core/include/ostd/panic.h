/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/compiler.h"

/* Exit statuses the framework itself uses when it powers off. */
#define OSTD_EXIT_SUCCESS 0
#define OSTD_EXIT_TEST_FAILED 1
/* A panic: an invariant was broken or the CPU faulted in the kernel. */
#define OSTD_EXIT_PANIC 101

/**
 * Prints "PANIC at FILE:LINE: message" and powers off with OSTD_EXIT_PANIC.
 * Use through panic(); never returns.
 */
NORETURN void ostd_panic_at(const char *file, int line, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

#define panic(...) ostd_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/**
 * Powers the machine off with @p status through the board's exit device.
 * Never returns.
 */
NORETURN void ostd_power_off(int status);
