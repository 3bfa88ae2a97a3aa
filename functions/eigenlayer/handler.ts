/**
 * Lambda `eigenlayer`: a Scheduler tick (or a direct invocation) → runEigenLayerRebalance (resume move sagas,
 * plan, start moves) → log. Deployed only when the protocol config has an `eigenlayer` section. It signs with the
 * bot's key (KMS in AWS) for the staker Safes, through each Safe's Roles modifier (docs/eigenlayer.md).
 */
import { ConfigError } from '../../shared/config/config.js'
import { withLambdaContext } from '../../shared/logger.js'
import { forInvocation, handlerRuntime } from '../../shared/services/runtime.js'
import { coldStartSigner } from '../../shared/services/signer.js'
import { eigenLayerContextFromEnv, runEigenLayerRebalance } from '../../shared/protocols/eigenlayer/rebalance.js'
import { RebalanceEvent } from '../rebalance/schema.js'

const runtime = handlerRuntime(process.env, 'eigenlayer', { account: coldStartSigner }, (base) => {
  if (!base.config.eigenlayer) throw new ConfigError(['the protocol config has no "eigenlayer" section: the eigenlayer function has nothing to manage'])
  return eigenLayerContextFromEnv(base, process.env)
})

/** The Lambda handler: one EigenLayer rebalance per tick; a failed run is logged and returned (the run record holds it). */
export const handler = withLambdaContext(runtime.logger, async (event: unknown, lambda) => {
  const input = RebalanceEvent.parse(event ?? {})
  const ctx = forInvocation(await runtime.context(), lambda)
  const result = await runEigenLayerRebalance(ctx, { trigger: input.trigger, force: input.force })
  if (result.status === 'failed') ctx.logger.error('eigenlayer rebalance failed', { runId: result.runId, error: result.error })
  else ctx.logger.info('eigenlayer rebalance done', { runId: result.runId, status: result.status, actions: result.actions, decision: result.decision })
  return result
})
