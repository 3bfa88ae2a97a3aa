/**
 * Reads one EigenLayer position (our staker accounts over one strategy) at one block in three HTTP round trips,
 * whatever the number of operators and operator sets: (1) the head block, (2) one multicall for our stakers while
 * the chain sync brings the event logs that define operator sets, memberships, slashes and reward submissions up to
 * date in its store (docs/sync.md: only the blocks after its cursor), (3) one multicall for
 * every operator's magnitudes, allocations and splits plus the historical state behind each slash and the block
 * headers they need (all in one JSON-RPC batch). Maps it into the shared {@link Universe} and returns the
 * EigenLayer-specific facts (stakers, withdrawals in flight, magnitudes) next to it.
 */
import { type AbiEvent, type Address, type Hex, type Log, type PublicClient, erc20Abi, parseEventLogs, zeroAddress } from 'viem'
import type { Allocation, Operator, Position, PositionService, Service, SlashRecord, Universe } from '../../domain/types.js'
import { WAD, allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi, strategyAbi } from './abis.js'
import { ChainReadError } from '../../chain/errors.js'
import { MulticallBatch, type Slot, runBatch } from '../../chain/multicall.js'
import { memoryChainSync } from '../../chain/sync/index.js'
import { type RewardsLog, averagedRatePerYear, blockTimestampOf, toSubmission } from './rewards.js'
import { ALLOCATION_MANAGER_EVENTS, type EigenLayerEvents, OPERATOR_REGISTERED, OPERATOR_SHARES_SLASHED, REWARDS_EVENTS, eigenLayerEvents } from './source.js'
import { type EigenLayerOperatorState, type EigenLayerPositionDetails, type EigenLayerRewardSubmission, type EigenLayerStakerState, type WithdrawalStruct, decodeOperatorSetKey, operatorSetKey, withdrawalRoot } from './types.js'

const RATE_SCALE = 10n ** 24n

/** Parameters of {@link readEigenLayerUniverse}. */
export interface ReadEigenLayerUniverseParameters {
  delegationManager: Address
  strategyManager: Address
  allocationManager: Address
  rewardsCoordinator: Address
  /** The strategy of the position (one position = our stakers over one strategy). */
  strategy: Address
  /** Our staker accounts (staker Safes moved through their Roles module; EOAs in some local tests). */
  stakers: readonly Address[]
  /** Position id (default `eigenlayer:<strategy>`). */
  positionId?: string
  /** Candidate operators; default every operator seen in `OperatorRegistered` logs, plus our stakers' operators. */
  operators?: readonly Address[]
  /** address / operator-set key (lower-case) → label. */
  labels?: Readonly<Record<string, string>>
  /** First block of the event history (the core's deployment block). */
  fromBlock?: bigint
  /**
   * Where the event logs come from: production passes the chain sync (`eigenLayerEvents` in ./source.ts over the
   * `chainLogs` store; docs/sync.md), which reads only the blocks after the source's cursor. Default: a one-off sync
   * from `fromBlock` into memory (tests and tools; nothing is kept).
   */
  events?: EigenLayerEvents
  /** Window over which reward rates are averaged (seconds, default 90 days). */
  rewardLookbackSeconds?: number
  /** Block time used to express the withdrawal delay in seconds (default 12). */
  secondsPerBlock?: number
}

/** The shared universe of this position plus its EigenLayer facts. */
export interface ReadEigenLayerUniverseReturnType {
  universe: Universe
  eigenlayer: EigenLayerPositionDetails
}

/** The AllocationManager logs the reader replays (decoded by viem; typed loosely because they mix event kinds). */
interface AllocationManagerLog {
  eventName: string
  args: { operatorSet?: { avs: Address; id: number }; strategy?: Address; operator?: Address; strategies?: readonly Address[]; wadSlashed?: readonly bigint[] }
  blockNumber: bigint
  logIndex: number
  transactionHash: Hex
}

