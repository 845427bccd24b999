"""The headless webhook relay: NinjaOne posts here, desktops follow an SSE stream.

Modules, one concept each:
  store, schema, private_files           the append-only event log (SQLAlchemy Core, SQLite
                                         or PostgreSQL), its tables and schema version
  secrets, auth                          hashed secrets/tokens; who may post and listen
  intake                                 group commit: many requests, one transaction
  feed                                   the live tail fanned out to every stream
  sse                                    GET /events (stream and batch)
  app, state                             the aiohttp application and its shared state
  retention, forwarder, metrics          pruning, the forward outbox, Prometheus metrics
  admin, cli, settings                   `ninja-desk-relay` commands and their validated settings

See docs/relay.md for deployment and the HTTP API. Nothing here imports Qt or the desktop
app's packages (ui, sync, cache, psa).
"""
