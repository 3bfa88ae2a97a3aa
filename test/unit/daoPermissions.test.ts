/** The Roles scope generated from the policy: targets, conditions, apply calls, listing; cross-checked against zodiac-roles-sdk. */
import { decodeFunctionData, encodeAbiParameters, encodeFunctionData, toFunctionSelector } from 'viem'
import { ExecutionOptions as SdkExecutionOptions, Operator as SdkOperator, ParameterType as SdkParameterType, c, processPermissions } from 'zodiac-roles-sdk'
import { describe, expect, it } from 'vitest'
import { rolesModifierAbi } from '../../shared/chain/safe/abis.js'
import { roleKeyOf } from '../../shared/chain/safe/execWithRole.js'
import { EmptyRoleScopeError } from '../../shared/chain/safe/errors.js'
import { ConditionOperator, ExecutionOptions, type ManagedDelegator, ParamType, type RoleCondition, delegatorsFromUniverse, flattenCondition, permissionsFromPolicy } from '../../shared/chain/safe/rolesPermissions.js'
import { loadPolicyOrThrow } from '../../shared/domain/index.js'
import { addr, svc } from './fixtures.js'
import { makeUniverse } from './universeFactory.js'

const roleKey = roleKeyOf('restake-autopilot')
const rolesModifier = addr(9)
const bot = addr(8)
const nrd: ManagedDelegator = { address: addr(1), kind: 'network-restake', vault: addr(0xa), subnetworks: [svc(3), svc(2)] }
const frd: ManagedDelegator = { address: addr(4), kind: 'full-restake', vault: addr(0xb), subnetworks: [svc(2)] }
const osd: ManagedDelegator = { address: addr(5), kind: 'operator-specific', vault: addr(0xc), subnetworks: [svc(6)] }
const onsd: ManagedDelegator = { address: addr(7), kind: 'operator-network-specific', vault: addr(0xd), subnetworks: [svc(6)] }
const policy = (patch: Record<string, unknown> = {}) => loadPolicyOrThrow({ version: 1, ...patch })
const word = (sn: `0x${string}`) => encodeAbiParameters([{ type: 'bytes32' }], [sn])
const opWord = (a: `0x${string}`) => encodeAbiParameters([{ type: 'address' }], [a])
const ZERO = encodeAbiParameters([{ type: 'uint256' }], [0n])
const eq = (compValue: `0x${string}`): RoleCondition => ({ paramType: ParamType.Static, operator: ConditionOperator.EqualTo, compValue })
const pass: RoleCondition = { paramType: ParamType.Static, operator: ConditionOperator.Pass }

