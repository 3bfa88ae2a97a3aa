/**
 * `autopilot plan`: reads a live chain, scores every operator and service, plans the allocation the policy
 * allows and prints it with every action's reasons. Read-only: it builds no transaction and sends nothing.
 */
import type { Address } from 'viem'
import * as z from 'zod/mini'
import { createReader } from '../../shared/chain/client.js'
import { redactRpcUrl as redact } from '../../shared/chain/rpc/transport.js'
import { readSymbiotic } from '../../shared/protocols/symbiotic/adapter.js'
import { type ChainSync, type LogQuery, chainSyncFor, memoryChainSync } from '../../shared/chain/sync/index.js'
import { documentClientFor } from '../../shared/services/bootstrap.js'
import { ChainLogStore } from '../../shared/store/chainLogs.js'
import { ConfigSchema, configuredPositionIds } from '../../shared/config/config.js'
import { type Policy, type Universe, assertPositionsKnown, explainRun, guardDrain, parsePolicy, planAllocation, scoreUniverse } from '../../shared/domain/index.js'
import { diffPlan } from '../../shared/protocols/symbiotic/diff.js'
import { type CliIo, CliUsageError, EXIT, InvalidInputError, type ParsedArgs, fail, fitLines, parseArgs, readJson, stringFlag, terminalWidth, toJson } from './common.js'

/** Help text of `autopilot plan`. */
export const PLAN_USAGE = `usage: autopilot plan --policy FILE --config FILE [--rpc URL] [--dry-run] [--json] [--all-operators] [--curator ADDR]

Reads the vaults named in the config from a live chain at the latest block, scores every operator and
service, plans the allocation the policy allows and prints the scores, the plan, the binding constraints
and the calls the autopilot would make, each with its reasons. It never signs or sends anything
(--dry-run is accepted to say so explicitly). The cooldown is not checked (that needs the run store).

  --policy FILE       the policy (JSON; see autopilot policy validate)
  --config FILE       the bot config (JSON): vaults, opt-in services, labels; tables are not needed
  --rpc URL           JSON-RPC endpoint (default: the config's rpcUrl)
  --curator ADDR      whose curator roles to report (default: none checked)
  --all-operators     list every operator, not only those holding stake now or in the plan
  --json              machine-readable output: { chainId, blockNumber, scores, plan, decision, sent: false }

Exit codes: 0 planned · 1 invalid policy/config, a policy position naming no vault read (UnknownPositionError), chain unreadable,
the policy cannot be met, or the plan would drain a vault (DrainRefusedError) · 2 usage`

/** The bot config as `plan` and `console` read it: `tables`, `chainId` and `rpcUrl` may be left out. */
export const PlanConfigSchema = z.partial(ConfigSchema, { tables: true, chainId: true, rpcUrl: true })

/**
 * Runs `autopilot plan …`.
 * @param args arguments after `plan`
 * @param io where to print
 * @returns the exit code
 */
export async function planCommand(args: string[], io: CliIo): Promise<number> {
  try {
    const p = parseArgs(args, { policy: 'string', config: 'string', rpc: 'string', curator: 'string', 'dry-run': 'boolean', json: 'boolean', 'all-operators': 'boolean' })
    if (p.help) {
      io.stdout(PLAN_USAGE)
      return EXIT.ok
    }
    const curator = stringFlag(p, 'curator')
    if (curator !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(curator)) throw new CliUsageError(`--curator ${curator} is not an address`)
    const { policy, policyPath, config, chainId, client, universe, rpcUrl } = await readLiveInputs(p, curator as Address | undefined)
    assertPositionsKnown(universe.positions, policy, configuredPositionIds(config))
    const now = universe.timestamp
    const scores = scoreUniverse(universe, policy, { now })
    const plan = guardDrain(planAllocation(universe, scores, policy, { now }), policy)
    const fees = await client.estimateFeesPerGas().catch(() => ({ maxFeePerGas: 0n }))
    const decision = diffPlan(universe, plan, policy, { now, lastRebalanceAt: undefined, gasPriceWei: fees.maxFeePerGas ?? 0n })
    if (p.flags.json) {
      io.stdout(toJson({ chainId, blockNumber: universe.blockNumber, timestamp: universe.timestamp, rpc: redact(rpcUrl), policy: policyPath, mode: policy.mode, sent: false, scores, plan, decision }))
    } else {
      const width = terminalWidth()
      io.stdout(
        fitLines(
          `Read chain ${chainId} at block ${universe.blockNumber} from ${redact(rpcUrl)}: ${universe.positions.length} vault(s), ${universe.operators.length} operator(s), ${universe.services.length} service(s). Policy ${policyPath} (mode ${policy.mode}).\n`,
          width,
        ),
      )
      const collateral = universe.positions[0]?.collateral
      const token = (collateral && Object.entries(config.labels).find(([k]) => k.toLowerCase() === collateral.toLowerCase())?.[1]) || 'tokens'
      io.stdout(explainRun({ scores, plan, decision }, { allOperators: p.flags['all-operators'] === true, width, token }))
      io.stdout(
        `\nNothing was sent${p.flags['dry-run'] ? ' (--dry-run)' : ''}: \`autopilot plan\` only reads. The autopilot would ${decision.kind === 'act' ? `send the ${decision.actions.length} call(s) above` : 'do nothing now'}${policy.mode === 'autopilot' ? '' : ` (and in mode "${policy.mode}" it would not send them either)`}.\n`,
      )
    }
    return EXIT.ok
  } catch (e) {
    return fail(e, io, PLAN_USAGE)
  }
}

