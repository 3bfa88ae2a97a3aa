/** Small hand-built universes for example-based unit tests. */
import { type DelegatorKind, symbioticFields } from '../../shared/protocols/symbiotic/position.js'
import type { Address, Allocation, Operator, Position, PositionService, Service, ServiceId, SlashRecord, Universe } from '../../shared/domain/types.js'

export const NOW = 1_750_000_000n
export const YEAR = 31_536_000n
export const E18 = 10n ** 18n

/** Deterministic address `0x00…0<n>` style: `addr(1)` = 0x1111…11 (40 hex). */
export function addr(n: number): Address {
  return `0x${n.toString(16).repeat(40).slice(0, 40)}` as Address
}

/** Deterministic service id: network `0x<n>…` ++ identifier 0. */
export function svc(n: number): ServiceId {
  return `0x${n.toString(16).repeat(40).slice(0, 40)}${'0'.repeat(24)}` as ServiceId
}

export function service(n: number, p: Partial<Service> = {}): Service {
  return {
    id: svc(n),
    protocol: 'symbiotic',
    network: addr(n),
    identifier: 0n,
    label: `svc-${n}`,
    rewardRatePerYear: 0.05,
    observedSince: NOW - 2n * YEAR,
    vetoWindowSeconds: 0,
    slashes: [],
    ...p,
  }
}

export function operator(n: number, services: number[], p: Partial<Operator> = {}): Operator {
  return { address: addr(n), label: `op-${n}`, services: services.map(svc), commission: 0, totalRestakedStake: 1000n * E18, ...p }
}

export function slash(s: number, o: number, p: Partial<SlashRecord> = {}): SlashRecord {
  return {
    service: svc(s),
    operator: addr(o),
    amount: 10n * E18,
    stakeAtCapture: 100n * E18,
    captureTimestamp: NOW - 1000n,
    timestamp: NOW - 500n,
    blockNumber: 100n,
    txHash: `0x${'ab'.repeat(32)}`,
    ...p,
  }
}

export interface PositionSpec {
  vault: number
  kind?: DelegatorKind
  activeStake?: bigint
  operators: number[]
  services: (number | { n: number; maxNetworkLimit?: bigint; networkLimit?: bigint })[]
  /** [service, operator, stake] */
  allocations?: [number, number, bigint][]
  epochDurationSeconds?: number
}

export function position(p: PositionSpec): Position {
  const kind = p.kind ?? 'network-restake'
  const A = p.activeStake ?? 1000n * E18
  const allocations: Allocation[] = (p.allocations ?? []).map(([s, o, stake]) => ({
    service: svc(s),
    operator: addr(o),
    shares: kind === 'network-restake' ? stake : 0n,
    operatorLimit: kind === 'full-restake' ? stake : 0n,
    stake,
  }))
  const services: PositionService[] = p.services.map((x) => {
    const n = typeof x === 'number' ? x : x.n
    const sum = allocations.filter((a) => a.service === svc(n)).reduce((acc, a) => acc + a.stake, 0n)
    return {
      service: svc(n),
      maxNetworkLimit: typeof x === 'number' || x.maxNetworkLimit === undefined ? 10n * A : x.maxNetworkLimit,
      networkLimit: typeof x === 'number' || x.networkLimit === undefined ? sum : x.networkLimit,
      totalOperatorShares: kind === 'network-restake' ? sum : 0n,
    }
  })
  return {
    id: addr(p.vault),
    protocol: 'symbiotic',
    label: `vault-${p.vault}`,
    vault: addr(p.vault),
    ...symbioticFields({ delegator: addr(p.vault + 100), delegatorKind: kind, roles: { networkLimitSet: true, operatorNetworkSharesSet: true, operatorNetworkLimitSet: true } }),
    collateral: addr(0xc),
    activeStake: A,
    epochDurationSeconds: p.epochDurationSeconds ?? 604_800,
    operatorsOptedIn: p.operators.map(addr),
    services,
    allocations,
  }
}

export function universe(services: Service[], operators: Operator[], positions: Position[]): Universe {
  return { chainId: 31337, blockNumber: 1234n, timestamp: NOW, services, operators, positions }
}

/**
 * Services 1 and 2 (`services`, built by the caller), operators 3, 4 and 5 in both with 100 tokens restaked each, and
 * vault 0xa opted into all of them holding `allocations` ([service, operator, stake]).
 */
export function threeOperatorUniverse(services: [Service, Service], allocations: [number, number, bigint][]): Universe {
  const operators = [3, 4, 5].map((n) => operator(n, [1, 2], { totalRestakedStake: 100n * E18 }))
  return universe(services, operators, [position({ vault: 0xa, operators: [3, 4, 5], services: [1, 2], allocations })])
}
