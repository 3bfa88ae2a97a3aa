/**
 * Deterministic random universes for unit tests, property tests and the planner benchmark.
 * Same seed → same universe (a small xorshift PRNG, no Math.random).
 */
import { type DelegatorKind, symbioticFields } from '../../shared/protocols/symbiotic/position.js'
import type { Address, Allocation, Operator, Position, PositionService, Service, ServiceId, SlashRecord, Universe } from '../../shared/domain/types.js'

/** A small deterministic PRNG (sfc32, seeded through splitmix32; good enough for fixtures). */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  constructor(seed: number) {
    let s = seed >>> 0
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = split()
    this.b = split()
    this.c = split()
    this.d = split()
    for (let i = 0; i < 12; i++) this.u32()
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T
  }
  /** k distinct indices of [0, n), sorted. */
  sample(n: number, k: number): number[] {
    const set = new Set<number>()
    const want = Math.min(n, k)
    while (set.size < want) set.add(Math.floor(this.next() * n))
    return [...set].sort((a, b) => a - b)
  }
  hex(bytes: number): string {
    let s = ''
    while (s.length < 2 * bytes) s += this.u32().toString(16).padStart(8, '0')
    return s.slice(0, 2 * bytes)
  }
}

/** Shape of a generated universe. */
export interface UniverseSpec {
  seed: number
  operators: number
  services: number
  positions: number
  /** Services each operator is opted into (about). */
  servicesPerOperator: number
  /** Operators opted into each vault. */
  operatorsPerPosition: number
  /** Services enabled per vault (default: all). */
  servicesPerPosition?: number
  /** Fraction of eligible pairs that hold stake now (default 0.05). */
  currentDensity?: number
  /** Delegator kinds to draw from (default network-restake only). */
  kinds?: DelegatorKind[]
  /** Probability that a service has a slash in its history (default 0.2). */
  slashRate?: number
  now?: bigint
}

/** Unix time used by fixtures. */
export const FIXTURE_NOW = 1_750_000_000n

const YEAR = 31_536_000n

/** Builds a deterministic universe from a spec. */
export function makeUniverse(spec: UniverseSpec): Universe {
  const rng = new Rng(spec.seed)
  const now = spec.now ?? FIXTURE_NOW
  const services: Service[] = []
  for (let i = 0; i < spec.services; i++) {
    const network = `0x${rng.hex(20)}`
    const identifier = BigInt(rng.int(0, 3))
    const id = `${network}${identifier.toString(16).padStart(24, '0')}` as ServiceId
    services.push({
      id,
      protocol: 'symbiotic',
      network: network as Address,
      identifier,
      label: `svc-${i}`,
      rewardRatePerYear: 0.002 + 0.08 * rng.next(),
      observedSince: now - BigInt(Math.floor(Number(YEAR) * (0.1 + 3 * rng.next()))),
      vetoWindowSeconds: rng.next() < 0.5 ? 0 : 86_400,
      slashes: [],
    })
  }
  services.sort((a, b) => (a.id < b.id ? -1 : 1))
  const operators: Operator[] = []
  for (let i = 0; i < spec.operators; i++) {
    const k = Math.max(1, Math.min(spec.services, spec.servicesPerOperator + rng.int(-2, 2)))
    operators.push({
      address: `0x${rng.hex(20)}` as Address,
      label: `op-${i}`,
      services: rng.sample(spec.services, k).map((s) => (services[s] as Service).id),
      commission: rng.next() < 0.3 ? 0 : 0.15 * rng.next(),
      totalRestakedStake: BigInt(Math.floor(1e6 * rng.next())) * 10n ** 18n,
    })
  }
  operators.sort((a, b) => (a.address < b.address ? -1 : 1))
  // Slash history.
  const slashRate = spec.slashRate ?? 0.2
  for (const s of services) {
    if (rng.next() >= slashRate) continue
    const ops = operators.filter((o) => o.services.includes(s.id))
    if (ops.length === 0) continue
    const o = rng.pick(ops)
    const stakeAt = BigInt(1 + rng.int(1, 1000)) * 10n ** 18n
    const rec: SlashRecord = {
      service: s.id,
      operator: o.address,
      amount: (stakeAt * BigInt(rng.int(1, 50))) / 100n,
      stakeAtCapture: stakeAt,
      captureTimestamp: now - BigInt(rng.int(1000, 5_000_000)),
      timestamp: now - BigInt(rng.int(0, 999)),
      blockNumber: BigInt(rng.int(1, 1_000_000)),
      txHash: `0x${rng.hex(32)}`,
    }
    s.slashes.push(rec)
  }
  const positions: Position[] = []
  const kinds = spec.kinds ?? ['network-restake']
  const density = spec.currentDensity ?? 0.05
  for (let p = 0; p < spec.positions; p++) {
    const vault = `0x${rng.hex(20)}` as Address
    const A = BigInt(rng.int(1, 10_000)) * 10n ** 20n + BigInt(rng.int(0, 1e9))
    const kind = rng.pick(kinds)
    const opIdx = rng.sample(spec.operators, spec.operatorsPerPosition)
    const optedIn = opIdx.map((i) => (operators[i] as Operator).address).sort()
    const svcIdx = rng.sample(spec.services, spec.servicesPerPosition ?? spec.services)
    const posServices: PositionService[] = svcIdx.map((i) => {
      const s = services[i] as Service
      const roll = rng.next()
      const maxNetworkLimit = roll < 0.15 ? (A * BigInt(rng.int(1, 40))) / 100n : roll < 0.2 ? 0n : A * 10n
      return { service: s.id, maxNetworkLimit, networkLimit: 0n, totalOperatorShares: 0n }
    })
    const svcSet = new Set(posServices.map((s) => s.service))
    // Current allocation: a few random eligible pairs with small stakes.
    const allocations: Allocation[] = []
    for (const o of optedIn) {
      const op = operators.find((x) => x.address === o) as Operator
      for (const s of op.services) {
        if (!svcSet.has(s) || rng.next() >= density) continue
        const stake = (A * BigInt(rng.int(1, 800))) / 10_000n
        allocations.push({ service: s, operator: o, shares: kind === 'network-restake' ? stake : 0n, operatorLimit: kind === 'full-restake' ? stake : 0n, stake })
      }
    }
    allocations.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.operator < b.operator ? -1 : 1))
    for (const ps of posServices) {
      const sum = allocations.filter((a) => a.service === ps.service).reduce((x, a) => x + a.stake, 0n)
      ps.networkLimit = sum
      ps.totalOperatorShares = kind === 'network-restake' ? sum : 0n
      if (ps.maxNetworkLimit < sum) ps.maxNetworkLimit = sum
    }
    positions.push({
      id: vault,
      protocol: 'symbiotic',
      label: `vault-${p}`,
      vault,
      ...symbioticFields({ delegator: `0x${rng.hex(20)}` as Address, delegatorKind: kind, roles: { networkLimitSet: true, operatorNetworkSharesSet: true, operatorNetworkLimitSet: true } }),
      collateral: `0x${rng.hex(20)}` as Address,
      activeStake: A,
      epochDurationSeconds: 7 * 86_400,
      operatorsOptedIn: optedIn,
      services: posServices.sort((a, b) => (a.service < b.service ? -1 : 1)),
      allocations,
    })
  }
  positions.sort((a, b) => (a.id < b.id ? -1 : 1))
  return { chainId: 31337, blockNumber: 1234n, timestamp: now, services, operators, positions }
}
