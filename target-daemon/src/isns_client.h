/* SPDX-License-Identifier: BSD-2-Clause */
/* The iSNS client (RFC 4171): registers the network entity, its portals,
 * the targets and their portal groups with every configured iSNS server,
 * keeps the registration alive, follows configuration changes and server
 * restarts, and deregisters on shutdown. Application layer. */
#ifndef MINISAN_ISNS_CLIENT_H
#define MINISAN_ISNS_CLIENT_H

#include <stdbool.h>

#include "conf/conf.h"
#include "core/evloop.h"

struct isns_client;

/* Creates an idle client on loop (nothing happens before
 * isns_client_update()). Owned by main; freed by isns_client_free(). */
struct isns_client *isns_client_new(struct evloop *loop);
/* Takes the servers, entity, portals and targets from cf (copied; cf is
 * not kept) and registers them with every server, replacing what was
 * registered before. Servers no longer listed are disconnected. */
void isns_client_update(struct isns_client *c, const struct conf *cf);
/* Timers: connection retries, refreshes and request timeouts. Call about
 * every 250 ms. */
void isns_client_tick(struct isns_client *c);
/* Starts deregistering from every server (clean shutdown). */
void isns_client_shutdown(struct isns_client *c);
/* True once every deregistration finished or failed, or 3 s after
 * isns_client_shutdown(). */
bool isns_client_stopped(const struct isns_client *c);
/* Closes every connection. NULL is a no-op. */
void isns_client_free(struct isns_client *c);

#endif
