/**
 * The backtest engine: replays a scenario timeline day by day on a fresh local world (Anvil time travel),
 * running the REAL autopilot — `runRebalance` on its schedule and `watchEvents` (slash response) every day —
 * on the `autopilot` twin of every vault while the `baseline` twins stay static; then reads the outcome back from the
 * chain: rewards from `DistributeRewards`, losses from `Slash`, stake from `activeStakeAt`, transactions and
 * gas from the curator's receipts. Nothing in the report is assumed from the plan.
 */
import { type Address, type Hex, getAbiItem } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import * as abis from '../world/abis/symbiotic.js'
import type { Policy } from '../../shared/domain/index.js'
import { toAddr } from '../../shared/address.js'
import { createLogger } from '../../shared/logger.js'
import { composeContext } from '../../shared/services/compose.js'
import { readUniverse } from '../../shared/services/readUniverse.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import { withTriggers } from '../../shared/services/triggers.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { advanceTime, chainNow } from '../world/chain.js'
import { LOCAL_AWS } from '../world/dynamo.js'
import type { Scenario } from '../world/scenario.js'
import type { SeededVault } from '../world/seed.js'
import { BacktestStepError } from './errors.js'
import { type RiskSample, type RiskSummary, riskSample, summariseRisk } from './risk.js'
import { type AppliedEvent, TimelinePlayer } from './timeline.js'
import { type Baseline, type BacktestWorld, startBacktestWorld } from './world.js'

const DAY = 86_400

/** Options of {@link runBacktest}. */
export interface RunBacktestParameters {
  /** A validated scenario with a `timeline`. */
  scenario: Scenario
  /** The policy the autopilot runs with. */
  policy: Policy
  /** Name shown in the report (e.g. the policy file name). */
  policyName?: string
  /** The static side (default `hold`). */
  baseline?: Baseline
  /** Replay only the first N days of the timeline. */
  days?: number
  /** Reuse this DynamoDB (fresh tables) instead of starting DynamoDB Local. */
  dynamoEndpoint?: string
  /** Progress lines for people. */
  onStep?: (message: string) => void
  /** Keep the world running and return it (the caller stops it): lets tests re-read the chain. */
  keepWorld?: boolean
}

/** One slash read back from a vault's slasher. */
export interface SlashReadBack {
  day: number
  blockNumber: bigint
  txHash: Hex
  network: string
  operator: string
  amount: bigint
}

/** The outcome of one side (autopilot or baseline), every figure read from the chain. */
export interface SideReport {
  side: 'autopilot' | 'baseline'
  /** The side's first vault (the only one in a one-vault scenario). */
  vault: Address
  /** Every vault of the side (one per vault of the scenario); the figures below are their sums. */
  vaults: Address[]
  /** `activeStakeAt` at the start of the timeline. */
  initialStake: bigint
  /** `activeStakeAt` at the end. */
  finalStake: bigint
  /** Σ `DistributeRewards.distributeAmount` paid to the vault's stakers during the timeline. */
  rewards: bigint
  /** Σ `Slash.slashedAmount` of the vault's slasher during the timeline. */
  slashed: bigint
  /** rewards − slashed. */
  net: bigint
  /** net ÷ initial stake, annualised over the replayed days. */
  netYieldPerYear: number
  /** slashed ÷ initial stake. */
  slashLossFraction: number
  slashes: SlashReadBack[]
  /** Curator transactions mined for this vault during the timeline (receipts). */
  transactions: number
  gasUsed: bigint
  /** Σ gasUsed × effectiveGasPrice, wei of the native token. */
  gasCostWei: bigint
  /** Largest peak-to-trough fall of (active stake + rewards received), as a fraction of the peak. */
  maxDrawdown: number
  maxDrawdownAmount: bigint
  /** finalStake = initialStake − slashed (no deposits or withdrawals happen during a backtest). */
  reconciled: boolean
  /** MaxLoss, VaR 99 % and security of the vault's allocation on every rebalance day and the last day (docs/risk.md), worst first. */
  risk: RiskSummary
}

/** One point of the daily series. */
export interface SeriesPoint {
  day: number
  blockNumber: bigint
  timestamp: bigint
  autopilot: SidePoint
  baseline: SidePoint
}

