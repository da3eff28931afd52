/* SPDX-License-Identifier: BSD-2-Clause */
/* Private to crc32c.c and its unit test: the individual implementations
 * behind crc32c_update(), so that they can be checked against each other.
 * Same contract as crc32c_update(): running (not inverted) CRC in and out. */
#ifndef MINISAN_ISCSI_CRC32C_IMPL_H
#define MINISAN_ISCSI_CRC32C_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* x^(8n) modulo the CRC polynomial, bit-reflected as the register is
 * (bit 31 is x^0). */
uint32_t crc32c_x8n(size_t n);

/* Portable slicing-by-8 table implementation. */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#if defined(__x86_64__)
#define CRC32C_HAVE_HW 1
/* Non-zero if this CPU has the SSE4.2 crc32 instruction. */
int crc32c_hw_available(void);
/* SSE4.2 implementations; call only if crc32c_hw_available().
 * crc32c_hw runs three interleaved streams on buffers of 768 bytes and
 * more (the one in use); crc32c_hw_1way is the plain single-stream loop,
 * kept for the unit test and the micro-benchmark to compare against. */
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_hw_1way(uint32_t crc, const void *buf, size_t len);

#define CRC32C_HAVE_FOLD 1
/* Non-zero if this CPU and OS run AVX-512 with VPCLMULQDQ
 * (crc32c_fold.c). */
int crc32c_fold_available(void);
/* Carry-less multiplication folding for buffers of 1 KiB and more (the
 * one in use where available), crc32c_hw below that; call only if
 * crc32c_fold_available(). */
uint32_t crc32c_fold(uint32_t crc, const void *buf, size_t len);
#endif

#endif