/** What `plan` and `whatif` read: the policy, the config, and the universe at the latest block. */
export interface LiveInputs {
  policy: Policy
  policyPath: string
  config: z.output<typeof PlanConfigSchema>
  chainId: number
  client: ReturnType<typeof createReader>
  universe: Universe
  rpcUrl: string
  /** The chain-sync store read the universe took its logs from (`runs yield` reads the rewards from it). */
  logs: LogQuery | undefined
}

/**
 * Reads `--policy`, `--config` and the chain (`--rpc` or the config's rpcUrl) at the latest block.
 * @throws {InvalidInputError} for an invalid policy/config, an RPC that does not answer, or a config naming another chain
 */
export async function readLiveInputs(p: ParsedArgs, curator?: Address): Promise<LiveInputs> {
  const policyPath = stringFlag(p, 'policy', true)
  const parsedPolicy = parsePolicy(await readJson(policyPath, 'policy'))
  if (!parsedPolicy.ok) throw new InvalidInputError({ what: 'policy', path: policyPath, reason: parsedPolicy.errors.map((e) => `${e.path}: ${e.message}`).join('; ') })
  return { policy: parsedPolicy.policy, policyPath, ...(await readConfiguredUniverse(p, curator)) }
}

/**
 * Reads `--config` and the chain (`--rpc` or the config's rpcUrl) at the latest block: the vaults the config names.
 * @throws {InvalidInputError} for an invalid config, an RPC that does not answer, or a config naming another chain
 */
export async function readConfiguredUniverse(p: ParsedArgs, curator?: Address): Promise<Omit<LiveInputs, 'policy' | 'policyPath'>> {
  const configPath = stringFlag(p, 'config', true)
  const parsedConfig = PlanConfigSchema.safeParse(await readJson(configPath, 'config'))
  if (!parsedConfig.success) throw new InvalidInputError({ what: 'config', path: configPath, reason: parsedConfig.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
  const config = parsedConfig.data
  const rpcUrl = stringFlag(p, 'rpc') ?? config.rpcUrl
  if (!rpcUrl) throw new CliUsageError('no RPC: give --rpc URL or "rpcUrl" in the config')
  if (!/^https?:\/\//.test(rpcUrl)) throw new CliUsageError(`--rpc ${rpcUrl} is not an http(s) URL`)

  // The chain id comes from the node; a config that names another chain is refused.
  const probe = createReader({ rpcUrl, chainId: config.chainId ?? 1, timeoutMs: 10_000 })
  const chainId = await probe.getChainId().catch((cause: unknown) => {
    throw new InvalidInputError({ what: 'RPC endpoint', path: redact(rpcUrl), reason: `no answer to eth_chainId: ${(cause as Error).message.split('\n')[0]}` })
  })
  if (config.chainId !== undefined && config.chainId !== chainId) throw new InvalidInputError({ what: 'config', path: configPath, reason: `chainId ${config.chainId} but the RPC serves chain ${chainId}` })
  const client = createReader({ rpcUrl, rpcUrls: config.rpcUrls, chainId, rpc: config.rpc })
  // The Symbiotic adapter's read (vaults, events through the chain sync, extraVaults), our signer's roles or none.
  const { universe, logs } = await readSymbiotic({ config: { ...config, chainId }, client, chainSync: cliChainSync(config) }, curator ?? '0x0000000000000000000000000000000000000000')
  return { config, chainId, client, universe, rpcUrl, logs }
}

/**
 * Where `plan` gets its logs (docs/sync.md): a config with `tables` shares the deployed bot's `chainLogs` store (only
 * blocks after its cursor are fetched); without, a one-off sync from `fromBlock` in memory.
 */
function cliChainSync(config: z.output<typeof PlanConfigSchema>): ChainSync {
  if (!config.tables) return memoryChainSync()
  const dynamo = documentClientFor(config.dynamoEndpoint, process.env)
  return chainSyncFor({ config, chainLogs: new ChainLogStore({ client: dynamo, tableName: config.tables.chainLogs }) })
}

/** An RPC URL without credentials or API keys in its path/query (shown in output). */
export { redact }
