/**
 * Pins the EigenLayer harness (local/contracts/eigenlayer), the bot's ABI (shared/protocols/eigenlayer/abis.ts) and the local
 * world's full ABI (local/world/abis/eigenlayer.ts, every signature of local/scripts/abiSignatures.ts) to the
 * PUBLISHED v1.x interfaces of Layr-Labs/eigenlayer-contracts tag v1.6.0 (cf22b3906a5e667d2c9baba39133a25211805e26).
 * The signature strings below were copied from src/contracts/interfaces/I*.sol at that tag (struct types expanded,
 * IStrategy/IERC20 → address); selectors and topics are computed from them, never from the harness.
 */
import { type Abi, type AbiEvent, type AbiFunction, type AbiParameter, parseAbiItem, toEventSelector, toFunctionSelector } from 'viem'
import { describe, expect, it } from 'vitest'
import { compileContract } from '../../local/world/compile.js'
import * as fullAbis from '../../local/world/abis/eigenlayer.js'
import * as abis from '../../shared/protocols/eigenlayer/abis.js'

const WITHDRAWAL = '(address staker, address delegatedTo, address withdrawer, uint256 nonce, uint32 startBlock, address[] strategies, uint256[] scaledShares)'
const OPSET = '(address avs, uint32 id)'
const ALLOCATION = '(uint64 currentMagnitude, int128 pendingDiff, uint32 effectBlock)'
const SUBMISSION = '((address strategy, uint96 multiplier)[] strategiesAndMultipliers, address token, uint256 amount, uint32 startTimestamp, uint32 duration)'
const OD_SUBMISSION = '((address strategy, uint96 multiplier)[] strategiesAndMultipliers, address token, (address operator, uint256 amount)[] operatorRewards, uint32 startTimestamp, uint32 duration, string description)'
/** IPausable (every core contract and strategy). */
const PAUSABLE = {
  functions: [
    'function pauserRegistry() view returns (address)',
    'function pause(uint256 newPausedStatus)',
    'function pauseAll()',
    'function unpause(uint256 newPausedStatus)',
    'function paused() view returns (uint256)',
    'function paused(uint8 index) view returns (bool)',
  ],
  events: ['event Paused(address indexed account, uint256 newPausedStatus)', 'event Unpaused(address indexed account, uint256 newPausedStatus)'],
}

