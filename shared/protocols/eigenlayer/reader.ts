/**
 * Reads one EigenLayer position (our staker accounts over one strategy) at one block in three HTTP round trips,
 * whatever the number of operators and operator sets: (1) the head block, (2) one multicall for our stakers +
 * the event logs that define operator sets, memberships, slashes and reward submissions, (3) one multicall for
 * every operator's magnitudes, allocations and splits plus the historical state behind each slash and the block
 * headers they need (all in one JSON-RPC batch). Maps it into the shared {@link Universe} and returns the
 * EigenLayer-specific facts (stakers, withdrawals in flight, magnitudes) next to it.
 */
import { type Address, type Hex, type PublicClient, getAbiItem } from 'viem'
import type { Allocation, Operator, Position, PositionService, Service, SlashRecord, Universe } from '../../domain/types.js'
import { WAD, allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi, strategyAbi } from './abis.js'
import { ChainReadError } from '../../chain/errors.js'
import { label as labelOf } from '../../label.js'
import { MulticallBatch, type Slot, runBatch } from '../../chain/multicall.js'
import {
  type EigenLayerOperatorState,
  type EigenLayerPositionDetails,
  type EigenLayerRewardSubmission,
  type EigenLayerStakerState,
  decodeOperatorSetKey,
  operatorSetKey,
  withdrawalRoot,
} from './types.js'
import { toAddr, zeroAddr } from '../../address.js'

const YEAR = 365 * 86_400
const RATE_SCALE = 10n ** 24n

