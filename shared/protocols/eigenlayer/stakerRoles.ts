/**
 * The Zodiac Roles v2 scope of an EigenLayer staker Safe (docs/eigenlayer.md, "Staker Safes"): one Safe 1.4.1 per
 * staker with its own Roles modifier (owner = avatar = target = the Safe); the bot's one signer is the role's only
 * member and may make exactly the calls of a move saga, for this strategy and its token:
 * - token `approve(StrategyManager, any)`;
 * - token `transfer(to, any)` with `to` one of the position's other staker Safes (the token flow of a move: A's Safe
 *   withdraws as tokens, hands them to B's Safe, which deposits);
 * - StrategyManager `depositIntoStrategy(strategy, token, any)`;
 * - DelegationManager `queueWithdrawals` with every entry's `strategies == [strategy]`;
 * - DelegationManager `completeQueuedWithdrawal(any withdrawal, [token], true)` (receive as tokens);
 * - DelegationManager `delegateTo(operator, any, any)` for the allowed operators;
 * - DelegationManager `undelegate(the Safe itself)` (de-risk: queues everything out of a bad operator).
 * CALL only, no ETH (ExecutionOptions.None). Every other contract, function or value is refused by the Roles contract.
 * Pure: builds conditions and the calls the Safe's owners apply; sends nothing.
 */
import { type Address, type Hex, encodeAbiParameters, toFunctionSelector } from 'viem'
import type { PlannedCall } from '../../execution/types.js'
import { rolesModifierAbi } from '../../chain/safe/abis.js'
import { roleKeyLabel } from '../../chain/safe/execWithRole.js'
import { ConditionOperator, ExecutionOptions, ParamType, type ConditionFlat, type RoleCondition, flattenCondition } from '../../chain/safe/rolesPermissions.js'
import { toAddr } from '../../address.js'
import { EmptyStakerScopeError } from './errors.js'

/** Safe 1.4.1 `enableModule(address)` (ModuleManager; the Safe calls it on itself). */
const enableModuleAbi = [{ type: 'function', name: 'enableModule', inputs: [{ name: 'module', type: 'address' }], outputs: [], stateMutability: 'nonpayable' }] as const

/** Roles v2 `Operator.ArrayEvery`: every element of an array matches the child condition. */
const ARRAY_EVERY = 7

/** How the bot reaches one staker Safe: its Roles modifier and the role the bot's signer is a member of. */
export interface StakerRoles {
  rolesModifier: Address
  roleKey: Hex
}

/** One staker Safe to scope. */
export interface StakerSafe extends StakerRoles {
  /** The staker: a Safe 1.4.1 with `rolesModifier` enabled as a module. */
  safe: Address
  /** Operators the Safe may `delegateTo` (its pinned operator, or the allowed ones). */
  operators: readonly Address[]
}

/** Parameters of {@link stakerPermissions}. */
export interface StakerPermissionsParameters {
  delegationManager: Address
  strategyManager: Address
  strategy: Address
  /** The strategy's underlying token. */
  token: Address
  staker: StakerSafe
  /** The position's other staker Safes: the only recipients of `transfer`. */
  peers: readonly Address[]
  /** Members to assign (the bot's signer). */
  members?: readonly Address[]
  labels?: Readonly<Record<string, string>>
}

/** One allowed function of a staker's role. */
export interface StakerScopedFunction {
  target: Address
  targetName: 'token' | 'StrategyManager' | 'DelegationManager'
  signature: string
  selector: Hex
  /** What the condition allows, for a person. */
  allows: string
  condition: RoleCondition
  conditionsFlat: ConditionFlat[]
}

/** The scope of one staker Safe, the calls its owners apply, and a listing. */
export interface StakerPermissions {
  safe: Address
  rolesModifier: Address
  roleKey: Hex
  members: Address[]
  functions: StakerScopedFunction[]
  /** Calls to the staker's Roles modifier, made by its owner (the Safe): scopeTarget, scopeFunction, assignRoles. */
  calls: PlannedCall[]
  listing: string
}

