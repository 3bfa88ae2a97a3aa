/** The Roles scope of an EigenLayer staker Safe: exactly the saga's calls, cross-checked against zodiac-roles-sdk. */
import { toFunctionSelector } from 'viem'
import { ExecutionOptions as SdkExecutionOptions, c, processPermissions } from 'zodiac-roles-sdk'
import { describe, expect, it } from 'vitest'
import { roleKeyOf } from '../../shared/chain/safe/execWithRole.js'
import { ConditionOperator, ExecutionOptions, ParamType, type RoleCondition } from '../../shared/chain/safe/rolesPermissions.js'
import { EmptyStakerScopeError } from '../../shared/protocols/eigenlayer/errors.js'
import { stakerPermissions, stakerSetupCalls } from '../../shared/protocols/eigenlayer/stakerRoles.js'
import { addr } from './fixtures.js'

const [dm, sm, strategy, token, safe, modifier, peer, opA, opB, bot] = [addr(1), addr(2), addr(3), addr(4), addr(5), addr(6), addr(7), addr(0xa), addr(0xb), addr(8)] as const
const roleKey = roleKeyOf('restake-autopilot')
const perms = (operators = [opA, opB]) => stakerPermissions({ delegationManager: dm, strategyManager: sm, strategy, token, staker: { safe, rolesModifier: modifier, roleKey, operators }, peers: [safe, peer], members: [bot] })
const WITHDRAWAL = 'tuple(address staker,address delegatedTo,address withdrawer,uint256 nonce,uint32 startBlock,address[] strategies,uint256[] scaledShares)'

/** Order-free, trailing-Pass-free form (the SDK omits trailing Pass children and may order Or branches differently). */
function canonical(cond: RoleCondition): unknown {
  const children = (cond.children ?? []).map(canonical)
  if (cond.operator === ConditionOperator.Or) children.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  if (cond.operator === ConditionOperator.Matches) while (children.length && JSON.stringify(children.at(-1)) === JSON.stringify({ p: ParamType.Static, o: ConditionOperator.Pass, v: '0x', c: [] })) children.pop()
  return { p: cond.paramType, o: cond.operator, v: cond.compValue ?? '0x', c: children }
}

describe('stakerPermissions', () => {
  it('allows exactly the saga calls on the token, the StrategyManager and the DelegationManager, CALL only without ETH', () => {
    const p = perms()
    expect(p.functions.map((f) => `${f.targetName}.${f.signature.split('(')[0]}`)).toEqual([
      'token.approve',
      'token.transfer',
      'StrategyManager.depositIntoStrategy',
      'DelegationManager.queueWithdrawals',
      'DelegationManager.completeQueuedWithdrawal',
      'DelegationManager.delegateTo',
      'DelegationManager.undelegate',
    ])
    // The v1.x selectors the saga sends (completeQueuedWithdrawal 0xe4cc3f90, queueWithdrawals 0x0dd8dd02).
    expect(p.functions.find((f) => f.signature.startsWith('completeQueuedWithdrawal'))!.selector).toBe('0xe4cc3f90')
    expect(p.functions.find((f) => f.signature.startsWith('queueWithdrawals'))!.selector).toBe('0x0dd8dd02')
    expect(p.calls.map((x) => x.functionName)).toEqual(['scopeTarget', 'scopeTarget', 'scopeTarget', ...Array(7).fill('scopeFunction'), 'assignRoles'])
    for (const x of p.calls.filter((x) => x.functionName === 'scopeFunction')) expect(x.args[4]).toBe(ExecutionOptions.None)
    expect(stakerSetupCalls(p)[0]).toMatchObject({ address: safe, functionName: 'enableModule', args: [modifier] })
    expect(p.listing).toContain('REFUSED')
  })

  it('builds the same condition trees as zodiac-roles-sdk', () => {
    const p = perms()
    const sdk = processPermissions([
      { targetAddress: token, signature: 'approve(address,uint256)', condition: c.calldataMatches([sm], ['address', 'uint256']) },
      { targetAddress: token, signature: 'transfer(address,uint256)', condition: c.calldataMatches([peer], ['address', 'uint256']) },
      { targetAddress: sm, signature: 'depositIntoStrategy(address,address,uint256)', condition: c.calldataMatches([strategy, token], ['address', 'address', 'uint256']) },
      { targetAddress: dm, signature: 'queueWithdrawals((address[],uint256[],address)[])', condition: c.calldataMatches([c.every(c.matches([[strategy]]))], ['tuple(address[] strategies,uint256[] depositShares,address w)[]']) },
      { targetAddress: dm, signature: `completeQueuedWithdrawal(${WITHDRAWAL.slice(5)},address[],bool)`, condition: c.calldataMatches([c.pass, [token], true], [WITHDRAWAL, 'address[]', 'bool']) },
      { targetAddress: dm, signature: 'delegateTo(address,(bytes,uint256),bytes32)', condition: c.calldataMatches([c.or(opA, opB)], ['address', 'tuple(bytes,uint256)', 'bytes32']) },
      { targetAddress: dm, signature: 'undelegate(address)', condition: c.calldataMatches([safe], ['address']) },
    ] as never)
    for (const f of p.functions) {
      const target = sdk.targets.find((t) => t.address === f.target)!
      const theirs = target.functions.find((x) => x.selector === f.selector)
      expect(theirs, f.signature).toBeDefined()
      expect(theirs!.executionOptions).toBe(SdkExecutionOptions.None)
      expect(canonical(f.condition), f.signature).toEqual(canonical(theirs!.condition as RoleCondition))
      expect(f.selector).toBe(toFunctionSelector(f.signature))
    }
  })

  it('a pinned staker may delegate only to its operator; no operator at all is refused', () => {
    const pinned = perms([opB]).functions.find((f) => f.signature.startsWith('delegateTo'))!
    expect(pinned.condition.children).toHaveLength(1)
    expect(pinned.condition.children![0]!.operator).toBe(ConditionOperator.EqualTo)
    expect(() => perms([])).toThrowError(EmptyStakerScopeError)
  })
})
