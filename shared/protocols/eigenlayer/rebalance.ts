/**
 * Use case `rebalance` for EigenLayer positions: the one pipeline (shared/pipeline/rebalance.ts) over the EigenLayer
 * adapter (./adapter.ts: resume waiting sagas → read → plan → exits and move sagas → record). Every step is signed
 * through a lease-fenced signer session: for a staker Safe by the bot's one signer through the Safe's Roles modifier
 * (the deployed function's KMS key), for a local EOA staker by its key from `EIGENLAYER_STAKER_KEYS` (Anvil only).
 */
import { type LocalAccount, isAddress } from 'viem'
import { toAddr } from '../../address.js'
import { localSigner } from '../../chain/signers/localSigner.js'
import { ConfigError } from '../../config/config.js'
import { RestakeError } from '../../errors.js'
import type { Decision, Plan } from '../../domain/index.js'
import { type RebalanceOptions, type RebalanceResult, runRebalancePipeline } from '../../pipeline/rebalance.js'
import type { AutopilotContext } from '../../services/context.js'
import { SagaStore } from '../../store/sagas.js'
import type { StakerRoles } from './stakerRoles.js'
import { type EigenLayerAdapterDeps, type EigenLayerMoveOutcome, type EigenLayerRunDetails, createEigenLayerAdapter } from './adapter.js'

export type { EigenLayerMoveOutcome }
export type { EigenLayerPositionView, EigenLayerSagaView, EigenLayerStakerView } from './views.js'

/** What the EigenLayer use case needs beyond the shared context: the sagas table and our stakers' signers. */
export interface EigenLayerRebalanceContext extends AutopilotContext, EigenLayerAdapterDeps {
  sagas: SagaStore
}

/** Options of {@link runEigenLayerRebalance}. */
export type RunEigenLayerRebalanceOptions = RebalanceOptions

/** Result of an EigenLayer rebalance run. */
export type RunEigenLayerRebalanceResult = RebalanceResult & EigenLayerRunDetails & { decision?: Decision; plan?: Plan }

/**
 * Plans and (in autopilot mode) moves EigenLayer stake toward the plan with move sagas; always records the run.
 * @example const r = await runEigenLayerRebalance(elCtx, { trigger: 'schedule' }) // r.moves[0].sagaStatus === 'waiting'
 */
export async function runEigenLayerRebalance(ctx: EigenLayerRebalanceContext, opts: RunEigenLayerRebalanceOptions = {}): Promise<RunEigenLayerRebalanceResult> {
  const adapter = createEigenLayerAdapter({
    sagas: ctx.sagas,
    stakerSigner: ctx.stakerSigner,
    ...(ctx.stakerRoles ? { stakerRoles: ctx.stakerRoles } : {}),
    ...(ctx.sagaHooks ? { sagaHooks: ctx.sagaHooks } : {}),
    ...(ctx.exitReasons ? { exitReasons: ctx.exitReasons } : {}),
    ...(ctx.exitBps ? { exitBps: ctx.exitBps } : {}),
  })
  const result = await runRebalancePipeline(ctx, adapter, opts)
  return { ...adapter.details, ...result } as RunEigenLayerRebalanceResult
}

/** `EIGENLAYER_STAKER_KEYS` malformed, or a key that does not belong to the address it is listed under. */
export class StakerKeysError extends RestakeError {
  override name = 'StakerKeysError' as const
  constructor(issue: string) {
    super('Invalid EIGENLAYER_STAKER_KEYS.', { details: issue })
  }
}

/** `StakerKeysError` narrowed by its stable name. */
export type StakerKeysErrorType = StakerKeysError & { name: 'StakerKeysError' }

/**
 * Our stakers' local signers from `EIGENLAYER_STAKER_KEYS` (JSON `{ "<address>": "<private key>" }`). Raw keys sign
 * only on Anvil (chain 31337) unless `ALLOW_LOCAL_KEY=true`, exactly like the curator's local signer; in production
 * the stakers are Safes moved by the bot's signer (config `roles`), so the variable is absent there.
 * @example stakerSignersFromEnv({ EIGENLAYER_STAKER_KEYS: '{"0xab…":"0x12…"}' }, 31337)
 */
export function stakerSignersFromEnv(env: Record<string, string | undefined>, chainId: number): Map<string, LocalAccount> {
  const raw = env.EIGENLAYER_STAKER_KEYS
  const out = new Map<string, LocalAccount>()
  if (!raw) return out
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (e) {
    throw new StakerKeysError(`not JSON: ${(e as Error).message}`)
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new StakerKeysError('expected an object { "<staker address>": "<private key>" }')
  for (const [address, key] of Object.entries(json as Record<string, unknown>)) {
    if (!isAddress(address, { strict: false })) throw new StakerKeysError(`"${address}" is not an address`)
    if (typeof key !== 'string') throw new StakerKeysError(`the key of ${address} is not a string`)
    const account = localSigner(key, chainId, env.ALLOW_LOCAL_KEY === 'true') // LocalKeyRefusedError off Anvil
    if (account.address.toLowerCase() !== address.toLowerCase()) throw new StakerKeysError(`the key listed for ${address} belongs to ${account.address}`)
    out.set(address.toLowerCase(), account)
  }
  return out
}

/**
 * How the bot signs for each configured staker: a staker Safe (config `roles`) through its Roles modifier with the
 * bot's one signer (`account`: KMS in AWS), an EOA staker with its own key from `EIGENLAYER_STAKER_KEYS` (Anvil only).
 * @example const { stakerSigner, stakerRoles } = stakerSigning(config, ctx.account, process.env)
 */
export function stakerSigning(config: AutopilotContext['config'], account: LocalAccount | undefined, env: Record<string, string | undefined>): Pick<EigenLayerAdapterDeps, 'stakerSigner' | 'stakerRoles'> {
  const keys = stakerSignersFromEnv(env, config.chainId)
  const roles = new Map<string, StakerRoles>()
  for (const p of config.eigenlayer?.positions ?? []) for (const s of p.stakers) if (s.roles) roles.set(toAddr(s.address), s.roles)
  return {
    stakerSigner: (a) => (roles.has(toAddr(a)) ? account : keys.get(toAddr(a))),
    stakerRoles: (a) => roles.get(toAddr(a)),
  }
}

/**
 * Extends a handler's context (from contextFromEnv: its DynamoDB client serves the sagas table too) with the sagas
 * store and the staker signing (from `env`; only handlers pass process.env).
 * @example const el = ctx.config.eigenlayer ? eigenLayerContextFromEnv(ctx, process.env) : undefined
 */
export function eigenLayerContextFromEnv(ctx: AutopilotContext, env: Record<string, string | undefined>): EigenLayerRebalanceContext {
  const { config, dynamo } = ctx
  if (!dynamo) throw new ConfigError(['the EigenLayer context needs the DynamoDB client of contextFromEnv'])
  return { ...ctx, sagas: new SagaStore({ client: dynamo, tableName: config.tables.sagas }), ...stakerSigning(config, ctx.account, env) }
}
