/**
 * Writes every generated ABI module as JSON `as const` (viem infers the types; nothing parses ABIs at run time):
 * - the FULL ABIs for the local world and the tests: local/world/abis/{symbiotic,eigenlayer,safe}.ts;
 * - the bot's TRIMMED views, bundled into the Lambdas: shared/protocols/symbiotic/abis.ts, shared/protocols/eigenlayer/abis.gen.ts, shared/chain/safe/abis.gen.ts — per contract
 *   only the functions and events named in {@link BOT_ITEMS}, plus ALL of its `error` items when the bot sends
 *   transactions to that contract ({@link SENT_TO}: the executor and the Roles wrapper decode custom reverts by name).
 * Sources: Symbiotic from the compiled artifacts of the npm package `@symbioticfi/rewards` (out/*.json); EigenLayer and
 * Safe/Roles from the human-readable signatures in ./abiSignatures.ts, parsed here with viem's parseAbi.
 * Run: `npm run gen:abis` (test/unit/abisGenerated.test.ts fails when a committed file drifts from this script).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parseAbi } from 'viem'
import { EIGENLAYER_SIGNATURES, EIGENLAYER_STRUCTS, SAFE_SIGNATURES } from './abiSignatures.js'

const require = createRequire(import.meta.url)

/** Symbiotic contract names (artifact `out/<Name>.sol/<Name>.json`); each becomes `<name>Abi`. */
export const ABI_SOURCES = [
  'Vault',
  'NetworkRestakeDelegator',
  'FullRestakeDelegator',
  'OperatorSpecificDelegator',
  'Slasher',
  'VetoSlasher',
  'VaultConfigurator',
  'VaultFactory',
  'DelegatorFactory',
  'SlasherFactory',
  'NetworkRegistry',
  'OperatorRegistry',
  'OptInService',
  'NetworkMiddlewareService',
  'DefaultStakerRewards',
  'DefaultStakerRewardsFactory',
] as const

/**
 * The bot's view: per exported ABI, the function and event names that code under shared/ and functions/ uses (every
 * item with that name is kept, so overloads resolve as before). All `error` items are always kept. An ABI missing here
 * is not in the bot's view at all. `npm run typecheck` fails when shared code uses a name dropped here.
 */
