/* SPDX-License-Identifier: BSD-2-Clause */
/* SBC-3 logical block provisioning: UNMAP, WRITE SAME (10/16) with and
 * without UNMAP, GET LBA STATUS, and the per-LUN provisioning state behind
 * READ CAPACITY (16) LBPME/LBPRZ and VPD pages B0h/B2h. Private to scsi/:
 * the dispatcher calls the commands through its opcode table. */
#ifndef MINISAN_SCSI_SBC_PROVISION_H
#define MINISAN_SCSI_SBC_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "scsi/scsi_impl.h"

/* Decides lu->thin, lu->lbprz and lu->unmap_gran from p->thin and what the
 * backing store can deallocate (bs_discard_caps). Called by scsi_lun_new
 * once lu->bs and lu->block_size are set. Returns 0, or -EINVAL with err
 * filled when p->thin > 0 asks for thin provisioning the store cannot
 * give. */
int sbc_provision_setup(struct scsi_lun *lu, const struct scsi_lun_params *p,
    char *err, size_t errlen);

/* The Block Limits VPD page (B0h) values of lu, in logical blocks or
 * descriptors (SBC-3 "Block Limits VPD page"). All zero for a fully
 * provisioned LUN except max_write_same, which WRITE SAME without UNMAP
 * honours on every LUN. */
struct sbc_provision_limits {
	uint32_t max_unmap_lbas;      /* MAXIMUM UNMAP LBA COUNT */
	uint32_t max_unmap_descs;     /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	uint32_t unmap_granularity;   /* OPTIMAL UNMAP GRANULARITY */
	uint64_t max_write_same;      /* MAXIMUM WRITE SAME LENGTH */
};
void sbc_provision_limits(const struct scsi_lun *lu,
    struct sbc_provision_limits *lim);

/* UNMAP */
scsi_cmd_fn sbc_unmap;
scsi_out_len_fn sbc_unmap_out_len;
/* WRITE SAME (10) and WRITE SAME (16) */
scsi_cmd_fn sbc_write_same;
scsi_out_len_fn sbc_write_same_out_len;
/* SERVICE ACTION IN (16) action 12h: GET LBA STATUS */
scsi_cmd_fn sbc_get_lba_status;

#endif