/** One side at one point of the series. */
export interface SidePoint {
  /** `activeStakeAt(timestamp)`. */
  activeStake: bigint
  /** Rewards distributed to the vault up to this point (since the timeline started). */
  rewards: bigint
  /** activeStake + rewards. */
  value: bigint
  /** Stake per operator label (Σ over services of `delegator.stake`). */
  byOperator: Record<string, bigint>
}

/** An autopilot run during the replay. */
export interface BacktestRun {
  day: number
  runId: string
  /** `schedule` or `slash` (the watcher's de-risk run). */
  trigger: 'schedule' | 'slash'
  status: string
  summary: string
  actions: { description: string; txHash?: string; reasons: string[] }[]
}

/** The backtest's result. */
export interface BacktestResult {
  scenario: { name: string; description: string }
  policyName: string
  baseline: Baseline
  days: number
  rebalanceEveryDays: number
  rewardIntervalDays: number
  startBlock: bigint
  endBlock: bigint
  startTimestamp: bigint
  endTimestamp: bigint
  token: { symbol: string; address: Address }
  autopilot: SideReport
  baselineSide: SideReport
  series: SeriesPoint[]
  runs: BacktestRun[]
  events: AppliedEvent[]
  /** The world, when `keepWorld` was set (stop it when done). */
  world?: BacktestWorld
}

/** Replays the scenario's timeline with the real autopilot against a static baseline; every figure is read back from the chain. */
export async function runBacktest(p: RunBacktestParameters): Promise<BacktestResult> {
  const say = p.onStep ?? (() => undefined)
  const baseline = p.baseline ?? 'hold'
  const world = await startBacktestWorld({ scenario: p.scenario, baseline, dynamoEndpoint: p.dynamoEndpoint, onStep: say })
  try {
    const result = await replay(world, p, baseline, say)
    return p.keepWorld ? { ...result, world } : result
  } finally {
    if (!p.keepWorld) await world.stop()
  }
}