describe('permissionsFromPolicy', () => {
  it('scopes each delegator to the setters of its kind, CALL only without ETH', () => {
    const p = permissionsFromPolicy(policy(), [nrd, frd, osd], { roleKey, rolesModifier })
    expect(p.targets.map((t) => [t.address, t.functions.map((f) => f.functionName)])).toEqual([
      [addr(1), ['setNetworkLimit', 'setOperatorNetworkShares']],
      [addr(4), ['setNetworkLimit', 'setOperatorNetworkLimit']],
      [addr(5), ['setNetworkLimit']],
    ])
    for (const f of p.targets.flatMap((t) => t.functions)) expect(f.selector).toBe(toFunctionSelector(f.signature))
    const scopeFunctions = p.calls.filter((x) => x.functionName === 'scopeFunction')
    expect(scopeFunctions).toHaveLength(5)
    for (const x of scopeFunctions) expect(x.args[4]).toBe(ExecutionOptions.None)
  })

  it('without services.allow, falls back to the subnetworks passed with each delegator (minus services.deny)', () => {
    const p = permissionsFromPolicy(policy({ services: { deny: [svc(3)] } }), [nrd], { roleKey, rolesModifier })
    expect(p.subnetworkSource).toBe('maxNetworkLimit')
    expect(p.targets[0]!.functions[0]!.subnetworks).toEqual([svc(2)])
    // One subnetwork left: EqualTo, no Or.
    expect(p.targets[0]!.functions[0]!.condition).toEqual({
      paramType: ParamType.None,
      operator: ConditionOperator.Or,
      children: [
        { paramType: ParamType.Calldata, operator: ConditionOperator.Matches, children: [eq(word(svc(2))), pass] },
        { paramType: ParamType.Calldata, operator: ConditionOperator.Matches, children: [pass, eq(ZERO)] },
      ],
    })
  })

  it('with services.allow, uses it for every delegator, whatever the fallback lists say', () => {
    const p = permissionsFromPolicy(policy({ services: { allow: [svc(5), svc(4)], deny: [svc(6)] } }), [nrd, frd], { roleKey, rolesModifier })
    expect(p.subnetworkSource).toBe('policy.services.allow')
    for (const f of p.targets.flatMap((t) => t.functions)) expect(f.subnetworks).toEqual([svc(4), svc(5)])
  })

  it('restricts the per-operator setters to operators.allow when the policy has one', () => {
    const p = permissionsFromPolicy(policy({ operators: { allow: [addr(0xf), addr(0xe)], deny: [addr(0xc)] } }), [nrd], { roleKey, rolesModifier, allowZeroAnywhere: false })
    const [limit, shares] = p.targets[0]!.functions
    expect(limit!.operators).toBeUndefined()
    expect(shares!.operators).toEqual([addr(0xe), addr(0xf)])
    expect(shares!.condition).toEqual({
      paramType: ParamType.Calldata,
      operator: ConditionOperator.Matches,
      children: [
        { paramType: ParamType.None, operator: ConditionOperator.Or, children: [eq(word(svc(2))), eq(word(svc(3)))] },
        { paramType: ParamType.None, operator: ConditionOperator.Or, children: [eq(opWord(addr(0xe))), eq(opWord(addr(0xf)))] },
        pass,
      ],
    })
  })

  it('strict mode (no zero anywhere) drops functions left with nothing to allow', () => {
    const everyDenied = policy({ services: { deny: [svc(2), svc(3)] } })
    const p = permissionsFromPolicy(everyDenied, [nrd], { roleKey, rolesModifier })
    expect(p.targets[0]!.functions.map((f) => [f.subnetworks, f.condition.operator])).toEqual([
      [[], ConditionOperator.Matches],
      [[], ConditionOperator.Matches],
    ])
    expect(() => permissionsFromPolicy(everyDenied, [nrd], { roleKey, rolesModifier, allowZeroAnywhere: false })).toThrowError(EmptyRoleScopeError)
  })

  it('manages only the vaults in policy.positions, and refuses to produce an empty role', () => {
    const p = permissionsFromPolicy(policy({ positions: [{ vault: addr(0xb) }] }), [nrd, frd], { roleKey, rolesModifier })
    expect(p.targets.map((t) => t.address)).toEqual([addr(4)])
    expect(p.listing).toContain(`${addr(1)}: vault ${addr(0xa)} is not in policy.positions`)
    const err = (() => {
      try {
        permissionsFromPolicy(policy(), [onsd], { roleKey, rolesModifier })
      } catch (e) {
        return e as EmptyRoleScopeError
      }
    })()
    expect(err).toBeInstanceOf(EmptyRoleScopeError)
    expect(err).toMatchObject({ name: 'EmptyRoleScopeError', details: `${addr(7)}: OperatorNetworkSpecificDelegator has no curator setter in scope` })
  })

  it('encodes the apply calls: scopeTarget, scopeFunction per function (flat, breadth-first), then assignRoles for members', () => {
    const p = permissionsFromPolicy(policy(), [nrd], { roleKey, rolesModifier, members: [bot] })
    expect(p.calls.map((x) => x.functionName)).toEqual(['scopeTarget', 'scopeFunction', 'scopeFunction', 'assignRoles'])
    expect(p.calls.every((x) => x.address === rolesModifier)).toBe(true)
    const data = p.calls.map((x) => decodeFunctionData({ abi: rolesModifierAbi, data: encode(x) }))
    expect(data[0]!.args).toEqual([roleKey, addr(1)])
    expect(data[1]!.args?.slice(0, 3)).toEqual([roleKey, addr(1), toFunctionSelector('setNetworkLimit(bytes32,uint256)')])
    expect(data[1]!.args?.[3]).toEqual(p.targets[0]!.functions[0]!.conditionsFlat)
    expect(data[3]!.args).toEqual([bot, [roleKey], [true]])
  })

  it('flattens breadth-first with parent indices (root is its own parent)', () => {
    const root: RoleCondition = {
      paramType: ParamType.None,
      operator: ConditionOperator.Or,
      children: [
        { paramType: ParamType.Calldata, operator: ConditionOperator.Matches, children: [{ paramType: ParamType.None, operator: ConditionOperator.Or, children: [eq('0x01'), eq('0x02')] }, pass] },
        { paramType: ParamType.Calldata, operator: ConditionOperator.Matches, children: [pass, eq('0x03')] },
      ],
    }
    expect(flattenCondition(root).map((x) => [x.parent, x.operator, x.compValue])).toEqual([
      [0, 2, '0x'],
      [0, 5, '0x'],
      [0, 5, '0x'],
      [1, 2, '0x'],
      [1, 0, '0x'],
      [2, 0, '0x'],
      [2, 16, '0x03'],
      [3, 16, '0x01'],
      [3, 16, '0x02'],
    ])
  })

  it('allows exactly what zodiac-roles-sdk builds from the same permissions (same condition trees up to order)', () => {
    const pol = policy({ operators: { allow: [addr(0xe), addr(0xf)], deny: [] } })
    const ours = permissionsFromPolicy(pol, [nrd, frd, osd], { roleKey, rolesModifier })
    const sn = (xs: readonly `0x${string}`[]) => (xs.length === 1 ? xs[0]! : c.or(...(xs as [`0x${string}`, `0x${string}`])))
    const sdk = processPermissions(
      ours.targets.flatMap((t) =>
        t.functions.map((f) => {
          const perOp = f.functionName !== 'setNetworkLimit'
          const types = perOp ? ['bytes32', 'address', 'uint256'] : ['bytes32', 'uint256']
          const main = perOp ? c.calldataMatches([sn(f.subnetworks), f.operators ? sn(f.operators) : c.pass, c.pass], types) : c.calldataMatches([sn(f.subnetworks), c.pass], types)
          const zero = perOp ? c.calldataMatches([c.pass, c.pass, 0n], types) : c.calldataMatches([c.pass, 0n], types)
          return { targetAddress: t.address, signature: f.signature, condition: c.or(main, zero) }
        }),
      ),
    )
    for (const t of ours.targets) {
      const theirs = sdk.targets.find((x) => x.address === t.address)!
      expect(theirs.executionOptions).toBe(SdkExecutionOptions.None)
      for (const f of t.functions) {
        const tf = theirs.functions.find((x) => x.selector === f.selector)!
        expect(tf.executionOptions).toBe(SdkExecutionOptions.None)
        expect(canonical(f.condition)).toEqual(canonical(tf.condition as RoleCondition))
      }
    }
    // Our enums are the SDK's.
    expect([ParamType.None, ParamType.Static, ParamType.Calldata]).toEqual([SdkParameterType.None, SdkParameterType.Static, SdkParameterType.Calldata])
    expect([ConditionOperator.Pass, ConditionOperator.Or, ConditionOperator.Matches, ConditionOperator.EqualTo]).toEqual([SdkOperator.Pass, SdkOperator.Or, SdkOperator.Matches, SdkOperator.EqualTo])
  })

  it('lists the scope for review', () => {
    const p = permissionsFromPolicy(policy(), [{ ...nrd, subnetworks: [svc(2)] }], { roleKey, rolesModifier, members: [bot], labels: { [svc(2)]: 'net-2/0', [addr(0xa)]: 'vault/main' }, fallbackSource: 'read at block 7' })
    expect(p.listing).toMatchInlineSnapshot(`
      "Zodiac Roles v2 scope for restake-autopilot
        Roles modifier: 0x9999999999999999999999999999999999999999
        Role key:       0x72657374616b652d6175746f70696c6f74000000000000000000000000000000 "restake-autopilot"
        Members:        0x8888888888888888888888888888888888888888
        Subnetworks:    no services.allow in the policy: the subnetworks each vault has a maxNetworkLimit for (read at block 7)
        Every allowed call: CALL only, value 0 ETH (ExecutionOptions.None), made by the Safe after the modifier checked it.

      ALLOWED
        NetworkRestakeDelegator 0x1111111111111111111111111111111111111111 of vault/main (0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)
          setNetworkLimit(subnetwork, amount)  selector 0x02145348
            any amount, when subnetwork is one of:
              - net-2/0 (0x2222222222222222222222222222222222222222000000000000000000000000)
            or amount = 0 for any subnetwork (de-risk only: removes stake)
            conditions as passed to scopeFunction (7 nodes, breadth-first):
              [0] parent 0 Or None
              [1] parent 0 Matches Calldata
              [2] parent 0 Matches Calldata
              [3] parent 1 EqualTo Static 0x2222222222222222222222222222222222222222000000000000000000000000
              [4] parent 1 Pass Static
              [5] parent 2 Pass Static
              [6] parent 2 EqualTo Static 0x0000000000000000000000000000000000000000000000000000000000000000
          setOperatorNetworkShares(subnetwork, operator, shares)  selector 0xa33bc287
            any shares, when subnetwork is one of:
              - net-2/0 (0x2222222222222222222222222222222222222222000000000000000000000000)
              (any operator: only operators opted into the vault and the network ever get stake)
            or shares = 0 for any subnetwork and operator (de-risk only: removes stake)
            conditions as passed to scopeFunction (9 nodes, breadth-first):
              [0] parent 0 Or None
              [1] parent 0 Matches Calldata
              [2] parent 0 Matches Calldata
              [3] parent 1 EqualTo Static 0x2222222222222222222222222222222222222222000000000000000000000000
              [4] parent 1 Pass Static
              [5] parent 1 Pass Static
              [6] parent 2 Pass Static
              [7] parent 2 Pass Static
              [8] parent 2 EqualTo Static 0x0000000000000000000000000000000000000000000000000000000000000000

      REFUSED BY THE ROLES MODIFIER (on-chain, whatever the bot signs)
        - any other contract: the collateral token, the vault (deposit/withdraw/claim), other delegators, the Safe itself, the modifier
        - any other function of the delegators above: grantRole/revokeRole, setHook, setMaxNetworkLimit, …
        - a non-zero value for a subnetwork outside the lists above
        - sending ETH, delegatecall, and any call from an address that is not a member of the role

      APPLY: 4 call(s) to the Roles modifier from its owner (the Safe), e.g. as one MultiSendCallOnly batch:
        1. scopeTarget — scope the role to delegator 0x1111111111111111111111111111111111111111 (only the functions below)
        2. scopeFunction — allow setNetworkLimit on 0x1111111111111111111111111111111111111111 under 7 conditions (no ETH, no delegatecall)
        3. scopeFunction — allow setOperatorNetworkShares on 0x1111111111111111111111111111111111111111 under 9 conditions (no ETH, no delegatecall)
        4. assignRoles — make 0x8888888888888888888888888888888888888888 a member of the role
      "
    `)
  })
})

