// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

interface IOperatorSetRegistry {
    function isOperatorSet(OperatorSet memory operatorSet) external view returns (bool);
}

/// @title RewardsCoordinator (harness, subset)
/// @notice AVS rewards submissions and operator splits with the published v1.x (v1.6.0) signatures, structs,
///         validation rules and events. Rewards are computed off-chain upstream (Sidecar + merkle roots); the harness
///         only takes the tokens and emits `AVSRewardsSubmissionCreated`: no roots, no claims, not pausable.
contract RewardsCoordinator is IRewardsCoordinatorTypes {
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
    mapping(address => mapping(address => OperatorSplit)) internal _operatorAVSSplitBips;
    mapping(address => OperatorSplit) internal _operatorPISplitBips;
    mapping(address => mapping(bytes32 => OperatorSplit)) internal _operatorSetSplitBips;

    event AVSRewardsSubmissionCreated(address indexed avs, uint256 indexed submissionNonce, bytes32 indexed rewardsSubmissionHash, RewardsSubmission rewardsSubmission);
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

    constructor(
        address _delegationManager,
        address _strategyManager,
        address _allocationManager,
        uint32 _CALCULATION_INTERVAL_SECONDS,
        uint32 _MAX_REWARDS_DURATION,
        uint32 _MAX_RETROACTIVE_LENGTH,
        uint32 _MAX_FUTURE_LENGTH,
        uint32 _GENESIS_REWARDS_TIMESTAMP,
        address initialOwner,
        uint32 _activationDelay,
        uint16 _defaultSplitBips
    ) {
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
    function createAVSRewardsSubmission(RewardsSubmission[] calldata rewardsSubmissions) external {
        for (uint256 i = 0; i < rewardsSubmissions.length; i++) {
            RewardsSubmission calldata rewardsSubmission = rewardsSubmissions[i];
            uint256 nonce = submissionNonce[msg.sender];
            bytes32 rewardsSubmissionHash = keccak256(abi.encode(msg.sender, nonce, rewardsSubmission));
            _validateRewardsSubmission(rewardsSubmission);
            isAVSRewardsSubmissionHash[msg.sender][rewardsSubmissionHash] = true;
            submissionNonce[msg.sender] = nonce + 1;
            emit AVSRewardsSubmissionCreated(msg.sender, nonce, rewardsSubmissionHash, rewardsSubmission);
            if (!rewardsSubmission.token.transferFrom(msg.sender, address(this), rewardsSubmission.amount)) revert TransferFailed();
        }
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

    function setOperatorAVSSplit(address operator, address avs, uint16 split) external {
        if (msg.sender != operator) revert UnauthorizedCaller();
        uint32 activatedAt = uint32(block.timestamp) + activationDelay;
        uint16 oldSplit = _getOperatorSplit(_operatorAVSSplitBips[operator][avs]);
        _setOperatorSplit(_operatorAVSSplitBips[operator][avs], split, activatedAt);
        emit OperatorAVSSplitBipsSet(msg.sender, operator, avs, activatedAt, oldSplit, split);
    }

    function setOperatorPISplit(address operator, uint16 split) external {
        if (msg.sender != operator) revert UnauthorizedCaller();
        uint32 activatedAt = uint32(block.timestamp) + activationDelay;
        uint16 oldSplit = _getOperatorSplit(_operatorPISplitBips[operator]);
        _setOperatorSplit(_operatorPISplitBips[operator], split, activatedAt);
        emit OperatorPISplitBipsSet(msg.sender, operator, activatedAt, oldSplit, split);
    }

    function setOperatorSetSplit(address operator, OperatorSet calldata operatorSet, uint16 split) external {
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

    function _validateRewardsSubmission(RewardsSubmission calldata r) internal view {
        if (r.strategiesAndMultipliers.length == 0) revert InputArrayLengthZero();
        if (r.duration > MAX_REWARDS_DURATION) revert DurationExceedsMax();
        if (r.duration % CALCULATION_INTERVAL_SECONDS != 0) revert InvalidDurationRemainder();
        if (r.duration == 0) revert DurationIsZero();
        if (r.startTimestamp % CALCULATION_INTERVAL_SECONDS != 0) revert InvalidStartTimestampRemainder();
        if (block.timestamp - MAX_RETROACTIVE_LENGTH > r.startTimestamp || GENESIS_REWARDS_TIMESTAMP > r.startTimestamp) revert StartTimestampTooFarInPast();
        address curr = address(0);
        for (uint256 i = 0; i < r.strategiesAndMultipliers.length; ++i) {
            IStrategy strategy = r.strategiesAndMultipliers[i].strategy;
            if (!IStrategyManagerHarness(strategyManager).strategyIsWhitelistedForDeposit(strategy) && strategy != BEACON_CHAIN_ETH_STRATEGY) revert StrategyNotWhitelisted();
            if (curr >= address(strategy)) revert StrategiesNotInAscendingOrder();
            curr = address(strategy);
        }
        if (r.amount == 0) revert AmountIsZero();
        if (r.amount > MAX_REWARDS_AMOUNT) revert AmountExceedsMax();
        if (r.startTimestamp > block.timestamp + MAX_FUTURE_LENGTH) revert StartTimestampTooFarInFuture();
    }
}