const WITHDRAWAL = '(address,address,address,uint256,uint32,address[],uint256[])'
const SIGNATURES = {
  approve: 'approve(address,uint256)',
  transfer: 'transfer(address,uint256)',
  depositIntoStrategy: 'depositIntoStrategy(address,address,uint256)',
  queueWithdrawals: 'queueWithdrawals((address[],uint256[],address)[])',
  completeQueuedWithdrawal: `completeQueuedWithdrawal(${WITHDRAWAL},address[],bool)`,
  delegateTo: 'delegateTo(address,(bytes,uint256),bytes32)',
  undelegate: 'undelegate(address)',
} as const

const node = (paramType: number, operator: number, children?: RoleCondition[], compValue?: Hex): RoleCondition => ({ paramType, operator, ...(compValue ? { compValue } : {}), ...(children ? { children } : {}) })
const pass = () => node(ParamType.Static, ConditionOperator.Pass)
const eqAddress = (a: Address) => node(ParamType.Static, ConditionOperator.EqualTo, undefined, encodeAbiParameters([{ type: 'address' }], [a]))
const oneOfAddress = (as: readonly Address[]) => (as.length === 1 ? eqAddress(as[0]!) : node(ParamType.None, ConditionOperator.Or, as.map(eqAddress)))
/** `address[]` equal to exactly `[a]` (EqualTo compares the ABI encoding of the array, as zodiac-roles-sdk encodes it). */
const eqAddressArray = (a: Address) => node(ParamType.Array, ConditionOperator.EqualTo, [pass()], encodeAbiParameters([{ type: 'address[]' }], [[a]]))
const passArray = () => node(ParamType.Array, ConditionOperator.Pass, [pass()])
const calldata = (children: RoleCondition[]) => node(ParamType.Calldata, ConditionOperator.Matches, children)
const uniq = (as: readonly Address[]) => [...new Set(as.map(toAddr))].sort()

/**
 * Builds the role of one staker Safe: the functions it allows (with their Roles v2 conditions) and the calls that
 * apply it. Cross-checked against zodiac-roles-sdk in test/unit/stakerRoles.test.ts.
 * @example const perms = stakerPermissions({ delegationManager, strategyManager, strategy, token, staker: { safe, rolesModifier, roleKey, operators: [opA] }, peers: [safeB], members: [bot] })
 * @throws EmptyStakerScopeError when the staker may delegate to no operator
 */
