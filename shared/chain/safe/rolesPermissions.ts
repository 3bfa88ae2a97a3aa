/**
 * The bot's Zodiac Roles v2 scope, generated from the policy: which contracts, which functions, which parameter
 * values. One function, {@link permissionsFromPolicy}, gives the targets with their conditions, the calls a DAO
 * makes (from its Safe, the modifier's owner) to apply them, and a listing for people to review.
 *
 * What the role allows, per managed delegator (every other contract, function and value is refused on-chain):
 * - only the curator setters of its kind: `setNetworkLimit` (types 0–2), `setOperatorNetworkShares` (type 0,
 *   NetworkRestakeDelegator), `setOperatorNetworkLimit` (type 1, FullRestakeDelegator); CALL only, no ETH;
 * - with any value, only for subnetworks in scope: `policy.services.allow` minus `policy.services.deny`; when the
 *   policy has no allow list, the fallback is the subnetworks the vault has a `maxNetworkLimit` for, passed in
 *   explicitly by the caller ({@link ManagedDelegator.subnetworks}, see {@link delegatorsFromUniverse});
 * - when the policy has an operator allow list, the per-operator setters additionally need an allowed operator
 *   (`operators.allow` minus `operators.deny`);
 * - value 0 on any subnetwork / operator of a managed delegator (de-risk only, `allowZeroAnywhere`, default on): so
 *   the bot can still remove stake from a service or operator that left the scope, which can only lower the vault's
 *   exposure to it. Turn it off for a strict scope; the DAO then removes such stake itself.
 */
import { type Address, type Hex, type PublicClient, encodeAbiParameters, toFunctionSelector } from 'viem'
import type { Policy } from '../../domain/policy.js'
import type { Universe } from '../../domain/types.js'
import type { DelegatorKind } from '../../protocols/symbiotic/position.js'
import type { PlannedCall } from '../../execution/types.js'
import { type ReadSymbioticUniverseParameters, readSymbioticUniverse } from '../../protocols/symbiotic/reader.js'
import { rolesModifierAbi } from './abis.js'
import { EmptyRoleScopeError } from './errors.js'
import { roleKeyLabel } from './execWithRole.js'
import { lowerHex, toAddr } from '../../address.js'

/** Roles v2 `AbiType` (called ParameterType in the SDK). */
export const ParamType = { None: 0, Static: 1, Dynamic: 2, Tuple: 3, Array: 4, Calldata: 5, AbiEncoded: 6 } as const
/** The Roles v2 `Operator` values used here. */
export const ConditionOperator = { Pass: 0, And: 1, Or: 2, Matches: 5, EqualTo: 16 } as const
/** Roles v2 `ExecutionOptions`: None = no ETH value and no delegatecall. */
export const ExecutionOptions = { None: 0, Send: 1, DelegateCall: 2, Both: 3 } as const

/** A Roles v2 condition as a tree (what the SDK calls `Condition`). */
export interface RoleCondition {
  paramType: number
  operator: number
  compValue?: Hex
  children?: RoleCondition[]
}

/** A Roles v2 condition node as stored on-chain (`ConditionFlat`, breadth-first, root first). */
export interface ConditionFlat {
  parent: number
  paramType: number
  operator: number
  compValue: Hex
}

/** A delegator the bot manages, with what the fallback scope needs. */
export interface ManagedDelegator {
  address: Address
  kind: DelegatorKind
  /** The vault the delegator belongs to (matched against `policy.positions`). */
  vault: Address
  /** Subnetworks the vault has a `maxNetworkLimit` > 0 for: the scope when the policy has no `services.allow`. */
  subnetworks: readonly Hex[]
}

/** Options of {@link permissionsFromPolicy}. */
export interface PermissionsFromPolicyOptions {
  /** The role (bytes32) to scope. */
  roleKey: Hex
  /** The Roles modifier the apply calls go to. */
  rolesModifier: Address
  /** Addresses to make members of the role (the bot's signer). */
  members?: readonly Address[]
  /** Allow value 0 outside the scope (de-risk only). Default true. */
  allowZeroAnywhere?: boolean
  /** address / subnetwork id (lower-case) → label, for the listing. */
  labels?: Readonly<Record<string, string>>
  /** Where the fallback subnetworks were read, e.g. `block 1234` (listing only). */
  fallbackSource?: string
}

