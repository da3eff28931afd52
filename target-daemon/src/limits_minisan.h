/* SPDX-License-Identifier: BSD-2-Clause */
/* Every hard limit of minisand in one place. Wire-supplied sizes are checked
 * against these (or against negotiated values) before anything is allocated. */
#ifndef MINISAN_LIMITS_MINISAN_H
#define MINISAN_LIMITS_MINISAN_H

/* RFC7143 13.12: MaxRecvDataSegmentLength range is 512 to 2^24-1. */
#define ISCSI_DSL_MIN 512u
#define ISCSI_DSL_MAX 16777215u
/* What minisand declares as its own MaxRecvDataSegmentLength by default. */
#define MINISAN_DEFAULT_MAX_RECV_DSL 262144u
/* Upper bound for MaxBurstLength / FirstBurstLength we accept. */
#define MINISAN_MAX_BURST 16777215u
/* Largest single SCSI data transfer (VPD B0 MAXIMUM TRANSFER LENGTH). */
#define MINISAN_MAX_XFER_BYTES (8u * 1024 * 1024)
/* Login / Text key=value data accumulated across continued PDUs. */
#define MINISAN_MAX_TEXT_BYTES 65536u
/* Number of key=value pairs accepted in one text exchange. */
#define MINISAN_MAX_TEXT_KEYS 256u
/* RFC7143 6.1: key names are at most 63 bytes; values at most 8192 (255
 * for most keys, enforced by the key table). */
#define ISCSI_KEY_NAME_MAX 63u
#define ISCSI_TEXT_VALUE_MAX 8192u
/* RFC7143 4.2.7.1: iSCSI names are at most 223 bytes. */
#define ISCSI_NAME_MAX 223u
/* CmdSN window: commands a session may have outstanding. The window a
 * session gets is smaller when its commands may each carry much unsolicited
 * write data (param_cmd_window): at most MINISAN_UNSOL_MAX bytes of it for
 * the whole window. Immediate commands beyond the window are rejected. */
#define MINISAN_CMD_WINDOW 128u
#define MINISAN_UNSOL_MAX (32u * 1024 * 1024)
/* Data buffers (read and write data) of the commands a session runs at
 * once: MINISAN_BUDGET_BURSTS times the negotiated MaxBurstLength, at least
 * one command of the largest size (so one always runs) and at most
 * MINISAN_SESSION_BUF_MAX. Commands beyond it wait, in order, without a
 * buffer (param_data_budget, docs/architecture.md). */
#define MINISAN_BUDGET_BURSTS 16u
#define MINISAN_SESSION_BUF_MAX (32u * 1024 * 1024)
#define MINISAN_MAX_LUNS_PER_TARGET 256u
/* Initiator names on one target's access list. */
#define MINISAN_MAX_ACL_ENTRIES 1024u
#define MINISAN_MAX_TARGETS 1024u
#define MINISAN_MAX_PORTALS 64u
/* iSNS servers minisand registers with (isns-server). */
#define MINISAN_MAX_ISNS_SERVERS 8u
/* iSNS registration period asked for, in seconds (RFC4171 6.2.6), when
 * the configuration names none, and the range allowed. */
#define MINISAN_ISNS_PERIOD_DEFAULT 900u
#define MINISAN_ISNS_PERIOD_MIN 4u
#define MINISAN_ISNS_PERIOD_MAX 86400u
/* RFC4171 6.11.1.2: a DD_Symbolic_Name is at most 256 bytes with its
 * NUL. */
#define MINISAN_ISNS_DD_NAME_MAX 255u
#define MINISAN_MAX_CONNECTIONS 1024u
#define MINISAN_MAX_SESSIONS 512u
#define MINISAN_MAX_CONNS_PER_SESSION 8u
/* Sessions and connections one initiator name may hold at once, so that
 * one broken or hostile initiator cannot take every slot. */
#define MINISAN_MAX_SESSIONS_PER_INITIATOR 64u
#define MINISAN_MAX_CONNS_PER_INITIATOR 128u
/* I_T nexuses each LUN tracks unit attentions for (least recent evicted). */
#define MINISAN_MAX_NEXUS_PER_LUN 256u
/* Unit attention conditions queued per I_T nexus per LUN (oldest dropped). */
#define MINISAN_MAX_UA_PER_NEXUS 4u
/* Seconds a connection may spend in the login phase. */
#define MINISAN_LOGIN_TIMEOUT_SEC 15
/* Seconds of silence before a NOP-In ping, and seconds to wait for its
 * answer: 75 s in all, so an initiator that blocks for a minute (libiscsi's
 * test suite sleeps 60 s waiting for a SANITIZE) keeps its session. */
#define MINISAN_NOP_INTERVAL_SEC 15
#define MINISAN_NOP_TIMEOUT_SEC 60
/* Configuration file: largest file read, longest single token (a quoted
 * string or bare word; paths up to PATH_MAX - 1). */
#define MINISAN_CONF_FILE_MAX (1024u * 1024)
#define MINISAN_CONF_STRING_MAX 4095u
/* RFC7143 13.6 TargetAlias: text value of at most 255 bytes (6.1). */
#define ISCSI_ALIAS_MAX 255u
/* LUN serial number (SPC-4 7.8.16 VPD 0x80 PRODUCT SERIAL NUMBER). */
#define MINISAN_SERIAL_MAX 64u

