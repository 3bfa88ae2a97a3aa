/**
 * Realised yield and losses over time for the console and `autopilot runs yield`: reads what our vaults' stakers were
 * paid (`DistributeRewards` of each vault's staker rewards contracts) and their active stake at each period boundary
 * from the chain, takes the slashes of our stake from the live read and what the stored rebalance runs planned, and
 * turns the pure series (shared/domain/realised.ts) into text and numbers the page and the terminal show.
 */
import { type Address, type Hex, formatUnits, getAbiItem, parseEventLogs } from 'viem'
import type { Config } from '../../shared/config/config.js'
import { type PlannedYield, type RealisedLoss, type RealisedPeriod, type RewardPayment, type StakeSample, realisedYield } from '../../shared/domain/realised.js'
import { units } from '../../shared/domain/format.js'
import type { Universe } from '../../shared/domain/index.js'
import * as abis from '../../shared/protocols/symbiotic/abis.js'
import type { LogQuery } from '../../shared/chain/sync/index.js'
import { RestakeError } from '../../shared/errors.js'
import type { AutopilotContext } from '../../shared/services/context.js'
import type { RunRecord } from '../../shared/store/runs.js'
import type { LiveState } from './live.js'

/** The length of one period of the series (a month is 30 days). */
export type YieldPeriod = 'day' | 'week' | 'month'
/** Seconds per {@link YieldPeriod}. */
export const PERIOD_SECONDS: Record<YieldPeriod, number> = { day: 86_400, week: 7 * 86_400, month: 30 * 86_400 }
/** At most this many periods are read (the newest); a longer history is cut at its start. */
export const MAX_PERIODS = 1000

/** The realised yield cannot be read with this live read (named, so the page and the CLI say why instead of showing zero). */
export class RealisedYieldUnavailableError extends RestakeError {
  override name = 'RealisedYieldUnavailableError' as const
  constructor(reason: string) {
    super(`The realised yield cannot be read: ${reason}.`, { details: reason })
  }
}

const DISTRIBUTE_REWARDS = getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' })

/** What the chain says about our vaults' rewards and stake (see {@link readRealisedFacts}), and the window it covers. */
export interface RealisedChainFacts {
  rewards: RewardPayment[]
  stakes: StakeSample[]
  /** Staker rewards contracts read, and the block range of the logs. */
  contracts: number
  fromBlock: bigint
  toBlock: bigint
  /** Chain time the series covers, [from, to). */
  from: bigint
  to: bigint
}

/**
 * Reads the reward payments to our vaults' stakers (`DistributeRewards` from `config.fromBlock` to the live read's
 * block, dated by the distribution's own timestamp) from the chain-sync store the live read took its logs from
 * (`logs`: the Symbiotic source holds every staker rewards contract's `DistributeRewards`, docs/sync.md), then each
 * vault's `activeStakeAt` at every period boundary of the window from the first event on: no `eth_getLogs` over the
 * history (a provider refuses one) and one multicall at the live read's block.
 */
export async function readRealisedFacts(
  ctx: { config: Pick<Config, 'vaults' | 'fromBlock'>; client: AutopilotContext['client'] },
  p: { universe: Universe; logs: LogQuery | undefined; periodSeconds: number; losses: readonly RealisedLoss[]; planned: readonly PlannedYield[] },
): Promise<RealisedChainFacts> {
  const { universe } = p
  const vaultOf = new Map<string, string>()
  for (const v of ctx.config.vaults) for (const r of v.stakerRewards) vaultOf.set(r.toLowerCase(), v.address.toLowerCase())
  const contracts = [...vaultOf.keys()] as Address[]
  const fromBlock = ctx.config.fromBlock ?? 0n
  if (contracts.length > 0 && !p.logs) throw new RealisedYieldUnavailableError('the live read took no logs from the chain sync (no Symbiotic vault was read)')
  const logs = contracts.length && p.logs ? await p.logs({ address: contracts, event: DISTRIBUTE_REWARDS, toBlock: universe.blockNumber }) : []
  const rewards: RewardPayment[] = parseEventLogs({ abi: [DISTRIBUTE_REWARDS], logs }).map((l) => ({
    position: vaultOf.get(l.address.toLowerCase())!,
    token: l.args.token.toLowerCase() as Address,
    amount: l.args.distributeAmount,
    timestamp: BigInt(l.args.timestamp),
    network: l.args.network.toLowerCase() as Address,
    txHash: l.transactionHash as Hex,
  }))
  const { from, to, boundaries } = yieldWindow({ universe, losses: p.losses, planned: p.planned, rewards, periodSeconds: p.periodSeconds })
  const vaults = universe.positions.filter((x) => x.protocol === 'symbiotic')
  const calls = vaults.flatMap((v) => boundaries.map((t) => ({ address: v.vault, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [Number(t), '0x'] }) as const))
  const out = calls.length ? ((await ctx.client.multicall({ contracts: calls as never, allowFailure: false, blockNumber: universe.blockNumber })) as bigint[]) : []
  const stakes: StakeSample[] = vaults.flatMap((v, i) => [
    ...boundaries.map((t, k) => ({ position: v.id, timestamp: t, activeStake: out[i * boundaries.length + k]! })),
    { position: v.id, timestamp: universe.timestamp, activeStake: v.activeStake },
  ])
  return { rewards, stakes, contracts: contracts.length, fromBlock, toBlock: universe.blockNumber, from, to }
}

