// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

interface IOperatorSetRegistry {
    function isOperatorSet(OperatorSet memory operatorSet) external view returns (bool);
}

/// @title RewardsCoordinator (harness, subset)
/// @notice Every rewards submission type and the operator splits, with the published v1.x (v1.6.0) signatures,
///         structs, validation rules, pause flags and events: AVS submissions, rewards-for-all and rewards-for-all-
///         earners (allowlisted submitters), operator-directed submissions per AVS and per operator set (strictly
///         retroactive, operators ascending, amounts > 0), and v1.12.0's unique-stake / total-stake submissions to one
///         operator set. Rewards are computed off-chain upstream (Sidecar + merkle
///         roots); the harness only takes the tokens and emits the events: no roots, no claims, no protocol fee
///         (v1.12.0's opt-in fee lowers the amounts before the event, so the events still carry what is paid).
contract RewardsCoordinator is IRewardsCoordinatorTypes, Pausable {
    uint8 internal constant PAUSED_AVS_REWARDS_SUBMISSION = 0;
    uint8 internal constant PAUSED_REWARDS_FOR_ALL_SUBMISSION = 1;
    uint8 internal constant PAUSED_REWARD_ALL_STAKERS_AND_OPERATORS = 4;
    uint8 internal constant PAUSED_OPERATOR_DIRECTED_AVS_REWARDS_SUBMISSION = 5;
    uint8 internal constant PAUSED_OPERATOR_AVS_SPLIT = 6;
    uint8 internal constant PAUSED_OPERATOR_PI_SPLIT = 7;
    uint8 internal constant PAUSED_OPERATOR_SET_SPLIT = 8;
    uint8 internal constant PAUSED_OPERATOR_DIRECTED_OPERATOR_SET_REWARDS_SUBMISSION = 9;
    uint8 internal constant PAUSED_UNIQUE_STAKE_REWARDS_SUBMISSION = 10;
    uint8 internal constant PAUSED_TOTAL_STAKE_REWARDS_SUBMISSION = 11;

    struct OperatorSplit {
        uint16 oldSplitBips;
        uint16 newSplitBips;
        uint32 activatedAt;
    }

    uint16 internal constant ONE_HUNDRED_IN_BIPS = 10_000;
    uint256 internal constant MAX_REWARDS_AMOUNT = 1e38 - 1;
    IStrategy internal constant BEACON_CHAIN_ETH_STRATEGY = IStrategy(0xbeaC0eeEeeeeEEeEeEEEEeeEEeEeeeEeeEEBEaC0);

    address public immutable delegationManager;
    address public immutable strategyManager;
    address public immutable allocationManager;
    uint32 public immutable CALCULATION_INTERVAL_SECONDS;
    uint32 public immutable MAX_REWARDS_DURATION;
    uint32 public immutable MAX_RETROACTIVE_LENGTH;
    uint32 public immutable MAX_FUTURE_LENGTH;
    uint32 public immutable GENESIS_REWARDS_TIMESTAMP;

    address public owner;
    uint32 public activationDelay;
    uint16 public defaultOperatorSplitBips;
    mapping(address => uint256) public submissionNonce;
    mapping(address => mapping(bytes32 => bool)) public isAVSRewardsSubmissionHash;
    mapping(address => mapping(bytes32 => bool)) public isRewardsSubmissionForAllHash;
    mapping(address => mapping(bytes32 => bool)) public isRewardsSubmissionForAllEarnersHash;
    mapping(address => mapping(bytes32 => bool)) public isOperatorDirectedAVSRewardsSubmissionHash;
    mapping(address => mapping(bytes32 => bool)) public isOperatorDirectedOperatorSetRewardsSubmissionHash;
    mapping(address => mapping(bytes32 => bool)) public isUniqueStakeRewardsSubmissionHash;
    mapping(address => mapping(bytes32 => bool)) public isTotalStakeRewardsSubmissionHash;
    mapping(address => bool) public isRewardsForAllSubmitter;
    mapping(address => mapping(address => OperatorSplit)) internal _operatorAVSSplitBips;
    mapping(address => OperatorSplit) internal _operatorPISplitBips;
    mapping(address => mapping(bytes32 => OperatorSplit)) internal _operatorSetSplitBips;

    event AVSRewardsSubmissionCreated(address indexed avs, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, RewardsSubmission rewardsSubmission);
    event RewardsSubmissionForAllCreated(address indexed submitter, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, RewardsSubmission rewardsSubmission);
    event RewardsSubmissionForAllEarnersCreated(address indexed tokenHopper, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, RewardsSubmission rewardsSubmission);
    event OperatorDirectedAVSRewardsSubmissionCreated(
        address indexed caller, address indexed avs, bytes32 indexed operatorDirectedRewardsSubmissionHash, uint256 submissionNonce, OperatorDirectedRewardsSubmission operatorDirectedRewardsSubmission
    );
    event OperatorDirectedOperatorSetRewardsSubmissionCreated(
        address indexed caller, bytes32 indexed operatorDirectedRewardsSubmissionHash, OperatorSet operatorSet, uint256 submissionNonce, OperatorDirectedRewardsSubmission operatorDirectedRewardsSubmission
    );
    event UniqueStakeRewardsSubmissionCreated(address indexed caller, bytes32 indexed rewardsSubmissionHash, OperatorSet operatorSet, uint256 submissionNonce, RewardsSubmission rewardsSubmission);
    event TotalStakeRewardsSubmissionCreated(address indexed caller, bytes32 indexed rewardsSubmissionHash, OperatorSet operatorSet, uint256 submissionNonce, RewardsSubmission rewardsSubmission);
    event RewardsForAllSubmitterSet(address indexed rewardsForAllSubmitter, bool indexed oldValue, bool indexed newValue);
    event ActivationDelaySet(uint32 oldActivationDelay, uint32 newActivationDelay);
    event DefaultOperatorSplitBipsSet(uint16 oldDefaultOperatorSplitBips, uint16 newDefaultOperatorSplitBips);
    event OperatorAVSSplitBipsSet(address indexed caller, address indexed operator, address indexed avs, uint32 activatedAt, uint16 oldOperatorAVSSplitBips, uint16 newOperatorAVSSplitBips);
    event OperatorPISplitBipsSet(address indexed caller, address indexed operator, uint32 activatedAt, uint16 oldOperatorPISplitBips, uint16 newOperatorPISplitBips);
    event OperatorSetSplitBipsSet(address indexed caller, address indexed operator, OperatorSet operatorSet, uint32 activatedAt, uint16 oldOperatorSetSplitBips, uint16 newOperatorSetSplitBips);

    error UnauthorizedCaller();
    error InvalidOperatorSet();
    error InputArrayLengthZero();
    error AmountIsZero();
    error AmountExceedsMax();
    error SplitExceedsMax();
    error PreviousSplitPending();
    error DurationExceedsMax();
    error DurationIsZero();
    error InvalidDurationRemainder();
    error InvalidStartTimestampRemainder();
    error StartTimestampTooFarInFuture();
    error StartTimestampTooFarInPast();
    error StrategyNotWhitelisted();
    error StrategiesNotInAscendingOrder();
    error TransferFailed();
    error SubmissionNotRetroactive();
    error OperatorsNotInAscendingOrder();
    error InvalidAddressZero();

    constructor(
        address _delegationManager,
        address _strategyManager,
        address _allocationManager,
        uint32 _CALCULATION_INTERVAL_SECONDS,
        uint32 _MAX_REWARDS_DURATION,
        uint32 _MAX_RETROACTIVE_LENGTH,
        uint32 _MAX_FUTURE_LENGTH,
        uint32 _GENESIS_REWARDS_TIMESTAMP,
        IPauserRegistry _pauserRegistry,
        address initialOwner,
        uint32 _activationDelay,
        uint16 _defaultSplitBips
    ) Pausable(_pauserRegistry) {
        delegationManager = _delegationManager;
        strategyManager = _strategyManager;
        allocationManager = _allocationManager;
        CALCULATION_INTERVAL_SECONDS = _CALCULATION_INTERVAL_SECONDS;
        MAX_REWARDS_DURATION = _MAX_REWARDS_DURATION;
        MAX_RETROACTIVE_LENGTH = _MAX_RETROACTIVE_LENGTH;
        MAX_FUTURE_LENGTH = _MAX_FUTURE_LENGTH;
        GENESIS_REWARDS_TIMESTAMP = _GENESIS_REWARDS_TIMESTAMP;
        owner = initialOwner;
        emit ActivationDelaySet(0, _activationDelay);
        activationDelay = _activationDelay;
        emit DefaultOperatorSplitBipsSet(0, _defaultSplitBips);
        defaultOperatorSplitBips = _defaultSplitBips;
    }

    /// @notice An AVS pays `amount` of `token` over [startTimestamp, startTimestamp + duration) to stakers of the listed strategies.
    function createAVSRewardsSubmission(RewardsSubmission[] calldata rewardsSubmissions) external onlyWhenNotPaused(PAUSED_AVS_REWARDS_SUBMISSION) {
        for (uint256 i = 0; i < rewardsSubmissions.length; i++) {
            (uint256 nonce, bytes32 hash) = _takeRewardsSubmission(msg.sender, rewardsSubmissions[i]);
            isAVSRewardsSubmissionHash[msg.sender][hash] = true;
            emit AVSRewardsSubmissionCreated(msg.sender, nonce, hash, rewardsSubmissions[i]);
        }
    }

    /// @notice An allowlisted submitter pays every staker of the listed strategies (whatever they secure).
    function createRewardsForAllSubmission(RewardsSubmission[] calldata rewardsSubmissions) external onlyWhenNotPaused(PAUSED_REWARDS_FOR_ALL_SUBMISSION) {
        if (!isRewardsForAllSubmitter[msg.sender]) revert UnauthorizedCaller();
        for (uint256 i = 0; i < rewardsSubmissions.length; i++) {
            (uint256 nonce, bytes32 hash) = _takeRewardsSubmission(msg.sender, rewardsSubmissions[i]);
            isRewardsSubmissionForAllHash[msg.sender][hash] = true;
            emit RewardsSubmissionForAllCreated(msg.sender, nonce, hash, rewardsSubmissions[i]);
        }
    }

    /// @notice An allowlisted submitter (programmatic incentives) pays stakers and operators of operators registered to
    ///         at least one AVS; operators take their PI split.
    function createRewardsForAllEarners(RewardsSubmission[] calldata rewardsSubmissions) external onlyWhenNotPaused(PAUSED_REWARD_ALL_STAKERS_AND_OPERATORS) {
        if (!isRewardsForAllSubmitter[msg.sender]) revert UnauthorizedCaller();
        for (uint256 i = 0; i < rewardsSubmissions.length; i++) {
            (uint256 nonce, bytes32 hash) = _takeRewardsSubmission(msg.sender, rewardsSubmissions[i]);
            isRewardsSubmissionForAllEarnersHash[msg.sender][hash] = true;
            emit RewardsSubmissionForAllEarnersCreated(msg.sender, nonce, hash, rewardsSubmissions[i]);
        }
    }

    /// @notice An AVS pays chosen amounts to chosen operators (and their stakers, after the operator's AVS split) for
    ///         a window that has already ended.
    function createOperatorDirectedAVSRewardsSubmission(address avs, OperatorDirectedRewardsSubmission[] calldata submissions)
        external
        onlyWhenNotPaused(PAUSED_OPERATOR_DIRECTED_AVS_REWARDS_SUBMISSION)
    {
        if (msg.sender != avs) revert UnauthorizedCaller();
        for (uint256 i = 0; i < submissions.length; i++) {
            (uint256 nonce, bytes32 hash) = _takeOperatorDirectedSubmission(avs, submissions[i]);
            isOperatorDirectedAVSRewardsSubmissionHash[avs][hash] = true;
            emit OperatorDirectedAVSRewardsSubmissionCreated(msg.sender, avs, hash, nonce, submissions[i]);
        }
    }

    /// @notice Like {createOperatorDirectedAVSRewardsSubmission} for one operator set (operators take their set split).
    function createOperatorDirectedOperatorSetRewardsSubmission(OperatorSet calldata operatorSet, OperatorDirectedRewardsSubmission[] calldata submissions)
        external
        onlyWhenNotPaused(PAUSED_OPERATOR_DIRECTED_OPERATOR_SET_REWARDS_SUBMISSION)
    {
        if (msg.sender != operatorSet.avs) revert UnauthorizedCaller();
        if (!IOperatorSetRegistry(allocationManager).isOperatorSet(operatorSet)) revert InvalidOperatorSet();
        for (uint256 i = 0; i < submissions.length; i++) {
            (uint256 nonce, bytes32 hash) = _takeOperatorDirectedSubmission(operatorSet.avs, submissions[i]);
            isOperatorDirectedOperatorSetRewardsSubmissionHash[operatorSet.avs][hash] = true;
            emit OperatorDirectedOperatorSetRewardsSubmissionCreated(msg.sender, hash, operatorSet, nonce, submissions[i]);
        }
    }

    /// @notice (v1.12.0) An AVS pays the stakers of one operator set's operators in proportion to their unique
    ///         (allocated, slashable) stake in the set.
    function createUniqueStakeRewardsSubmission(OperatorSet calldata operatorSet, RewardsSubmission[] calldata rewardsSubmissions)
        external
        onlyWhenNotPaused(PAUSED_UNIQUE_STAKE_REWARDS_SUBMISSION)
    {
        _createSetStakeSubmissions(operatorSet, rewardsSubmissions, true);
    }

    /// @notice (v1.12.0) An AVS pays the stakers of one operator set's operators in proportion to their total
    ///         delegated stake.
    function createTotalStakeRewardsSubmission(OperatorSet calldata operatorSet, RewardsSubmission[] calldata rewardsSubmissions)
        external
        onlyWhenNotPaused(PAUSED_TOTAL_STAKE_REWARDS_SUBMISSION)
    {
        _createSetStakeSubmissions(operatorSet, rewardsSubmissions, false);
    }

    function setRewardsForAllSubmitter(address submitter, bool newValue) external {
        if (msg.sender != owner) revert UnauthorizedCaller();
        emit RewardsForAllSubmitterSet(submitter, isRewardsForAllSubmitter[submitter], newValue);
        isRewardsForAllSubmitter[submitter] = newValue;
    }

    function setActivationDelay(uint32 _activationDelay) external {
        if (msg.sender != owner) revert UnauthorizedCaller();
        emit ActivationDelaySet(activationDelay, _activationDelay);
        activationDelay = _activationDelay;
    }

    function setDefaultOperatorSplit(uint16 split) external {
        if (msg.sender != owner) revert UnauthorizedCaller();
        emit DefaultOperatorSplitBipsSet(defaultOperatorSplitBips, split);
        defaultOperatorSplitBips = split;
    }

    function setOperatorAVSSplit(address operator, address avs, uint16 split) external onlyWhenNotPaused(PAUSED_OPERATOR_AVS_SPLIT) {
        if (msg.sender != operator) revert UnauthorizedCaller();
        uint32 activatedAt = uint32(block.timestamp) + activationDelay;
        uint16 oldSplit = _getOperatorSplit(_operatorAVSSplitBips[operator][avs]);
        _setOperatorSplit(_operatorAVSSplitBips[operator][avs], split, activatedAt);
        emit OperatorAVSSplitBipsSet(msg.sender, operator, avs, activatedAt, oldSplit, split);
    }

    function setOperatorPISplit(address operator, uint16 split) external onlyWhenNotPaused(PAUSED_OPERATOR_PI_SPLIT) {
        if (msg.sender != operator) revert UnauthorizedCaller();
        uint32 activatedAt = uint32(block.timestamp) + activationDelay;
        uint16 oldSplit = _getOperatorSplit(_operatorPISplitBips[operator]);
        _setOperatorSplit(_operatorPISplitBips[operator], split, activatedAt);
        emit OperatorPISplitBipsSet(msg.sender, operator, activatedAt, oldSplit, split);
    }

    function setOperatorSetSplit(address operator, OperatorSet calldata operatorSet, uint16 split) external onlyWhenNotPaused(PAUSED_OPERATOR_SET_SPLIT) {
        if (msg.sender != operator) revert UnauthorizedCaller();
        if (!IOperatorSetRegistry(allocationManager).isOperatorSet(operatorSet)) revert InvalidOperatorSet();
        bytes32 k = OperatorSetLib.key(operatorSet);
        uint32 activatedAt = uint32(block.timestamp) + activationDelay;
        uint16 oldSplit = _getOperatorSplit(_operatorSetSplitBips[operator][k]);
        _setOperatorSplit(_operatorSetSplitBips[operator][k], split, activatedAt);
        emit OperatorSetSplitBipsSet(msg.sender, operator, operatorSet, activatedAt, oldSplit, split);
    }

    /// @notice The operator's AVS commission in bips (default split until a set value activates).
    function getOperatorAVSSplit(address operator, address avs) external view returns (uint16) {
        return _getOperatorSplit(_operatorAVSSplitBips[operator][avs]);
    }

    function getOperatorPISplit(address operator) external view returns (uint16) {
        return _getOperatorSplit(_operatorPISplitBips[operator]);
    }

    function getOperatorSetSplit(address operator, OperatorSet calldata operatorSet) external view returns (uint16) {
        return _getOperatorSplit(_operatorSetSplitBips[operator][OperatorSetLib.key(operatorSet)]);
    }

    function _setOperatorSplit(OperatorSplit storage s, uint16 split, uint32 activatedAt) internal {
        if (split > ONE_HUNDRED_IN_BIPS) revert SplitExceedsMax();
        if (block.timestamp <= s.activatedAt) revert PreviousSplitPending();
        s.oldSplitBips = s.activatedAt == 0 ? type(uint16).max : s.newSplitBips;
        s.newSplitBips = split;
        s.activatedAt = activatedAt;
    }

    function _getOperatorSplit(OperatorSplit memory s) internal view returns (uint16) {
        if (s.activatedAt == 0 || (s.oldSplitBips == type(uint16).max && block.timestamp < s.activatedAt)) return defaultOperatorSplitBips;
        return block.timestamp >= s.activatedAt ? s.newSplitBips : s.oldSplitBips;
    }

    /// @dev The unique-stake (`unique`) or total-stake submissions of one operator set, by its AVS.
    function _createSetStakeSubmissions(OperatorSet calldata operatorSet, RewardsSubmission[] calldata rewardsSubmissions, bool unique) internal {
        if (msg.sender != operatorSet.avs) revert UnauthorizedCaller();
        if (!IOperatorSetRegistry(allocationManager).isOperatorSet(operatorSet)) revert InvalidOperatorSet();
        for (uint256 i = 0; i < rewardsSubmissions.length; ++i) {
            (uint256 nonce, bytes32 hash) = _takeRewardsSubmission(operatorSet.avs, rewardsSubmissions[i]);
            if (unique) {
                isUniqueStakeRewardsSubmissionHash[operatorSet.avs][hash] = true;
                emit UniqueStakeRewardsSubmissionCreated(msg.sender, hash, operatorSet, nonce, rewardsSubmissions[i]);
            } else {
                isTotalStakeRewardsSubmissionHash[operatorSet.avs][hash] = true;
                emit TotalStakeRewardsSubmissionCreated(msg.sender, hash, operatorSet, nonce, rewardsSubmissions[i]);
            }
        }
    }

    /// @dev Validates a submission, bumps `submitter`'s nonce and takes the tokens from the caller; returns (nonce, hash).
    function _takeRewardsSubmission(address submitter, RewardsSubmission calldata r) internal returns (uint256 nonce, bytes32 hash) {
        nonce = submissionNonce[submitter];
        hash = keccak256(abi.encode(submitter, nonce, r));
        _validateCommon(r.strategiesAndMultipliers, r.startTimestamp, r.duration);
        if (r.amount == 0) revert AmountIsZero();
        if (r.amount > MAX_REWARDS_AMOUNT) revert AmountExceedsMax();
        if (r.startTimestamp > block.timestamp + MAX_FUTURE_LENGTH) revert StartTimestampTooFarInFuture();
        submissionNonce[submitter] = nonce + 1;
        if (!r.token.transferFrom(msg.sender, address(this), r.amount)) revert TransferFailed();
    }

    /// @dev Operator-directed: strictly retroactive, operators non-zero and ascending, each amount > 0.
    function _takeOperatorDirectedSubmission(address avs, OperatorDirectedRewardsSubmission calldata r) internal returns (uint256 nonce, bytes32 hash) {
        nonce = submissionNonce[avs];
        hash = keccak256(abi.encode(avs, nonce, r));
        _validateCommon(r.strategiesAndMultipliers, r.startTimestamp, r.duration);
        if (r.operatorRewards.length == 0) revert InputArrayLengthZero();
        if (uint256(r.startTimestamp) + r.duration >= block.timestamp) revert SubmissionNotRetroactive();
        address last = address(0);
        uint256 total;
        for (uint256 i = 0; i < r.operatorRewards.length; ++i) {
            if (r.operatorRewards[i].operator == address(0)) revert InvalidAddressZero();
            if (last >= r.operatorRewards[i].operator) revert OperatorsNotInAscendingOrder();
            if (r.operatorRewards[i].amount == 0) revert AmountIsZero();
            total += r.operatorRewards[i].amount;
            last = r.operatorRewards[i].operator;
        }
        if (total > MAX_REWARDS_AMOUNT) revert AmountExceedsMax();
        submissionNonce[avs] = nonce + 1;
        if (!r.token.transferFrom(msg.sender, address(this), total)) revert TransferFailed();
    }

    function _validateCommon(StrategyAndMultiplier[] calldata strategiesAndMultipliers, uint32 startTimestamp, uint32 duration) internal view {
        if (strategiesAndMultipliers.length == 0) revert InputArrayLengthZero();
        if (duration > MAX_REWARDS_DURATION) revert DurationExceedsMax();
        if (duration % CALCULATION_INTERVAL_SECONDS != 0) revert InvalidDurationRemainder();
        if (duration == 0) revert DurationIsZero();
        if (startTimestamp % CALCULATION_INTERVAL_SECONDS != 0) revert InvalidStartTimestampRemainder();
        if (block.timestamp - MAX_RETROACTIVE_LENGTH > startTimestamp || GENESIS_REWARDS_TIMESTAMP > startTimestamp) revert StartTimestampTooFarInPast();
        address curr = address(0);
        for (uint256 i = 0; i < strategiesAndMultipliers.length; ++i) {
            IStrategy strategy = strategiesAndMultipliers[i].strategy;
            if (!IStrategyManagerHarness(strategyManager).strategyIsWhitelistedForDeposit(strategy) && strategy != BEACON_CHAIN_ETH_STRATEGY) revert StrategyNotWhitelisted();
            if (curr >= address(strategy)) revert StrategiesNotInAscendingOrder();
            curr = address(strategy);
        }
    }
}
