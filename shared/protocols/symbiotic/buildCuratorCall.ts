/** Turns a planned curator action into a plain contract call description (no network): `{ address, abi, functionName, args }`. */
import { type Address, encodeFunctionData, numberToHex } from 'viem'
import type { EffectCheck, PlannedCall } from '../../execution/types.js'
import type { Position } from '../../domain/index.js'
import type { Action } from './diff.js'
import type { CuratorRoles } from './position.js'
import { fullRestakeDelegatorAbi, networkRestakeDelegatorAbi } from './abis.js'
import { MissingRoleError } from '../../chain/errors.js'
import { missingCuratorRoles } from './roles.js'

/** Builds the delegator call for one action (setNetworkLimit / setOperatorNetworkShares / setOperatorNetworkLimit), with its effect check. */
export function buildCuratorCall(action: Action, label: (k: string) => string = (k) => k): PlannedCall {
  const sn = action.service
  const who = action.operator ? ` for ${label(action.operator)}` : ''
  const description = `${action.kind}(${label(sn)}${who}): ${action.from} → ${action.to}`
  const effect = curatorCallEffect(action, label)
  switch (action.kind) {
    case 'setNetworkLimit':
      return { address: action.delegator, abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [sn, action.to], description, effect }
    case 'setOperatorNetworkShares':
      return { address: action.delegator, abi: networkRestakeDelegatorAbi, functionName: 'setOperatorNetworkShares', args: [sn, action.operator, action.to], description, effect }
    case 'setOperatorNetworkLimit':
      return { address: action.delegator, abi: fullRestakeDelegatorAbi, functionName: 'setOperatorNetworkLimit', args: [sn, action.operator, action.to], description, effect }
  }
}

/**
 * How the chain shows a curator call applied: the delegator's getter of the parameter it sets answers the new value
 * at once (`networkLimit`, `operatorNetworkShares`, `operatorNetworkLimit`); the executor cross-checks receipts with it.
 */
export function curatorCallEffect(action: Pick<Action, 'kind' | 'delegator' | 'service' | 'operator' | 'to'>, label: (k: string) => string = (k) => k): EffectCheck {
  const sn = action.service
  // Each getter returns one uint256: its ABI encoding is the value as a 32-byte word.
  const expected = numberToHex(action.to, { size: 32 })
  if (action.kind === 'setNetworkLimit') return { to: action.delegator, data: encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'networkLimit', args: [sn] }), expected, description: `networkLimit(${label(sn)})` }
  const op = action.operator as Address
  const getter = action.kind === 'setOperatorNetworkShares' ? 'operatorNetworkShares' : 'operatorNetworkLimit'
  const data =
    getter === 'operatorNetworkShares'
      ? encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [sn, op] })
      : encodeFunctionData({ abi: fullRestakeDelegatorAbi, functionName: 'operatorNetworkLimit', args: [sn, op] })
  return { to: action.delegator, data, expected, description: `${getter}(${label(sn)}, ${label(op)})` }
}

const ROLE_FOR: Record<Action['kind'], { role: string; has: keyof CuratorRoles }> = {
  setNetworkLimit: { role: 'NETWORK_LIMIT_SET_ROLE', has: 'networkLimitSet' },
  setOperatorNetworkShares: { role: 'OPERATOR_NETWORK_SHARES_SET_ROLE', has: 'operatorNetworkSharesSet' },
  setOperatorNetworkLimit: { role: 'OPERATOR_NETWORK_LIMIT_SET_ROLE', has: 'operatorNetworkLimitSet' },
}

/**
 * Throws MissingRoleError at the first planned action whose role our signer (or Safe) lacks, listing every curator role
 * it lacks on that delegator (checked before anything is sent).
 */
export function assertCuratorRoles(actions: readonly Action[], positions: readonly Position[], account: Address): void {
  for (const a of actions) {
    const pos = positions.find((p) => p.symbiotic?.delegator.toLowerCase() === a.delegator.toLowerCase())
    const need = ROLE_FOR[a.kind]
    const sym = pos?.symbiotic
    if (!sym?.roles[need.has]) {
      const missing = sym ? missingCuratorRoles(sym.delegatorKind, sym.roles) : []
      throw new MissingRoleError({ role: need.role, delegator: a.delegator, account, missing: missing.includes(need.role) ? missing : [need.role, ...missing] })
    }
  }
}
