/**
 * Helpers every protocol's triggers share (the `ProtocolTriggers` of ./types.ts): the deny overlay of an operator-wide
 * de-risk, the run-started callback, and our exposure per (service, operator) pair of a universe.
 */
import type { Address, Hex } from 'viem'
import type { Universe } from '../domain/index.js'
import type { AutopilotContext } from '../services/context.js'

/**
 * The policy with every operator of `orders` deny-listed for one run (and dropped from the allow list): the plan sets
 * their targets to zero (deny removals are forced moves, not limited by the turnover cap). Shared by every protocol's
 * triggers: an operator-wide de-risk is the same overlay everywhere.
 */
export function denyOverlay<P extends AutopilotContext['policy']>(policy: P, operators: readonly string[]): P {
  if (operators.length === 0) return policy
  const ops = operators.map((o) => o.toLowerCase())
  const deny = [...new Set([...policy.operators.deny, ...ops])]
  const allow = policy.operators.allow?.filter((a) => !ops.includes(a.toLowerCase()))
  return { ...policy, operators: { ...policy.operators, deny, ...(allow ? { allow } : {}) } }
}

/** The context's progress callback, also telling `onRunStarted` the run id as soon as the run has read. */
export function withRunStarted(ctx: AutopilotContext, onRunStarted?: (runId: string) => void): AutopilotContext['onProgress'] {
  if (!onRunStarted) return ctx.onProgress
  return (e) => {
    ctx.onProgress?.(e)
    if (e.type === 'read') onRunStarted(e.runId)
  }
}

/** Our stake per (service, operator) in a universe, and whether we allocate to the pair at all (stake, shares or a limit). */
export function pairExposure(universe: Universe | undefined): { stake(service: Hex, operator: Address): bigint; allocates(service: Hex, operator: Address): boolean } {
  const rows = (universe?.positions ?? []).flatMap((p) => p.allocations)
  return {
    stake: (sn, op) => rows.filter((a) => a.service === sn && a.operator === op).reduce((s, a) => s + a.stake, 0n),
    allocates: (sn, op) => rows.some((a) => a.service === sn && a.operator === op && (a.stake > 0n || a.shares > 0n || a.operatorLimit > 0n)),
  }
}
