/* SPDX-License-Identifier: BSD-2-Clause */
/* CRC32C of long buffers by carry-less multiplication (AVX-512
 * VPCLMULQDQ), the folding method of Intel's "Fast CRC Computation for
 * Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et al., 2009).
 * The crc32 instruction handles 8 bytes per cycle at best; folding 256
 * bytes per round in sixteen independent 128-bit lanes goes several times
 * faster, which is what data digests on 256 KiB segments need. Chosen at
 * run time by crc32c.c when the CPU and the OS support AVX-512. */
#include "iscsi/crc32c_impl.h"

#if defined(CRC32C_HAVE_FOLD)
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>

/* Below this the three-way crc32 loop is as fast (setup, reduction). */
#define FOLD_MIN 1024u

#define FOLD_TARGET \
	__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

/* Folding constants, one pair per distance, as a 128-bit lane:
 * low qword for the lane's first 8 bytes, high qword for the next 8. */
struct fold_keys {
	uint64_t d2048[2]; /* a lane onto the lane 256 bytes on */
	uint64_t d512[2];  /* 64 bytes on */
	uint64_t d128[2];  /* 16 bytes on */
};

static struct fold_keys fold_keys;
static pthread_once_t fold_keys_once = PTHREAD_ONCE_INIT;

/* x^n modulo the polynomial (n a multiple of 8), shifted left by one: the
 * form a reflected carry-less product wants. */
static uint64_t
fold_key(unsigned n)
{
	return (uint64_t)crc32c_x8n(n / 8) << 1;
}

/* A 128-bit lane L, D bits ahead of the lane it is folded onto, stands
 * for L * x^D. Its first 8 bytes hold the higher powers, so they are
 * multiplied by x^(D+64) and the other 8 by x^D; the 32 taken off each
 * exponent is the offset of a reflected 64 x 33-bit product within the
 * 128-bit lane it is added to. */
static void
fold_keys_init(void)
{
	static const unsigned dist[3] = { 2048, 512, 128 };
	uint64_t *keys[3] = { fold_keys.d2048, fold_keys.d512,
	    fold_keys.d128 };

	for (int i = 0; i < 3; i++) {
		keys[i][0] = fold_key(dist[i] + 32);
		keys[i][1] = fold_key(dist[i] - 32);
	}
}

int
crc32c_fold_available(void)
{
	unsigned int eax, ebx, ecx, edx, xcr0_lo, xcr0_hi;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return 0;
	if (!(ecx & bit_SSE4_2) || !(ecx & bit_PCLMUL) || !(ecx & bit_OSXSAVE))
		return 0;
	if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
		return 0;
	if (!(ebx & bit_AVX512F) || !(ecx & bit_VPCLMULQDQ))
		return 0;
	/* The OS must save the ZMM registers: XCR0 bits 1, 2 (SSE, AVX),
	 * 5, 6, 7 (opmask, upper ZMM0-15, ZMM16-31). */
	__asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	return (xcr0_lo & 0xe6) == 0xe6;
}

FOLD_TARGET static inline __m512i
fold512(__m512i lanes, __m512i keys, __m512i onto)
{
	/* 0x96: a ^ b ^ c */
	return _mm512_ternarylogic_epi64(
	    _mm512_clmulepi64_epi128(lanes, keys, 0x00),
	    _mm512_clmulepi64_epi128(lanes, keys, 0x11), onto, 0x96);
}

FOLD_TARGET static inline __m128i
fold128(__m128i lane, __m128i keys, __m128i onto)
{
	return _mm_xor_si128(_mm_xor_si128(
	    _mm_clmulepi64_si128(lane, keys, 0x00),
	    _mm_clmulepi64_si128(lane, keys, 0x11)), onto);
}

FOLD_TARGET static inline __m512i
keys512(const uint64_t k[2])
{
	return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k[1],
	    (long long)k[0]));
}

FOLD_TARGET uint32_t
crc32c_fold(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	__m512i x0, x1, x2, x3, k;
	__m128i a, b, c, d, k128;
	uint64_t r;

	if (len < FOLD_MIN)
		return crc32c_hw(crc, buf, len);
	pthread_once(&fold_keys_once, fold_keys_init);

	/* The register joins the message: for a reflected CRC, starting
	 * from crc is starting from zero with crc added to the first four
	 * bytes. */
	x0 = _mm512_xor_si512(_mm512_loadu_si512(p),
	    _mm512_castsi128_si512(_mm_cvtsi32_si128((int)crc)));
	x1 = _mm512_loadu_si512(p + 64);
	x2 = _mm512_loadu_si512(p + 128);
	x3 = _mm512_loadu_si512(p + 192);
	p += 256;
	len -= 256;
	k = keys512(fold_keys.d2048);
	for (; len >= 256; p += 256, len -= 256) {
		x0 = fold512(x0, k, _mm512_loadu_si512(p));
		x1 = fold512(x1, k, _mm512_loadu_si512(p + 64));
		x2 = fold512(x2, k, _mm512_loadu_si512(p + 128));
		x3 = fold512(x3, k, _mm512_loadu_si512(p + 192));
	}
	/* four registers into one, then what is left 64 bytes at a time */
	k = keys512(fold_keys.d512);
	x1 = fold512(x0, k, x1);
	x2 = fold512(x1, k, x2);
	x3 = fold512(x2, k, x3);
	for (; len >= 64; p += 64, len -= 64)
		x3 = fold512(x3, k, _mm512_loadu_si512(p));
	/* four lanes into one, then 16 bytes at a time */
	k128 = _mm_set_epi64x((long long)fold_keys.d128[1],
	    (long long)fold_keys.d128[0]);
	a = _mm512_extracti32x4_epi32(x3, 0);
	b = _mm512_extracti32x4_epi32(x3, 1);
	c = _mm512_extracti32x4_epi32(x3, 2);
	d = _mm512_extracti32x4_epi32(x3, 3);
	b = fold128(a, k128, b);
	c = fold128(b, k128, c);
	d = fold128(c, k128, d);
	for (; len >= 16; p += 16, len -= 16)
		d = fold128(d, k128, _mm_loadu_si128((const __m128i *)p));
	/* The lane left is congruent to everything before the tail: its CRC
	 * from a zero register, continued over the tail, is the answer. */
	r = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(d));
	r = _mm_crc32_u64(r, (uint64_t)_mm_extract_epi64(d, 1));
	return crc32c_hw_1way((uint32_t)r, p, len);
}
#endif
