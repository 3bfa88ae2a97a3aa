/** The protocols the watcher and the webhook's de-risk jobs act on (shared/protocols/types.ts `ProtocolTriggers`). */
import { symbioticTriggers } from '../protocols/symbiotic/triggers.js'
import type { ProtocolTriggers } from '../protocols/types.js'
import type { AutopilotContext } from './context.js'

/**
 * The context's triggers, else Symbiotic's alone. Entry points that manage EigenLayer add its triggers (bound to the
 * sagas table and the stakers' signers): `{ ...ctx, triggers: [symbioticTriggers(ctx), eigenLayerTriggers(elCtx)] }`.
 */
export function watchTriggers(ctx: AutopilotContext): readonly ProtocolTriggers[] {
  return ctx.triggers ?? [symbioticTriggers(ctx)]
}

/**
 * The context with its triggers set ({@link watchTriggers}): what the shared watch and rebalance functions hand the
 * protocol-neutral watcher (shared/services/watchEvents.ts), which imports no protocol — so the eigenlayer function
 * runs it with EigenLayer's triggers alone and carries no Symbiotic code.
 * @example const tick = await watchEvents(asWatchContext(withTriggers(ctx)))
 */
export function withTriggers<C extends AutopilotContext>(ctx: C): C & { triggers: readonly ProtocolTriggers[] } {
  return { ...ctx, triggers: watchTriggers(ctx) }
}
