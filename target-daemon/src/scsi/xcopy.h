/* SPDX-License-Identifier: BSD-2-Clause */
/* SPC-4 third-party copy, LID1 flavour: EXTENDED COPY with identification
 * CSCD descriptors (E4h, matched against the NAA designators of the LUNs
 * of the same target) and block-to-block segment descriptors (02h), within
 * a LUN or across LUNs; RECEIVE COPY RESULTS (COPY STATUS, OPERATING
 * PARAMETERS) and the Third-party Copy VPD page. The LUN that receives
 * EXTENDED COPY is the copy manager and holds the copy status for RECEIVE
 * COPY RESULTS. Private to scsi/. */
#ifndef MINISAN_SCSI_XCOPY_H
#define MINISAN_SCSI_XCOPY_H

#include <stdint.h>

#include "scsi/scsi_impl.h"

/* SPC-4 "EXTENDED COPY (LID1) command": service action 00h of 83h. */
#define XCOPY_SA_LID1 0x00
/* SPC-4 "RECEIVE COPY RESULTS command" service actions (84h) we have. */
#define XCOPY_RCR_COPY_STATUS 0x00
#define XCOPY_RCR_OPERATING_PARAMETERS 0x03

/* EXTENDED COPY (LID1) */
scsi_cmd_fn xcopy_extended_copy;
scsi_out_len_fn xcopy_out_len;
/* RECEIVE COPY RESULTS: COPY STATUS and OPERATING PARAMETERS */
scsi_cmd_fn xcopy_receive_copy_results;

/* Fills the Third-party Copy VPD page (8Fh) of task->lu into buf past its
 * 4-byte header (at most XCOPY_VPD_MAX bytes in all); returns the page's
 * full length. */
#define XCOPY_VPD_MAX 128u
uint32_t xcopy_vpd_page(const struct scsi_task *task, uint8_t *buf);

/* The I_T nexus of initiator port port is gone: forget the copy results
 * held for it. Called with lu->lock held. */
void xcopy_nexus_loss(struct scsi_lun *lu, const char *port);
/* Frees the results lu holds (the LUN goes away; no copy runs). */
void xcopy_lun_fini(struct scsi_lun *lu);

#endif
