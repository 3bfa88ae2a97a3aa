/**
 * Reads the Symbiotic universe of our vaults at one block in three HTTP round trips, whatever the number of
 * operators: (1) head block + vault structure, (2) stake, roles and slasher types while the chain sync brings the
 * logs (network caps, opt-ins, slashes, rewards) up to date in its store (docs/sync.md: only the blocks after its
 * cursor), (3) one multicall for every limit, share, stake, opt-in, veto window and historical snapshot.
 * Slash history counts instant-slasher `Slash` events and veto-slasher `ExecuteSlash` events (matched to their
 * `RequestSlash` by index for the pair and capture time; a request older than `fromBlock` is outside the history
 * window like any other event). A vetoed request slashed nothing and is not history.
 */
import { type AbiEvent, type Address, type GetLogsReturnType, type Hex, type Log, type PublicClient, hexToBigInt, parseEventLogs } from 'viem'
import type { Allocation, Operator, Position, PositionService, Service, SlashRecord, Universe } from '../../domain/types.js'
import * as abis from './abis.js'
import { symbioticFields } from './position.js'
import { ChainReadError } from '../../chain/errors.js'
import { InvalidVaultError, validateVaults } from './validateVault.js'
import { MulticallBatch, type Slot, runBatch } from '../../chain/multicall.js'
import { memoryChainSync } from '../../chain/sync/index.js'
import { DELEGATOR_KINDS, NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from './roles.js'
import { SYMBIOTIC_EVENTS, type SymbioticEvents, symbioticEvents } from './source.js'

export { SYMBIOTIC_EVENTS, type SymbioticEvents }

const YEAR = 365 * 86_400
const ZERO = '0x0000000000000000000000000000000000000000'
/** `TYPE()` of the core's VetoSlasher (the Slasher is 0). */
const VETO_SLASHER_TYPE = 1

/** Parameters of {@link readSymbioticUniverse}. */
export interface ReadSymbioticUniverseParameters {
  /** Opt-in services of the core (operator→vault, operator→network). */
  operatorVaultOptInService: Address
  operatorNetworkOptInService: Address
  /** The vaults we steer and the DefaultStakerRewards contracts that pay their stakers. */
  vaults: readonly { address: Address; stakerRewards: readonly Address[] }[]
  /** Address whose curator roles are checked (our signer, or the Safe in DAO mode). */
  curator: Address
  /** The core's VaultFactory: when given, a configured vault it did not create is refused (validateVault.ts). */
  vaultFactory?: Address | undefined
  /** address / subnetwork id (lower-case) → label. */
  labels?: Readonly<Record<string, string>>
  /** First block of the event history (the core's deployment block). */
  fromBlock?: bigint
  /** Window over which reward rates are averaged (seconds, default 90 days). */
  rewardLookbackSeconds?: number
  /**
   * Where the event logs come from: production passes the chain sync (`symbioticEvents` in ./source.ts over the
   * `chainLogs` store; docs/sync.md), which reads only the blocks after the source's cursor. Default: a one-off sync
   * from `fromBlock` into memory (tests and tools; nothing is kept). Logs before `fromBlock` or after the read's block
   * are ignored.
   */
  events?: SymbioticEvents
}

export type ReadSymbioticUniverseReturnType = Universe

const lower = (a: string) => a.toLowerCase() as Hex
const networkOf = (sn: Hex) => lower(`0x${sn.slice(2, 42)}`) as Address
const identifierOf = (sn: Hex) => hexToBigInt(`0x${sn.slice(42)}`)
const ratio = (num: bigint, den: bigint) => (den === 0n ? 0 : Number((num * 10n ** 12n) / den) / 1e12)

/**
 * Reads vaults, their delegators' limits/shares/stakes, operators and their opt-ins, slashes and reward
 * rates, and maps them into the shared {@link Universe}.
 * @example const universe = await readSymbioticUniverse(client, { operatorVaultOptInService, operatorNetworkOptInService, vaults, curator, events })
 */
export async function readSymbioticUniverse(client: PublicClient, p: ReadSymbioticUniverseParameters): Promise<ReadSymbioticUniverseReturnType> {
  const labels = p.labels ?? {}
  const label = (k: string, fallback: string) => labels[k.toLowerCase()] ?? fallback
  const wrap = <T>(what: string, pr: Promise<T>) =>
    pr.catch((cause: unknown) => {
      throw new ChainReadError({ what, cause })
    })
  const fromBlock = p.fromBlock ?? 0n

  // Round trip 1: the head block and each vault's structure, refusing what is not a supported vault (validateVault.ts).
  const [block, structure] = await Promise.all([
    wrap('head block', client.getBlock({ blockTag: 'latest' })),
    validateVaults(client, { vaults: p.vaults.map((v) => v.address), vaultFactory: p.vaultFactory }).catch((e: unknown) => {
      throw e instanceof InvalidVaultError ? e : new ChainReadError({ what: 'vault structure', cause: e })
    }),
  ])
  const blockNumber = block.number
  const now = block.timestamp
  const vaults = p.vaults.map((v, i) => ({ ...structure[i]!, stakerRewards: v.stakerRewards.map((r) => lower(r) as Address) }))
  const delegators = vaults.map((v) => v.delegator)
  const slashers = vaults.map((v) => v.slasher).filter((s) => s !== ZERO)
  const rewards = vaults.flatMap((v) => v.stakerRewards)

  // Round trip 2: per-vault state at the pinned block, while the chain sync brings the logs up to date (the store
  // answers every log query; a first sync not caught up throws SyncBehindError, by name, before anything is planned).
  const state = new MulticallBatch()
  const perVault = vaults.map((v) => ({
    activeStake: state.add({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStake' }),
    type: state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'TYPE' }),
    networkLimitSet: state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [NETWORK_LIMIT_SET_ROLE, p.curator] }),
    operatorNetworkSharesSet: state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_SHARES_SET_ROLE, p.curator] }),
    operatorNetworkLimitSet: state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_LIMIT_SET_ROLE, p.curator] }),
    slasherType: v.slasher === ZERO ? undefined : state.add({ address: v.slasher, abi: abis.slasherAbi, functionName: 'TYPE' }),
  }))
  const contracts = { operatorVaultOptInService: p.operatorVaultOptInService, operatorNetworkOptInService: p.operatorNetworkOptInService, vaults }
  const events = p.events ?? symbioticEvents(client, memoryChainSync(), { chainId: client.chain?.id ?? 1, fromBlock })
  const [get, query] = await Promise.all([wrap('vault state', runBatch(client, state, { blockNumber })), events({ contracts, head: { number: blockNumber, hash: block.hash } })])
  const getLogs = async <const E extends AbiEvent>(address: Address[], event: E, args?: Record<string, unknown>): Promise<GetLogsReturnType<E>> => {
    if (address.length === 0) return []
    const logs = (await query({ address, event, toBlock: blockNumber })).filter((l) => l.blockNumber >= fromBlock && l.blockNumber <= blockNumber)
    return parseEventLogs({ abi: [event] as AbiEvent[], logs: logs as Log[], args, strict: true }) as unknown as GetLogsReturnType<E>
  }
  const [capLogs, optInLogs, instantSlashLogs, rewardLogs, requestLogs, executeLogs] = await Promise.all([
    getLogs(delegators, SYMBIOTIC_EVENTS.SetMaxNetworkLimit),
    getLogs([p.operatorVaultOptInService], SYMBIOTIC_EVENTS.OptIn, { where: vaults.map((v) => v.address) }),
    getLogs(slashers, SYMBIOTIC_EVENTS.Slash),
    getLogs(rewards, SYMBIOTIC_EVENTS.DistributeRewards),
    getLogs(slashers, SYMBIOTIC_EVENTS.RequestSlash),
    getLogs(slashers, SYMBIOTIC_EVENTS.ExecuteSlash),
  ])
  const vetoSlashers = new Set(vaults.filter((_, i) => perVault[i]!.slasherType !== undefined && Number(get(perVault[i]!.slasherType!)) === VETO_SLASHER_TYPE).map((v) => v.slasher))
  // One shape for both kinds of slash: an instant Slash, or an executed veto-slasher request.
  const requestOf = (slasher: string, index: bigint) => requestLogs.find((r) => lower(r.address) === lower(slasher) && r.args.slashIndex === index)
  const slashLogs = [
    ...instantSlashLogs.map((l) => ({ log: l, slasher: l.address, subnetwork: l.args.subnetwork!, operator: l.args.operator!, captureTimestamp: l.args.captureTimestamp!, amount: l.args.slashedAmount! })),
    ...executeLogs.flatMap((l) => {
      const req = requestOf(l.address, l.args.slashIndex!)
      return req ? [{ log: l, slasher: l.address, subnetwork: req.args.subnetwork!, operator: req.args.operator!, captureTimestamp: req.args.captureTimestamp!, amount: l.args.slashedAmount! }] : []
    }),
  ].sort((a, b) => (a.log.blockNumber === b.log.blockNumber ? a.log.logIndex - b.log.logIndex : a.log.blockNumber < b.log.blockNumber ? -1 : 1))
  const vaultState = vaults.map((v, i) => {
    const o = perVault[i]!
    return {
      ...v,
      activeStake: get(o.activeStake),
      kind: DELEGATOR_KINDS[Number(get(o.type))] ?? ('operator-network-specific' as const),
      roles: { networkLimitSet: get(o.networkLimitSet), operatorNetworkSharesSet: get(o.operatorNetworkSharesSet), operatorNetworkLimitSet: get(o.operatorNetworkLimitSet) },
      subnetworks: [...new Set(capLogs.filter((l) => lower(l.address) === v.delegator).map((l) => lower(l.args.subnetwork!)))].sort(),
      operators: [...new Set(optInLogs.filter((l) => lower(l.args.where!) === v.address).map((l) => lower(l.args.who!) as Address))].sort(),
    }
  })
  const subnetworks = [...new Set(vaultState.flatMap((v) => v.subnetworks))].sort()
  const networks = [...new Set(subnetworks.map(networkOf))].sort()
  const operators = [...new Set(vaultState.flatMap((v) => v.operators))].sort()

  // Round trip 3: every limit, share, stake and opt-in, and the historical snapshots behind slashes and rewards.
  // One typed batch; each read is kept under a key (its slot types the result).
  const batch = new MulticallBatch()
  const slots = new Map<string, Slot<unknown>>()
  const q = (key: string, slot: Slot<unknown>) => void slots.set(key, slot)
  for (const v of vaultState) {
    for (const op of v.operators) q(`optInVault:${v.address}:${op}`, batch.add({ address: p.operatorVaultOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, v.address] }))
    for (const sn of v.subnetworks) {
      const d = v.delegator
      q(`max:${d}:${sn}`, batch.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'maxNetworkLimit', args: [sn] }))
      if (v.kind === 'network-restake' || v.kind === 'full-restake' || v.kind === 'operator-specific') q(`limit:${d}:${sn}`, batch.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn] }))
      if (v.kind === 'network-restake') q(`total:${d}:${sn}`, batch.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'totalOperatorNetworkShares', args: [sn] }))
      for (const op of v.operators) {
        if (v.kind === 'network-restake') q(`shares:${d}:${sn}:${op}`, batch.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [sn, op] }))
        if (v.kind === 'full-restake') q(`oplimit:${d}:${sn}:${op}`, batch.add({ address: d, abi: abis.fullRestakeDelegatorAbi, functionName: 'operatorNetworkLimit', args: [sn, op] }))
        q(`stake:${d}:${sn}:${op}`, batch.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] }))
      }
    }
  }
  for (const op of operators) for (const net of networks) q(`optInNet:${op}:${net}`, batch.add({ address: p.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, net] }))
  const slashVault = (slasher: string) => vaultState.find((v) => v.slasher === lower(slasher))!
  slashLogs.forEach((l, i) => {
    const v = slashVault(l.slasher)
    q(`slashStake:${i}`, batch.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [l.subnetwork, l.operator, l.captureTimestamp, '0x'] }))
  })
  for (const s of vetoSlashers) q(`veto:${s}`, batch.add({ address: s, abi: abis.vetoSlasherAbi, functionName: 'vetoDuration' }))
  const rewardVault = (r: string) => vaultState.find((v) => v.stakerRewards.includes(lower(r) as Address))!
  const lookback = BigInt(p.rewardLookbackSeconds ?? 90 * 86_400)
  const recentRewards = rewardLogs.filter((l) => BigInt(l.args.timestamp!) >= now - lookback)
  recentRewards.forEach((l, i) => {
    const v = rewardVault(l.address)
    q(`rewardActive:${i}`, batch.add({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [l.args.timestamp!, '0x'] }))
    for (const sn of v.subnetworks.filter((s) => networkOf(s) === lower(l.args.network!)))
      q(`rewardLimit:${i}:${sn}`, batch.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimitAt', args: [sn, l.args.timestamp!, '0x'] }))
  })
  const read = await wrap('limits, shares and stakes', runBatch(client, batch, { blockNumber }))
  const r = new Map<string, unknown>([...slots].map(([key, slot]) => [key, read(slot)]))
  const big = (k: string) => (r.get(k) as bigint | undefined) ?? 0n

  // Slashes.
  const slashes: SlashRecord[] = slashLogs.map((l, i) => ({
    service: lower(l.subnetwork),
    operator: lower(l.operator) as Address,
    position: slashVault(l.slasher).address,
    amount: l.amount,
    stakeAtCapture: big(`slashStake:${i}`),
    captureTimestamp: BigInt(l.captureTimestamp),
    timestamp: BigInt((l.log as { blockTimestamp?: bigint | Hex }).blockTimestamp ?? l.captureTimestamp),
    blockNumber: l.log.blockNumber,
    txHash: l.log.transactionHash,
  }))
  // A service's veto window: the shortest among our vaults that hold it (an instant slasher counts 0).
  const vetoWindow = (sn: Hex) => {
    const windows = vaultState.filter((v) => v.subnetworks.includes(sn)).map((v) => (vetoSlashers.has(v.slasher) ? Number(big(`veto:${v.slasher}`)) : 0))
    return windows.length ? Math.min(...windows) : 0
  }

  // Reward rate per network: Σ amount / stake it secured at the snapshot, annualised over the observed window.
  const perUnit = new Map<string, number>()
  const firstSeen = new Map<string, bigint>()
  recentRewards.forEach((l, i) => {
    const net = lower(l.args.network!)
    const v = rewardVault(l.address)
    const active = big(`rewardActive:${i}`)
    let secured = 0n
    for (const sn of v.subnetworks.filter((s) => networkOf(s) === net)) {
      const lim = big(`rewardLimit:${i}:${sn}`)
      secured += lim < active ? lim : active
    }
    perUnit.set(net, (perUnit.get(net) ?? 0) + ratio(l.args.distributeAmount!, secured))
  })
  for (const l of rewardLogs) {
    const net = lower(l.args.network!)
    const ts = BigInt(l.args.timestamp!)
    if (!firstSeen.has(net) || ts < firstSeen.get(net)!) firstSeen.set(net, ts)
  }
  for (const s of slashes) {
    const net = networkOf(s.service)
    if (!firstSeen.has(net) || s.captureTimestamp < firstSeen.get(net)!) firstSeen.set(net, s.captureTimestamp)
  }

  const services: Service[] = subnetworks.map((sn) => {
    const net = networkOf(sn)
    const since = firstSeen.get(net) ?? now
    // Each distribution pays for the interval that ends at its snapshot: n snapshots spaced evenly cover
    // (last − first)·n/(n−1) seconds. A single snapshot is spread over the whole lookback window.
    const stamps = recentRewards
      .filter((l) => lower(l.args.network!) === net)
      .map((l) => Number(l.args.timestamp!))
      .sort((a, b) => a - b)
    const n = stamps.length
    const covered = n >= 2 ? ((stamps[n - 1]! - stamps[0]!) * n) / (n - 1) : Number(lookback)
    return {
      id: sn,
      protocol: 'symbiotic' as const,
      network: net,
      identifier: identifierOf(sn),
      label: label(sn, label(net, net.slice(0, 10))),
      rewardRatePerYear: n > 0 && covered > 0 ? ((perUnit.get(net) ?? 0) * YEAR) / covered : 0,
      observedSince: since,
      vetoWindowSeconds: vetoWindow(sn),
      slashes: slashes.filter((s) => s.service === sn),
    }
  })

  const positions: Position[] = vaultState.map((v) => {
    const optedIn = v.operators.filter((op) => r.get(`optInVault:${v.address}:${op}`) === true)
    const posServices: PositionService[] = v.subnetworks.map((sn) => ({
      service: sn,
      maxNetworkLimit: big(`max:${v.delegator}:${sn}`),
      networkLimit: big(`limit:${v.delegator}:${sn}`),
      totalOperatorShares: big(`total:${v.delegator}:${sn}`),
    }))
    const allocations: Allocation[] = []
    for (const sn of v.subnetworks)
      for (const op of v.operators) {
        const a = { service: sn, operator: op, shares: big(`shares:${v.delegator}:${sn}:${op}`), operatorLimit: big(`oplimit:${v.delegator}:${sn}:${op}`), stake: big(`stake:${v.delegator}:${sn}:${op}`) }
        if (a.shares > 0n || a.operatorLimit > 0n || a.stake > 0n) allocations.push(a)
      }
    return {
      id: v.address,
      protocol: 'symbiotic' as const,
      label: label(v.address, v.address.slice(0, 10)),
      vault: v.address,
      ...symbioticFields({ delegator: v.delegator, delegatorKind: v.kind, roles: v.roles }),
      collateral: v.collateral,
      activeStake: v.activeStake,
      epochDurationSeconds: v.epochDuration,
      operatorsOptedIn: optedIn,
      services: posServices,
      allocations,
    }
  })

  const operatorList: Operator[] = operators.map((op) => {
    let total = 0n
    for (const pos of positions) {
      let max = 0n
      for (const a of pos.allocations) if (a.operator === op && a.stake > max) max = a.stake
      total += max
    }
    return {
      address: op,
      label: label(op, op.slice(0, 10)),
      services: subnetworks.filter((sn) => r.get(`optInNet:${op}:${networkOf(sn)}`) === true),
      commission: 0,
      totalRestakedStake: total,
    }
  })

  return { chainId: client.chain?.id ?? 0, blockNumber, timestamp: now, services, operators: operatorList, positions }
}