/** Parameters of {@link readEigenLayerUniverse}. */
export interface ReadEigenLayerUniverseParameters {
  delegationManager: Address
  strategyManager: Address
  allocationManager: Address
  rewardsCoordinator: Address
  /** The strategy of the position (one position = our stakers over one strategy). */
  strategy: Address
  /** Our staker accounts (EOAs locally; LRT staker contracts in production). */
  stakers: readonly Address[]
  /** Position id (default `eigenlayer:<strategy>`). */
  positionId?: string
  /** Candidate operators; default every operator seen in `OperatorRegistered` logs, plus our stakers' operators. */
  operators?: readonly Address[]
  /** address / operator-set key (lower-case) → label. */
  labels?: Readonly<Record<string, string>>
  /** First block to scan for events (the deployment block). */
  fromBlock?: bigint
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

const ratio = (num: bigint, den: bigint) => (den === 0n ? 0 : Number((num * 10n ** 12n) / den) / 1e12)

/**
 * Reads our EigenLayer stakers, their operators, operator sets, allocations, slashes and AVS rewards, and maps
 * them into the shared {@link Universe} (`protocol: 'eigenlayer'`, service id = operator-set key).
 * @example const { universe, eigenlayer } = await readEigenLayerUniverse(client, { delegationManager, strategyManager, allocationManager, rewardsCoordinator, strategy, stakers })
 */
export async function readEigenLayerUniverse(client: PublicClient, p: ReadEigenLayerUniverseParameters): Promise<ReadEigenLayerUniverseReturnType> {
  const labels = p.labels ?? {}
  const label = (k: string, fallback: string) => labelOf(labels, k, fallback)
  const dm = toAddr(p.delegationManager)
  const am = toAddr(p.allocationManager)
  const rc = toAddr(p.rewardsCoordinator)
  const strategy = toAddr(p.strategy)
  const stakers = p.stakers.map(toAddr)
  const fromBlock = p.fromBlock ?? 0n
  const wrap = <T>(what: string, pr: Promise<T>) => pr.catch((cause: unknown) => { throw new ChainReadError({ what, cause }) })

  // Round trip 1: the head block pins every later read.
  const block = await wrap('head block', client.getBlock({ blockTag: 'latest' }))
  const blockNumber = block.number
  const now = block.timestamp

  // Round trip 2: our stakers and the protocol-wide constants (one multicall) + event logs.
  const round2 = new MulticallBatch()
  const globals = {
    minDelay: round2.add({ address: dm, abi: delegationManagerAbi, functionName: 'minWithdrawalDelayBlocks' }),
    underlying: round2.add({ address: strategy, abi: strategyAbi, functionName: 'underlyingToken' }),
    tokensPerScale: round2.add({ address: strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [RATE_SCALE] }),
    defaultSplit: round2.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'defaultOperatorSplitBips' }),
  }
  const perStaker = stakers.map((s) => ({
    delegatedTo: round2.add({ address: dm, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [s] }),
    withdrawable: round2.add({ address: dm, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [s, [strategy]] }),
    queued: round2.add({ address: dm, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawals', args: [s] }),
    depositScalingFactor: round2.add({ address: dm, abi: delegationManagerAbi, functionName: 'depositScalingFactor', args: [s, strategy] }),
  }))
  const amEvents = ['StrategyAddedToOperatorSet', 'StrategyRemovedFromOperatorSet', 'OperatorAddedToOperatorSet', 'OperatorRemovedFromOperatorSet', 'OperatorSlashed'] as const
  const [r2, amLogs, registeredLogs, rewardLogs] = await wrap(
    'stakers and events',
    Promise.all([
      runBatch(client, round2, { blockNumber }),
      client.getLogs({ address: am, events: amEvents.map((name) => getAbiItem({ abi: allocationManagerAbi, name })), fromBlock, toBlock: blockNumber }) as unknown as Promise<AllocationManagerLog[]>,
      p.operators ? Promise.resolve([]) : client.getLogs({ address: dm, event: getAbiItem({ abi: delegationManagerAbi, name: 'OperatorRegistered' }), fromBlock, toBlock: blockNumber }),
      client.getLogs({ address: rc, event: getAbiItem({ abi: rewardsCoordinatorAbi, name: 'AVSRewardsSubmissionCreated' }), fromBlock, toBlock: blockNumber }),
    ]),
  )
  const minDelay = Number(r2(globals.minDelay))
  const underlying = toAddr(r2(globals.underlying))
  const tokensPerScale = r2(globals.tokensPerScale)
  const toTokens = (shares: bigint) => (shares * tokensPerScale) / RATE_SCALE
  const defaultSplit = Number(r2(globals.defaultSplit))

  const stakerStates: EigenLayerStakerState[] = stakers.map((address, i) => {
    const slots = perStaker[i]!
    const operator = toAddr(r2(slots.delegatedTo))
    const [withdrawable, deposit] = r2(slots.withdrawable)
    const [ws, shares] = r2(slots.queued)
    const queued = ws.map((w, j) => {
      const idx = w.strategies.findIndex((s) => toAddr(s) === strategy)
      const expectedShares = idx >= 0 ? (shares[j]![idx] ?? 0n) : 0n
      const completableAtBlock = BigInt(w.startBlock) + BigInt(minDelay) + 1n
      return { root: withdrawalRoot(w), withdrawal: w, expectedShares, expectedTokens: toTokens(expectedShares), completableAtBlock, completable: blockNumber >= completableAtBlock }
    })
    return {
      address,
      operator: operator === zeroAddr ? null : operator,
      depositShares: deposit[0] ?? 0n,
      withdrawableShares: withdrawable[0] ?? 0n,
      withdrawableTokens: toTokens(withdrawable[0] ?? 0n),
      depositScalingFactor: r2(slots.depositScalingFactor),
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
        if (toAddr(args.strategy!) === strategy) {
          setStrategies.set(key, new Set([...(setStrategies.get(key) ?? []), strategy]))
          if (!setSince.has(key)) setSince.set(key, l.blockNumber)
        }
        break
      case 'StrategyRemovedFromOperatorSet':
        if (toAddr(args.strategy!) === strategy) setStrategies.get(key)?.delete(strategy)
        break
      case 'OperatorAddedToOperatorSet':
        members.set(key, new Set([...(members.get(key) ?? []), toAddr(args.operator!)]))
        break
      case 'OperatorRemovedFromOperatorSet':
        members.get(key)?.delete(toAddr(args.operator!))
        break
      case 'OperatorSlashed':
        slashLogs.push({ key, operator: toAddr(args.operator!), strategies: args.strategies!.map(toAddr), wadSlashed: args.wadSlashed!, blockNumber: l.blockNumber, txHash: l.transactionHash, blockTimestamp: blockTimestampOf(l) })
        break
    }
  }
  // Sets that ever held our strategy stay (slashable history); services are those holding it now.
  const sets = [...setStrategies.entries()].filter(([, s]) => s.size > 0).map(([k]) => k).sort()
  const ourSlashes = slashLogs.filter((s) => s.strategies.includes(strategy) && setStrategies.has(s.key))

  const operators = [
    ...new Set([
      ...(p.operators ?? registeredLogs.map((l) => l.args.operator!)).map(toAddr),
      ...stakerStates.map((s) => s.operator).filter((o): o is Address => o !== null),
    ]),
  ].sort()
  const avss = [...new Set(sets.map((k) => toAddr(decodeOperatorSetKey(k).avs)))].sort()

  // Reward submissions (per AVS) and the strategies they weight.
  const submissions: EigenLayerRewardSubmission[] = rewardLogs.map((l) => {
    const s = l.args.rewardsSubmission!
    return {
      avs: toAddr(l.args.avs!),
      submissionNonce: l.args.submissionNonce!,
      hash: l.args.rewardsSubmissionHash!,
      token: toAddr(s.token),
      amount: s.amount,
      startTimestamp: s.startTimestamp,
      duration: s.duration,
      strategiesAndMultipliers: s.strategiesAndMultipliers.map((x) => ({ strategy: toAddr(x.strategy), multiplier: x.multiplier })),
      blockNumber: l.blockNumber,
    }
  })
  const avsMembers = (avs: Address) => [...new Set(sets.concat([...members.keys()]).filter((k) => toAddr(decodeOperatorSetKey(k).avs) === avs).flatMap((k) => [...(members.get(k) ?? [])]))].sort()
  const rewardStrategies = [...new Set(submissions.flatMap((s) => s.strategiesAndMultipliers.map((x) => x.strategy)))].sort()

  // Round trip 3: one multicall at the pinned block, one per slash at the block before it, and the headers needed.
  const state = new MulticallBatch()
  const addAllocation = (op: Address, os: { avs: Address; id: number }) => state.add({ address: am, abi: allocationManagerAbi, functionName: 'getAllocation', args: [op, os, strategy] })
  const flagSlots = new Map<string, Slot<boolean>>()
  const bigSlots = new Map<string, Slot<bigint>>()
  const splitSlots = new Map<string, Slot<number>>()
  const allocSlots = new Map<string, ReturnType<typeof addAllocation>>()
  for (const op of operators) {
    flagSlots.set(`isOp:${op}`, state.add({ address: dm, abi: delegationManagerAbi, functionName: 'isOperator', args: [op] }))
    bigSlots.set(`max:${op}`, state.add({ address: am, abi: allocationManagerAbi, functionName: 'getMaxMagnitude', args: [op, strategy] }))
    for (const k of sets) {
      const os = decodeOperatorSetKey(k)
      allocSlots.set(`alloc:${op}:${k}`, addAllocation(op, os))
      flagSlots.set(`slashable:${op}:${k}`, state.add({ address: am, abi: allocationManagerAbi, functionName: 'isOperatorSlashable', args: [op, os] }))
    }
    for (const avs of avss) splitSlots.set(`split:${op}:${avs}`, state.add({ address: rc, abi: rewardsCoordinatorAbi, functionName: 'getOperatorAVSSplit', args: [op, avs] }))
  }
  const shareHolders = [...new Set([...operators, ...avss.flatMap(avsMembers)])].sort()
  for (const op of shareHolders)
    for (const s of [...new Set([strategy, ...rewardStrategies])]) {
      bigSlots.set(`shares:${op}:${s}`, state.add({ address: dm, abi: delegationManagerAbi, functionName: 'operatorShares', args: [op, s] }))
      // Shares queued for withdrawal left operatorShares but were delegated while the rewards streamed.
      bigSlots.set(`queued:${op}:${s}`, state.add({ address: dm, abi: delegationManagerAbi, functionName: 'getSlashableSharesInQueue', args: [op, s] }))
    }
  const slashBatches = ourSlashes.map((s) => {
    const os = decodeOperatorSetKey(s.key)
    const batch = new MulticallBatch()
    return {
      batch,
      sharesBefore: batch.add({ address: dm, abi: delegationManagerAbi, functionName: 'operatorShares', args: [s.operator, strategy] }),
      alloc: batch.add({ address: am, abi: allocationManagerAbi, functionName: 'getAllocation', args: [s.operator, os, strategy] }),
      maxBefore: batch.add({ address: am, abi: allocationManagerAbi, functionName: 'getMaxMagnitude', args: [s.operator, strategy] }),
    }
  })
  const headerBlocks = [...new Set([...ourSlashes.filter((s) => s.blockTimestamp === undefined).map((s) => s.blockNumber), ...setSince.values()])]
  const [out, slashOut, headers] = await wrap(
    'operators, allocations and slash history',
    Promise.all([
      runBatch(client, state, { blockNumber }),
      Promise.all(slashBatches.map((b, i) => runBatch(client, b.batch, { blockNumber: ourSlashes[i]!.blockNumber - 1n }))),
      Promise.all(headerBlocks.map((b) => client.getBlock({ blockNumber: b }))),
    ]),
  )
  const read = <T>(slot: Slot<T> | undefined) => (slot === undefined ? undefined : out(slot))
  const big = (k: string) => read(bigSlots.get(k)) ?? 0n
  const tsOf = new Map(headers.map((h) => [h.number, h.timestamp]))

  // Operators and their exposure per set.
  const operatorStates: EigenLayerOperatorState[] = operators.map((op) => {
    const maxMagnitude = big(`max:${op}`)
    const opSets = sets.map((k) => {
      const a = out(allocSlots.get(`alloc:${op}:${k}`)!)
      const { avs, id } = decodeOperatorSetKey(k)
      return {
        service: k,
        avs: toAddr(avs),
        setId: id,
        registered: members.get(k)?.has(op) ?? false,
        slashable: read(flagSlots.get(`slashable:${op}:${k}`)) === true,
        currentMagnitude: a.currentMagnitude,
        pendingDiff: a.pendingDiff,
        effectBlock: a.effectBlock,
        exposure: ratio(a.currentMagnitude, maxMagnitude),
      }
    })
    const splits: Record<string, number> = {}
    for (const avs of avss) splits[avs] = Number(read(splitSlots.get(`split:${op}:${avs}`)) ?? defaultSplit)
    const operatorShares = big(`shares:${op}:${strategy}`)
    return { address: op, isOperator: read(flagSlots.get(`isOp:${op}`)) === true, maxMagnitude, operatorShares, operatorStakeTokens: toTokens(operatorShares), sets: opSets, avsSplitBips: splits }
  })
  const exposedSets = (o: EigenLayerOperatorState) => o.sets.filter((s) => s.slashable && (s.currentMagnitude > 0n || s.pendingDiff > 0n))

  // Slashes: severity = slashed / allocated stake at the block before the slash.
  const slashes: SlashRecord[] = ourSlashes.map((s, i) => {
    const b = slashBatches[i]!
    const before = slashOut[i]!
    const [sharesBefore, alloc, maxBefore] = [before(b.sharesBefore), before(b.alloc), before(b.maxBefore)]
    const idx = s.strategies.indexOf(strategy)
    const wad = s.wadSlashed[idx] ?? 0n
    const allocated = maxBefore === 0n ? 0n : (sharesBefore * alloc.currentMagnitude) / maxBefore
    const ts = s.blockTimestamp ?? tsOf.get(s.blockNumber) ?? now
    return {
      service: s.key,
      operator: s.operator,
      amount: toTokens((sharesBefore * wad) / WAD),
      stakeAtCapture: toTokens(allocated),
      captureTimestamp: ts,
      timestamp: ts,
      blockNumber: s.blockNumber,
      txHash: s.txHash,
    }
  })

  // Reward rate per AVS per unit of delegated stake (PROTOCOLS 1.6 approximation): each submission streams
  // amount/duration over [start, start+duration) to the stake of the AVS's registered operators, weighted by the
  // strategies' multipliers; averaged over [max(now − lookback, first start), now] (or the forward window when all
  // submissions start later). The reward token is valued 1:1 with the collateral.
  const lookback = BigInt(p.rewardLookbackSeconds ?? 90 * 86_400)
  const rateByAvs: Record<string, number> = {}
  for (const avs of avss) {
    const subs = submissions.filter((s) => s.avs === avs && s.strategiesAndMultipliers.some((x) => x.strategy === strategy))
    if (subs.length === 0) {
      rateByAvs[avs] = 0
      continue
    }
    const ops = avsMembers(avs)
    const perUnitPerSecond = subs.map((s) => {
      const ours = s.strategiesAndMultipliers.find((x) => x.strategy === strategy)!.multiplier
      let weighted = 0n
      for (const x of s.strategiesAndMultipliers) {
        // Stake in flight counts: it secured the AVS while the rewards streamed (else the rate jumps during a move).
        const sum = ops.reduce((acc, op) => acc + big(`shares:${op}:${x.strategy}`) + big(`queued:${op}:${x.strategy}`), 0n)
        weighted += ((x.strategy === strategy ? toTokens(sum) : sum) * x.multiplier) / WAD
      }
      return { s, rate: weighted === 0n ? 0 : (ratio(s.amount, weighted) * Number(ours)) / 1e18 / s.duration }
    })
    const starts = subs.map((s) => BigInt(s.startTimestamp))
    let lo = now - lookback
    const first = starts.reduce((m, x) => (x < m ? x : m))
    if (first > lo) lo = first
    let hi = now
    if (hi <= lo) {
      lo = now
      const last = subs.map((s) => BigInt(s.startTimestamp + s.duration)).reduce((m, x) => (x > m ? x : m))
      hi = last < now + lookback ? last : now + lookback
    }
    let paid = 0
    for (const { s, rate } of perUnitPerSecond) {
      const a = BigInt(s.startTimestamp) > lo ? BigInt(s.startTimestamp) : lo
      const b = BigInt(s.startTimestamp + s.duration) < hi ? BigInt(s.startTimestamp + s.duration) : hi
      if (b > a) paid += rate * Number(b - a)
    }
    rateByAvs[avs] = hi > lo ? (paid / Number(hi - lo)) * YEAR : 0
  }

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
      network: toAddr(avs),
      identifier: BigInt(id),
      label: label(k, `${label(avs, avs.slice(0, 10))}/${id}`),
      rewardRatePerYear: rateByAvs[toAddr(avs)] ?? 0,
      observedSince: observedSince(k),
      vetoWindowSeconds: 0,
      slashes: slashes.filter((s) => s.service === k),
    }
  })

  const operatorList: Operator[] = operatorStates.map((o) => {
    const exposed = exposedSets(o)
    const splits = exposed.map((s) => o.avsSplitBips[s.avs] ?? defaultSplit)
    return {
      address: o.address,
      label: label(o.address, o.address.slice(0, 10)),
      services: exposed.map((s) => s.service),
      // One commission per operator in the domain: the highest AVS split among its exposures (conservative).
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
    delegator: dm,
    delegatorKind: 'eigenlayer-staker',
    collateral: underlying,
    activeStake,
    inFlightStake: inFlightTokens,
    epochDurationSeconds: minDelay * (p.secondsPerBlock ?? 12),
    operatorsOptedIn: operatorStates.filter((o) => o.isOperator).map((o) => o.address),
    services: positionServices,
    allocations,
    roles: { networkLimitSet: false, operatorNetworkSharesSet: false, operatorNetworkLimitSet: false },
  }

  return {
    universe: { chainId: client.chain?.id ?? 0, blockNumber, timestamp: now, services, operators: operatorList, positions: [position] },
    eigenlayer: {
      positionId,
      strategy,
      underlying,
      delegationManager: dm,
      strategyManager: toAddr(p.strategyManager),
      blockNumber,
      minWithdrawalDelayBlocks: minDelay,
      stakers: stakerStates,
      inFlightTokens,
      idleTokens,
      operators: operatorStates,
      rewards: submissions,
      rewardRatePerYearByAvs: rateByAvs,
    },
  }
}

function blockTimestampOf(l: unknown): bigint | undefined {
  const t = (l as { blockTimestamp?: bigint | Hex | null }).blockTimestamp
  if (t === undefined || t === null) return undefined
  return typeof t === 'bigint' ? t : BigInt(t)
}
