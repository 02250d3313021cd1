// SPDX-License-Identifier: MPL-2.0
/* Alignment and overflow-checked arithmetic (ostd/math.h). */

#include "ostd/err.h"
#include "ostd/math.h"
#include "ostd/test.h"

TEST(math, alignment)
{
	ASSERT_TRUE(is_pow2(1));
	ASSERT_TRUE(is_pow2(4096));
	ASSERT_TRUE(is_pow2(1ULL << 63));
	ASSERT_FALSE(is_pow2(0));
	ASSERT_FALSE(is_pow2(4095));
	ASSERT_TRUE(is_aligned(0, 4096));
	ASSERT_TRUE(is_aligned(0x200000, 0x200000));
	ASSERT_FALSE(is_aligned(0x201000, 0x200000));
	ASSERT_EQ(align_down(0x1fff, 0x1000), 0x1000);
	ASSERT_EQ(align_down(UINT64_MAX, 0x1000), 0xfffffffffffff000ULL);
}

TEST(math, align_up_checked)
{
	uint64_t v = 7;

	ASSERT_EQ(align_up_checked(0, 4096, &v), OSTD_OK);
	ASSERT_EQ(v, 0);
	ASSERT_EQ(align_up_checked(1, 4096, &v), OSTD_OK);
	ASSERT_EQ(v, 4096);
	ASSERT_EQ(align_up_checked(0xfffffffffffff000ULL, 4096, &v), OSTD_OK);
	ASSERT_EQ(v, 0xfffffffffffff000ULL);
	/* Rounding the last page's second byte up would wrap to 0. */
	v = 7;
	ASSERT_EQ(align_up_checked(0xfffffffffffff001ULL, 4096, &v),
		  OSTD_EOVERFLOW);
	ASSERT_EQ(v, 7);
}

TEST(math, add_checked)
{
	uint64_t v = 7;

	ASSERT_EQ(add_checked(1, 2, &v), OSTD_OK);
	ASSERT_EQ(v, 3);
	ASSERT_EQ(add_checked(UINT64_MAX, 0, &v), OSTD_OK);
	ASSERT_EQ(v, UINT64_MAX);
	v = 7;
	ASSERT_EQ(add_checked(UINT64_MAX, 1, &v), OSTD_EOVERFLOW);
	ASSERT_EQ(v, 7);
	ASSERT_EQ(add_checked(1ULL << 63, 1ULL << 63, &v), OSTD_EOVERFLOW);
	ASSERT_EQ(add_saturating(UINT64_MAX - 1, 5), UINT64_MAX);
	ASSERT_EQ(add_saturating(2, 5), 7);
}

TEST(math, range_within_is_overflow_safe)
{
	const uint64_t top = (1ULL << 47) - 4096;

	ASSERT_TRUE(range_within(0, top, 0, top));
	ASSERT_TRUE(range_within(top - 4096, 4096, 0, top));
	ASSERT_TRUE(range_within(top, 0, 0, top));
	ASSERT_FALSE(range_within(top - 4096, 4097, 0, top));
	/* start + len wraps to a small number: must still be rejected. */
	ASSERT_FALSE(range_within(4096, UINT64_MAX - 100, 0, top));
	ASSERT_FALSE(range_within(UINT64_MAX, 2, 0, UINT64_MAX));
	ASSERT_FALSE(range_within(0, 1, 4096, top));
}

TEST(err, names)
{
	ASSERT_STREQ(ostd_err_name(OSTD_OK), "OK");
	ASSERT_STREQ(ostd_err_name(OSTD_EINVAL), "EINVAL");
	ASSERT_STREQ(ostd_err_name(OSTD_ENOENT), "ENOENT");
	ASSERT_STREQ(ostd_err_name(OSTD_ERR_COUNT), "E?");
	for (int e = 0; e < OSTD_ERR_COUNT; e++) {
		ASSERT_NE(ostd_err_name((ostd_err_t)e)[0], '\0');
		ASSERT_NE(ostd_err_name((ostd_err_t)e)[1], '?');
	}
}