/** Published signatures per harness contract (functions and events the bot or the local world uses). */
const PUBLISHED: Record<string, { functions: string[]; events: string[] }> = {
  DelegationManager: {
    functions: [
      'function registerAsOperator(address initDelegationApprover, uint32 allocationDelay, string metadataURI)',
      'function modifyOperatorDetails(address operator, address newDelegationApprover)',
      'function updateOperatorMetadataURI(address operator, string metadataURI)',
      'function delegateTo(address operator, (bytes signature, uint256 expiry) approverSignatureAndExpiry, bytes32 approverSalt)',
      'function undelegate(address staker) returns (bytes32[] withdrawalRoots)',
      'function redelegate(address newOperator, (bytes signature, uint256 expiry) newOperatorApproverSig, bytes32 approverSalt) returns (bytes32[] withdrawalRoots)',
      'function queueWithdrawals((address[] strategies, uint256[] depositShares, address __deprecated_withdrawer)[] params) returns (bytes32[])',
      `function completeQueuedWithdrawal(${WITHDRAWAL} withdrawal, address[] tokens, bool receiveAsTokens)`,
      `function completeQueuedWithdrawals(${WITHDRAWAL}[] withdrawals, address[][] tokens, bool[] receiveAsTokens)`,
      'function increaseDelegatedShares(address staker, address strategy, uint256 prevDepositShares, uint256 addedShares)',
      `function slashOperatorShares(address operator, ${OPSET} operatorSet, uint256 slashId, address strategy, uint64 prevMaxMagnitude, uint64 newMaxMagnitude) returns (uint256 totalDepositSharesToSlash)`,
      'function delegatedTo(address staker) view returns (address)',
      'function delegationApproverSaltIsSpent(address _delegationApprover, bytes32 salt) view returns (bool)',
      'function cumulativeWithdrawalsQueued(address staker) view returns (uint256)',
      'function isDelegated(address staker) view returns (bool)',
      'function isOperator(address operator) view returns (bool)',
      'function delegationApprover(address operator) view returns (address)',
      'function getOperatorShares(address operator, address[] strategies) view returns (uint256[])',
      'function getOperatorsShares(address[] operators, address[] strategies) view returns (uint256[][])',
      'function getSlashableSharesInQueue(address operator, address strategy) view returns (uint256)',
      'function getWithdrawableShares(address staker, address[] strategies) view returns (uint256[] withdrawableShares, uint256[] depositShares)',
      'function getDepositedShares(address staker) view returns (address[], uint256[])',
      'function depositScalingFactor(address staker, address strategy) view returns (uint256)',
      `function queuedWithdrawals(bytes32 withdrawalRoot) view returns (${WITHDRAWAL} withdrawal)`,
      `function getQueuedWithdrawal(bytes32 withdrawalRoot) view returns (${WITHDRAWAL} withdrawal, uint256[] shares)`,
      `function getQueuedWithdrawals(address staker) view returns (${WITHDRAWAL}[] withdrawals, uint256[][] shares)`,
      'function getQueuedWithdrawalRoots(address staker) view returns (bytes32[])',
      'function convertToDepositShares(address staker, address[] strategies, uint256[] withdrawableShares) view returns (uint256[])',
      `function calculateWithdrawalRoot(${WITHDRAWAL} withdrawal) pure returns (bytes32)`,
      'function calculateDelegationApprovalDigestHash(address staker, address operator, address _delegationApprover, bytes32 approverSalt, uint256 expiry) view returns (bytes32)',
      'function beaconChainETHStrategy() view returns (address)',
      'function minWithdrawalDelayBlocks() view returns (uint32)',
      'function DELEGATION_APPROVAL_TYPEHASH() view returns (bytes32)',
      'function domainSeparator() view returns (bytes32)',
      // public mapping on the implementation (DelegationManagerStorage), not in the interface
      'function operatorShares(address operator, address strategy) view returns (uint256)',
      ...PAUSABLE.functions,
    ],
    events: [
      'event OperatorRegistered(address indexed operator, address delegationApprover)',
      'event DelegationApproverUpdated(address indexed operator, address newDelegationApprover)',
      'event OperatorMetadataURIUpdated(address indexed operator, string metadataURI)',
      'event OperatorSharesIncreased(address indexed operator, address staker, address strategy, uint256 shares)',
      'event OperatorSharesDecreased(address indexed operator, address staker, address strategy, uint256 shares)',
      'event StakerDelegated(address indexed staker, address indexed operator)',
      'event StakerUndelegated(address indexed staker, address indexed operator)',
      'event StakerForceUndelegated(address indexed staker, address indexed operator)',
      'event DepositScalingFactorUpdated(address staker, address strategy, uint256 newDepositScalingFactor)',
      `event SlashingWithdrawalQueued(bytes32 withdrawalRoot, ${WITHDRAWAL} withdrawal, uint256[] sharesToWithdraw)`,
      'event SlashingWithdrawalCompleted(bytes32 withdrawalRoot)',
      'event OperatorSharesSlashed(address indexed operator, address strategy, uint256 totalSlashedShares)',
      ...PAUSABLE.events,
    ],
  },
  StrategyManager: {
    functions: [
      'function depositIntoStrategy(address strategy, address token, uint256 amount) returns (uint256 depositShares)',
      'function removeDepositShares(address staker, address strategy, uint256 depositSharesToRemove) returns (uint256)',
      'function addShares(address staker, address strategy, uint256 shares) returns (uint256, uint256)',
      'function withdrawSharesAsTokens(address staker, address strategy, address token, uint256 shares)',
      `function increaseBurnOrRedistributableShares(${OPSET} operatorSet, uint256 slashId, address strategy, uint256 addedSharesToBurn)`,
      `function clearBurnOrRedistributableSharesByStrategy(${OPSET} operatorSet, uint256 slashId, address strategy) returns (uint256)`,
      `function getBurnOrRedistributableShares(${OPSET} operatorSet, uint256 slashId, address strategy) view returns (uint256)`,
      'function setStrategyWhitelister(address newStrategyWhitelister)',
      'function addStrategiesToDepositWhitelist(address[] strategiesToWhitelist)',
      'function removeStrategiesFromDepositWhitelist(address[] strategiesToRemoveFromWhitelist)',
      'function strategyIsWhitelistedForDeposit(address strategy) view returns (bool)',
      'function getDeposits(address staker) view returns (address[], uint256[])',
      'function getStakerStrategyList(address staker) view returns (address[])',
      'function stakerStrategyListLength(address staker) view returns (uint256)',
      'function stakerDepositShares(address user, address strategy) view returns (uint256 shares)',
      'function delegation() view returns (address)',
      'function strategyWhitelister() view returns (address)',
      ...PAUSABLE.functions,
    ],
    events: [
      'event Deposit(address staker, address strategy, uint256 shares)',
      'event StrategyWhitelisterChanged(address previousAddress, address newAddress)',
      'event StrategyAddedToDepositWhitelist(address strategy)',
      'event StrategyRemovedFromDepositWhitelist(address strategy)',
      `event BurnOrRedistributableSharesIncreased(${OPSET} operatorSet, uint256 slashId, address strategy, uint256 shares)`,
      `event BurnOrRedistributableSharesDecreased(${OPSET} operatorSet, uint256 slashId, address strategy, uint256 shares)`,
      ...PAUSABLE.events,
    ],
  },
  AllocationManager: {
    functions: [
      'function slashOperator(address avs, (address operator, uint32 operatorSetId, address[] strategies, uint256[] wadsToSlash, string description) params) returns (uint256 slashId, uint256[] shares)',
      `function modifyAllocations(address operator, (${OPSET} operatorSet, address[] strategies, uint64[] newMagnitudes)[] params)`,
      'function clearDeallocationQueue(address operator, address[] strategies, uint16[] numToClear)',
      'function registerForOperatorSets(address operator, (address avs, uint32[] operatorSetIds, bytes data) params)',
      'function deregisterFromOperatorSets((address operator, address avs, uint32[] operatorSetIds) params)',
      'function setAllocationDelay(address operator, uint32 delay)',
      'function updateAVSMetadataURI(address avs, string metadataURI)',
      'function setAVSRegistrar(address avs, address registrar)',
      'function getAVSRegistrar(address avs) view returns (address)',
      `function createRedistributingOperatorSets(address avs, (uint32 operatorSetId, address[] strategies)[] params, address[] redistributionRecipients)`,
      'function createOperatorSets(address avs, (uint32 operatorSetId, address[] strategies)[] params)',
      'function addStrategiesToOperatorSet(address avs, uint32 operatorSetId, address[] strategies)',
      'function removeStrategiesFromOperatorSet(address avs, uint32 operatorSetId, address[] strategies)',
      'function getOperatorSetCount(address avs) view returns (uint256)',
      `function getAllocatedSets(address operator) view returns (${OPSET}[])`,
      `function getAllocatedStrategies(address operator, ${OPSET} operatorSet) view returns (address[])`,
      `function getAllocation(address operator, ${OPSET} operatorSet, address strategy) view returns (${ALLOCATION})`,
      `function getAllocations(address[] operators, ${OPSET} operatorSet, address strategy) view returns (${ALLOCATION}[])`,
      `function getStrategyAllocations(address operator, address strategy) view returns (${OPSET}[], ${ALLOCATION}[])`,
      'function getEncumberedMagnitude(address operator, address strategy) view returns (uint64)',
      'function getAllocatableMagnitude(address operator, address strategy) view returns (uint64)',
      'function getMaxMagnitude(address operator, address strategy) view returns (uint64)',
      'function getMaxMagnitudes(address operator, address[] strategies) view returns (uint64[])',
      'function getMaxMagnitudes(address[] operators, address strategy) view returns (uint64[])',
      'function getMaxMagnitudesAtBlock(address operator, address[] strategies, uint32 blockNumber) view returns (uint64[])',
      'function getAllocationDelay(address operator) view returns (bool isSet, uint32 delay)',
      `function getRegisteredSets(address operator) view returns (${OPSET}[] operatorSets)`,
      `function isMemberOfOperatorSet(address operator, ${OPSET} operatorSet) view returns (bool)`,
      `function isOperatorSet(${OPSET} operatorSet) view returns (bool)`,
      `function getMembers(${OPSET} operatorSet) view returns (address[] operators)`,
      `function getMemberCount(${OPSET} operatorSet) view returns (uint256)`,
      `function getStrategiesInOperatorSet(${OPSET} operatorSet) view returns (address[] strategies)`,
      `function getMinimumSlashableStake(${OPSET} operatorSet, address[] operators, address[] strategies, uint32 futureBlock) view returns (uint256[][] slashableStake)`,
      `function getAllocatedStake(${OPSET} operatorSet, address[] operators, address[] strategies) view returns (uint256[][] slashableStake)`,
      `function isOperatorSlashable(address operator, ${OPSET} operatorSet) view returns (bool)`,
      `function getRedistributionRecipient(${OPSET} operatorSet) view returns (address)`,
      `function isRedistributingOperatorSet(${OPSET} operatorSet) view returns (bool)`,
      `function getSlashCount(${OPSET} operatorSet) view returns (uint256)`,
      // public immutables of AllocationManagerStorage (declared in the interface from v1.9.0)
      'function DEALLOCATION_DELAY() view returns (uint32)',
      'function ALLOCATION_CONFIGURATION_DELAY() view returns (uint32)',
      'function delegation() view returns (address)',
      ...PAUSABLE.functions,
    ],
    events: [
      'event AllocationDelaySet(address operator, uint32 delay, uint32 effectBlock)',
      'event AVSRegistrarSet(address avs, address registrar)',
      `event RedistributionAddressSet(${OPSET} operatorSet, address redistributionRecipient)`,
      ...PAUSABLE.events,
      `event AllocationUpdated(address operator, ${OPSET} operatorSet, address strategy, uint64 magnitude, uint32 effectBlock)`,
      'event EncumberedMagnitudeUpdated(address operator, address strategy, uint64 encumberedMagnitude)',
      'event MaxMagnitudeUpdated(address operator, address strategy, uint64 maxMagnitude)',
      `event OperatorSlashed(address operator, ${OPSET} operatorSet, address[] strategies, uint256[] wadSlashed, string description)`,
      'event AVSMetadataURIUpdated(address indexed avs, string metadataURI)',
      `event OperatorSetCreated(${OPSET} operatorSet)`,
      `event OperatorAddedToOperatorSet(address indexed operator, ${OPSET} operatorSet)`,
      `event OperatorRemovedFromOperatorSet(address indexed operator, ${OPSET} operatorSet)`,
      `event StrategyAddedToOperatorSet(${OPSET} operatorSet, address strategy)`,
      `event StrategyRemovedFromOperatorSet(${OPSET} operatorSet, address strategy)`,
    ],
  },
  RewardsCoordinator: {
    functions: [
      `function createAVSRewardsSubmission(${SUBMISSION}[] rewardsSubmissions)`,
      `function createRewardsForAllSubmission(${SUBMISSION}[] rewardsSubmissions)`,
      `function createRewardsForAllEarners(${SUBMISSION}[] rewardsSubmissions)`,
      `function createOperatorDirectedAVSRewardsSubmission(address avs, ${OD_SUBMISSION}[] operatorDirectedRewardsSubmissions)`,
      `function createOperatorDirectedOperatorSetRewardsSubmission(${OPSET} operatorSet, ${OD_SUBMISSION}[] operatorDirectedRewardsSubmissions)`,
      // v1.12.0 (the release mainnet's RewardsCoordinator runs)
      `function createUniqueStakeRewardsSubmission(${OPSET} operatorSet, ${SUBMISSION}[] rewardsSubmissions)`,
      `function createTotalStakeRewardsSubmission(${OPSET} operatorSet, ${SUBMISSION}[] rewardsSubmissions)`,
      'function setRewardsForAllSubmitter(address _submitter, bool _newValue)',
      'function isRewardsForAllSubmitter(address submitter) view returns (bool)',
      'function setActivationDelay(uint32 _activationDelay)',
      'function setDefaultOperatorSplit(uint16 split)',
      'function setOperatorAVSSplit(address operator, address avs, uint16 split)',
      'function setOperatorPISplit(address operator, uint16 split)',
      `function setOperatorSetSplit(address operator, ${OPSET} operatorSet, uint16 split)`,
      'function activationDelay() view returns (uint32)',
      'function defaultOperatorSplitBips() view returns (uint16)',
      'function getOperatorAVSSplit(address operator, address avs) view returns (uint16)',
      'function getOperatorPISplit(address operator) view returns (uint16)',
      `function getOperatorSetSplit(address operator, ${OPSET} operatorSet) view returns (uint16)`,
      'function CALCULATION_INTERVAL_SECONDS() view returns (uint32)',
      'function MAX_REWARDS_DURATION() view returns (uint32)',
      'function MAX_RETROACTIVE_LENGTH() view returns (uint32)',
      'function MAX_FUTURE_LENGTH() view returns (uint32)',
      'function GENESIS_REWARDS_TIMESTAMP() view returns (uint32)',
      // public mappings of RewardsCoordinatorStorage
      'function submissionNonce(address avs) view returns (uint256)',
      'function isAVSRewardsSubmissionHash(address avs, bytes32 hash) view returns (bool)',
      ...PAUSABLE.functions,
    ],
    events: [
      `event RewardsSubmissionForAllCreated(address indexed submitter, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, ${SUBMISSION} rewardsSubmission)`,
      `event RewardsSubmissionForAllEarnersCreated(address indexed tokenHopper, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, ${SUBMISSION} rewardsSubmission)`,
      `event OperatorDirectedAVSRewardsSubmissionCreated(address indexed caller, address indexed avs, bytes32 indexed operatorDirectedRewardsSubmissionHash, uint256 submissionNonce, ${OD_SUBMISSION} operatorDirectedRewardsSubmission)`,
      `event OperatorDirectedOperatorSetRewardsSubmissionCreated(address indexed caller, bytes32 indexed operatorDirectedRewardsSubmissionHash, ${OPSET} operatorSet, uint256 submissionNonce, ${OD_SUBMISSION} operatorDirectedRewardsSubmission)`,
      `event UniqueStakeRewardsSubmissionCreated(address indexed caller, bytes32 indexed rewardsSubmissionHash, ${OPSET} operatorSet, uint256 submissionNonce, ${SUBMISSION} rewardsSubmission)`,
      `event TotalStakeRewardsSubmissionCreated(address indexed caller, bytes32 indexed rewardsSubmissionHash, ${OPSET} operatorSet, uint256 submissionNonce, ${SUBMISSION} rewardsSubmission)`,
      'event RewardsForAllSubmitterSet(address indexed rewardsForAllSubmitter, bool indexed oldValue, bool indexed newValue)',
      ...PAUSABLE.events,
      `event AVSRewardsSubmissionCreated(address indexed avs, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, ${SUBMISSION} rewardsSubmission)`,
      'event ActivationDelaySet(uint32 oldActivationDelay, uint32 newActivationDelay)',
      'event DefaultOperatorSplitBipsSet(uint16 oldDefaultOperatorSplitBips, uint16 newDefaultOperatorSplitBips)',
      'event OperatorAVSSplitBipsSet(address indexed caller, address indexed operator, address indexed avs, uint32 activatedAt, uint16 oldOperatorAVSSplitBips, uint16 newOperatorAVSSplitBips)',
      'event OperatorPISplitBipsSet(address indexed caller, address indexed operator, uint32 activatedAt, uint16 oldOperatorPISplitBips, uint16 newOperatorPISplitBips)',
      `event OperatorSetSplitBipsSet(address indexed caller, address indexed operator, ${OPSET} operatorSet, uint32 activatedAt, uint16 oldOperatorSetSplitBips, uint16 newOperatorSetSplitBips)`,
    ],
  },
  StrategyBase: {
    functions: [
      'function deposit(address token, uint256 amount) returns (uint256)',
      'function withdraw(address recipient, address token, uint256 amountShares) returns (uint256)',
      'function sharesToUnderlying(uint256 amountShares) returns (uint256)',
      'function underlyingToShares(uint256 amountUnderlying) returns (uint256)',
      'function userUnderlying(address user) returns (uint256)',
      'function shares(address user) view returns (uint256)',
      'function sharesToUnderlyingView(uint256 amountShares) view returns (uint256)',
      'function underlyingToSharesView(uint256 amountUnderlying) view returns (uint256)',
      'function userUnderlyingView(address user) view returns (uint256)',
      'function underlyingToken() view returns (address)',
      'function totalShares() view returns (uint256)',
      'function explanation() view returns (string)',
      ...PAUSABLE.functions,
    ],
    events: ['event ExchangeRateEmitted(uint256 rate)', 'event StrategyTokenSet(address token, uint8 decimals)', ...PAUSABLE.events],
  },
  // StrategyBaseTVLLimits.sol (mainnet's original LST strategies): StrategyBase + deposit caps.
  StrategyBaseTVLLimits: {
    functions: [
      'function getTVLLimits() view returns (uint256, uint256)',
      'function maxPerDeposit() view returns (uint256)',
      'function maxTotalDeposits() view returns (uint256)',
      'function setTVLLimits(uint256 newMaxPerDeposit, uint256 newMaxTotalDeposits)',
    ],
    events: ['event MaxPerDepositUpdated(uint256 previousValue, uint256 newValue)', 'event MaxTotalDepositsUpdated(uint256 previousValue, uint256 newValue)'],
  },
}
// StrategyBaseTVLLimits is a StrategyBase: it has every StrategyBase item too.
PUBLISHED.StrategyBaseTVLLimits!.functions.push(...PUBLISHED.StrategyBase!.functions)
PUBLISHED.StrategyBaseTVLLimits!.events.push(...PUBLISHED.StrategyBase!.events)

