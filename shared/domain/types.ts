/**
 * The domain's vocabulary: the universe the bot reads at one block, and what scoring, planning and
 * diffing produce from it. Plain data only (bigint for token amounts, number for rates and scores).
 */
import type { Address, Hex } from 'viem'

export type { Address, Hex }

/** Which restaking protocol a service or position lives in (an adapter's id: shared/protocols/<name>/). */
export type Protocol = 'symbiotic' | 'eigenlayer' | (string & {})

/**
 * Service id: a Symbiotic subnetwork (`network ++ uint96 identifier`, bytes32) or an EigenLayer
 * operator set key (`avs ++ uint96 operatorSetId`, bytes32). Always lower-case hex.
 */
export type ServiceId = Hex

/** One observed slash of an operator in a service, as read from chain events. */
export interface SlashRecord {
  /** Service (subnetwork / operator set) that slashed. */
  service: ServiceId
  /** Operator slashed. */
  operator: Address
  /** Vault / position that lost stake (lower-case address), if known. */
  position?: string
  /** Amount slashed from that vault, in collateral wei. */
  amount: bigint
  /** Operator's stake in the service at the capture timestamp (0n when unknown). */
  stakeAtCapture: bigint
  /** Capture timestamp (unix seconds) of the slash. */
  captureTimestamp: bigint
  /** Block timestamp (unix seconds) at which the slash executed. */
  timestamp: bigint
  blockNumber: bigint
  txHash: Hex
}

/** A service: an EigenLayer AVS operator set or a Symbiotic (sub)network. */
export interface Service {
  id: ServiceId
  protocol: Protocol
  /** Network / AVS address. */
  network: Address
  /** Subnetwork identifier / operator set id. */
  identifier: bigint
  /** Human label (from scenario metadata or policy), e.g. "oracle-net/0". */
  label: string
  /** Staker reward rate, annualised fraction of allocated stake per year (e.g. 0.045 = 4.5 %/yr), derived from on-chain reward events. */
  rewardRatePerYear: number
  /** Unix seconds from which this service's history has been observed (start of the exposure window). */
  observedSince: bigint
  /** Veto window of the slasher in seconds (0 for an instant slasher). */
  vetoWindowSeconds: number
  /** Slashes observed in this service (all operators). */
  slashes: SlashRecord[]
  /**
   * EigenLayer redistributing operator set: slashed funds go to a recipient the AVS chose instead of being burned, so
   * the AVS gains from a slash (scored as a higher risk; denied by `services.denyRedistributing`). Absent = no.
   */
  redistributing?: boolean
}

/** An operator: who it secures and how much stake it holds overall. */
export interface Operator {
  address: Address
  label: string
  /** Services the operator is opted into (and so may receive stake in). */
  services: ServiceId[]
  /** Commission the operator takes from rewards, fraction 0..1 (0 when the protocol has none on-chain). */
  commission: number
  /** Stake the operator holds across every vault/strategy read (for concentration), collateral wei. */
  totalRestakedStake: bigint
}

/** Per (position, service) facts: the service's limits for this vault. */
export interface PositionService {
  service: ServiceId
  /** Limit the network allows for this vault (`maxNetworkLimit`), collateral wei. */
  maxNetworkLimit: bigint
  /** Limit the curator has set (`networkLimit`), collateral wei. */
  networkLimit: bigint
  /** Σ operator shares in this subnetwork (NetworkRestakeDelegator), 0n otherwise. */
  totalOperatorShares: bigint
}

/** Current allocation of a position to one (service, operator) pair, as on chain. */
export interface Allocation {
  service: ServiceId
  operator: Address
  /** NetworkRestakeDelegator operator shares (0n for other kinds). */
  shares: bigint
  /** FullRestakeDelegator operator network limit (0n for other kinds). */
  operatorLimit: bigint
  /** Effective stake now: `delegator.stake(subnetwork, operator)`, collateral wei. */
  stake: bigint
}

/**
 * The per-protocol part of a position: one optional key per protocol, filled by that protocol's reader. Empty in the
 * domain, which reads none of it: each adapter adds its key by declaration merging (shared/protocols/symbiotic/position.ts
 * adds `symbiotic`: delegator, delegator kind, curator roles), so the domain names no protocol's fields.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the protocol adapters (declaration merging)
export interface PositionProtocolData {}

/** A position we steer: one vault (Symbiotic) or one staker set (EigenLayer); protocol-specific facts sit under the protocol's key. */
export interface Position extends PositionProtocolData {
  /** Stable id: vault address (lower-case) for Symbiotic. */
  id: string
  protocol: Protocol
  label: string
  vault: Address
  /** How the position delegates, in its protocol's words, for people and logs (e.g. `network-restake`, `eigenlayer-staker`). */
  kind: string
  /** Can the curator set this position's allocation at all? False: the protocol fixes it, and the plan leaves it as it is. */
  steerable: boolean
  collateral: Address
  /** Active stake of the vault (what delegation is computed on), collateral wei. EigenLayer: includes `inFlightStake`. */
  activeStake: bigint
  /**
   * Part of `activeStake` that is in flight (EigenLayer: queued withdrawals and moves not yet re-deposited), wei.
   * It earns nothing and cannot be allocated: planning uses `activeStake − inFlightStake` (see `allocatableStake`).
   * Absent = 0 (Symbiotic has no delay between operators).
   */
  inFlightStake?: bigint
  /** Epoch duration (seconds): stake stays slashable for up to one epoch after it is removed. */
  epochDurationSeconds: number
  /** Operators opted into this vault. */
  operatorsOptedIn: Address[]
  services: PositionService[]
  allocations: Allocation[]
}

/** Everything scoring and planning see: the state of the world at one block. */
export interface Universe {
  chainId: number
  blockNumber: bigint
  /** Block timestamp, unix seconds. */
  timestamp: bigint
  services: Service[]
  operators: Operator[]
  positions: Position[]
  /**
   * Stake of other vaults (not ours, not planned) per (service, operator), collateral wei. Read for the security
   * figures only (docs/risk.md): it adds into σ_{N(s)} so that a service's security is not judged from our vaults alone.
   */
  externalStake?: ExternalStake[]
}

/** Stake an operator holds in a service through a vault we only read (see `Universe.externalStake`). */
export interface ExternalStake {
  service: ServiceId
  operator: Address
  /** Collateral wei. */
  stake: bigint
}
