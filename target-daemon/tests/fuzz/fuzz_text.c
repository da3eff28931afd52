/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer entry point for iscsi/text.c and iscsi/param.c: parses the
 * input as a key=value segment and negotiates it in every stage, on a
 * leading and a non-leading connection, checking the invariants of the
 * result. Build (clang only):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I src \
 *     tests/fuzz/fuzz_text.c src/iscsi/text.c src/iscsi/param.c \
 *     src/util/xalloc.c -o fuzz_text
 *   ./fuzz_text tests/fuzz/corpus/text */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "iscsi/param.h"
#include "iscsi/text.h"
#include "limits_minisan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                  \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

/* Every answer must itself be a well-formed segment whose keys were
 * offered (or are our own MaxRecvDataSegmentLength declaration). */
static void
fuzz_check_answers(const struct text_list *in, const struct text_buf *out)
{
	struct text_list ans;

	if (out->len == 0)
		return;
	FUZZ_ASSERT(out->data[out->len - 1] == '\0');
	FUZZ_ASSERT(text_parse(out->data, out->len, &ans) == 0);
	FUZZ_ASSERT(ans.n <= in->n + 1);
	for (size_t i = 0; i < ans.n; i++)
		FUZZ_ASSERT(text_find(in, ans.kv[i].key) != NULL ||
		    strcmp(ans.kv[i].key, "MaxRecvDataSegmentLength") == 0);
	text_list_fini(&ans);
}

static void
fuzz_check_set(const struct param_set *set)
{
	FUZZ_ASSERT(set->max_recv_dsl >= ISCSI_DSL_MIN &&
	    set->max_recv_dsl <= ISCSI_DSL_MAX);
	FUZZ_ASSERT(set->max_xmit_dsl >= ISCSI_DSL_MIN &&
	    set->max_xmit_dsl <= ISCSI_DSL_MAX);
	FUZZ_ASSERT(set->max_burst_length >= ISCSI_DSL_MIN &&
	    set->max_burst_length <= ISCSI_DSL_MAX);
	FUZZ_ASSERT(set->first_burst_length >= ISCSI_DSL_MIN &&
	    set->first_burst_length <= set->max_burst_length);
	FUZZ_ASSERT(set->max_connections >= 1 && set->max_connections <= 1);
	FUZZ_ASSERT(set->max_outstanding_r2t >= 1);
	FUZZ_ASSERT(set->error_recovery_level == 0);
	FUZZ_ASSERT(set->default_time2wait <= 3600);
	FUZZ_ASSERT(set->default_time2retain <= 3600);
	FUZZ_ASSERT(set->data_pdu_in_order && set->data_sequence_in_order);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum param_stage stages[] = {
		PARAM_STAGE_SECURITY,
		PARAM_STAGE_OPERATIONAL,
		PARAM_STAGE_FULL_FEATURE,
	};
	struct param_limits lim;
	struct text_list in;

	if (text_parse(data, size, &in) != 0) {
		FUZZ_ASSERT(in.n == 0 && in.kv == NULL && in.storage == NULL);
		return 0;
	}
	param_limits_default(&lim);
	lim.allow_digests = size & 1;
	for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		for (int leading = 0; leading < 2; leading++) {
			struct param_neg neg;
			struct text_buf out = { 0 };
			enum param_result rc;

			param_neg_init(&neg, &lim, leading);
			rc = param_negotiate(&neg, &in, stages[s], &out);
			FUZZ_ASSERT(rc == PARAM_OK || out.len == 0);
			if (rc == PARAM_OK) {
				fuzz_check_answers(&in, &out);
				/* A second round: every key already seen is
				 * either tolerated or a duplicate. */
				struct text_buf again = { 0 };
				(void)param_negotiate(&neg, &in, stages[s],
				    &again);
				text_buf_fini(&again);
			}
			param_neg_finish(&neg, &out);
			FUZZ_ASSERT(neg.declared_mrdsl);
			fuzz_check_set(&neg.set);
			text_buf_fini(&out);
		}
	}
	text_list_fini(&in);
	return 0;
}
