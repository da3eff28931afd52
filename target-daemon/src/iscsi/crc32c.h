/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC32C (Castagnoli) for iSCSI header and data digests (RFC7143 13.1,
 * RFC 3385): SSE4.2 instruction where the CPU has it, a table otherwise. */
#ifndef MINISAN_ISCSI_CRC32C_H
#define MINISAN_ISCSI_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define CRC32C_INIT 0xffffffffu

/* Continues a running CRC (start with CRC32C_INIT). */
uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);
/* Final value as placed on the wire (little-endian byte order is applied by
 * the caller with crc32c_put). */
static inline uint32_t
crc32c_final(uint32_t crc)
{
	return crc ^ 0xffffffffu;
}
/* One-shot digest. */
uint32_t crc32c(const void *buf, size_t len);

#endif