/** One scoped function of a target. */
export interface ScopedFunction {
  functionName: 'setNetworkLimit' | 'setOperatorNetworkShares' | 'setOperatorNetworkLimit'
  /** Canonical signature, e.g. `setNetworkLimit(bytes32,uint256)`. */
  signature: string
  selector: Hex
  /** Subnetworks allowed with any value (sorted, lower-case). */
  subnetworks: Hex[]
  /** Operators allowed with any value; undefined = any operator (per-operator setters only). */
  operators?: Address[]
  /** Value 0 is allowed for any subnetwork / operator. */
  zeroAnywhere: boolean
  condition: RoleCondition
  conditionsFlat: ConditionFlat[]
}

/** One scoped contract. */
export interface ScopedTarget {
  address: Address
  kind: DelegatorKind
  vault: Address
  functions: ScopedFunction[]
}

/** Everything {@link permissionsFromPolicy} returns. */
export interface RolePermissions {
  roleKey: Hex
  rolesModifier: Address
  members: Address[]
  /** Where the subnetwork scope comes from. */
  subnetworkSource: 'policy.services.allow' | 'maxNetworkLimit'
  targets: ScopedTarget[]
  /** Calls to the Roles modifier, made by its owner (the Safe): scopeTarget, scopeFunction, assignRoles. */
  calls: PlannedCall[]
  /** Plain text for the DAO to review. */
  listing: string
}

const SETTERS = {
  setNetworkLimit: { signature: 'setNetworkLimit(bytes32,uint256)', params: ['subnetwork', 'amount'] },
  setOperatorNetworkShares: { signature: 'setOperatorNetworkShares(bytes32,address,uint256)', params: ['subnetwork', 'operator', 'shares'] },
  setOperatorNetworkLimit: { signature: 'setOperatorNetworkLimit(bytes32,address,uint256)', params: ['subnetwork', 'operator', 'amount'] },
} as const

const FUNCTIONS_OF: Record<DelegatorKind, (keyof typeof SETTERS)[]> = {
  'network-restake': ['setNetworkLimit', 'setOperatorNetworkShares'],
  'full-restake': ['setNetworkLimit', 'setOperatorNetworkLimit'],
  'operator-specific': ['setNetworkLimit'],
  'operator-network-specific': [],
}

const KIND_NAMES: Record<DelegatorKind, string> = {
  'network-restake': 'NetworkRestakeDelegator',
  'full-restake': 'FullRestakeDelegator',
  'operator-specific': 'OperatorSpecificDelegator',
  'operator-network-specific': 'OperatorNetworkSpecificDelegator',
}

const uniqSorted = <T extends Hex>(xs: readonly T[]) => [...new Set(xs.map((x) => lowerHex<T>(x)))].sort()
const word = (v: Hex | bigint) => (typeof v === 'bigint' ? encodeAbiParameters([{ type: 'uint256' }], [v]) : encodeAbiParameters([{ type: 'bytes32' }], [v]))
const addressWord = (a: Address) => encodeAbiParameters([{ type: 'address' }], [a])

const pass = (): RoleCondition => ({ paramType: ParamType.Static, operator: ConditionOperator.Pass })
const oneOf = (words: Hex[]): RoleCondition => {
  const eq = words.map((w): RoleCondition => ({ paramType: ParamType.Static, operator: ConditionOperator.EqualTo, compValue: w }))
  return eq.length === 1 ? eq[0]! : { paramType: ParamType.None, operator: ConditionOperator.Or, children: eq }
}
const matches = (children: RoleCondition[]): RoleCondition => ({ paramType: ParamType.Calldata, operator: ConditionOperator.Matches, children })

/**
 * Flattens a condition tree breadth-first, as `scopeFunction` stores it (root at 0 is its own parent).
 * @returns the `ConditionFlat[]` argument of `scopeFunction`
 */
