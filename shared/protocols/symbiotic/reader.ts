/**
 * Reads the Symbiotic universe of our vaults at one block in three HTTP round trips, whatever the number of
 * operators: (1) head block + vault structure, (2) logs (network caps, opt-ins, slashes, rewards) + stake, roles
 * and slasher types, (3) one multicall for every limit, share, stake, opt-in, veto window and historical snapshot.
 * Slash history counts instant-slasher `Slash` events and veto-slasher `ExecuteSlash` events (matched to their
 * `RequestSlash` by index for the pair and capture time; a request older than `fromBlock` is outside the history
 * window like any other event). A vetoed request slashed nothing and is not history.
 */
import { type Address, type Hex, type PublicClient, getAbiItem, hexToBigInt } from 'viem'
import type { Allocation, Operator, Position, PositionService, Service, SlashRecord, Universe } from '../../domain/types.js'
import * as abis from './abis.js'
import { ChainReadError } from '../../chain/errors.js'
import { label as labelOf } from '../../label.js'
import { DELEGATOR_KINDS, NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from './roles.js'
import { lowerHex, toAddr, zeroAddr } from '../../address.js'
import { MulticallBatch, type Slot, runBatch } from '../../chain/multicall.js'

const YEAR = 365 * 86_400
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
  /** address / subnetwork id (lower-case) → label. */
  labels?: Readonly<Record<string, string>>
  /** First block to scan for events (the core's deployment block). */
  fromBlock?: bigint
  /** Window over which reward rates are averaged (seconds, default 90 days). */
  rewardLookbackSeconds?: number
}

export type ReadSymbioticUniverseReturnType = Universe

const networkOf = (sn: Hex) => toAddr(`0x${sn.slice(2, 42)}`)
const identifierOf = (sn: Hex) => hexToBigInt(`0x${sn.slice(42)}`)
const ratio = (num: bigint, den: bigint) => (den === 0n ? 0 : Number((num * 10n ** 12n) / den) / 1e12)

/**
 * Reads vaults, their delegators' limits/shares/stakes, operators and their opt-ins, slashes and reward
 * rates, and maps them into the shared {@link Universe}.
 * @example const universe = await readSymbioticUniverse(client, { operatorVaultOptInService, operatorNetworkOptInService, vaults, curator })
 */
