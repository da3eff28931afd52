/* SPDX-License-Identifier: BSD-2-Clause */
/* Sense keys, additional sense codes and the helpers that turn a SCSI
 * command error into CHECK CONDITION status plus fixed-format sense data
 * (SPC-4 4.5). Private to scsi/. */
#ifndef MINISAN_SCSI_SENSE_H
#define MINISAN_SCSI_SENSE_H

#include <stdint.h>

struct scsi_task;

/* SPC-4 4.5.6 "Sense key and sense code definitions" */
enum sense_key {
	SENSE_KEY_NO_SENSE = 0x0,
	SENSE_KEY_RECOVERED_ERROR = 0x1,
	SENSE_KEY_NOT_READY = 0x2,
	SENSE_KEY_MEDIUM_ERROR = 0x3,
	SENSE_KEY_HARDWARE_ERROR = 0x4,
	SENSE_KEY_ILLEGAL_REQUEST = 0x5,
	SENSE_KEY_UNIT_ATTENTION = 0x6,
	SENSE_KEY_DATA_PROTECT = 0x7,
	SENSE_KEY_COPY_ABORTED = 0xa,
	SENSE_KEY_ABORTED_COMMAND = 0xb,
	SENSE_KEY_MISCOMPARE = 0xe,
};

/* SPC-4 4.5.6 additional sense codes: ASC in the high byte, ASCQ in the
 * low byte. */
enum sense_asc {
	ASC_NO_ADDITIONAL_SENSE = 0x0000,
	ASC_OPERATION_IN_PROGRESS = 0x0016,
	ASC_LU_NOT_READY_SANITIZE = 0x041b,
	ASC_UNREACHABLE_COPY_TARGET = 0x0804,
	ASC_WRITE_ERROR = 0x0c00,
	ASC_COPY_TARGET_NOT_REACHABLE = 0x0d02,
	ASC_INVALID_FIELD_IN_IU = 0x0e03,
	ASC_UNRECOVERED_READ_ERROR = 0x1100,
	ASC_PARAMETER_LIST_LENGTH_ERROR = 0x1a00,
	ASC_MISCOMPARE_DURING_VERIFY = 0x1d00,
	ASC_INVALID_COMMAND_OPCODE = 0x2000,
	ASC_LBA_OUT_OF_RANGE = 0x2100,
	ASC_INVALID_FIELD_IN_CDB = 0x2400,
	ASC_LU_NOT_SUPPORTED = 0x2500,
	ASC_INVALID_FIELD_IN_PARAM_LIST = 0x2600,
	ASC_TOO_MANY_TARGET_DESCRIPTORS = 0x2606,
	ASC_UNSUPPORTED_TARGET_DESCRIPTOR = 0x2607,
	ASC_TOO_MANY_SEGMENT_DESCRIPTORS = 0x2608,
	ASC_UNSUPPORTED_SEGMENT_DESCRIPTOR = 0x2609,
	ASC_WRITE_PROTECTED = 0x2700,
	ASC_SPACE_ALLOC_FAILED_WRITE_PROTECT = 0x2707,
	ASC_POWER_ON_RESET = 0x2900,
	ASC_SCSI_BUS_RESET = 0x2902,
	ASC_BUS_DEVICE_RESET = 0x2903,
	ASC_MODE_PARAMETERS_CHANGED = 0x2a01,
	ASC_CAPACITY_DATA_CHANGED = 0x2a09,
	ASC_SANITIZE_COMMAND_FAILED = 0x3103,
	ASC_SAVING_PARAMS_NOT_SUPPORTED = 0x3900,
	ASC_MEDIUM_NOT_PRESENT = 0x3a00,
	ASC_INTERNAL_TARGET_FAILURE = 0x4400,
	ASC_MEDIUM_REMOVAL_PREVENTED = 0x5302,
	ASC_INSUFFICIENT_RESOURCES = 0x5503,
};

#define SENSE_ASC(code) ((uint8_t)((code) >> 8))
#define SENSE_ASCQ(code) ((uint8_t)(code))

/* Fixed-format sense data (SPC-4 4.5.3) is 18 bytes: 8 of header and an
 * ADDITIONAL SENSE LENGTH of 10. Descriptor format (4.5.2) headers are 8. */
#define SENSE_FIXED_LEN 18u
#define SENSE_DESC_HDR_LEN 8u
#define SENSE_RESPONSE_FIXED_CURRENT 0x70
#define SENSE_RESPONSE_DESC_CURRENT 0x72

/* Sets CHECK CONDITION with key and asc (an ASC_* code), and drops any
 * data-in prepared so far: a failed command transfers no data. */
void sense_set(struct scsi_task *task, enum sense_key key,
    enum sense_asc asc);

/* ILLEGAL REQUEST with a sense-key specific field pointer (SPC-4
 * 4.5.2.4.2): cd is 1 for a CDB field, 0 for a parameter-list field; bit is
 * the most significant bit of the field, or -1 for "the whole byte". */
void sense_set_field(struct scsi_task *task, enum sense_asc asc, int cd,
    uint16_t byte, int bit);

/* Shorthand for INVALID FIELD IN CDB at byte/bit. */
void sense_invalid_cdb(struct scsi_task *task, uint16_t byte, int bit);

/* Like sense_set() with the INFORMATION field set and VALID (4.5.3). */
void sense_set_info(struct scsi_task *task, enum sense_key key,
    enum sense_asc asc, uint32_t info);

/* Builds fixed-format sense data without touching the task: used for
 * pending unit attentions and REQUEST SENSE. buf holds SENSE_FIXED_LEN. */
void sense_build_fixed(uint8_t *buf, enum sense_key key, enum sense_asc asc);

/* Converts fixed-format sense (SENSE_FIXED_LEN bytes) to descriptor format
 * with information and sense-key specific descriptors where the fixed data
 * had them. out holds at least 32 bytes. Returns the length written. */
uint32_t sense_fixed_to_desc(const uint8_t *fixed, uint8_t *out);

#endif
