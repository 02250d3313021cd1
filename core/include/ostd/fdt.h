/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include "ostd/boot.h"
#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/types.h"

/*
 * A small, read-only flattened device tree reader (Devicetree Specification
 * v0.4, chapter 5 "Flattened Devicetree (DTB) Format"). It covers what boot
 * needs: validate the blob, find the memory nodes and find a device's first
 * `reg` entry by `compatible`. Every offset read from the blob is bounds-
 * checked, so a corrupt blob gives an error, never a wild read.
 */

/**
 * Checks the header of the blob at @p fdt: magic, version 17 (or compatible)
 * and that every block lies inside `totalsize`.
 *
 * @retval OSTD_OK The blob looks sound.
 * @retval OSTD_EINVAL It does not.
 */
WARN_UNUSED ostd_err_t ostd_fdt_check(const void *fdt);

/** The blob's `totalsize` (call after ostd_fdt_check()). */
uint32_t ostd_fdt_size(const void *fdt);

/**
 * Adds every `reg` range of every `device_type = "memory"` node to @p info
 * as usable memory, and every `/memreserve/` entry and every child of
 * `/reserved-memory` as reserved. On error @p info is unchanged.
 *
 * @retval OSTD_OK At least one memory range was added.
 * @retval OSTD_ENOENT The tree describes no memory.
 * @retval OSTD_EINVAL The blob is malformed.
 * @retval OSTD_ENOMEM @p info has no room left.
 */
WARN_UNUSED ostd_err_t ostd_fdt_add_memory(const void *fdt,
					   struct ostd_boot_info *info);

/**
 * Finds the first enabled node whose `compatible` list contains @p compat and
 * returns its first `reg` address and size, translated with the parent's
 * `#address-cells` and `#size-cells` (no `ranges` translation: QEMU's buses
 * are identity-mapped).
 *
 * @param[out] base The register base.
 * @param[out] size The register window size (may be NULL).
 * @retval OSTD_OK Found.
 * @retval OSTD_ENOENT No such node, or it has no `reg`.
 * @retval OSTD_EINVAL The blob is malformed.
 */
WARN_UNUSED ostd_err_t ostd_fdt_find_reg(const void *fdt, const char *compat,
					 uint64_t *base, uint64_t *size);

/**
 * Like ostd_fdt_find_reg() for the @p index-th (address, size) pair of the
 * node's reg (a GICv2 has the distributor at 0, the CPU interface at 1).
 *
 * @retval OSTD_ENOENT No enabled node matches, or its reg has fewer pairs.
 */
WARN_UNUSED ostd_err_t ostd_fdt_find_reg_index(const void *fdt,
					       const char *compat,
					       uint32_t index, uint64_t *base,
					       uint64_t *size);

/**
 * Returns the string property @p prop of the node at @p path ("/psci"), or
 * NULL. For example `ostd_fdt_prop_string(fdt, "/psci", "method")`.
 */
/**
 * Reads property @p prop of the node at @p path as one or two big-endian
 * cells, e.g. /chosen linux,initrd-start.
 *
 * @retval OSTD_ENOENT No such node or property.
 * @retval OSTD_EINVAL The blob is malformed, or the value is not 4 or 8
 *         bytes long.
 */
WARN_UNUSED ostd_err_t ostd_fdt_prop_u64(const void *fdt, const char *path,
					 const char *prop, uint64_t *val);

const char *ostd_fdt_prop_string(const void *fdt, const char *path,
				 const char *prop);

/**
 * Returns the name (with its unit address, "cpu@1") of the @p index-th
 * child, in tree order, of the first node at @p path ("/cpus"), or NULL if
 * it has no such child or the blob is malformed. With ostd_fdt_prop_*()
 * on "/cpus/<name>" this walks a node's children, e.g. the CPUs.
 */
const char *ostd_fdt_child_name(const void *fdt, const char *path,
				uint32_t index);