async function replay(world: BacktestWorld, p: RunBacktestParameters, baseline: Baseline, say: (m: string) => void): Promise<BacktestResult> {
  const timeline = world.scenario.timeline!
  const days = Math.min(p.days ?? timeline.days, timeline.days)
  const c = world.chain
  const player = new TimelinePlayer(world)

  // The autopilot's context: real stores in DynamoDB, the curator key, a clock that follows chain time.
  let chainMs = Number(await chainNow(c)) * 1000
  let tick = 0
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: world.config.dynamoEndpoint })
  const logger = createLogger('backtest')
  logger.setLogLevel('SILENT')
  const ctx = asWatchContext(withTriggers(composeContext({ config: world.config, policy: p.policy, dynamo: doc, logger, clock: () => chainMs + tick++, account: privateKeyToAccount(world.curatorKey) })))
  const curator = world.seeded.curator.address
  const startNonce = await c.public.getTransactionCount({ address: curator })
  const startBlock = await c.public.getBlockNumber()
  const startTimestamp = await chainNow(c)
  // The baseline read as the autopilot would read it if it managed that vault (risk figures only; it never sends).
  const baselineCtx = { ...ctx, config: { ...world.config, vaults: world.baselineVaults.map((v) => ({ address: toAddr(v.address), stakerRewards: [toAddr(v.stakerRewards)] })) } }
  const risk: [RiskSample[], RiskSample[]] = [[], []]
  const sampleRisk = async (day: number) => {
    for (const [i, side] of [ctx, baselineCtx].entries()) risk[i]!.push(riskSample((await readUniverse(side)).universe, p.policy, day))
  }
  const init = await watchEvents(ctx, { confirmations: 0 })
  if (init.status === 'failed') throw new BacktestStepError({ day: 0, step: 'watcher start', cause: init.error?.message })

  const samples: { day: number; blockNumber: bigint; timestamp: bigint; byOperator: [Record<string, bigint>, Record<string, bigint>] }[] = []
  const runs: BacktestRun[] = []
  const applied: AppliedEvent[] = []
  const sample = async (day: number) => {
    const block = await c.public.getBlock({ blockTag: 'latest' })
    samples.push({ day, blockNumber: block.number, timestamp: block.timestamp, byOperator: [await stakeByOperator(world, player, world.autopilotVaults), await stakeByOperator(world, player, world.baselineVaults)] })
  }
  const step = async <T>(day: number, what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      throw new BacktestStepError({ day, step: what, cause: e })
    }
  }

  await sample(0)
  for (let day = 0; day <= days; day++) {
    if (day > 0) {
      await advanceTime(c, DAY)
      chainMs = Number(await chainNow(c)) * 1000
    }
    for (const e of timeline.events.filter((x) => x.day === day)) {
      const a = await step(day, `timeline event ${e.kind}`, () => player.apply(day, e))
      applied.push(a)
      say(`day ${day}: ${a.summary}`)
    }
    if (day > 0 && day % timeline.rewardIntervalDays === 0) await step(day, 'reward payment', () => player.payRewards(timeline.rewardIntervalDays))
    if (day > 0) {
      // The watcher (slash response): on Lambda it runs every few minutes; here once per simulated day, after the day's events.
      const w = await step(day, 'watcher', () => watchEvents(ctx, { confirmations: 0, trigger: `backtest:day-${day}` }))
      if (w.status === 'failed') throw new BacktestStepError({ day, step: 'watcher', cause: w.error?.message })
      if (w.derisk) {
        const rec = await ctx.runs.get(w.derisk.runId)
        runs.push(runOf(day, 'slash', w.derisk.runId, w.derisk.status, rec?.actions ?? [], `de-risk after ${w.events.filter((e) => e.held).length} slash(es) on held stake`))
        say(`day ${day}: watcher saw a slash on held stake → de-risk run ${w.derisk.status}, ${w.derisk.txHashes.length} tx`)
      }
    }
    if (day % timeline.rebalanceEveryDays === 0) {
      const r = await step(day, 'rebalance', () => runRebalance(ctx, { trigger: `backtest:day-${day}`, triggerKind: 'backtest' }))
      if (r.status === 'failed') throw new BacktestStepError({ day, step: 'rebalance', cause: `${r.error?.name}: ${r.error?.message}` })
      const d = r.decision
      const summary = d?.kind === 'skip' ? `skip (${d.reason}): ${d.detail}` : `${r.actions.length} call(s)${r.verified ? ', on-chain stake equals the plan' : ''}`
      runs.push(runOf(day, 'schedule', r.runId, r.status, r.actions, summary))
      say(`day ${day}: scheduled rebalance ${r.status} — ${summary}`)
    }
    if (day % timeline.rebalanceEveryDays === 0 || day === days) await step(day, 'risk figures', () => sampleRisk(day))
    await sample(day)
  }
  const endBlock = await c.public.getBlockNumber()
  const endTimestamp = await chainNow(c)

  // ---- read the outcome back from the chain ----
  say('reading the outcome back from the chain')
  const label = (k: string) => world.seeded.labels[k.toLowerCase()] ?? k
  const sideOf = async (vaults: SeededVault[], side: 'autopilot' | 'baseline', index: 0 | 1) => {
    const [rewardLogs, slashLogs] = await Promise.all([
      c.public.getLogs({ address: vaults.map((v) => v.stakerRewards), event: getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' }), fromBlock: startBlock + 1n, toBlock: endBlock }),
      executedSlashes(c, vaults, startBlock + 1n, endBlock),
    ])
    // Σ over the side's vaults of activeStakeAt, at the start and at every sample.
    const times = [startTimestamp, ...samples.map((s) => s.timestamp)]
    const perVault = (await c.public.multicall({
      contracts: vaults.flatMap((v) => times.map((ts) => ({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [Number(ts), '0x'] }) as const)),
      allowFailure: false,
    })) as bigint[]
    const stakes = times.map((_, i) => vaults.reduce((a, _v, k) => a + perVault[k * times.length + i]!, 0n))
    const initialStake = stakes[0]!
    const points: SidePoint[] = samples.map((s, i) => {
      const rewards = rewardLogs.filter((l) => l.blockNumber <= s.blockNumber).reduce((a, l) => a + l.args.distributeAmount!, 0n)
      const activeStake = stakes[i + 1]!
      return { activeStake, rewards, value: activeStake + rewards, byOperator: s.byOperator[index] }
    })
    const dayOf = (block: bigint) => samples.find((s) => s.blockNumber >= block)?.day ?? days
    const slashes: SlashReadBack[] = slashLogs.map((l) => ({
      day: dayOf(l.blockNumber),
      blockNumber: l.blockNumber,
      txHash: l.transactionHash,
      network: label(`0x${l.subnetwork.slice(2, 42)}`),
      operator: label(l.operator),
      amount: l.amount,
    }))
    const rewards = rewardLogs.reduce((a, l) => a + l.args.distributeAmount!, 0n)
    const slashed = slashes.reduce((a, s) => a + s.amount, 0n)
    const finalStake = points[points.length - 1]!.activeStake
    const dd = drawdown(points.map((x) => x.value))
    const report: SideReport = {
      side,
      vault: vaults[0]!.address,
      vaults: vaults.map((v) => v.address),
      initialStake,
      finalStake,
      rewards,
      slashed,
      net: rewards - slashed,
      netYieldPerYear: initialStake === 0n || days === 0 ? 0 : (ratio(rewards - slashed, initialStake) * 365) / days,
      slashLossFraction: initialStake === 0n ? 0 : ratio(slashed, initialStake),
      slashes,
      transactions: 0,
      gasUsed: 0n,
      gasCostWei: 0n,
      maxDrawdown: dd.fraction,
      maxDrawdownAmount: dd.amount,
      reconciled: finalStake === initialStake - slashed,
      risk: summariseRisk(risk[index], p.policy),
    }
    return { report, points }
  }
  const [a, b] = await Promise.all([sideOf(world.autopilotVaults, 'autopilot', 0), sideOf(world.baselineVaults, 'baseline', 1)])
  const delegatorsOf = (vaults: SeededVault[]) => new Set(vaults.map((v) => v.delegator.toLowerCase()))
  const [autopilotDelegators, baselineDelegators] = [delegatorsOf(world.autopilotVaults), delegatorsOf(world.baselineVaults)]

  // Transactions: every tx hash the autopilot recorded, checked against its receipt; the curator's nonce must agree.
  const hashes = [...new Set(runs.flatMap((r) => r.actions.map((x) => x.txHash).filter((h): h is string => typeof h === 'string')))] as Hex[]
  const receipts = await Promise.all(hashes.map((hash) => c.public.getTransactionReceipt({ hash })))
  for (const r of receipts) {
    if (r.from.toLowerCase() !== curator.toLowerCase()) throw new BacktestStepError({ day: days, step: 'read-back', cause: `tx ${r.transactionHash} was not sent by the curator` })
    const delegator = r.to?.toLowerCase()
    const side = delegator === undefined ? undefined : autopilotDelegators.has(delegator) ? a.report : baselineDelegators.has(delegator) ? b.report : undefined
    if (!side) throw new BacktestStepError({ day: days, step: 'read-back', cause: `tx ${r.transactionHash} went to ${r.to}, not a delegator of the backtest` })
    side.transactions++
    side.gasUsed += r.gasUsed
    side.gasCostWei += r.gasUsed * r.effectiveGasPrice
  }
  const endNonce = await c.public.getTransactionCount({ address: curator })
  if (endNonce - startNonce !== receipts.length) throw new BacktestStepError({ day: days, step: 'read-back', cause: `the curator sent ${endNonce - startNonce} transactions but the runs recorded ${receipts.length}` })

  return {
    scenario: { name: world.scenario.name, description: world.scenario.description },
    policyName: p.policyName ?? 'policy',
    baseline,
    days,
    rebalanceEveryDays: timeline.rebalanceEveryDays,
    rewardIntervalDays: timeline.rewardIntervalDays,
    startBlock,
    endBlock,
    startTimestamp,
    endTimestamp,
    token: { symbol: world.scenario.token.symbol, address: world.seeded.token },
    autopilot: a.report,
    baselineSide: b.report,
    series: samples.map((s, i) => ({ day: s.day, blockNumber: s.blockNumber, timestamp: s.timestamp, autopilot: a.points[i]!, baseline: b.points[i]! })),
    runs,
    events: applied,
  }
}

function runOf(day: number, trigger: BacktestRun['trigger'], runId: string, status: string, actions: { description: string; txHash?: string; reasons: string[] }[], summary: string): BacktestRun {
  return { day, runId, trigger, status, summary, actions: actions.map((x) => ({ description: x.description, reasons: x.reasons, ...(x.txHash ? { txHash: x.txHash } : {}) })) }
}

/** A slash that took effect: `Slash` of an instant slasher, or `ExecuteSlash` of a veto slasher with its request's subnetwork and operator. */
interface ExecutedSlash {
  blockNumber: bigint
  logIndex: number
  transactionHash: Hex
  subnetwork: Hex
  operator: Address
  amount: bigint
}

/** Every slash that took effect on `vaults` in the block range, in chain order (a veto slasher's requests are read back for what they slashed). */
async function executedSlashes(c: BacktestWorld['chain'], vaults: SeededVault[], fromBlock: bigint, toBlock: bigint): Promise<ExecutedSlash[]> {
  const instant = vaults.filter((v) => v.slasherKind === 'instant').map((v) => v.slasher)
  const veto = vaults.filter((v) => v.slasherKind === 'veto').map((v) => v.slasher)
  const [slashLogs, executeLogs] = await Promise.all([
    instant.length ? c.public.getLogs({ address: instant, event: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }), fromBlock, toBlock }) : [],
    veto.length ? c.public.getLogs({ address: veto, event: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'ExecuteSlash' }), fromBlock, toBlock }) : [],
  ])
  const out: ExecutedSlash[] = slashLogs.map((l) => ({ blockNumber: l.blockNumber, logIndex: l.logIndex, transactionHash: l.transactionHash, subnetwork: l.args.subnetwork!, operator: l.args.operator!, amount: l.args.slashedAmount! }))
  for (const l of executeLogs) {
    const [subnetwork, operator] = await c.public.readContract({ address: l.address, abi: abis.vetoSlasherAbi, functionName: 'slashRequests', args: [l.args.slashIndex!] })
    out.push({ blockNumber: l.blockNumber, logIndex: l.logIndex, transactionHash: l.transactionHash, subnetwork, operator, amount: l.args.slashedAmount! })
  }
  return out.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
}