/* Logical block provisioning (VPD B0h): the most one WRITE SAME may
 * write (MAXIMUM WRITE SAME LENGTH, the same work as the largest WRITE),
 * the most blocks one UNMAP may deallocate (MAXIMUM UNMAP LBA COUNT; 1M
 * 512-byte blocks at most, which libiscsi takes for the sane bound) and
 * the most UNMAP block descriptors in its parameter list. */
#define MINISAN_MAX_WRITE_SAME_BYTES MINISAN_MAX_XFER_BYTES
#define MINISAN_MAX_UNMAP_BYTES (512u * 1024 * 1024)
#define MINISAN_MAX_UNMAP_DESCRIPTORS 1024u
/* Buffer WRITE SAME repeats its block into, per backing-store write. */
#define MINISAN_WRITE_SAME_CHUNK_BYTES (1024u * 1024)
/* LBA status descriptors one GET LBA STATUS returns at most. */
#define MINISAN_MAX_LBA_STATUS_DESCRIPTORS 128u

/* Atomic commands (SBC-3/SBC-4): the most one WRITE ATOMIC (16) writes
 * (Block Limits MAXIMUM ATOMIC TRANSFER LENGTH) and the most blocks one
 * COMPARE AND WRITE compares and writes (MAXIMUM COMPARE AND WRITE LENGTH,
 * a one-byte field, so also at most 255 blocks). Both hold their blocks
 * exclusively in the LUN's range lock while they run. */
#define MINISAN_MAX_ATOMIC_BYTES (1024u * 1024)
#define MINISAN_MAX_CAW_BLOCKS 255u
/* Most bytes one PRE-FETCH reads ahead (the rest of its range is only
 * checked). */
#define MINISAN_PREFETCH_MAX_BYTES (1024u * 1024)
/* SANITIZE OVERWRITE: bytes per backing-store write. */
#define MINISAN_SANITIZE_CHUNK_BYTES (1024u * 1024)
/* EXTENDED COPY (LID1), Third-party Copy VPD page and RECEIVE COPY RESULTS
 * OPERATING PARAMETERS: CSCD and segment descriptors per command, their
 * total length, bytes per backing-store transfer of a copy, and the copy
 * results each LUN holds for RECEIVE COPY RESULTS (oldest dropped). */
#define MINISAN_XCOPY_MAX_CSCD 8u
#define MINISAN_XCOPY_MAX_SEGMENTS 64u
#define MINISAN_XCOPY_MAX_DESC_LIST 4096u
#define MINISAN_XCOPY_CHUNK_BYTES (1024u * 1024)
#define MINISAN_XCOPY_MAX_HELD 16u

/* Persistent reservations (SPC-4 5.13): registrations per LUN, the largest
 * PERSISTENT RESERVE OUT parameter list (24 bytes plus TransportIDs of at
 * most 256 bytes each) and the largest APTPL state file we read. */
#define MINISAN_MAX_PR_REGISTRATIONS 256u
#define MINISAN_MAX_PR_PARAM_BYTES (28u + 256u * 256u)
#define MINISAN_MAX_PR_FILE_BYTES (256u * 1024u)

/* Event loops serving connections (iscsi/worker.c): the most the
 * `workers` directive takes, and the cap of its default (one per online
 * CPU). */
#define MINISAN_MAX_WORKERS 64u
#define MINISAN_DEFAULT_WORKERS_MAX 16u
/* Period of every loop's housekeeping tick (login timeouts, NOP-In). */
#define MINISAN_TICK_MS 250u

/* Backing-store I/O worker threads per engine (bs_engine_new). */
#define MINISAN_MAX_BS_THREADS 64
/* Largest read or write a network loop performs itself instead of handing
 * it to the worker pool, when it cannot wait for a disk (bs_submit): on a
 * store in RAM (tmpfs), or a read the page cache answers (RWF_NOWAIT). */
#define MINISAN_BS_INLINE_MAX (256u * 1024)
/* io_uring of an engine (bs/bs_uring.c): submission-queue entries (a power
 * of two); the kernel gives the completion queue twice as many, and that
 * many requests at most are in flight on the ring, the rest waiting on the
 * engine's overflow list. */
#define MINISAN_BS_URING_ENTRIES 256u
/* Workers an io_uring engine keeps for what the ring does not carry:
 * discard, allocation maps, and I/O the kernel refused on the ring. */
#define MINISAN_BS_URING_POOL_THREADS 2
/* Most bytes one ring entry moves (its length field is 32 bits); a longer
 * request continues like a short transfer. */
#define MINISAN_BS_URING_MAX_XFER (1u << 30)
/* EAGAIN/EINTR completions one request gets on the ring before a worker
 * performs it instead. */
#define MINISAN_BS_URING_RETRIES 8u
/* Data buffers each thread keeps for reuse (util/bufpool.c). */
#define MINISAN_BUFPOOL_CACHE_BYTES (4u * 1024 * 1024)

#endif