describe('delegatorsFromUniverse', () => {
  it("keeps each position's subnetworks with a maxNetworkLimit above 0", () => {
    const u = makeUniverse({ seed: 1, services: 4, operators: 6, positions: 2, servicesPerOperator: 2, operatorsPerPosition: 4, servicesPerPosition: 3, kinds: ['network-restake', 'full-restake'] })
    const out = delegatorsFromUniverse(u)
    expect(out).toHaveLength(u.positions.length)
    u.positions.forEach((pos, i) => {
      expect(out[i]).toEqual({
        address: pos.symbiotic?.delegator.toLowerCase(),
        kind: pos.symbiotic?.delegatorKind,
        vault: pos.vault.toLowerCase(),
        subnetworks: pos.services
          .filter((s) => s.maxNetworkLimit > 0n)
          .map((s) => s.service.toLowerCase())
          .sort(),
      })
    })
  })
})

function encode(x: { abi: unknown; functionName: string; args: readonly unknown[] }): `0x${string}` {
  return encodeFunctionData({ abi: x.abi, functionName: x.functionName, args: x.args } as never)
}

/** Order-insensitive form of a condition: Or children sorted, trailing Pass children of Matches dropped. */
function canonical(cond: RoleCondition): unknown {
  const children = (cond.children ?? []).map(canonical)
  if (cond.operator === ConditionOperator.Or) children.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  if (cond.operator === ConditionOperator.Matches) while (children.length && JSON.stringify(children.at(-1)) === JSON.stringify({ p: ParamType.Static, o: ConditionOperator.Pass, v: '0x', c: [] })) children.pop()
  return { p: cond.paramType, o: cond.operator, v: cond.compValue ?? '0x', c: children }
}