export function flattenCondition(root: RoleCondition): ConditionFlat[] {
  const out: ConditionFlat[] = []
  const queue: { node: RoleCondition; parent: number }[] = [{ node: root, parent: 0 }]
  while (queue.length > 0) {
    const { node, parent } = queue.shift()!
    const index = out.length
    out.push({ parent, paramType: node.paramType, operator: node.operator, compValue: node.compValue ?? '0x' })
    for (const child of node.children ?? []) queue.push({ node: child, parent: index })
  }
  return out
}

/**
 * The managed delegators of a universe (Symbiotic positions), each with the subnetworks its vault has a
 * `maxNetworkLimit` > 0 for: the fallback scope when the policy has no `services.allow`.
 * @param universe a universe read by readSymbioticUniverse
 */
export function delegatorsFromUniverse(universe: Universe): ManagedDelegator[] {
  return universe.positions.flatMap((p) => {
    const sym = p.symbiotic
    if (p.protocol !== 'symbiotic' || sym === undefined) return []
    return [{ address: toAddr(sym.delegator), kind: sym.delegatorKind, vault: toAddr(p.vault), subnetworks: uniqSorted(p.services.filter((s) => s.maxNetworkLimit > 0n).map((s) => s.service)) }]
  })
}

/**
 * Generates the role's scope from the policy: targets and conditions, the calls that apply them, and a listing.
 * @example const perms = permissionsFromPolicy(policy, delegatorsFromUniverse(universe), { roleKey, rolesModifier, members: [bot] })
 * @param policy the validated policy (positions, services and operators allow/deny)
 * @param delegators the delegators of the vaults the bot may manage (filtered by `policy.positions` when non-empty)
 * @param opts role key, modifier, members, zero-anywhere switch, labels
 * @returns {@link RolePermissions}
 * @throws EmptyRoleScopeError when no delegator is left with a function to allow
 */
export function permissionsFromPolicy(policy: Policy, delegators: readonly ManagedDelegator[], opts: PermissionsFromPolicyOptions): RolePermissions {
  const zeroAnywhere = opts.allowZeroAnywhere ?? true
  const managedVaults = new Set(policy.positions.map((p) => toAddr(p.vault)))
  const serviceDeny = new Set(policy.services.deny.map((s) => lowerHex(s)))
  const operatorDeny = new Set<Address>(policy.operators.deny.map(toAddr))
  const operators = policy.operators.allow ? uniqSorted(policy.operators.allow as Address[]).filter((o) => !operatorDeny.has(o)) : undefined
  const subnetworkSource = policy.services.allow ? ('policy.services.allow' as const) : ('maxNetworkLimit' as const)
  const skipped: string[] = []

  const targets: ScopedTarget[] = []
  const seen = new Set<string>()
  for (const d of delegators) {
    const address = toAddr(d.address)
    if (seen.has(address)) continue
    seen.add(address)
    if (managedVaults.size > 0 && !managedVaults.has(toAddr(d.vault))) {
      skipped.push(`${address}: vault ${d.vault} is not in policy.positions`)
      continue
    }
    const subnetworks = uniqSorted((policy.services.allow as Hex[] | undefined) ?? d.subnetworks).filter((s) => !serviceDeny.has(s))
    const functions: ScopedFunction[] = []
    for (const functionName of FUNCTIONS_OF[d.kind]) {
      const perOperator = functionName !== 'setNetworkLimit'
      const ops = perOperator ? operators : undefined
      const branches: RoleCondition[] = []
      if (subnetworks.length > 0 && (ops === undefined || ops.length > 0)) {
        const sn = oneOf(subnetworks.map((s) => word(s)))
        const op = ops === undefined ? pass() : oneOf(ops.map(addressWord))
        branches.push(matches(perOperator ? [sn, op, pass()] : [sn, pass()]))
      }
      if (zeroAnywhere) {
        const zero: RoleCondition = { paramType: ParamType.Static, operator: ConditionOperator.EqualTo, compValue: word(0n) }
        branches.push(matches(perOperator ? [pass(), pass(), zero] : [pass(), zero]))
      }
      if (branches.length === 0) continue
      const condition = branches.length === 1 ? branches[0]! : { paramType: ParamType.None, operator: ConditionOperator.Or, children: branches }
      const signature = SETTERS[functionName].signature
      functions.push({ functionName, signature, selector: toFunctionSelector(signature), subnetworks, ...(ops ? { operators: ops } : {}), zeroAnywhere, condition, conditionsFlat: flattenCondition(condition) })
    }
    if (functions.length === 0) {
      skipped.push(`${address}: ${KIND_NAMES[d.kind]} has no curator setter in scope`)
      continue
    }
    targets.push({ address, kind: d.kind, vault: toAddr(d.vault), functions })
  }
  if (targets.length === 0) throw new EmptyRoleScopeError({ details: skipped.length ? skipped.join('; ') : 'no delegators were given' })

  const members = uniqSorted(opts.members ?? [])
  const rolesModifier = toAddr(opts.rolesModifier)
  const roleKey = lowerHex(opts.roleKey)
  const calls = applyCalls(rolesModifier, roleKey, targets, members, opts.labels ?? {})
  const listing = renderListing({ ...opts, rolesModifier, roleKey, members, zeroAnywhere, subnetworkSource, targets, calls, skipped, policy })
  return { roleKey, rolesModifier, members, subnetworkSource, targets, calls, listing }
}