export const BOT_ITEMS = {
  symbiotic: {
    /** readUniverse (vault wiring, active stake, stake at reward time), watchEvents (slasher/delegator of our vaults), validateVault (version). */
    vaultAbi: ['activeStake', 'activeStakeAt', 'collateral', 'delegator', 'epochDuration', 'slasher', 'version'],
    /** readUniverse (type, curator roles, limits, shares, stakes, SetMaxNetworkLimit logs), buildCuratorCall (setters), watchEvents. */
    networkRestakeDelegatorAbi: [
      'TYPE',
      'hasRole',
      'maxNetworkLimit',
      'networkLimit',
      'networkLimitAt',
      'operatorNetworkShares',
      'setNetworkLimit',
      'setOperatorNetworkShares',
      'stake',
      'stakeAt',
      'totalOperatorNetworkShares',
      'SetMaxNetworkLimit',
    ],
    /** readUniverse (operator limits of full-restake delegators), buildCuratorCall (setOperatorNetworkLimit). */
    fullRestakeDelegatorAbi: ['operatorNetworkLimit', 'setOperatorNetworkLimit'],
    /** readUniverse and watchEvents: instant-slasher Slash logs; readUniverse: the slasher's type (0 instant, 1 veto). */
    slasherAbi: ['Slash', 'TYPE'],
    /** watchEvents: veto-slasher logs and the slash request they refer to; readUniverse: executed requests and the veto window. */
    vetoSlasherAbi: ['ExecuteSlash', 'RequestSlash', 'VetoSlash', 'slashRequests', 'vetoDuration'],
    /** readUniverse (opt-in state and OptIn logs), watchEvents (OptIn/OptOut logs). */
    optInServiceAbi: ['isOptedIn', 'OptIn', 'OptOut'],
    /** readUniverse: reward distributions. */
    defaultStakerRewardsAbi: ['DistributeRewards'],
  },
  eigenlayer: {
    /** readEigenLayerUniverse (stakers, operators, queued shares, OperatorRegistered), eigenlayerSaga, buildMoveCall (queue/complete/delegate). */
    delegationManagerAbi: [
      'completeQueuedWithdrawal',
      'convertToDepositShares',
      'cumulativeWithdrawalsQueued',
      'delegateTo',
      'delegatedTo',
      'depositScalingFactor',
      'getQueuedWithdrawal',
      'getQueuedWithdrawalRoots',
      'getQueuedWithdrawals',
      'getSlashableSharesInQueue',
      'getWithdrawableShares',
      'isOperator',
      'minWithdrawalDelayBlocks',
      'operatorShares',
      'paused',
      'queueWithdrawals',
      'OperatorRegistered',
      'OperatorSharesSlashed',
      'SlashingWithdrawalCompleted',
      'SlashingWithdrawalQueued',
    ],
    /** buildMoveCall (deposit step), eigenlayerSaga (Deposit logs, paused deposits). */
    strategyManagerAbi: ['depositIntoStrategy', 'paused', 'Deposit'],
    /** readEigenLayerUniverse: allocations, magnitudes, slashability, redistribution, the deallocation delay and the operator-set events. */
    allocationManagerAbi: [
      'DEALLOCATION_DELAY',
      'getAllocation',
      'getMaxMagnitude',
      'getRedistributionRecipient',
      'isOperatorSlashable',
      'isRedistributingOperatorSet',
      'OperatorAddedToOperatorSet',
      'OperatorRemovedFromOperatorSet',
      'OperatorSlashed',
      'StrategyAddedToOperatorSet',
      'StrategyRemovedFromOperatorSet',
    ],
    /** readEigenLayerUniverse: operator splits and every rewards submission type. */
    rewardsCoordinatorAbi: [
      'defaultOperatorSplitBips',
      'getOperatorAVSSplit',
      'getOperatorPISplit',
      'getOperatorSetSplit',
      'AVSRewardsSubmissionCreated',
      'OperatorDirectedAVSRewardsSubmissionCreated',
      'OperatorDirectedOperatorSetRewardsSubmissionCreated',
      'RewardsSubmissionForAllEarnersCreated',
      'TotalStakeRewardsSubmissionCreated',
      'UniqueStakeRewardsSubmissionCreated',
    ],
    /** readEigenLayerUniverse and eigenlayerSaga: token, share price, deposit caps (StrategyBaseTVLLimits), paused deposits/withdrawals. */
    strategyAbi: ['getTVLLimits', 'paused', 'sharesToUnderlyingView', 'underlyingToken'],
  },
  safe: {
    /** execWithRole (execution, revert decoding), rolesPermissions (scope and assign the role). */
    rolesModifierAbi: ['assignRoles', 'execTransactionWithRole', 'scopeFunction', 'scopeTarget'],
    /** safeTransaction: executing a signed Safe transaction. */
    safeAbi: ['execTransaction'],
    /** propose: MultiSendCallOnly batches. */
    multiSendAbi: ['multiSend'],
  },
} as const satisfies Record<'symbiotic' | 'eigenlayer' | 'safe', Record<string, readonly string[]>>

/**
 * ABIs of the contracts the bot sends transactions to (simulated with that ABI, so a revert decodes to its custom
 * error by name): they keep every `error` item. The others are only read, and keep none.
 */
export const SENT_TO: ReadonlySet<string> = new Set(['networkRestakeDelegatorAbi', 'fullRestakeDelegatorAbi', 'delegationManagerAbi', 'strategyManagerAbi', 'rolesModifierAbi', 'safeAbi', 'multiSendAbi'])

type AbiItem = { type: string; name?: string; [k: string]: unknown }
type Abis = { name: string; abi: readonly AbiItem[] }[]

