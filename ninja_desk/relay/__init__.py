"""The headless webhook relay: NinjaOne posts here, desktops follow an SSE stream.

Modules, one concept each:
  store / store_sqlite / store_postgres  the append-only event log and its two backends
  secrets, auth                          hashed secrets/tokens; who may post and listen
  intake                                 group commit: many requests, one transaction
  feed                                   the live tail fanned out to every stream
  sse                                    GET /events (stream and batch)
  app, state                             the aiohttp application and its shared state
  retention, forwarder, metrics          pruning, the forward outbox, Prometheus text
  admin, cli                             `ninja-desk-relay` commands

See docs/relay.md for deployment and the HTTP API. Nothing here imports Qt or the desktop
app's packages (ui, sync, cache, psa).
"""
