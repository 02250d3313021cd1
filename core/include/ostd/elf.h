/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/pt_config.h"

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
	/* Program headers: 1 to ELF_MAX_PHNUM, all inside the buffer. */
	uint16_t phnum;
};

/* Linux's limit (fs/binfmt_elf.c): the headers fit in 64 KiB. */
#define ELF_MAX_PHNUM (65536 / 56)

/*
 * The lowest address a segment's pages may start at: Linux refuses to map
 * below vm.mmap_min_addr (security_mmap_addr()), whose Kconfig default is
 * one page, so a NULL dereference always faults.
 */
#define ELF_MIN_VADDR PAGE_SIZE

struct elf_segment {
	/* Where it goes: [vaddr, vaddr + memsz), in user space. */
	uint64_t vaddr;
	uint64_t memsz;
	/* What the file gives: data[offset, + filesz), filesz <= memsz. */
	uint64_t offset;
	uint64_t filesz;
	/* PROT_R, PROT_W, PROT_X (pt_config.h). */
	uint32_t prot;
	/* The pages it covers: [page_start, page_end), page aligned; both 0
	 * when it loads nothing. */
	uint64_t page_start;
	uint64_t page_end;
};

/**
 * Checks the ELF header of @p data and fills @p img.
 *
 * @retval OSTD_EINVAL Not an ELF64 little-endian executable (ET_EXEC) for
 *         this arch, no program header or more than ELF_MAX_PHNUM, or they
 *         are not inside the buffer.
 * @retval OSTD_ERANGE The entry point is outside user space.
 */
WARN_UNUSED ostd_err_t elf_parse(const void *data, uint64_t size,
				 struct elf_image *img);

/**
 * Program header @p index of @p img (0 to phnum - 1), checked in O(1). A
 * loader maps every one with memsz > 0 and refuses the whole file if any
 * call fails. Headers that load nothing give OSTD_OK and a zeroed @p seg
 * (memsz 0): those that are not PT_LOAD, and a PT_LOAD with memsz 0, which
 * Linux skips too (its bounds are still checked, as Linux does).
 *
 * Overlaps between segments are the loader's to refuse (a map over a
 * mapped page fails with OSTD_EEXIST).
 *
 * @retval OSTD_ENOENT @p index >= phnum.
 * @retval OSTD_EINVAL Its file bytes are not inside the buffer, or
 *         filesz > memsz, or it is both writable and executable.
 * @retval OSTD_ERANGE It does not fit in user space, or its first page is
 *         below ELF_MIN_VADDR.
 */
WARN_UNUSED ostd_err_t elf_segment(const struct elf_image *img,
				   unsigned int index, struct elf_segment *seg);