function applyCalls(rolesModifier: Address, roleKey: Hex, targets: ScopedTarget[], members: Address[], labels: Readonly<Record<string, string>>): PlannedCall[] {
  const name = (a: string) => labels[a.toLowerCase()] ?? a
  const calls: PlannedCall[] = []
  for (const t of targets) {
    calls.push({ address: rolesModifier, abi: rolesModifierAbi, functionName: 'scopeTarget', args: [roleKey, t.address], description: `scope the role to delegator ${name(t.address)} (only the functions below)` })
    for (const f of t.functions) {
      calls.push({
        address: rolesModifier,
        abi: rolesModifierAbi,
        functionName: 'scopeFunction',
        args: [roleKey, t.address, f.selector, f.conditionsFlat, ExecutionOptions.None],
        description: `allow ${f.functionName} on ${name(t.address)} under ${f.conditionsFlat.length} conditions (no ETH, no delegatecall)`,
      })
    }
  }
  for (const m of members) {
    calls.push({ address: rolesModifier, abi: rolesModifierAbi, functionName: 'assignRoles', args: [m, [roleKey], [true]], description: `make ${name(m)} a member of the role` })
  }
  return calls
}

function renderListing(
  p: PermissionsFromPolicyOptions & { members: Address[]; zeroAnywhere: boolean; subnetworkSource: RolePermissions['subnetworkSource']; targets: ScopedTarget[]; calls: PlannedCall[]; skipped: string[]; policy: Policy },
): string {
  const labels = p.labels ?? {}
  const name = (k: string) => (labels[k.toLowerCase()] ? `${labels[k.toLowerCase()]} (${k})` : k)
  const lines: string[] = []
  lines.push(`Zodiac Roles v2 scope for restake-autopilot`)
  lines.push(`  Roles modifier: ${p.rolesModifier}`)
  lines.push(`  Role key:       ${p.roleKey} ${roleKeyLabel(p.roleKey)}`)
  lines.push(`  Members:        ${p.members.length ? p.members.join(', ') : "(none: assign the bot's signer with assignRoles)"}`)
  lines.push(
    `  Subnetworks:    ${p.subnetworkSource === 'policy.services.allow' ? 'policy.services.allow' : `no services.allow in the policy: the subnetworks each vault has a maxNetworkLimit for${p.fallbackSource ? ` (${p.fallbackSource})` : ''}`}${p.policy.services.deny.length ? `, minus policy.services.deny` : ''}`,
  )
  if (p.policy.operators.allow) lines.push(`  Operators:      policy.operators.allow${p.policy.operators.deny.length ? ', minus policy.operators.deny' : ''}`)
  lines.push(`  Every allowed call: CALL only, value 0 ETH (ExecutionOptions.None), made by the Safe after the modifier checked it.`)
  lines.push('')
  lines.push('ALLOWED')
  for (const t of p.targets) {
    lines.push(`  ${KIND_NAMES[t.kind]} ${name(t.address)} of ${name(t.vault)}`)
    for (const f of t.functions) {
      const params: readonly string[] = SETTERS[f.functionName].params
      const value = params[params.length - 1]
      lines.push(`    ${f.functionName}(${params.join(', ')})  selector ${f.selector}`)
      if (f.subnetworks.length > 0 && (f.operators === undefined || f.operators.length > 0)) {
        lines.push(`      any ${value}, when subnetwork is one of:`)
        for (const s of f.subnetworks) lines.push(`        - ${name(s)}`)
        if (f.operators) {
          lines.push(`        and operator is one of:`)
          for (const o of f.operators) lines.push(`        - ${name(o)}`)
        } else if (params.includes('operator')) {
          lines.push(`        (any operator: only operators opted into the vault and the network ever get stake)`)
        }
      }
      if (f.zeroAnywhere) lines.push(`      ${f.subnetworks.length > 0 ? 'or ' : ''}${value} = 0 for any subnetwork${params.includes('operator') ? ' and operator' : ''} (de-risk only: removes stake)`)
      lines.push(`      conditions as passed to scopeFunction (${f.conditionsFlat.length} nodes, breadth-first):`)
      f.conditionsFlat.forEach((c, i) => lines.push(`        [${i}] ${conditionText(c)}`))
    }
  }
  lines.push('')
  lines.push('REFUSED BY THE ROLES MODIFIER (on-chain, whatever the bot signs)')
  lines.push('  - any other contract: the collateral token, the vault (deposit/withdraw/claim), other delegators, the Safe itself, the modifier')
  lines.push('  - any other function of the delegators above: grantRole/revokeRole, setHook, setMaxNetworkLimit, …')
  lines.push(`  - a non-zero value for a subnetwork${p.policy.operators.allow ? ' or operator' : ''} outside the lists above`)
  lines.push('  - sending ETH, delegatecall, and any call from an address that is not a member of the role')
  if (p.skipped.length) {
    lines.push('')
    lines.push('NOT SCOPED')
    for (const s of p.skipped) lines.push(`  - ${s}`)
  }
  lines.push('')
  lines.push(`APPLY: ${p.calls.length} call(s) to the Roles modifier from its owner (the Safe), e.g. as one MultiSendCallOnly batch:`)
  p.calls.forEach((c, i) => lines.push(`  ${i + 1}. ${c.functionName} — ${c.description}`))
  return `${lines.join('\n')}\n`
}

