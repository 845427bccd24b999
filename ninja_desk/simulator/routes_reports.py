"""`/v2/queries/*` with named cursors (pagination.py) over per-device rows (reports.py)."""

from __future__ import annotations

import bisect

from aiohttp import web

from ninja_desk.simulator import reports, serializers
from ninja_desk.simulator.device_filter import parse_device_filter
from ninja_desk.simulator.pagination import report_page_size
from ninja_desk.simulator.responses import api_error, json_text, state


async def query_report(request: web.Request) -> web.Response:
    sim = state(request)
    name = request.match_info["report"]
    builder = reports.REPORTS.get(name)
    if builder is None:
        return api_error(404, f"Unknown report {name!r}", "NOT_FOUND")
    size = report_page_size(request.query)
    cursor_name = request.query.get("cursor")
    if cursor_name:
        cur = sim.cursors.get(cursor_name, name)
        params = cur.params
    else:
        params = {k: v for k, v in request.query.items() if k not in ("cursor", "pageSize")}
        parse_device_filter(params.get("df"))  # 400 now, not on page 2
        cur = sim.cursors.new(name, params)
    pred = parse_device_filter(params.get("df"))
    fleet = sim.tenant.fleet
    ids = fleet.sorted_device_ids()
    ctx = reports.ReportContext(sim.tenant)
    rows: list[str] = []
    pos_id, skip = cur.next_device_id, cur.skip_rows
    next_id, next_skip = (ids[-1] + 1 if ids else pos_id), 0  # "exhausted" unless we stop
    i = bisect.bisect_left(ids, pos_id)
    while i < len(ids):
        dev = fleet.devices[ids[i]]
        if pred is None or pred(dev):
            dev_rows = sim.report_rows.rows(name, builder, sim.tenant, dev, params, ctx)
            already = skip if dev.id == pos_id else 0
            if already:
                dev_rows = dev_rows[already:]
            room = size - len(rows)
            if len(dev_rows) > room:
                # The page ends inside this device: remember how many of its rows went out.
                rows.extend(dev_rows[:room])
                next_id, next_skip = dev.id, already + room
                break
            rows.extend(dev_rows)
            if len(rows) >= size:
                next_id = ids[i + 1] if i + 1 < len(ids) else ids[i] + 1
                break
        i += 1
    offset = cur.offset
    cur.next_device_id, cur.skip_rows = next_id, next_skip
    cur.offset = offset + len(rows)
    head = serializers.dumps({"cursor": cur.wire(offset, len(rows))})
    return json_text(head[:-1] + ',"results":[' + ",".join(rows) + "]}")