/** Stake our vaults lost to slashes, as read from the chain with the live universe. */
export function realisedLosses(universe: Universe): RealisedLoss[] {
  const ours = new Set(universe.positions.map((x) => x.id.toLowerCase()))
  return universe.services.flatMap((s) => s.slashes).flatMap((s) => (s.position && ours.has(s.position.toLowerCase()) ? [{ position: s.position.toLowerCase(), amount: s.amount, timestamp: s.timestamp }] : []))
}

/** What each stored rebalance run planned per position: its targets' expected net yield ÷ the stake it plans, at the plan's chain time. */
export function plannedYields(runs: readonly RunRecord[]): PlannedYield[] {
  const out: PlannedYield[] = []
  for (const r of runs) {
    const plan = r.plan as { now?: bigint; positions?: { position: string; objectivePerYear: number; availableStake: bigint; error?: unknown }[] } | undefined
    if (r.kind !== 'rebalance' || typeof plan?.now !== 'bigint' || !Array.isArray(plan.positions)) continue
    for (const pp of plan.positions) {
      if (pp.error || typeof pp.availableStake !== 'bigint' || pp.availableStake <= 0n) continue
      out.push({ position: pp.position.toLowerCase(), timestamp: plan.now, netYieldPerYear: pp.objectivePerYear / Number(pp.availableStake), runId: r.runId })
    }
  }
  return out
}

/** One period (or the totals) for people: amounts in token units, rates as fractions per year (null: no stake). */
export interface YieldPeriodView {
  /** Chain time, ISO. */
  start: string
  end: string
  partial: boolean
  rewards: string
  losses: string
  net: string
  averageStake: string
  rewardsValue: number
  lossesValue: number
  cumulativeRewardsValue: number
  cumulativeLossesValue: number
  rewardYield: number | null
  lossRate: number | null
  netYield: number | null
  /** The mean planned net yield of the stored runs in the period, and how many. */
  planned: number | null
  plannedRuns: number
  /** Rewards in tokens other than the collateral (no %/yr without a price), e.g. "12.5 0x1234…abcd". */
  other: string[]
}

/** The console's realised-yield section and `autopilot runs yield --json`. */
export interface YieldView {
  period: YieldPeriod
  periodSeconds: number
  token: string
  /** Chain time of the read, ISO. */
  chainNow: string
  /** Always says the dates are chain time; and by how much chain time differs from wall time when it does. */
  chainTimeNote: string
  /** Where every figure comes from, and what "realised" and "planned" mean. */
  sources: string[]
  positions: { id: string; label: string; totals: YieldPeriodView; periods: YieldPeriodView[] }[]
}

/** Boundaries and window of a series ending at the live read: every period start from the first event on, at most {@link MAX_PERIODS}. */
export function yieldWindow(p: { universe: Universe; losses: readonly RealisedLoss[]; planned: readonly PlannedYield[]; rewards?: readonly RewardPayment[]; periodSeconds: number }): { from: bigint; to: bigint; boundaries: bigint[] } {
  const period = BigInt(p.periodSeconds)
  const to = p.universe.timestamp + 1n
  const times = [...(p.rewards ?? []), ...p.losses, ...p.planned].map((x) => x.timestamp).filter((t) => t < to)
  let from = times.length ? times.reduce((a, b) => (b < a ? b : a)) : to - period
  const earliest = (to / period - BigInt(MAX_PERIODS - 1)) * period
  if (from < earliest) from = earliest
  const boundaries: bigint[] = []
  for (let t = (from / period) * period; t < to; t += period) boundaries.push(t)
  return { from, to, boundaries }
}

/**
 * The realised-yield view of every vault read: rewards and losses per period of chain time with their annualised
 * rates, beside what the stored runs planned.
 */