/** Drops `internalType` (viem does not need it) to keep bundles small. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (k !== 'internalType') out[k] = strip(v)
    return out
  }
  return value
}

function symbioticAbis(): Abis {
  return ABI_SOURCES.map((contract) => {
    const artifact = JSON.parse(readFileSync(require.resolve(`@symbioticfi/rewards/out/${contract}.sol/${contract}.json`), 'utf8')) as { abi: AbiItem[] }
    return { name: `${contract.charAt(0).toLowerCase() + contract.slice(1)}Abi`, abi: strip(artifact.abi) as AbiItem[] }
  })
}

function eigenlayerAbis(): Abis {
  return Object.entries(EIGENLAYER_SIGNATURES).map(([name, signatures]) => ({ name, abi: parseAbi([...EIGENLAYER_STRUCTS, ...signatures] as string[]) as readonly AbiItem[] }))
}

function safeAbis(): Abis {
  return Object.entries(SAFE_SIGNATURES).map(([name, signatures]) => ({ name, abi: parseAbi(signatures as unknown as string[]) as readonly AbiItem[] }))
}

/** Keeps, in source order, the items named in `keep` and, for a contract in {@link SENT_TO}, every error; throws on a name the ABI lacks. */
export function trim(name: string, abi: readonly AbiItem[], keep: readonly string[]): AbiItem[] {
  const missing = keep.filter((n) => !abi.some((i) => i.type !== 'error' && i.name === n))
  if (missing.length) throw new Error(`${name} has no function or event named ${missing.join(', ')}`)
  return abi.filter((i) => (i.type === 'error' ? SENT_TO.has(name) : i.name !== undefined && keep.includes(i.name)))
}

function render(header: string, abis: Abis): string {
  return `${[header, '/* eslint-disable */', ...abis.map(({ name, abi }) => `export const ${name} = ${JSON.stringify(abi)} as const`)].join('\n')}\n`
}

function botView(abis: Abis, keep: Record<string, readonly string[]>): Abis {
  const known = new Set(abis.map((a) => a.name))
  const unknown = Object.keys(keep).filter((n) => !known.has(n))
  if (unknown.length) throw new Error(`BOT_ITEMS names unknown ABIs: ${unknown.join(', ')}`)
  return abis.filter((a) => keep[a.name]).map(({ name, abi }) => ({ name, abi: trim(name, abi, keep[name]!) }))
}

const out = (rel: string) => fileURLToPath(new URL(`../../${rel}`, import.meta.url))
const BOT = "the BOT's view (functions/events the Lambdas use + all errors; full ABIs: local/world/abis/)"
const FULL = 'FULL ABIs for the local world and tests (the Lambdas import the trimmed views in shared/protocols/*/ and shared/chain/safe/)'

/** Every generated file: absolute path and content. */
export function renderAll(): { path: string; source: string }[] {
  const symbiotic = symbioticAbis()
  const eigenlayer = eigenlayerAbis()
  const safe = safeAbis()
  const fromSymbiotic = 'from @symbioticfi/rewards/out (Symbiotic core v1)'
  const fromSignatures = 'from local/scripts/abiSignatures.ts'
  const header = (from: string, what: string) => `// GENERATED by local/scripts/genAbis.ts ${from}: ${what}. Do not edit; run \`npm run gen:abis\`.`
  return [
    { path: out('shared/protocols/symbiotic/abis.ts'), source: render(header(fromSymbiotic, BOT), botView(symbiotic, BOT_ITEMS.symbiotic)) },
    { path: out('shared/protocols/eigenlayer/abis.gen.ts'), source: render(header(`${fromSignatures} (EigenLayer v1.x)`, BOT), botView(eigenlayer, BOT_ITEMS.eigenlayer)) },
    { path: out('shared/chain/safe/abis.gen.ts'), source: render(header(`${fromSignatures} (Safe 1.4.1, Zodiac Roles v2)`, BOT), botView(safe, BOT_ITEMS.safe)) },
    { path: out('local/world/abis/symbiotic.ts'), source: render(header(fromSymbiotic, FULL), symbiotic) },
    { path: out('local/world/abis/eigenlayer.ts'), source: render(header(`${fromSignatures} (EigenLayer v1.x)`, FULL), eigenlayer) },
    { path: out('local/world/abis/safe.ts'), source: render(header(`${fromSignatures} (Safe 1.4.1, Zodiac Roles v2)`, FULL), safe) },
  ]
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const { path, source } of renderAll()) {
    writeFileSync(path, source)
    console.log(`wrote ${path}`)
  }
}
