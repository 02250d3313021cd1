/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The one error type of OSTD-C. Values are positive so that a switch over
 * them is exhaustive under -Wswitch and no sign confusion can creep in.
 * Names echo errno so that docs read like `@retval OSTD_EINVAL`.
 */
typedef enum {
	OSTD_OK = 0,
	OSTD_EINVAL,      /* Invalid arguments. */
	OSTD_ENOMEM,      /* Out of memory. */
	OSTD_EFAULT,      /* Page fault while accessing user memory. */
	OSTD_EACCES,      /* Access denied (range or space not accessible). */
	OSTD_EPERM,       /* Operation not permitted for this object. */
	OSTD_EOVERFLOW,   /* Arithmetic overflow. */
	OSTD_EUNALIGNED,  /* Address or length not aligned. */
	OSTD_ERANGE,      /* Invalid address range. */
	OSTD_EEXIST,      /* Already mapped. */
	OSTD_EBUSY,       /* Resource busy. */
	OSTD_EBADSTATE,   /* Object destroyed or token stale. */
	OSTD_ENOENT,      /* Not found. */
	OSTD_EINACTIVE,   /* The VmSpace owner is not active. */
	OSTD_ENOTCURRENT, /* The VmSpace is not this CPU's current space. */
	OSTD_ENODEV,      /* No such device, or the firmware refused it. */
	OSTD_ERR_COUNT,
} ostd_err_t;

/** Returns a short, stable name for @p err ("EINVAL"), or "E?" if unknown. */
const char *ostd_err_name(ostd_err_t err);