export function realisedYieldView(p: { live: YieldLive; runs: readonly RunRecord[]; facts: RealisedChainFacts; period: YieldPeriod; wallNowMs: number }): YieldView {
  const { universe, labels } = p.live
  const label = (k: string) => labels[k.toLowerCase()] ?? `${k.slice(0, 8)}…${k.slice(-4)}`
  const token = (universe.positions[0] && labels[universe.positions[0].collateral.toLowerCase()]) || 'tokens'
  const losses = realisedLosses(universe)
  const planned = plannedYields(p.runs)
  const periodSeconds = PERIOD_SECONDS[p.period]
  const ahead = Number(universe.timestamp) - Math.floor(p.wallNowMs / 1000)
  const drift =
    Math.abs(ahead) >= 3600 ? `; chain time runs ${Math.abs(ahead) >= 86_400 ? `${(Math.abs(ahead) / 86_400).toFixed(1)} days` : `${(Math.abs(ahead) / 3600).toFixed(1)} h`} ${ahead > 0 ? 'ahead of' : 'behind'} wall time here` : ''
  const sym = (amount: bigint, t: string) => `${units(amount, 18, 4)} ${t}`
  const view = (x: Omit<RealisedPeriod, 'partial' | 'cumulativeRewards' | 'cumulativeLosses'> & Partial<Pick<RealisedPeriod, 'partial' | 'cumulativeRewards' | 'cumulativeLosses'>>): YieldPeriodView => ({
    start: iso(x.start),
    end: iso(x.end),
    partial: x.partial ?? false,
    rewards: sym(x.rewards, token),
    losses: sym(x.losses, token),
    net: `${x.net >= 0n ? '+' : '−'}${sym(x.net >= 0n ? x.net : -x.net, token)}`,
    averageStake: sym(x.averageStake, token),
    rewardsValue: value(x.rewards),
    lossesValue: value(x.losses),
    cumulativeRewardsValue: value(x.cumulativeRewards ?? x.rewards),
    cumulativeLossesValue: value(x.cumulativeLosses ?? x.losses),
    rewardYield: x.rewardYieldPerYear,
    lossRate: x.lossPerYear,
    netYield: x.netYieldPerYear,
    planned: x.plannedNetYieldPerYear,
    plannedRuns: x.plannedRuns,
    other: x.otherRewards.map((o) => sym(o.amount, label(o.token))),
  })
  return {
    period: p.period,
    periodSeconds,
    token,
    chainNow: iso(universe.timestamp),
    chainTimeNote: `dates are chain time (a reward at the capture timestamp it pays for)${drift}`,
    sources: [
      `realised rewards: DistributeRewards paid to our vaults' stakers (after the rewards contract's admin fee) by ${p.facts.contracts} staker rewards contract(s), blocks ${p.facts.fromBlock}–${p.facts.toBlock}, from the chain sync's store`,
      'realised losses: stake our vaults lost to Slash / ExecuteSlash events, read from the chain',
      "%/yr: each period's amount ÷ the vault's time-weighted active stake (activeStakeAt every period boundary), annualised over the period's length",
      `planned: the expected net yield r·(1−c) − p·sev·h of the targets of the stored rebalance runs in the period (${planned.length} run plan(s) stored), not a realised figure`,
    ],
    positions: universe.positions.map((pos) => {
      const r = realisedYield({ position: pos.id, collateral: pos.collateral, rewards: p.facts.rewards, losses, stakes: p.facts.stakes, planned, from: p.facts.from, to: p.facts.to, periodSeconds })
      return { id: pos.id, label: pos.label || label(pos.id), totals: view(r.totals), periods: r.periods.map(view) }
    }),
  }
}

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString()
const value = (wei: bigint) => Number(formatUnits(wei, 18))

/** Builds the realised-yield view of one period length from a live read and the stored runs. */
export type YieldReader = (q: { period: YieldPeriod; live: YieldLive; runs: readonly RunRecord[] }) => Promise<YieldView>

/** What the realised-yield view needs of a live read: the universe (positions, slashes, head) and the labels. */
export type YieldLive = Pick<LiveState, 'universe' | 'labels' | 'logs'>

/**
 * A realised-yield reader for the console: reads the chain facts at the live read's block (cached per block and
 * period) and builds the view.
 * @param ctx the config (vaults, their staker rewards, fromBlock) and the chain client
 */
export function createYieldReader(ctx: { config: Pick<Config, 'vaults' | 'fromBlock'>; client: AutopilotContext['client'] }): YieldReader {
  const cache = new Map<string, Promise<RealisedChainFacts>>()
  return async ({ period, live, runs }) => {
    const key = `${live.universe.blockNumber}:${period}`
    let facts = cache.get(key)
    if (!facts) {
      facts = readRealisedFacts(ctx, { universe: live.universe, logs: live.logs, periodSeconds: PERIOD_SECONDS[period], losses: realisedLosses(live.universe), planned: plannedYields(runs) })
      if (![...cache.keys()].some((k) => k.startsWith(`${live.universe.blockNumber}:`))) cache.clear() // keep one block's reads
      cache.set(key, facts)
      facts.catch(() => cache.delete(key))
    }
    return realisedYieldView({ live, runs, facts: await facts, period, wallNowMs: Date.now() })
  }
}
