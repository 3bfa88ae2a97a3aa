/** Slash response: turns observed slashes into de-risk orders for planning (policy.slashResponse). */
import type { SlashRecord, Universe } from './types.js'
import type { Policy } from './policy.js'
import type { DeriskRequest } from './lp.js'
import { cmp } from './format.js'

/**
 * De-risk orders for every slash executed at or after `since` on an operator that holds stake in a
 * managed position: `zero-out` or `halve` the operator in the slashing service (per
 * `policy.slashResponse`; `alert-only` gives none). Pass them to `planAllocation(…, { derisk })` and
 * diff with `force: true`.
 * @param universe state of the world (slashes are read from its services)
 * @param policy validated policy
 * @param opts `since`: unix seconds; older slashes are ignored (they were handled before)
 * @returns orders sorted by (operator, service), one per slashed pair
 */
export function deriskRequestsForSlashes(universe: Universe, policy: Policy, opts: { since: bigint }): DeriskRequest[] {
  if (policy.slashResponse === 'alert-only') return []
  const held = new Set<string>()
  for (const p of universe.positions) for (const a of p.allocations) if (a.stake > 0n) held.add(`${a.service.toLowerCase()}|${a.operator.toLowerCase()}`)
  const seen = new Map<string, SlashRecord>()
  for (const s of universe.services)
    for (const r of s.slashes) {
      if (r.timestamp < opts.since) continue
      const k = `${r.service.toLowerCase()}|${r.operator.toLowerCase()}`
      if (!held.has(k)) continue
      const prev = seen.get(k)
      if (prev === undefined || r.timestamp > prev.timestamp) seen.set(k, r)
    }
  return [...seen.entries()]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([, r]) => ({
      operator: r.operator.toLowerCase() as DeriskRequest['operator'],
      service: r.service.toLowerCase() as NonNullable<DeriskRequest['service']>,
      response: policy.slashResponse as 'zero-out' | 'halve',
      reason: `slash response ${policy.slashResponse}: operator slashed in this service at block ${r.blockNumber} (tx ${r.txHash})`,
    }))
    .sort((a, b) => cmp(a.operator, b.operator) || cmp(a.service ?? '', b.service ?? ''))
}
