/**
 * The parts of the Safe 1.4.1, MultiSendCallOnly 1.4.1 and Zodiac Roles v2 ABIs that DAO mode uses, written as
 * human-readable signatures (no dependency on the npm artifacts at run time). test/unit/daoAbi.test.ts pins every
 * selector against the official artifacts (`@safe-global/safe-contracts`, `zodiac-roles-sdk` typechain).
 */
import { parseAbi } from 'viem'

/** Zodiac Roles v2 modifier: execution with a role, role administration, and its custom errors. */
export const rolesModifierAbi = parseAbi([
  'function execTransactionWithRole(address to, uint256 value, bytes data, uint8 operation, bytes32 roleKey, bool shouldRevert) returns (bool success)',
  'function scopeTarget(bytes32 roleKey, address targetAddress)',
  'function revokeTarget(bytes32 roleKey, address targetAddress)',
  'function scopeFunction(bytes32 roleKey, address targetAddress, bytes4 selector, (uint8 parent, uint8 paramType, uint8 operator, bytes compValue)[] conditions, uint8 options)',
  'function revokeFunction(bytes32 roleKey, address targetAddress, bytes4 selector)',
  'function assignRoles(address module, bytes32[] roleKeys, bool[] memberOf)',
  'function avatar() view returns (address)',
  'function target() view returns (address)',
  'function owner() view returns (address)',
  'error ConditionViolation(uint8 status, bytes32 info)',
  'error NoMembership()',
  'error NotAuthorized(address sender)',
  'error ModuleTransactionFailed()',
  'error FunctionSignatureTooShort()',
  'error CalldataOutOfBounds()',
  'error MalformedMultiEntrypoint()',
  'error InvalidModule(address module)',
  'error ArraysDifferentLength()',
])

/** Safe 1.4.1: what executing a signed Safe transaction and enabling a module need (it reverts with `GSxxx` strings, not custom errors). */
export const safeAbi = parseAbi([
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool success)',
  'function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)',
  'function nonce() view returns (uint256)',
  'function enableModule(address module)',
  'function isModuleEnabled(address module) view returns (bool)',
  'function getOwners() view returns (address[])',
  'function getThreshold() view returns (uint256)',
  'function setup(address[] _owners, uint256 _threshold, address to, bytes data, address fallbackHandler, address paymentToken, uint256 payment, address paymentReceiver)',
])

/** Safe 1.4.1 MultiSendCallOnly (delegatecalled by the Safe; every packed transaction must be a CALL). */
export const multiSendAbi = parseAbi(['function multiSend(bytes transactions) payable'])

/** Canonical address of MultiSendCallOnly 1.4.1 (same on every chain where the Safe singleton factory deployed it). */
export const MULTI_SEND_CALL_ONLY_141 = '0x9641d764fc13c8B624c04430C7356C1C7C8102e2' as const

/** `Enum.Operation` of the Safe and the Roles modifier. */
export const Operation = { Call: 0, DelegateCall: 1 } as const
