/**
 * DAO mode execution: a planned curator call becomes a call to the Zodiac Roles v2 modifier,
 * `execTransactionWithRole(to, value, data, operation, roleKey, shouldRevert)`, sent by the bot's key. The modifier
 * checks the role's scope on-chain and then makes the Safe (its avatar) execute the inner call.
 */
import { type Address, BaseError, ContractFunctionRevertedError, type Hex, type PublicClient, decodeErrorResult, encodeFunctionData, hexToBytes, stringToHex } from 'viem'
import { SimulationRevertedError } from '../errors.js'
import type { PlannedCall } from '../../execution/types.js'
import { Operation, rolesModifierAbi } from './abis.js'

/**
 * Roles v2 `Status` enum (zodiac-modifier-roles `Types.sol`), index = value: why `ConditionViolation` refused a call.
 * Pinned against `zodiac-roles-sdk`'s `Status` in test/unit/daoAbi.test.ts.
 */
export const ROLES_STATUS = [
  'Ok',
  'DelegateCallNotAllowed',
  'TargetAddressNotAllowed',
  'FunctionNotAllowed',
  'SendNotAllowed',
  'OrViolation',
  'NorViolation',
  'ParameterNotAllowed',
  'ParameterLessThanAllowed',
  'ParameterGreaterThanAllowed',
  'ParameterNotAMatch',
  'NotEveryArrayElementPasses',
  'NoArrayElementPasses',
  'ParameterNotSubsetOfAllowed',
  'BitmaskOverflow',
  'BitmaskNotAllowed',
  'CustomConditionViolation',
  'AllowanceExceeded',
  'CallAllowanceExceeded',
  'EtherAllowanceExceeded',
] as const

/** Name of a Roles v2 status code. */
export type RolesStatus = (typeof ROLES_STATUS)[number]

/** Options of {@link wrapWithRole}. */
export interface WrapWithRoleOptions {
  /** The Roles v2 modifier enabled as a module on the Safe. */
  rolesModifier: Address
  /** The role the bot is a member of (bytes32). */
  roleKey: Hex
  /** Always true: a failing inner call reverts the whole transaction (`ModuleTransactionFailed`), never a silent no-op. */
  shouldRevert: true
}

/** A call wrapped for the Roles modifier; `inner` is the curator call the Safe will make. */
export interface RoleWrappedCall extends PlannedCall {
  inner: PlannedCall
}

/**
 * Wraps a planned call so that the bot sends it through the Roles modifier (CALL, no ETH value).
 * @example const wrapped = wrapWithRole(buildCuratorCall(action), { rolesModifier, roleKey, shouldRevert: true })
 * @param call the curator call the Safe should make
 * @param opts modifier, role key, shouldRevert
 * @returns a PlannedCall to `rolesModifier.execTransactionWithRole(...)` (simulate and send it like any other)
 */
export function wrapWithRole(call: PlannedCall, opts: WrapWithRoleOptions): RoleWrappedCall {
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never)
  return {
    address: opts.rolesModifier,
    abi: rolesModifierAbi,
    functionName: 'execTransactionWithRole',
    args: [call.address, 0n, data, Operation.Call, opts.roleKey, opts.shouldRevert],
    description: `${call.description} [via Roles ${opts.rolesModifier.slice(0, 8)}…, role ${roleKeyLabel(opts.roleKey)}]`,
    // The Safe's call sets the same parameter: the receipt is cross-checked against the inner call's effect.
    ...(call.effect ? { effect: call.effect } : {}),
    inner: call,
  }
}

/**
 * A role key from a short name: the UTF-8 bytes right-padded to 32 (what `zodiac-roles-sdk`'s `encodeKey` gives).
 * @example roleKeyOf('restake-autopilot') // 0x7265737461…00
 */
export function roleKeyOf(name: string): Hex {
  return stringToHex(name, { size: 32 })
}

/** The role key as text when it is a padded short name, else its hex. */
export function roleKeyLabel(roleKey: Hex): string {
  const bytes = hexToBytes(roleKey)
  const end = bytes.indexOf(0) === -1 ? bytes.length : bytes.indexOf(0)
  const text = new TextDecoder().decode(bytes.subarray(0, end))
  const printable = /^[\x20-\x7e]+$/.test(text) && bytes.subarray(end).every((b) => b === 0)
  return printable ? `"${text}"` : roleKey
}

/** A decoded Roles modifier revert. */
export interface RolesRevert {
  /** Error name: `ConditionViolation` (scope), `NotAuthorized` (sender is no member/module), `NoMembership` (member of other roles only), `ModuleTransactionFailed` (the inner call reverted). */
  name: string
  /** For `ConditionViolation`: the status name (e.g. `TargetAddressNotAllowed`). */
  status?: RolesStatus | `Status(${number})`
  /** For `ConditionViolation`: the info word (e.g. the offending target or selector). */
  info?: Hex
  /** `ConditionViolation(Status)`, else `Name(args…)`: one line for logs and assertions. */
  summary: string
}

/**
 * Decodes revert data of the Roles modifier (the raw `0x…` returned by `eth_call` or a trace).
 * @returns the decoded revert, or undefined when the data is not a Roles error
 */
export function decodeRolesRevert(data: Hex): RolesRevert | undefined {
  try {
    const { errorName, args } = decodeErrorResult({ abi: rolesModifierAbi, data })
    if (errorName === 'ConditionViolation') {
      const [code, info] = args as readonly [number, Hex]
      const status = ROLES_STATUS[code] ?? (`Status(${code})` as const)
      return { name: errorName, status, info, summary: `${errorName}(${status})` }
    }
    return { name: errorName, summary: `${errorName}(${(args ?? []).map(String).join(', ')})` }
  } catch {
    return undefined
  }
}

/** Finds Roles revert data in a viem error (simulate / estimate / call) and decodes it. */
export function rolesRevertOf(error: unknown): RolesRevert | undefined {
  if (!(error instanceof BaseError)) return undefined
  let found: RolesRevert | undefined
  error.walk((e) => {
    const data = (e as { data?: unknown }).data
    const raw = typeof data === 'string' ? data : typeof (data as { data?: unknown } | undefined)?.data === 'string' ? (data as { data: string }).data : undefined
    if (raw?.startsWith('0x') && !found) found = decodeRolesRevert(raw as Hex)
    return found !== undefined
  })
  return found
}

/**
 * Simulates the inner curator calls from the Safe's address (what the Safe will execute), so that a failing call is
 * named by the delegator's own error (`AlreadySet()`, `ExceedsMaxNetworkLimit()`, a missing role) instead of the
 * modifier's opaque `ModuleTransactionFailed()`. Sends nothing.
 * @throws SimulationRevertedError naming the first call that reverts
 */
export async function simulateAsSafe(client: PublicClient, safe: Address, calls: readonly PlannedCall[]): Promise<void> {
  for (const [index, call] of calls.entries()) {
    try {
      await client.simulateContract({ address: call.address, abi: call.abi, functionName: call.functionName, args: call.args, account: safe } as never)
    } catch (cause) {
      const revert = cause instanceof BaseError ? cause.walk((e) => e instanceof ContractFunctionRevertedError) : undefined
      const reason =
        revert instanceof ContractFunctionRevertedError ? `${revert.data?.errorName ?? revert.reason ?? 'revert'}(${(revert.data?.args ?? []).map(String).join(', ')})` : cause instanceof BaseError ? cause.shortMessage : String(cause)
      throw new SimulationRevertedError({ reason: `${reason} (as the Safe ${safe})`, actionIndex: index, functionName: call.functionName, address: call.address, cause })
    }
  }
}