const harness = (name: string): Abi => compileContract(`eigenlayer/${name}.sol`, name).abi
const fnSelectors = (abi: Abi) => new Set(abi.filter((i): i is AbiFunction => i.type === 'function').map((f) => toFunctionSelector(f)))
const events = (abi: Abi) => new Map(abi.filter((i): i is AbiEvent => i.type === 'event').map((e) => [toEventSelector(e), e]))
/** Canonical ABI type of a parameter (tuples expanded), e.g. `(uint64,int128,uint32)[]`. */
const canonical = (p: AbiParameter): string => (p.type.startsWith('tuple') ? `(${((p as { components?: AbiParameter[] }).components ?? []).map(canonical).join(',')})${p.type.slice(5)}` : p.type)

describe('EigenLayer harness ABI = published v1.x (v1.6.0) interfaces', () => {
  // The first test compiles every harness file with solc-js (cached for the rest): minutes on a loaded machine.
  it('knows the published selectors of the staker calls (not the M2 ones)', { timeout: 240_000 }, () => {
    const dm = PUBLISHED.DelegationManager!.functions
    const sel = (name: string) => toFunctionSelector(dm.find((s) => s.startsWith(`function ${name}(`))!)
    expect(sel('completeQueuedWithdrawal')).toBe('0xe4cc3f90')
    expect(sel('completeQueuedWithdrawals')).toBe('0x9435bb43')
    expect(sel('queueWithdrawals')).toBe('0x0dd8dd02')
    expect(toFunctionSelector(PUBLISHED.StrategyManager!.functions[0]!)).toBe('0xe7a050aa')
    // M2 (v0.5.x) signatures must not exist anywhere in the harness.
    const m2 = [
      `function completeQueuedWithdrawal(${WITHDRAWAL.replace('scaledShares', 'shares')} withdrawal, address[] tokens, uint256 middlewareTimesIndex, bool receiveAsTokens)`,
      `function completeQueuedWithdrawals(${WITHDRAWAL}[] withdrawals, address[][] tokens, uint256[] middlewareTimesIndexes, bool[] receiveAsTokens)`,
      'function stakerStrategyShares(address user, address strategy) view returns (uint256)',
      'function delegateToBySignature(address staker, address operator, (bytes signature, uint256 expiry) stakerSignatureAndExpiry, (bytes signature, uint256 expiry) approverSignatureAndExpiry, bytes32 approverSalt)',
    ].map(toFunctionSelector)
    const m2Events = [`event WithdrawalQueued(bytes32 withdrawalRoot, ${WITHDRAWAL} withdrawal)`, 'event WithdrawalCompleted(bytes32 withdrawalRoot)'].map(toEventSelector)
    for (const name of Object.keys(PUBLISHED)) {
      const abi = harness(name)
      for (const s of m2) expect(fnSelectors(abi).has(s)).toBe(false)
      for (const t of m2Events) expect(events(abi).has(t)).toBe(false)
    }
  })

  it.each(Object.keys(PUBLISHED))('%s: every published function selector and return shape exists in the harness', (name) => {
    const abi = harness(name)
    const have = new Map(abi.filter((i): i is AbiFunction => i.type === 'function').map((f) => [toFunctionSelector(f), f]))
    for (const sig of PUBLISHED[name]!.functions) {
      const published = parseAbiItem(sig) as AbiFunction
      const selector = toFunctionSelector(sig)
      const h = have.get(selector)
      expect(h, `${name}: missing ${sig} (${selector})`).toBeDefined()
      // Return types decode the same way (names may differ).
      expect(h!.outputs.map(canonical)).toEqual(published.outputs.map(canonical))
    }
  })

  it.each(Object.keys(PUBLISHED))('%s: every published event topic and indexed layout exists in the harness', (name) => {
    const have = events(harness(name))
    for (const sig of PUBLISHED[name]!.events) {
      const published = parseAbiItem(sig) as AbiEvent
      const topic = toEventSelector(sig)
      const h = have.get(topic)
      expect(h, `${name}: missing ${sig} (${topic})`).toBeDefined()
      expect(h!.inputs.map((i) => Boolean(i.indexed))).toEqual(published.inputs.map((i) => Boolean(i.indexed)))
    }
  })

  it.each([
    ['the bot ABI (shared/protocols/eigenlayer/abis.ts)', abis],
    ['the full local ABI (local/world/abis/eigenlayer.ts)', fullAbis],
  ] as const)('%s is a subset of the published signatures and of the harness', (_label, set) => {
    const pairs: [Abi, string][] = [
      [set.delegationManagerAbi, 'DelegationManager'],
      [set.strategyManagerAbi, 'StrategyManager'],
      [set.allocationManagerAbi, 'AllocationManager'],
      [set.rewardsCoordinatorAbi, 'RewardsCoordinator'],
      [set.strategyAbi, 'StrategyBaseTVLLimits'],
    ]
    for (const [abi, name] of pairs) {
      const publishedFns = new Set(PUBLISHED[name]!.functions.map((s) => toFunctionSelector(s)))
      const publishedEvents = new Set(PUBLISHED[name]!.events.map((s) => toEventSelector(s)))
      const harnessFns = fnSelectors(harness(name))
      const harnessEvents = events(harness(name))
      for (const item of abi) {
        if (item.type === 'function') {
          const s = toFunctionSelector(item)
          expect(publishedFns.has(s), `${name}.${item.name} is not a published signature`).toBe(true)
          expect(harnessFns.has(s), `${name}.${item.name} is missing from the harness`).toBe(true)
        }
        if (item.type === 'event') {
          const t = toEventSelector(item)
          expect(publishedEvents.has(t), `${name} event ${item.name} is not published`).toBe(true)
          expect(harnessEvents.has(t), `${name} event ${item.name} is missing from the harness`).toBe(true)
        }
      }
    }
  })
})