const OPERATOR_NAMES: Record<number, string> = { 0: 'Pass', 1: 'And', 2: 'Or', 5: 'Matches', 16: 'EqualTo' }
const PARAM_NAMES: Record<number, string> = { 0: 'None', 1: 'Static', 2: 'Dynamic', 3: 'Tuple', 4: 'Array', 5: 'Calldata', 6: 'AbiEncoded' }

function conditionText(c: ConditionFlat): string {
  return `parent ${c.parent} ${OPERATOR_NAMES[c.operator] ?? c.operator} ${PARAM_NAMES[c.paramType] ?? c.paramType}${c.compValue === '0x' ? '' : ` ${c.compValue}`}`
}

/**
 * Reads the managed delegators from the chain (one universe read, see readSymbioticUniverse) for
 * {@link permissionsFromPolicy}: each with its kind, vault and the subnetworks it has a `maxNetworkLimit` for.
 * @returns the delegators and the block they were read at (for the listing's fallback note)
 */
export async function readManagedDelegators(client: PublicClient, p: ReadSymbioticUniverseParameters): Promise<{ delegators: ManagedDelegator[]; blockNumber: bigint }> {
  const universe = await readSymbioticUniverse(client, p)
  return { delegators: delegatorsFromUniverse(universe), blockNumber: universe.blockNumber }
}
