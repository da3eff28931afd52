/* SPDX-License-Identifier: BSD-2-Clause */
/* CHAP authentication for iSCSI logins (RFC7143 12.1.3, RFC 1994), the
 * target's side, one-way and mutual, with MD5, SHA-1, SHA-256 and SHA3-256
 * (CHAP_A 5, 6, 7, 8). Pure: the caller supplies the random bytes and does
 * the logging. */
#ifndef MINISAN_ISCSI_CHAP_H
#define MINISAN_ISCSI_CHAP_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/hash.h"
#include "iscsi/text.h"

#define CHAP_CHALLENGE_LEN 32
/* bytes of randomness chap_start() needs: the identifier, then the
 * challenge */
#define CHAP_RANDOM_LEN (1 + CHAP_CHALLENGE_LEN)

/* Credentials a login must present. Borrowed from the configuration. */
struct chap_cred {
	const char *user;          /* CHAP_N the initiator must send */
	const char *secret;
	const char *mutual_user;   /* our CHAP_N for mutual CHAP, or NULL */
	const char *mutual_secret;
};

enum chap_state {
	CHAP_WAIT_A,   /* AuthMethod=CHAP agreed: expecting CHAP_A */
	CHAP_WAIT_R,   /* challenge sent: expecting CHAP_N and CHAP_R */
	CHAP_DONE,     /* the initiator proved it knows the secret */
};

struct chap {
	enum chap_state state;
	struct chap_cred cred;     /* copies, freed by chap_fini() */
	enum hash_alg alg;
	uint8_t id;
	uint8_t challenge[CHAP_CHALLENGE_LEN];
	uint8_t random[CHAP_RANDOM_LEN];
};

/* Starts an exchange for cred (copied: a reload may free the original)
 * with fresh random bytes. */
void chap_start(struct chap *ch, const struct chap_cred *cred,
    const uint8_t random[CHAP_RANDOM_LEN]);
/* Frees the copies and wipes the secrets and the challenge. */
void chap_fini(struct chap *ch);

/* Handles the CHAP_* keys of one login request, appending our keys to out.
 * Returns 0 while the exchange goes on or once it succeeded (state
 * CHAP_DONE), or -EACCES with *why set when authentication fails. */
int chap_handle(struct chap *ch, const struct text_list *kv,
    struct text_buf *out, const char **why);

/* Decodes a CHAP binary value ("0x" hex or "0b" base64, RFC7143 6.1).
 * Returns its length, or -1 if malformed or longer than max. */
int chap_decode(const char *value, uint8_t *out, size_t max);

#endif
