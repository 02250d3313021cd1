/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"

/*
 * A checked reader of static ELF64 executables for this arch (System V
 * ABI, "ELF-64 Object File Format" 1.5). It only parses: the kernel author
 * maps the segments (examples/hello shows how). Every offset and size in
 * the file is checked against the buffer and user space without overflow,
 * so a hostile image gets an error, never a wild read.
 */

struct elf_image {
	const uint8_t *data;
	uint64_t size;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phnum;
};

struct elf_segment {
	/* Where it goes: [vaddr, vaddr + memsz), in user space. */
	uint64_t vaddr;
	uint64_t memsz;
	/* What the file gives: data[offset, + filesz), filesz <= memsz. */
	uint64_t offset;
	uint64_t filesz;
	/* PROT_R, PROT_W, PROT_X (pt_config.h). */
	uint32_t prot;
	/* The pages it covers: [page_start, page_end), page aligned. */
	uint64_t page_start;
	uint64_t page_end;
};

/**
 * Checks the ELF header of @p data and fills @p img.
 *
 * @retval OSTD_EINVAL Not an ELF64 little-endian executable (ET_EXEC) for
 *         this arch, or its program headers are not inside the buffer.
 * @retval OSTD_ERANGE The entry point is outside user space.
 */
WARN_UNUSED ostd_err_t elf_parse(const void *data, uint64_t size,
				 struct elf_image *img);

/**
 * The @p index-th PT_LOAD segment of @p img (0, 1, ... in file order).
 *
 * @retval OSTD_ENOENT There are fewer loadable segments.
 * @retval OSTD_EINVAL Its file bytes are not inside the buffer, or
 *         filesz > memsz, or it is both writable and executable.
 * @retval OSTD_ERANGE It does not fit in user space.
 */
WARN_UNUSED ostd_err_t elf_segment(const struct elf_image *img,
				   unsigned int index, struct elf_segment *seg);
