/** Symbiotic delegator role ids (keccak256 of the role names, docs/protocols.md, "Curator calls") and their names for error messages. */
import type { Hex } from 'viem'
import type { CuratorRoles } from './position.js'

export const NETWORK_LIMIT_SET_ROLE = '0x008b9b1e5fa9cf3b14f87f435649268146305ddf689f082e5961a335b07a9abf' as const
export const OPERATOR_NETWORK_SHARES_SET_ROLE = '0x1312a1cf530e56add9be4fd84db9051dcc7635952f09f735f9a29405b5584625' as const
export const OPERATOR_NETWORK_LIMIT_SET_ROLE = '0x15e7c882d74e8821ebf34aaff46fd0e1d53b9393d91490019124113d28dc32a3' as const

/** Role id → role name. */
export const ROLE_NAMES: Record<Hex, string> = {
  [NETWORK_LIMIT_SET_ROLE]: 'NETWORK_LIMIT_SET_ROLE',
  [OPERATOR_NETWORK_SHARES_SET_ROLE]: 'OPERATOR_NETWORK_SHARES_SET_ROLE',
  [OPERATOR_NETWORK_LIMIT_SET_ROLE]: 'OPERATOR_NETWORK_LIMIT_SET_ROLE',
}

/** Symbiotic delegator TYPE → our delegator kind. */
export const DELEGATOR_KINDS = ['network-restake', 'full-restake', 'operator-specific', 'operator-network-specific'] as const

/** Our name for each curator role flag of a position (`Position.roles`), with the role's on-chain name. */
export const CURATOR_ROLE_FLAGS = {
  networkLimitSet: 'NETWORK_LIMIT_SET_ROLE',
  operatorNetworkSharesSet: 'OPERATOR_NETWORK_SHARES_SET_ROLE',
  operatorNetworkLimitSet: 'OPERATOR_NETWORK_LIMIT_SET_ROLE',
} as const satisfies Record<keyof CuratorRoles, string>

/** The curator roles a delegator kind needs for the bot to steer it (operator-network-specific: none, nothing is settable). */
export const REQUIRED_CURATOR_ROLES: Record<(typeof DELEGATOR_KINDS)[number], readonly (keyof CuratorRoles)[]> = {
  'network-restake': ['networkLimitSet', 'operatorNetworkSharesSet'],
  'full-restake': ['networkLimitSet', 'operatorNetworkLimitSet'],
  'operator-specific': ['networkLimitSet'],
  'operator-network-specific': [],
}

/**
 * The role names a curator lacks on a delegator of `kind`, given the roles it holds (what `autopilot init` prints and
 * MissingRoleError lists).
 * @example missingCuratorRoles('network-restake', { networkLimitSet: false, operatorNetworkSharesSet: false, operatorNetworkLimitSet: false }) // both roles
 */
export function missingCuratorRoles(kind: string, roles: CuratorRoles): string[] {
  const need = REQUIRED_CURATOR_ROLES[kind as keyof typeof REQUIRED_CURATOR_ROLES] ?? []
  return need.filter((r) => !roles[r]).map((r) => CURATOR_ROLE_FLAGS[r])
}
