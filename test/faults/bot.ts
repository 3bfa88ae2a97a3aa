/**
 * The bot as a child process, for cases that need a real SIGKILL or two real concurrent invocations.
 * Reads `FAULT_BOT_CONFIG` (encodeJson of {@link BotConfig}); `AUTOPILOT_CRASH_AT` arms a kill point in the
 * executor. With `wait: true` it prints `READY` and starts on the first line of stdin (a start barrier).
 * Prints one line `RESULT <json>` and exits 0 (succeeded/skipped) or 1 (failed).
 */
import { createInterface } from 'node:readline'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createReader } from '../../shared/chain/client.js'
import type { ExecutorOptions } from '../../shared/execution/options.js'
import { createDocumentClient, decodeJson, encodeJson } from '../../shared/store/client.js'
import { composeStores } from '../../shared/services/compose.js'
import type { TableNames } from '../../shared/store/tables.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { type JobTarget, runJob } from './job.js'

/** Configuration of one bot process. */
export interface BotConfig {
  /** `job` (default): the fault suite's minimal rebalance; `rebalance`: the real runRebalance built by contextFromEnv. */
  mode?: 'job' | 'rebalance'
  /** For `rebalance`: the bot's full configuration (AUTOPILOT_CONFIG) and policy (POLICY_JSON). */
  config?: Record<string, unknown>
  policy?: unknown
  rpcUrl: string
  chainId: number
  dynamoEndpoint: string
  tables: TableNames
  key: Hex
  delegator: Address
  targets: JobTarget[]
  runId?: string
  options?: ExecutorOptions
  confirmations?: number
  wait?: boolean
}

async function main(): Promise<void> {
  const cfg = decodeJson<BotConfig>(process.env.FAULT_BOT_CONFIG ?? '')
  if (cfg.wait) {
    process.stdout.write('READY\n')
    const rl = createInterface({ input: process.stdin })
    await new Promise<void>((resolve) => rl.once('line', () => resolve()))
    rl.close()
  }
  if (cfg.mode === 'rebalance') {
    // The same wiring a Lambda handler uses, from an environment map.
    const { contextFromEnv } = await import('../../shared/services/bootstrap.js')
    const { runRebalance } = await import('../../shared/services/runRebalance.js')
    const { signerFromEnv } = await import('../../shared/services/signer.js')
    const env = { AUTOPILOT_CONFIG: JSON.stringify(cfg.config, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), POLICY_JSON: JSON.stringify(cfg.policy), SIGNER_PRIVATE_KEY: cfg.key, AWS_REGION: 'local' }
    const ctx = contextFromEnv(env, 'faults-bot', { account: await signerFromEnv(env) })
    ctx.logger.setLogLevel('SILENT')
    const result = await runRebalance(ctx, { trigger: 'faults' })
    process.stdout.write(`RESULT ${encodeJson(result)}\n`)
    process.exit(result.status === 'failed' ? 1 : 0)
  }
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: cfg.dynamoEndpoint })
  const { intents, runs, locks } = composeStores({ dynamo: doc, tables: cfg.tables })
  const result = await runJob(
    {
      client: createReader({ rpcUrl: cfg.rpcUrl, chainId: cfg.chainId }),
      account: privateKeyToAccount(cfg.key),
      intents,
      runs,
      locks,
      delegator: cfg.delegator,
      confirmations: cfg.confirmations,
      options: cfg.options,
    },
    cfg.targets,
    { runId: cfg.runId },
  )
  process.stdout.write(`RESULT ${encodeJson(result)}\n`)
  process.exit(result.status === 'failed' ? 1 : 0)
}

main().catch((e: unknown) => {
  process.stdout.write(`RESULT ${encodeJson({ status: 'failed', error: { name: (e as Error).name, message: (e as Error).message } })}\n`)
  process.exit(1)
})
