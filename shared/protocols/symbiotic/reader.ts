/**
 * Reads the Symbiotic universe of our vaults at one block in three HTTP round trips, whatever the number of
 * operators: (1) head block + vault structure, (2) logs (network caps, opt-ins, slashes, rewards) + stake, roles
 * and slasher types, (3) one multicall for every limit, share, stake, opt-in, veto window and historical snapshot.
 * Slash history counts instant-slasher `Slash` events and veto-slasher `ExecuteSlash` events (matched to their
 * `RequestSlash` by index for the pair and capture time; a request older than `fromBlock` is outside the history
 * window like any other event). A vetoed request slashed nothing and is not history.
 */
import { type AbiEvent, type Address, type GetLogsReturnType, type Hex, type Log, type PublicClient, getAbiItem, hexToBigInt, parseEventLogs } from 'viem'
import type { Allocation, Operator, Position, PositionService, Service, SlashRecord, Universe } from '../../domain/types.js'
import * as abis from './abis.js'
import { symbioticFields } from './position.js'
import { ChainReadError } from '../../chain/errors.js'
import { InvalidVaultError, validateVaults } from './validateVault.js'
import { DELEGATOR_KINDS, NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from './roles.js'

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
  /** First block to scan for events (the core's deployment block). */
  fromBlock?: bigint
  /** Window over which reward rates are averaged (seconds, default 90 days). */
  rewardLookbackSeconds?: number
  /**
   * Where the event logs come from instead of `eth_getLogs` from `fromBlock` to the head: e.g. the chain sync's store
   * (`storedLogs` in shared/chain/sync, over a source of {@link SYMBIOTIC_EVENTS}; docs/sync.md). Logs before `fromBlock`
   * or after the read's block are ignored.
   */
  events?: SymbioticLogSource
}

/** Every log of `address` × `event` up to `toBlock`, undecoded (the reader decodes them). */
export type SymbioticLogSource = (q: { address: readonly Address[]; event: AbiEvent; toBlock: bigint }) => Promise<readonly Log[]>

/**
 * The Symbiotic events the reader and the watcher read, by the contracts that emit them (what a sync source serving
 * them must hold; the reader needs all but `VetoSlash` and `OptOut`, the watcher all but `DistributeRewards`).
 */
export const SYMBIOTIC_EVENTS = {
  /** Emitted by each vault's delegator. */
  SetMaxNetworkLimit: getAbiItem({ abi: abis.networkRestakeDelegatorAbi, name: 'SetMaxNetworkLimit' }),
  /** Emitted by the opt-in services (operator→vault, operator→network). */
  OptIn: getAbiItem({ abi: abis.optInServiceAbi, name: 'OptIn' }),
  OptOut: getAbiItem({ abi: abis.optInServiceAbi, name: 'OptOut' }),
  /** Emitted by each vault's slasher (instant: Slash; veto: the other three). */
  Slash: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }),
  RequestSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'RequestSlash' }),
  ExecuteSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'ExecuteSlash' }),
  VetoSlash: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'VetoSlash' }),
  /** Emitted by each vault's DefaultStakerRewards. */
  DistributeRewards: getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' }),
} as const

export type ReadSymbioticUniverseReturnType = Universe

const lower = (a: string) => a.toLowerCase() as Hex
const networkOf = (sn: Hex) => lower(`0x${sn.slice(2, 42)}`) as Address
const identifierOf = (sn: Hex) => hexToBigInt(`0x${sn.slice(42)}`)
const ratio = (num: bigint, den: bigint) => (den === 0n ? 0 : Number((num * 10n ** 12n) / den) / 1e12)

/**
 * Reads vaults, their delegators' limits/shares/stakes, operators and their opt-ins, slashes and reward
 * rates, and maps them into the shared {@link Universe}.
 * @example const universe = await readSymbioticUniverse(client, { operatorVaultOptInService, operatorNetworkOptInService, vaults, curator })
 */