const lower = <T extends string>(a: T) => a.toLowerCase() as T
const ratio = (num: bigint, den: bigint) => (den === 0n ? 0 : Number((num * 10n ** 12n) / den) / 1e12)

/**
 * Reads our EigenLayer stakers, their operators, operator sets, allocations, slashes and AVS rewards, and maps
 * them into the shared {@link Universe} (`protocol: 'eigenlayer'`, service id = operator-set key).
 * @example const { universe, eigenlayer } = await readEigenLayerUniverse(client, { delegationManager, strategyManager, allocationManager, rewardsCoordinator, strategy, stakers })
 */
export async function readEigenLayerUniverse(client: PublicClient, p: ReadEigenLayerUniverseParameters): Promise<ReadEigenLayerUniverseReturnType> {
  const labels = p.labels ?? {}
  const label = (k: string, fallback: string) => labels[k.toLowerCase()] ?? fallback
  const dm = lower(p.delegationManager)
  const am = lower(p.allocationManager)
  const rc = lower(p.rewardsCoordinator)
  const strategy = lower(p.strategy)
  const stakers = p.stakers.map(lower)
  const fromBlock = p.fromBlock ?? 0n
  const wrap = <T>(what: string, pr: Promise<T>) =>
    pr.catch((cause: unknown) => {
      throw new ChainReadError({ what, cause })
    })

  // Round trip 1: the head block pins every later read.
  const block = await wrap('head block', client.getBlock({ blockTag: 'latest' }))
  const blockNumber = block.number
  const now = block.timestamp

  // Round trip 2: our stakers and the protocol-wide constants (one typed multicall), while the chain sync brings the
  // logs up to date (a first sync not caught up throws SyncBehindError, by name, before anything is planned).
  const r2 = new MulticallBatch()
  const g = {
    minDelay: r2.add({ address: dm, abi: delegationManagerAbi, functionName: 'minWithdrawalDelayBlocks' }),
    underlying: r2.add({ address: strategy, abi: strategyAbi, functionName: 'underlyingToken' }),
    tokensPerScale: r2.add({ address: strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [RATE_SCALE] }),
    defaultSplit: r2.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'defaultOperatorSplitBips' }),
    deallocationDelay: r2.add({ address: am, abi: allocationManagerAbi, functionName: 'DEALLOCATION_DELAY' }),
  }
  const perStaker = stakers.map((s) => ({
    delegatedTo: r2.add({ address: dm, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [s] }),
    withdrawable: r2.add({ address: dm, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [s, [strategy]] }),
    queued: r2.add({ address: dm, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawals', args: [s] }),
    depositScalingFactor: r2.add({ address: dm, abi: delegationManagerAbi, functionName: 'depositScalingFactor', args: [s, strategy] }),
  }))
  const events = p.events ?? eigenLayerEvents(client, memoryChainSync(), { chainId: client.chain?.id ?? 1, fromBlock })
  const [get2, query, [tvl]] = await Promise.all([
    wrap('stakers', runBatch(client, r2, { blockNumber })),
    events({ contracts: { delegationManager: dm, allocationManager: am, rewardsCoordinator: rc }, head: { number: blockNumber, hash: block.hash } }),
    // Deposit caps exist only on StrategyBaseTVLLimits: a plain StrategyBase fails this call, which means "no cap".
    wrap('deposit caps', client.multicall({ contracts: [{ address: strategy, abi: strategyAbi, functionName: 'getTVLLimits' }], allowFailure: true, blockNumber })),
  ])
  /** The stored logs of `events` from `address`, decoded, in chain order. */
  const logsOf = async (address: Address, events: readonly AbiEvent[]) => {
    const logs = (await Promise.all(events.map((event) => query({ address: [address], event, toBlock: blockNumber })))).flat().filter((l) => l.blockNumber >= fromBlock)
    logs.sort((x, y) => (x.blockNumber === y.blockNumber ? x.logIndex - y.logIndex : x.blockNumber < y.blockNumber ? -1 : 1))
    return parseEventLogs({ abi: events as AbiEvent[], logs: logs as Log[], strict: true })
  }
  const [amLogs, registeredLogs, rewardLogs, slashedShareLogs] = await Promise.all([
    logsOf(am, ALLOCATION_MANAGER_EVENTS) as unknown as Promise<AllocationManagerLog[]>,
    p.operators ? Promise.resolve([]) : (logsOf(dm, [OPERATOR_REGISTERED]) as unknown as Promise<{ args: { operator: Address } }[]>),
    logsOf(rc, REWARDS_EVENTS) as unknown as Promise<RewardsLog[]>,
    // The real count of shares a slash took, queued withdrawals included (OperatorSlashed only carries wads).
    logsOf(dm, [OPERATOR_SHARES_SLASHED]) as unknown as Promise<{ transactionHash: Hex; args: { operator: Address; strategy: Address; totalSlashedShares: bigint } }[]>,
  ])
  const minDelay = Number(get2(g.minDelay))
  const underlying = lower(get2(g.underlying))
  const tokensPerScale = get2(g.tokensPerScale)
  const toTokens = (shares: bigint) => (shares * tokensPerScale) / RATE_SCALE
  const defaultSplit = Number(get2(g.defaultSplit))
  const deallocationDelay = Number(get2(g.deallocationDelay))

  const stakerStates: EigenLayerStakerState[] = stakers.map((address, i) => {
    const o = perStaker[i]!
    const operator = lower(get2(o.delegatedTo))
    const [withdrawable, deposit] = get2(o.withdrawable)
    const [ws, shares] = get2(o.queued) as unknown as readonly [readonly WithdrawalStruct[], readonly (readonly bigint[])[]]
    const queued = ws.map((w, j) => {
      const idx = w.strategies.findIndex((s) => lower(s) === strategy)
      const expectedShares = idx >= 0 ? (shares[j]![idx] ?? 0n) : 0n
      const completableAtBlock = BigInt(w.startBlock) + BigInt(minDelay) + 1n
      return { root: withdrawalRoot(w), withdrawal: w, expectedShares, expectedTokens: toTokens(expectedShares), completableAtBlock, completable: blockNumber >= completableAtBlock }
    })
    return {
      address,
      operator: operator === zeroAddress ? null : operator,
      depositShares: deposit[0] ?? 0n,
      withdrawableShares: withdrawable[0] ?? 0n,
      withdrawableTokens: toTokens(withdrawable[0] ?? 0n),
      depositScalingFactor: get2(o.depositScalingFactor),
      queued,
    }
  })

  // Operator sets over our strategy and their members, replayed from the logs in order (exact at the pinned block).
  const setStrategies = new Map<Hex, Set<string>>()
  const members = new Map<Hex, Set<Address>>()
  const setSince = new Map<Hex, bigint>()
  const slashLogs: { key: Hex; operator: Address; strategies: readonly Address[]; wadSlashed: readonly bigint[]; blockNumber: bigint; txHash: Hex; blockTimestamp?: bigint }[] = []
  const ordered = [...amLogs].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
  for (const l of ordered) {
    const args = l.args
    if (!args.operatorSet) continue
    const key = operatorSetKey(args.operatorSet.avs, args.operatorSet.id)
    switch (l.eventName) {
      case 'StrategyAddedToOperatorSet':
        if (lower(args.strategy!) === strategy) {
          setStrategies.set(key, new Set([...(setStrategies.get(key) ?? []), strategy]))
          if (!setSince.has(key)) setSince.set(key, l.blockNumber)
        }
        break
      case 'StrategyRemovedFromOperatorSet':
        if (lower(args.strategy!) === strategy) setStrategies.get(key)?.delete(strategy)
        break
      case 'OperatorAddedToOperatorSet':
        members.set(key, new Set([...(members.get(key) ?? []), lower(args.operator!)]))
        break
      case 'OperatorRemovedFromOperatorSet':
        members.get(key)?.delete(lower(args.operator!))
        break
      case 'OperatorSlashed':
        slashLogs.push({ key, operator: lower(args.operator!), strategies: args.strategies!.map(lower), wadSlashed: args.wadSlashed!, blockNumber: l.blockNumber, txHash: l.transactionHash, blockTimestamp: blockTimestampOf(l) })
        break
    }
  }
  // Sets that ever held our strategy stay (slashable history); services are those holding it now.
  const sets = [...setStrategies.entries()]
    .filter(([, s]) => s.size > 0)
    .map(([k]) => k)
    .sort()
  const ourSlashes = slashLogs.filter((s) => s.strategies.includes(strategy) && setStrategies.has(s.key))

  const operators = [...new Set([...(p.operators ?? registeredLogs.map((l) => l.args.operator!)).map(lower), ...stakerStates.map((s) => s.operator).filter((o): o is Address => o !== null)])].sort()
  const avss = [...new Set(sets.map((k) => lower(decodeOperatorSetKey(k).avs)))].sort()

  // Reward submissions of every type and the strategies they weight.
  const submissions: EigenLayerRewardSubmission[] = rewardLogs.map((l) => toSubmission(l))
  const avsMembers = (avs: Address) =>
    [
      ...new Set(
        sets
          .concat([...members.keys()])
          .filter((k) => lower(decodeOperatorSetKey(k).avs) === avs)
          .flatMap((k) => [...(members.get(k) ?? [])]),
      ),
    ].sort()
  const setMembers = (k: Hex) => [...(members.get(k) ?? [])].sort()
  // Rewards for all earners go to every operator registered with at least one AVS (any operator set, any strategy).
  const earners = [...new Set([...members.values()].flatMap((m) => [...m]))].sort()
  const rewardStrategies = [...new Set(submissions.flatMap((s) => s.strategiesAndMultipliers.map((x) => x.strategy)))].sort()

  // Round trip 3: one multicall at the pinned block, one per slash at the block before it, and the headers needed.
  // One typed batch; each read is kept under a key (its slot types the result).
  const batch = new MulticallBatch()
  const slots = new Map<string, Slot<unknown>>()
  const q = (key: string, slot: Slot<unknown>) => void slots.set(key, slot)
  for (const op of operators) {
    q(`isOp:${op}`, batch.add({ address: dm, abi: delegationManagerAbi, functionName: 'isOperator', args: [op] }))
    q(`max:${op}`, batch.add({ address: am, abi: allocationManagerAbi, functionName: 'getMaxMagnitude', args: [op, strategy] }))
    for (const k of sets) {
      const os = decodeOperatorSetKey(k)
      q(`alloc:${op}:${k}`, batch.add({ address: am, abi: allocationManagerAbi, functionName: 'getAllocation', args: [op, os, strategy] }))
      q(`slashable:${op}:${k}`, batch.add({ address: am, abi: allocationManagerAbi, functionName: 'isOperatorSlashable', args: [op, os] }))
    }
    for (const avs of avss) q(`split:${op}:${avs}`, batch.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'getOperatorAVSSplit', args: [op, avs] }))
    for (const k of sets) q(`setSplit:${op}:${k}`, batch.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'getOperatorSetSplit', args: [op, decodeOperatorSetKey(k)] }))
    q(`piSplit:${op}`, batch.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'getOperatorPISplit', args: [op] }))
  }
  for (const k of sets) {
    q(`redistributing:${k}`, batch.add({ address: am, abi: allocationManagerAbi, functionName: 'isRedistributingOperatorSet', args: [decodeOperatorSetKey(k)] }))
    q(`recipient:${k}`, batch.add({ address: am, abi: allocationManagerAbi, functionName: 'getRedistributionRecipient', args: [decodeOperatorSetKey(k)] }))
  }
  if (tvl?.status === 'success') q('strategyBalance', batch.add({ address: underlying, abi: erc20Abi, functionName: 'balanceOf', args: [strategy] }))
  // Tokens in our stakers' own accounts (a staker Safe between a move's completion and deposit, or sent to it): counted, never lost.
  for (const st of stakers) q(`wallet:${st}`, batch.add({ address: underlying, abi: erc20Abi, functionName: 'balanceOf', args: [st] }))
  const hasEarners = submissions.some((s) => s.kind === 'all-earners')
  const shareHolders = [...new Set([...operators, ...avss.flatMap(avsMembers), ...(hasEarners ? earners : [])])].sort()
  for (const op of shareHolders)
    for (const s of [...new Set([strategy, ...rewardStrategies])]) {
      q(`shares:${op}:${s}`, batch.add({ address: dm, abi: delegationManagerAbi, functionName: 'operatorShares', args: [op, s] }))
      // Shares queued for withdrawal left operatorShares but were delegated while the rewards streamed.
      q(`queued:${op}:${s}`, batch.add({ address: dm, abi: delegationManagerAbi, functionName: 'getSlashableSharesInQueue', args: [op, s] }))
    }
  // The stake each slash could take, read at the block before it (one batch per slash block).
  const slashBatches = ourSlashes.map((s) => {
    const os = decodeOperatorSetKey(s.key)
    const before = new MulticallBatch()
    const slots = {
      sharesBefore: before.add({ address: dm, abi: delegationManagerAbi, functionName: 'operatorShares', args: [s.operator, strategy] }),
      alloc: before.add({ address: am, abi: allocationManagerAbi, functionName: 'getAllocation', args: [s.operator, os, strategy] }),
      maxBefore: before.add({ address: am, abi: allocationManagerAbi, functionName: 'getMaxMagnitude', args: [s.operator, strategy] }),
      // Queued withdrawals stay slashable: they were part of the stake this slash could take.
      queuedBefore: before.add({ address: dm, abi: delegationManagerAbi, functionName: 'getSlashableSharesInQueue', args: [s.operator, strategy] }),
    }
    return { batch: before, slots, blockNumber: s.blockNumber - 1n }
  })
  const headerBlocks = [...new Set([...ourSlashes.filter((s) => s.blockTimestamp === undefined).map((s) => s.blockNumber), ...setSince.values()])]
  const [out, slashOut, headers] = await wrap(
    'operators, allocations and slash history',
    Promise.all([
      runBatch(client, batch, { blockNumber }),
      Promise.all(
        slashBatches.map(async (b) => {
          const get = await runBatch(client, b.batch, { blockNumber: b.blockNumber })
          return { sharesBefore: get(b.slots.sharesBefore), alloc: get(b.slots.alloc), maxBefore: get(b.slots.maxBefore), queuedBefore: get(b.slots.queuedBefore) }
        }),
      ),
      Promise.all(headerBlocks.map((b) => client.getBlock({ blockNumber: b }))),
    ]),
  )
  const r = new Map<string, unknown>([...slots].map(([key, slot]) => [key, out(slot)]))
  const big = (k: string) => (r.get(k) as bigint | undefined) ?? 0n
  for (const st of stakerStates) st.tokenBalance = big(`wallet:${st.address}`)
  const tsOf = new Map(headers.map((h) => [h.number, h.timestamp]))

  // Operators and their exposure per set.
  const operatorStates: EigenLayerOperatorState[] = operators.map((op) => {
    const maxMagnitude = big(`max:${op}`)
    const opSets = sets.map((k) => {
      const a = r.get(`alloc:${op}:${k}`) as { currentMagnitude: bigint; pendingDiff: bigint; effectBlock: number }
      const { avs, id } = decodeOperatorSetKey(k)
      return {
        service: k,
        avs: lower(avs),
        setId: id,
        registered: members.get(k)?.has(op) ?? false,
        slashable: r.get(`slashable:${op}:${k}`) === true,
        currentMagnitude: a.currentMagnitude,
        pendingDiff: a.pendingDiff,
        effectBlock: a.effectBlock,
        exposure: ratio(a.currentMagnitude, maxMagnitude),
        setSplitBips: Number(r.get(`setSplit:${op}:${k}`) ?? defaultSplit),
      }
    })
    const splits: Record<string, number> = {}
    for (const avs of avss) splits[avs] = Number(r.get(`split:${op}:${avs}`) ?? defaultSplit)
    const operatorShares = big(`shares:${op}:${strategy}`)
    return {
      address: op,
      isOperator: r.get(`isOp:${op}`) === true,
      maxMagnitude,
      operatorShares,
      operatorStakeTokens: toTokens(operatorShares),
      sets: opSets,
      avsSplitBips: splits,
      piSplitBips: Number(r.get(`piSplit:${op}`) ?? defaultSplit),
    }
  })
  const exposedSets = (o: EigenLayerOperatorState) => o.sets.filter((s) => s.slashable && (s.currentMagnitude > 0n || s.pendingDiff > 0n))

  // Slashes: the amount is what the DelegationManager reports in OperatorSharesSlashed of the same transaction
  // (operator shares + shares queued for withdrawal); severity = that / the stake allocated at the block before,
  // queued shares included (they were slashable too).
  const slashes: SlashRecord[] = ourSlashes.map((s, i) => {
    const { sharesBefore, alloc, maxBefore, queuedBefore } = slashOut[i]!
    const idx = s.strategies.indexOf(strategy)
    const wad = s.wadSlashed[idx] ?? 0n
    const allocated = maxBefore === 0n ? 0n : ((sharesBefore + queuedBefore) * alloc.currentMagnitude) / maxBefore
    const reported = slashedShareLogs.find((l) => l.transactionHash === s.txHash && lower(l.args.operator!) === s.operator && lower(l.args.strategy!) === strategy)
    const ts = s.blockTimestamp ?? tsOf.get(s.blockNumber) ?? now
    return {
      service: s.key,
      operator: s.operator,
      amount: toTokens(reported ? reported.args.totalSlashedShares! : (sharesBefore * wad) / WAD),
      stakeAtCapture: toTokens(allocated),
      captureTimestamp: ts,
      timestamp: ts,
      blockNumber: s.blockNumber,
      txHash: s.txHash,
    }
  })

  // Reward rates per unit of delegated stake (PROTOCOLS 1.6 approximation, docs/eigenlayer.md "Reward rate"): each
  // submission streams what it pays over [start, start+duration) to the stake of the operators it pays, weighted by
  // the strategies' multipliers: an AVS submission and an operator-directed AVS submission to the operators
  // registered with the AVS (the directed one counts the amounts of those operators only), an operator-directed set
  // submission and a total-stake submission (v1.12.0) to that set's operators, a unique-stake submission (v1.12.0) to
  // their stake allocated to the set (so per unit of allocated stake, as Service.rewardRatePerYear is). Rates are averaged over [max(now − lookback, first start), now] (or the
  // forward window when all submissions start later). The reward token is valued 1:1 with the collateral.
  const lookback = BigInt(p.rewardLookbackSeconds ?? 90 * 86_400)
  // Stake in flight counts: it secured the AVS while the rewards streamed (else the rate jumps during a move).
  // Unique stake of an operator in a set: its delegated shares × the set's magnitude (our strategy only: the reader
  // knows allocations for it; other strategies count delegated).
  const uniqueFactor = (op: Address, k: Hex | undefined, s: Address) => {
    if (k === undefined || s !== strategy) return undefined
    const a = r.get(`alloc:${op}:${k}`) as { currentMagnitude: bigint } | undefined
    const max = big(`max:${op}`)
    return a && max > 0n ? { num: a.currentMagnitude, den: max } : { num: 0n, den: 1n }
  }
  const weightedStake = (ops: readonly Address[], sub: EigenLayerRewardSubmission) =>
    sub.strategiesAndMultipliers.reduce((w, x) => {
      const sum = ops.reduce((acc, op) => {
        const held = big(`shares:${op}:${x.strategy}`) + big(`queued:${op}:${x.strategy}`)
        const f = sub.kind === 'unique-stake' ? uniqueFactor(op, sub.operatorSet, x.strategy) : undefined
        return acc + (f ? (held * f.num) / f.den : held)
      }, 0n)
      return w + ((x.strategy === strategy ? toTokens(sum) : sum) * x.multiplier) / WAD
    }, 0n)
  const paidTo = (sub: EigenLayerRewardSubmission, ops: readonly Address[]) => (sub.operatorRewards ? sub.operatorRewards.filter((x) => ops.includes(x.operator)).reduce((a, x) => a + x.amount, 0n) : sub.amount)
  const rateOf = (paying: readonly { sub: EigenLayerRewardSubmission; ops: readonly Address[] }[]) =>
    averagedRatePerYear(
      paying.map(({ sub, ops }) => {
        const weighted = weightedStake(ops, sub)
        const ours = sub.strategiesAndMultipliers.find((x) => x.strategy === strategy)!.multiplier
        return { sub, perSecond: weighted === 0n ? 0 : (ratio(paidTo(sub, ops), weighted) * Number(ours)) / 1e18 / sub.duration }
      }),
      now,
      lookback,
    )
  const ourSubs = submissions.filter((s) => s.strategiesAndMultipliers.some((x) => x.strategy === strategy))
  const rateByService: Record<string, number> = {}
  for (const k of sets) {
    const avs = lower(decodeOperatorSetKey(k).avs)
    const paying = ourSubs.flatMap((sub) =>
      (sub.kind === 'avs' || sub.kind === 'operator-directed-avs') && sub.avs === avs
        ? [{ sub, ops: avsMembers(avs) }]
        : (sub.kind === 'operator-directed-set' || sub.kind === 'total-stake' || sub.kind === 'unique-stake') && sub.operatorSet === k
          ? [{ sub, ops: setMembers(k) }]
          : [],
    )
    rateByService[k] = rateOf(paying)
  }
  const earnersRate = rateOf(ourSubs.filter((s) => s.kind === 'all-earners').map((sub) => ({ sub, ops: earners })))
  const redistributionRecipients: Record<string, Address> = {}
  for (const k of sets) if (r.get(`redistributing:${k}`) === true) redistributionRecipients[k] = lower(r.get(`recipient:${k}`) as Address)
  const [maxPerDeposit, maxTotalDeposits] = tvl?.status === 'success' ? (tvl.result as readonly [bigint, bigint]) : [undefined, undefined]

  const observedSince = (k: Hex) => {
    const b = setSince.get(k)
    const first = [...(b !== undefined ? [tsOf.get(b) ?? now] : []), ...slashes.filter((s) => s.service === k).map((s) => s.captureTimestamp)]
    return first.length ? first.reduce((m, x) => (x < m ? x : m)) : now
  }
  const services: Service[] = sets.map((k) => {
    const { avs, id } = decodeOperatorSetKey(k)
    return {
      id: k,
      protocol: 'eigenlayer' as const,
      network: lower(avs),
      identifier: BigInt(id),
      label: label(k, `${label(avs, avs.slice(0, 10))}/${id}`),
      rewardRatePerYear: rateByService[k] ?? 0,
      observedSince: observedSince(k),
      vetoWindowSeconds: 0,
      slashes: slashes.filter((s) => s.service === k),
      ...(redistributionRecipients[k] ? { redistributing: true } : {}),
    }
  })

  const operatorList: Operator[] = operatorStates.map((o) => {
    const exposed = exposedSets(o)
    // A set paying through operator-directed set submissions pays the operator its set split instead.
    const directed = new Set(submissions.filter((x) => x.kind === 'operator-directed-set').map((x) => x.operatorSet))
    const splits = exposed.flatMap((s) => [o.avsSplitBips[s.avs] ?? defaultSplit, ...(directed.has(s.service) ? [s.setSplitBips] : [])])
    return {
      address: o.address,
      label: label(o.address, o.address.slice(0, 10)),
      services: exposed.map((s) => s.service),
      // One commission per operator in the domain: the highest split among its exposures (conservative).
      commission: (splits.length ? Math.max(...splits) : defaultSplit) / 10_000,
      totalRestakedStake: o.operatorStakeTokens,
    }
  })

  // Withdrawable stake is allocatable; queued withdrawals are in flight: part of the position, earning nothing.
  const withdrawableTokens = stakerStates.reduce((s, x) => s + x.withdrawableTokens, 0n)
  const inFlightTokens = stakerStates.reduce((s, x) => s + x.queued.reduce((a, q) => a + q.expectedTokens, 0n), 0n)
  const activeStake = withdrawableTokens + inFlightTokens
  const idleTokens = stakerStates.filter((s) => s.operator === null).reduce((s, x) => s + x.withdrawableTokens, 0n)
  const allocations: Allocation[] = []
  for (const o of operatorStates) {
    const ours = stakerStates.filter((s) => s.operator === o.address).reduce((s, x) => s + x.withdrawableTokens, 0n)
    if (ours === 0n || o.maxMagnitude === 0n) continue
    for (const s of exposedSets(o)) {
      const stake = (ours * s.currentMagnitude) / o.maxMagnitude
      if (stake > 0n) allocations.push({ service: s.service, operator: o.address, shares: 0n, operatorLimit: 0n, stake })
    }
  }
  const positionId = p.positionId ?? `eigenlayer:${strategy}`
  const positionServices: PositionService[] = sets.map((k) => ({ service: k, maxNetworkLimit: withdrawableTokens, networkLimit: withdrawableTokens, totalOperatorShares: 0n }))
  const position: Position = {
    id: positionId,
    protocol: 'eigenlayer',
    label: label(positionId, label(strategy, `eigenlayer/${strategy.slice(0, 10)}`)),
    vault: strategy,
    kind: 'eigenlayer-staker',
    steerable: true,
    collateral: underlying,
    activeStake,
    inFlightStake: inFlightTokens,
    epochDurationSeconds: minDelay * (p.secondsPerBlock ?? 12),
    operatorsOptedIn: operatorStates.filter((o) => o.isOperator).map((o) => o.address),
    services: positionServices,
    allocations,
  }

  return {
    universe: { chainId: client.chain?.id ?? 0, blockNumber, timestamp: now, services, operators: operatorList, positions: [position] },
    eigenlayer: {
      positionId,
      strategy,
      underlying,
      delegationManager: dm,
      strategyManager: lower(p.strategyManager),
      blockNumber,
      minWithdrawalDelayBlocks: minDelay,
      stakers: stakerStates,
      inFlightTokens,
      idleTokens,
      operators: operatorStates,
      rewards: submissions,
      rewardRatePerYearByService: rateByService,
      rewardsForAllEarnersRatePerYear: earnersRate,
      redistributionRecipients,
      ...(maxPerDeposit !== undefined && maxTotalDeposits !== undefined ? { depositCaps: { maxPerDeposit, maxTotalDeposits, strategyBalance: big('strategyBalance') } } : {}),
      deallocationDelayBlocks: deallocationDelay,
      secondsPerBlock: p.secondsPerBlock ?? 12,
    },
  }
}