export function stakerPermissions(p: StakerPermissionsParameters): StakerPermissions {
  const safe = toAddr(p.staker.safe)
  const [dm, sm, strategy, token] = [toAddr(p.delegationManager), toAddr(p.strategyManager), toAddr(p.strategy), toAddr(p.token)]
  const operators = uniq(p.staker.operators)
  const peers = uniq(p.peers).filter((x) => x !== safe)
  if (operators.length === 0) throw new EmptyStakerScopeError({ safe, details: 'no operator to delegate to: pin one in the config or allow some in the policy' })
  const name = (a: string) => p.labels?.[a.toLowerCase()] ?? a
  const fns: Omit<StakerScopedFunction, 'selector' | 'conditionsFlat'>[] = [
    { target: token, targetName: 'token', signature: SIGNATURES.approve, allows: `spender = StrategyManager ${sm}, any amount`, condition: calldata([eqAddress(sm), pass()]) },
    ...(peers.length
      ? [{ target: token, targetName: 'token' as const, signature: SIGNATURES.transfer, allows: `to one of the position's other staker Safes (${peers.map(name).join(', ')}), any amount`, condition: calldata([oneOfAddress(peers), pass()]) }]
      : []),
    { target: sm, targetName: 'StrategyManager', signature: SIGNATURES.depositIntoStrategy, allows: `strategy = ${name(strategy)}, token = ${name(token)}, any amount`, condition: calldata([eqAddress(strategy), eqAddress(token), pass()]) },
    {
      target: dm,
      targetName: 'DelegationManager',
      signature: SIGNATURES.queueWithdrawals,
      allows: `every entry's strategies = [${name(strategy)}], any shares`,
      condition: calldata([node(ParamType.Array, ARRAY_EVERY, [node(ParamType.Tuple, ConditionOperator.Matches, [eqAddressArray(strategy)])])]),
    },
    {
      target: dm,
      targetName: 'DelegationManager',
      signature: SIGNATURES.completeQueuedWithdrawal,
      allows: `tokens = [${name(token)}], receiveAsTokens = true, any withdrawal of its own`,
      condition: calldata([
        node(ParamType.Tuple, ConditionOperator.Pass, [pass(), pass(), pass(), pass(), pass(), passArray(), passArray()]),
        eqAddressArray(token),
        node(ParamType.Static, ConditionOperator.EqualTo, undefined, encodeAbiParameters([{ type: 'bool' }], [true])),
      ]),
    },
    { target: dm, targetName: 'DelegationManager', signature: SIGNATURES.delegateTo, allows: `operator one of ${operators.map(name).join(', ')}`, condition: calldata([oneOfAddress(operators)]) },
    { target: dm, targetName: 'DelegationManager', signature: SIGNATURES.undelegate, allows: 'staker = the Safe itself', condition: calldata([eqAddress(safe)]) },
  ]
  const functions = fns.map((f) => ({ ...f, selector: toFunctionSelector(f.signature), conditionsFlat: flattenCondition(f.condition) }))
  const members = uniq(p.members ?? [])
  const rolesModifier = toAddr(p.staker.rolesModifier)
  const roleKey = p.staker.roleKey.toLowerCase() as Hex
  const calls: PlannedCall[] = []
  for (const t of uniq(functions.map((f) => f.target))) calls.push({ address: rolesModifier, abi: rolesModifierAbi, functionName: 'scopeTarget', args: [roleKey, t], description: `scope the role to ${name(t)} (only the functions below)` })
  for (const f of functions)
    calls.push({
      address: rolesModifier,
      abi: rolesModifierAbi,
      functionName: 'scopeFunction',
      args: [roleKey, f.target, f.selector, f.conditionsFlat, ExecutionOptions.None],
      description: `allow ${f.signature.split('(')[0]} on ${f.targetName}: ${f.allows}`,
    })
  for (const m of members) calls.push({ address: rolesModifier, abi: rolesModifierAbi, functionName: 'assignRoles', args: [m, [roleKey], [true]], description: `make ${name(m)} a member of the role` })
  const lines = [
    `EigenLayer staker Safe ${name(safe)}${name(safe) === safe ? '' : ` (${safe})`}`,
    `  Roles modifier: ${rolesModifier}   role ${roleKey} ${roleKeyLabel(roleKey)}`,
    `  Members:        ${members.length ? members.join(', ') : "(none: assign the bot's signer with assignRoles)"}`,
    '  ALLOWED (CALL only, value 0 ETH):',
    ...functions.map((f) => `    ${f.targetName} ${f.target}  ${f.signature.split('(')[0]}  ${f.selector}: ${f.allows}`),
    '  REFUSED: any other contract or function, a transfer to anyone but a staker Safe of the position, a deposit into another strategy, ETH, delegatecall',
  ]
  return { safe, rolesModifier, roleKey, members, functions, calls, listing: `${lines.join('\n')}\n` }
}

/**
 * The Safe batch that sets a staker Safe up for the bot, for its owners to sign (e.g. with `proposeBatch` as one
 * MultiSendCallOnly transaction): `enableModule(rolesModifier)` on the Safe, then the role's scope and membership.
 * The bot never sends these: only the Safe (its owners) can.
 * @example const batch = proposeBatch(stakerSetupCalls(perms), { safe: perms.safe, chainId, createdAt: Date.now() })
 */
export function stakerSetupCalls(perms: StakerPermissions): PlannedCall[] {
  return [{ address: perms.safe, abi: enableModuleAbi, functionName: 'enableModule', args: [perms.rolesModifier], description: `enable the Roles modifier ${perms.rolesModifier} as a module of staker Safe ${perms.safe}` }, ...perms.calls]
}