export async function readSymbioticUniverse(client: PublicClient, p: ReadSymbioticUniverseParameters): Promise<ReadSymbioticUniverseReturnType> {
  const labels = p.labels ?? {}
  const label = (k: string, fallback: string) => labelOf(labels, k, fallback)
  const wrap = <T>(what: string, pr: Promise<T>) => pr.catch((cause: unknown) => { throw new ChainReadError({ what, cause }) })

  // Round trip 1: the head block and each vault's structure.
  const structure = new MulticallBatch()
  const structureSlots = p.vaults.map((v) => ({
    delegator: structure.add({ address: v.address, abi: abis.vaultAbi, functionName: 'delegator' }),
    slasher: structure.add({ address: v.address, abi: abis.vaultAbi, functionName: 'slasher' }),
    collateral: structure.add({ address: v.address, abi: abis.vaultAbi, functionName: 'collateral' }),
    epochDuration: structure.add({ address: v.address, abi: abis.vaultAbi, functionName: 'epochDuration' }),
  }))
  const [block, structureOut] = await wrap('vault structure', Promise.all([client.getBlock({ blockTag: 'latest' }), runBatch(client, structure)]))
  const blockNumber = block.number
  const now = block.timestamp
  const vaults = p.vaults.map((v, i) => {
    const s = structureSlots[i]!
    return {
      address: toAddr(v.address),
      stakerRewards: v.stakerRewards.map((r) => toAddr(r)),
      delegator: toAddr(structureOut(s.delegator)),
      slasher: toAddr(structureOut(s.slasher)),
      collateral: toAddr(structureOut(s.collateral)),
      epochDuration: Number(structureOut(s.epochDuration)),
    }
  })
  const delegators = vaults.map((v) => v.delegator)
  const slashers = vaults.map((v) => v.slasher).filter((s) => s !== zeroAddr)
  const rewards = vaults.flatMap((v) => v.stakerRewards)
  const fromBlock = p.fromBlock ?? 0n

  // Round trip 2: logs and per-vault state at the pinned block.
  const perVault = new MulticallBatch()
  const perVaultSlots = vaults.map((v) => ({
    activeStake: perVault.add({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStake' }),
    type: perVault.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'TYPE' }),
    networkLimitSet: perVault.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [NETWORK_LIMIT_SET_ROLE, p.curator] }),
    operatorNetworkSharesSet: perVault.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_SHARES_SET_ROLE, p.curator] }),
    operatorNetworkLimitSet: perVault.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [OPERATOR_NETWORK_LIMIT_SET_ROLE, p.curator] }),
  }))
  const slasherTypes = new MulticallBatch()
  const slasherTypeSlots = vaults.filter((v) => v.slasher !== zeroAddr).map((v) => ({ address: v.slasher, type: slasherTypes.add({ address: v.slasher, abi: abis.slasherAbi, functionName: 'TYPE' }) }))
  const [perVaultOut, capLogs, optInLogs, instantSlashLogs, rewardLogs, slasherTypeOut, requestLogs, executeLogs] = await wrap(
    'vault state and events',
    Promise.all([
      runBatch(client, perVault, { blockNumber }),
      client.getLogs({ address: delegators, event: getAbiItem({ abi: abis.networkRestakeDelegatorAbi, name: 'SetMaxNetworkLimit' }), fromBlock, toBlock: blockNumber }),
      client.getLogs({ address: p.operatorVaultOptInService, event: getAbiItem({ abi: abis.optInServiceAbi, name: 'OptIn' }), args: { where: vaults.map((v) => v.address) }, fromBlock, toBlock: blockNumber }),
      slashers.length ? client.getLogs({ address: slashers, event: getAbiItem({ abi: abis.slasherAbi, name: 'Slash' }), fromBlock, toBlock: blockNumber }) : Promise.resolve([]),
      rewards.length ? client.getLogs({ address: rewards, event: getAbiItem({ abi: abis.defaultStakerRewardsAbi, name: 'DistributeRewards' }), fromBlock, toBlock: blockNumber }) : Promise.resolve([]),
      runBatch(client, slasherTypes, { blockNumber }),
      slashers.length ? client.getLogs({ address: slashers, event: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'RequestSlash' }), fromBlock, toBlock: blockNumber }) : Promise.resolve([]),
      slashers.length ? client.getLogs({ address: slashers, event: getAbiItem({ abi: abis.vetoSlasherAbi, name: 'ExecuteSlash' }), fromBlock, toBlock: blockNumber }) : Promise.resolve([]),
    ]),
  )
  const vetoSlashers = new Set(slasherTypeSlots.filter((s) => Number(slasherTypeOut(s.type)) === VETO_SLASHER_TYPE).map((s) => s.address))
  // One shape for both kinds of slash: an instant Slash, or an executed veto-slasher request.
  const requestOf = (slasher: string, index: bigint) => requestLogs.find((r) => toAddr(r.address) === toAddr(slasher) && r.args.slashIndex === index)
  const slashLogs = [
    ...instantSlashLogs.map((l) => ({ log: l, slasher: l.address, subnetwork: l.args.subnetwork!, operator: l.args.operator!, captureTimestamp: l.args.captureTimestamp!, amount: l.args.slashedAmount! })),
    ...executeLogs.flatMap((l) => {
      const req = requestOf(l.address, l.args.slashIndex!)
      return req ? [{ log: l, slasher: l.address, subnetwork: req.args.subnetwork!, operator: req.args.operator!, captureTimestamp: req.args.captureTimestamp!, amount: l.args.slashedAmount! }] : []
    }),
  ].sort((a, b) => (a.log.blockNumber === b.log.blockNumber ? a.log.logIndex - b.log.logIndex : a.log.blockNumber < b.log.blockNumber ? -1 : 1))
  const vaultState = vaults.map((v, i) => {
    const s = perVaultSlots[i]!
    const type = Number(perVaultOut(s.type))
    return {
      ...v,
      activeStake: perVaultOut(s.activeStake),
      kind: DELEGATOR_KINDS[type] ?? ('operator-network-specific' as const),
      roles: { networkLimitSet: perVaultOut(s.networkLimitSet), operatorNetworkSharesSet: perVaultOut(s.operatorNetworkSharesSet), operatorNetworkLimitSet: perVaultOut(s.operatorNetworkLimitSet) },
      subnetworks: [...new Set(capLogs.filter((l) => toAddr(l.address) === v.delegator).map((l) => lowerHex(l.args.subnetwork!)))].sort(),
      operators: [...new Set(optInLogs.filter((l) => toAddr(l.args.where!) === v.address).map((l) => toAddr(l.args.who!)))].sort(),
    }
  })
  const subnetworks = [...new Set(vaultState.flatMap((v) => v.subnetworks))].sort()
  const networks = [...new Set(subnetworks.map(networkOf))].sort()
  const operators = [...new Set(vaultState.flatMap((v) => v.operators))].sort()

  // Round trip 3: every limit, share, stake and opt-in, and the historical snapshots behind slashes and rewards.
  const state = new MulticallBatch()
  const bigSlots = new Map<string, Slot<bigint>>()
  const optInSlots = new Map<string, Slot<boolean>>()
  const vetoSlots = new Map<Address, Slot<number>>()
  for (const v of vaultState) {
    for (const op of v.operators) optInSlots.set(`optInVault:${v.address}:${op}`, state.add({ address: p.operatorVaultOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, v.address] }))
    for (const sn of v.subnetworks) {
      const d = v.delegator
      bigSlots.set(`max:${d}:${sn}`, state.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'maxNetworkLimit', args: [sn] }))
      if (v.kind === 'network-restake' || v.kind === 'full-restake' || v.kind === 'operator-specific') bigSlots.set(`limit:${d}:${sn}`, state.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn] }))
      if (v.kind === 'network-restake') bigSlots.set(`total:${d}:${sn}`, state.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'totalOperatorNetworkShares', args: [sn] }))
      for (const op of v.operators) {
        if (v.kind === 'network-restake') bigSlots.set(`shares:${d}:${sn}:${op}`, state.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [sn, op] }))
        if (v.kind === 'full-restake') bigSlots.set(`oplimit:${d}:${sn}:${op}`, state.add({ address: d, abi: abis.fullRestakeDelegatorAbi, functionName: 'operatorNetworkLimit', args: [sn, op] }))
        bigSlots.set(`stake:${d}:${sn}:${op}`, state.add({ address: d, abi: abis.networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] }))
      }
    }
  }
  for (const op of operators) for (const net of networks) optInSlots.set(`optInNet:${op}:${net}`, state.add({ address: p.operatorNetworkOptInService, abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [op, net] }))
  const slashVault = (slasher: string) => vaultState.find((v) => v.slasher === toAddr(slasher))!
  slashLogs.forEach((l, i) => {
    const v = slashVault(l.slasher)
    bigSlots.set(`slashStake:${i}`, state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'stakeAt', args: [l.subnetwork, l.operator, l.captureTimestamp, '0x'] }))
  })
  for (const s of vetoSlashers) vetoSlots.set(s, state.add({ address: s, abi: abis.vetoSlasherAbi, functionName: 'vetoDuration' }))
  const rewardVault = (r: string) => vaultState.find((v) => v.stakerRewards.includes(toAddr(r)))!
  const lookback = BigInt(p.rewardLookbackSeconds ?? 90 * 86_400)
  const recentRewards = rewardLogs.filter((l) => BigInt(l.args.timestamp!) >= now - lookback)
  recentRewards.forEach((l, i) => {
    const v = rewardVault(l.address)
    bigSlots.set(`rewardActive:${i}`, state.add({ address: v.address, abi: abis.vaultAbi, functionName: 'activeStakeAt', args: [l.args.timestamp!, '0x'] }))
    for (const sn of v.subnetworks.filter((s) => networkOf(s) === toAddr(l.args.network!)))
      bigSlots.set(`rewardLimit:${i}:${sn}`, state.add({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'networkLimitAt', args: [sn, l.args.timestamp!, '0x'] }))
  })
  const out = await wrap('limits, shares and stakes', runBatch(client, state, { blockNumber }))
  const read = <T>(slot: Slot<T> | undefined) => (slot === undefined ? undefined : out(slot))
  const big = (k: string) => read(bigSlots.get(k)) ?? 0n
  const isOptedIn = (k: string) => read(optInSlots.get(k)) === true

  // Slashes.
  const slashes: SlashRecord[] = slashLogs.map((l, i) => ({
    service: lowerHex(l.subnetwork),
    operator: toAddr(l.operator),
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
    const windows = vaultState.filter((v) => v.subnetworks.includes(sn)).map((v) => (vetoSlashers.has(v.slasher) ? (read(vetoSlots.get(v.slasher)) ?? 0) : 0))
    return windows.length ? Math.min(...windows) : 0
  }

  // Reward rate per network: Σ amount / stake it secured at the snapshot, annualised over the observed window.
  const perUnit = new Map<string, number>()
  const firstSeen = new Map<string, bigint>()
  recentRewards.forEach((l, i) => {
    const net = toAddr(l.args.network!)
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
    const net = toAddr(l.args.network!)
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
    const stamps = recentRewards.filter((l) => toAddr(l.args.network!) === net).map((l) => Number(l.args.timestamp!)).sort((a, b) => a - b)
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
    const optedIn = v.operators.filter((op) => isOptedIn(`optInVault:${v.address}:${op}`))
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
      delegator: v.delegator,
      delegatorKind: v.kind,
      collateral: v.collateral,
      activeStake: v.activeStake,
      epochDurationSeconds: v.epochDuration,
      operatorsOptedIn: optedIn,
      services: posServices,
      allocations,
      roles: v.roles,
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
      services: subnetworks.filter((sn) => isOptedIn(`optInNet:${op}:${networkOf(sn)}`)),
      commission: 0,
      totalRestakedStake: total,
    }
  })

  return { chainId: client.chain?.id ?? 0, blockNumber, timestamp: now, services, operators: operatorList, positions }
}