/** Stake per operator label in a side's vaults now: Σ over vaults and subnetworks of `delegator.stake(subnetwork, operator)` (one multicall). */
async function stakeByOperator(world: BacktestWorld, player: TimelinePlayer, vaults: SeededVault[]): Promise<Record<string, bigint>> {
  const subnetworks = world.seeded.networks.flatMap((n) => n.subnetworks.map((s) => s.id))
  const ops = [...player.operators.values()]
  const per = ops.length * subnetworks.length
  const out = (await world.chain.public.multicall({
    contracts: vaults.flatMap((v) => ops.flatMap((op) => subnetworks.map((sn) => ({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op.address] }) as const))),
    allowFailure: false,
  })) as bigint[]
  const res: Record<string, bigint> = {}
  ops.forEach((op, i) => {
    let sum = 0n
    for (let k = 0; k < vaults.length; k++) for (let j = 0; j < subnetworks.length; j++) sum += out[k * per + i * subnetworks.length + j]!
    res[op.label] = sum
  })
  return res
}

/** Largest peak-to-trough fall of a series, as a fraction of the peak and in units. */
export function drawdown(values: readonly bigint[]): { fraction: number; amount: bigint } {
  let peak = 0n
  let best = { fraction: 0, amount: 0n }
  for (const v of values) {
    if (v > peak) peak = v
    const fall = peak - v
    if (peak > 0n && fall > 0n) {
      const f = ratio(fall, peak)
      if (f > best.fraction) best = { fraction: f, amount: fall }
    }
  }
  return best
}

/** a ÷ b as a float with 12 significant decimals (b > 0). */
function ratio(a: bigint, b: bigint): number {
  return Number((a * 10n ** 12n) / b) / 1e12
}
