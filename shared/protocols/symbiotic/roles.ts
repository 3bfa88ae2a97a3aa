/** Symbiotic delegator role ids (keccak256 of the role names, docs/protocols.md, "Curator calls") and their names for error messages. */
import type { Hex } from 'viem'

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