export async function readSymbioticUniverse(client: PublicClient, p: ReadSymbioticUniverseParameters): Promise<ReadSymbioticUniverseReturnType> {
  const labels = p.labels ?? {}
  const label = (k: string, fallback: string) => labels[k.toLowerCase()] ?? fallback
  const multicall = async (contracts: readonly unknown[], blockNumber?: bigint) => client.multicall({ contracts: contracts as never, allowFailure: false, blockNumber, batchSize: 200_000 }) as Promise<unknown[]>
  const wrap = <T>(what: string, pr: Promise<T>) =>
    pr.catch((cause: unknown) => {
      throw new ChainReadError({ what, cause })
    })

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
  const fromBlock = p.fromBlock ?? 0n
  const events = p.events
  const getLogs = async <const E extends AbiEvent>(address: Address | Address[], event: E, args?: Record<string, unknown>): Promise<GetLogsReturnType<E>> => {
    if (!events) return client.getLogs({ address, event, args, fromBlock, toBlock: blockNumber } as never) as Promise<GetLogsReturnType<E>>
    const logs = (await events({ address: [address].flat(), event, toBlock: blockNumber })).filter((l) => l.blockNumber !== null && l.blockNumber >= fromBlock && l.blockNumber <= blockNumber)
    return parseEventLogs({ abi: [event] as AbiEvent[], logs: logs as Log[], args, strict: true }) as unknown as GetLogsReturnType<E>
  }

  // Round trip 2: logs and per-vault state at the pinned block.
  const perVault = vaults.flatMap((v) => [
    { address: v.address, abi: abis.vaultAbi, functionName: 'activeStake' },
    { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'TYPE' },
    { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [NETWORK_LIMIT_SET_ROLE, p.curator] },
    { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_SHARES_SET_ROLE, p.curator] },
    { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_LIMIT_SET_ROLE, p.curator] },
  ])
  const slasherTypes = vaults.filter((v) => v.slasher !== ZERO).map((v) => ({ address: v.slasher, abi: abis.slasherAbi, functionName: 'TYPE' }))
  const [perVaultOut, capLogs, optInLogs, instantSlashLogs, rewardLogs, slasherTypeOut, requestLogs, executeLogs] = await wrap(
    'vault state and events',
    Promise.all([
      multicall(perVault, blockNumber),
      getLogs(delegators, SYMBIOTIC_EVENTS.SetMaxNetworkLimit),
      getLogs(p.operatorVaultOptInService, SYMBIOTIC_EVENTS.OptIn, { where: vaults.map((v) => v.address) }),
      slashers.length ? getLogs(slashers, SYMBIOTIC_EVENTS.Slash) : Promise.resolve([]),
      rewards.length ? getLogs(rewards, SYMBIOTIC_EVENTS.DistributeRewards) : Promise.resolve([]),
      multicall(slasherTypes, blockNumber),
      slashers.length ? getLogs(slashers, SYMBIOTIC_EVENTS.RequestSlash) : Promise.resolve([]),
      slashers.length ? getLogs(slashers, SYMBIOTIC_EVENTS.ExecuteSlash) : Promise.resolve([]),
    ]),
  )
  const vetoSlashers = new Set(slasherTypes.filter((_, i) => Number(slasherTypeOut[i]) === VETO_SLASHER_TYPE).map((s) => s.address))
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
    const o = perVaultOut.slice(i * 5, i * 5 + 5)
    const type = Number(o[1])
    return {
      ...v,
      activeStake: o[0] as bigint,
      kind: DELEGATOR_KINDS[type] ?? ('operator-network-specific' as const),
      roles: { networkLimitSet: o[2] as boolean, operatorNetworkSharesSet: o[3] as boolean, operatorNetworkLimitSet: o[4] as boolean },
      subnetworks: [...new Set(capLogs.filter((l) => lower(l.address) === v.delegator).map((l) => lower(l.args.subnetwork!)))].sort(),
      operators: [...new Set(optInLogs.filter((l) => lower(l.args.where!) === v.address).map((l) => lower(l.args.who!) as Address))].sort(),
    }
  })
  const subnetworks = [...new Set(vaultState.flatMap((v) => v.subnetworks))].sort()
  const networks = [...new Set(subnetworks.map(networkOf))].sort()
  const operators = [...new Set(vaultState.flatMap((v) => v.operators))].sort()

  // Round trip 3: every limit, share, stake and opt-in, and the historical snapshots behind slashes and rewards.
  type Q = { key: string; call: unknown }
  const qs: Q[] = []
  for (const v of vaultState) {
    for (const op of v.operators) qs.push({ key: `optInVault:${v.address}:${op}`, call: { address: p.operatorVaultOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, v.address] } })
    for (const sn of v.subnetworks) {
      const d = v.delegator
      qs.push({ key: `max:${d}:${sn}`, call: { address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'maxNetworkLimit', args: [sn] } })
      if (v.kind === 'network-restake' || v.kind === 'full-restake' || v.kind === 'operator-specific')
        qs.push({ key: `limit:${d}:${sn}`, call: { address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn] } })
      if (v.kind === 'network-restake') qs.push({ key: `total:${d}:${sn}`, call: { address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'totalOperatorNetworkShares', args: [sn] } })
      for (const op of v.operators) {
        if (v.kind === 'network-restake') qs.push({ key: `shares:${d}:${sn}:${op}`, call: { address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [sn, op] } })
        if (v.kind === 'full-restake') qs.push({ key: `oplimit:${d}:${sn}:${op}`, call: { address: d, abi: abis.fullRestakeDelegatorAbi, functionName: 'operatorNetworkLimit', args: [sn, op] } })
        qs.push({ key: `stake:${d}:${sn}:${op}`, call: { address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] } })
      }
    }
  }
  for (const op of operators) for (const net of networks) qs.push({ key: `optInNet:${op}:${net}`, call: { address: p.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, net] } })
  const slashVault = (slasher: string) => vaultState.find((v) => v.slasher === lower(slasher))!
  slashLogs.forEach((l, i) => {
    const v = slashVault(l.slasher)
    qs.push({ key: `slashStake:${i}`, call: { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [l.subnetwork, l.operator, l.captureTimestamp, '0x'] } })
  })
  for (const s of vetoSlashers) qs.push({ key: `veto:${s}`, call: { address: s, abi: abis.vetoSlasherAbi, functionName: 'vetoDuration' } })
  const rewardVault = (r: string) => vaultState.find((v) => v.stakerRewards.includes(lower(r) as Address))!
  const lookback = BigInt(p.rewardLookbackSeconds ?? 90 * 86_400)
  const recentRewards = rewardLogs.filter((l) => BigInt(l.args.timestamp!) >= now - lookback)
  recentRewards.forEach((l, i) => {
    const v = rewardVault(l.address)
    qs.push({ key: `rewardActive:${i}`, call: { address: v.address, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [l.args.timestamp!, '0x'] } })
    for (const sn of v.subnetworks.filter((s) => networkOf(s) === lower(l.args.network!)))
      qs.push({ key: `rewardLimit:${i}:${sn}`, call: { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimitAt', args: [sn, l.args.timestamp!, '0x'] } })
  })
  const calls = qs
  const out = await wrap(
    'limits, shares and stakes',
    multicall(
      calls.map((q) => q.call),
      blockNumber,
    ),
  )
  const r = new Map<string, unknown>(calls.map((q, i) => [q.key, out[i]]))
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
