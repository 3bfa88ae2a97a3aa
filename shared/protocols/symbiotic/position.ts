/**
 * Symbiotic's part of a position (`Position.symbiotic`): the vault's delegator, its kind and the curator roles our
 * signer holds on it (docs/protocols.md, "Curator calls"). The domain's `Position` is protocol-neutral; this module
 * adds the `symbiotic` key to it by declaration merging, and the Symbiotic reader fills it.
 */
import type { Address } from 'viem'
import type { Position } from '../../domain/types.js'

/** Delegator type of a Symbiotic vault (TYPE in the DelegatorFactory). */
export type DelegatorKind =
  | 'network-restake' // TYPE 0: network limits + operator shares
  | 'full-restake' // TYPE 1: network limits + operator network limits
  | 'operator-specific' // TYPE 2: network limits only
  | 'operator-network-specific' // TYPE 3: nothing settable

/** Roles our signer holds on the position's delegator. */
export interface CuratorRoles {
  networkLimitSet: boolean
  operatorNetworkSharesSet: boolean
  operatorNetworkLimitSet: boolean
}

/** The Symbiotic facts of a vault position. */
export interface SymbioticPosition {
  delegator: Address
  delegatorKind: DelegatorKind
  roles: CuratorRoles
}

declare module '../../domain/types.js' {
  interface PositionProtocolData {
    /** Set on Symbiotic vault positions (shared/protocols/symbiotic/position.ts). */
    symbiotic?: SymbioticPosition
  }
}

/**
 * Can the curator set anything on a delegator of this kind? (OperatorNetworkSpecificDelegator: nothing is settable.)
 * @example isSteerableKind('operator-network-specific') // false
 */
export function isSteerableKind(kind: DelegatorKind): boolean {
  return kind !== 'operator-network-specific'
}

/**
 * The neutral and Symbiotic fields of a vault position from its delegator: `kind`, `steerable` and `symbiotic`.
 * @example symbioticFields({ delegator, delegatorKind: 'full-restake', roles }) // { kind: 'full-restake', steerable: true, symbiotic: { … } }
 */
export function symbioticFields(s: SymbioticPosition): Pick<Position, 'kind' | 'steerable' | 'symbiotic'> {
  return { kind: s.delegatorKind, steerable: isSteerableKind(s.delegatorKind), symbiotic: s }
}
