// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

/// @title AllocationManager (harness)
/// @notice Operator sets, magnitudes and slashing of the EigenLayer slashing release with the published v1.x
///         (v1.6.0) signatures, structs and events: AVSs create operator sets (optionally redistributing, with a
///         recipient for slashed funds), operators register (the AVS's registrar is always called, as upstream) and
///         allocate magnitude (effective after the operator's allocation delay; deallocations after DEALLOCATION_DELAY
///         when slashable), `slashOperator` burns allocated magnitude, lowers the operator's maxMagnitude (the
///         stakers' slashing factor) and slashes operator shares in the DelegationManager. Pausable as upstream
///         (flag 0 allocations, 1 slashing, 2 set registration). Permission checks are "msg.sender is the operator /
///         AVS" (no PermissionController appointees); not upgradeable.
contract AllocationManager is IAllocationManagerTypes, Pausable {
    uint8 internal constant PAUSED_MODIFY_ALLOCATIONS = 0;
    uint8 internal constant PAUSED_OPERATOR_SLASHING = 1;
    uint8 internal constant PAUSED_OPERATOR_SET_REGISTRATION_AND_DEREGISTRATION = 2;

    using OperatorSetLib for OperatorSet;
    using EnumSet for EnumSet.Set;
    using History for History.Checkpoint[];
    using WadMath for uint256;

    struct AllocationDelayInfo {
        uint32 delay;
        bool isSet;
        uint32 pendingDelay;
        uint32 effectBlock;
    }

    struct RegistrationStatus {
        bool registered;
        uint32 slashableUntil;
    }

    struct StrategyInfo {
        uint64 maxMagnitude;
        uint64 encumberedMagnitude;
    }

    address internal constant DEFAULT_BURN_ADDRESS = 0x00000000000000000000000000000000000E16E4;

    /// @notice The DelegationManager (slashes operator shares, sets allocation delays at registration).
    address public immutable delegation;
    /// @notice Blocks a slashable deallocation stays slashable (mainnet 100800).
    uint32 public immutable DEALLOCATION_DELAY;
    /// @notice Blocks before a change of an operator's allocation delay takes effect (mainnet 126000).
    uint32 public immutable ALLOCATION_CONFIGURATION_DELAY;

    mapping(address => EnumSet.Set) internal _operatorSets; // avs => set ids (as bytes32)
    mapping(address => bool) internal _avsRegisteredMetadata;
    mapping(bytes32 => EnumSet.Set) internal _operatorSetStrategies;
    mapping(bytes32 => EnumSet.Set) internal _operatorSetMembers;
    mapping(address => EnumSet.Set) internal _registeredSets;
    mapping(address => mapping(bytes32 => RegistrationStatus)) internal registrationStatus;
    mapping(address => mapping(bytes32 => mapping(IStrategy => Allocation))) internal _allocations;
    mapping(address => mapping(IStrategy => uint64)) internal encumberedMagnitude;
    mapping(address => mapping(IStrategy => History.Checkpoint[])) internal _maxMagnitudeHistory;
    mapping(address => EnumSet.Set) internal _allocatedSets;
    mapping(address => mapping(bytes32 => EnumSet.Set)) internal _allocatedStrategies;
    mapping(address => mapping(IStrategy => bytes32[])) internal _deallocationQueue;
    mapping(address => mapping(IStrategy => uint256)) internal _deallocationQueueHead;
    mapping(address => AllocationDelayInfo) internal _allocationDelayInfo;
    mapping(bytes32 => uint256) internal _slashIds;
    mapping(address => IAVSRegistrar) internal _avsRegistrar;
    mapping(bytes32 => address) internal _redistributionRecipients;

    event AllocationDelaySet(address operator, uint32 delay, uint32 effectBlock);
    event AllocationUpdated(address operator, OperatorSet operatorSet, IStrategy strategy, uint64 magnitude, uint32 effectBlock);
    event EncumberedMagnitudeUpdated(address operator, IStrategy strategy, uint64 encumberedMagnitude);
    event MaxMagnitudeUpdated(address operator, IStrategy strategy, uint64 maxMagnitude);
    event OperatorSlashed(address operator, OperatorSet operatorSet, IStrategy[] strategies, uint256[] wadSlashed, string description);
    event AVSMetadataURIUpdated(address indexed avs, string metadataURI);
    event OperatorSetCreated(OperatorSet operatorSet);
    event OperatorAddedToOperatorSet(address indexed operator, OperatorSet operatorSet);
    event OperatorRemovedFromOperatorSet(address indexed operator, OperatorSet operatorSet);
    event StrategyAddedToOperatorSet(OperatorSet operatorSet, IStrategy strategy);
    event StrategyRemovedFromOperatorSet(OperatorSet operatorSet, IStrategy strategy);
    event AVSRegistrarSet(address avs, IAVSRegistrar registrar);
    event RedistributionAddressSet(OperatorSet operatorSet, address redistributionRecipient);

    error InvalidWadToSlash();
    error InputArrayLengthMismatch();
    error InvalidCaller();
    error InvalidOperator();
    error NonexistentAVSMetadata();
    error UninitializedAllocationDelay();
    error OperatorNotSlashable();
    error AlreadyMemberOfSet();
    error NotMemberOfSet();
    error InvalidOperatorSet();
    error StrategiesMustBeInAscendingOrder();
    error StrategyAlreadyInOperatorSet();
    error StrategyNotInOperatorSet();
    error InvalidAVSRegistrar();
    error InvalidRedistributionRecipient();
    error InvalidStrategy();
    error SameMagnitude();
    error ModificationAlreadyPending();
    error InsufficientMagnitude();

    constructor(address _delegation, IPauserRegistry _pauserRegistry, uint32 _DEALLOCATION_DELAY, uint32 _ALLOCATION_CONFIGURATION_DELAY) Pausable(_pauserRegistry) {
        delegation = _delegation;
        DEALLOCATION_DELAY = _DEALLOCATION_DELAY;
        ALLOCATION_CONFIGURATION_DELAY = _ALLOCATION_CONFIGURATION_DELAY;
    }

    // ================================================================ AVS

    function updateAVSMetadataURI(address avs, string calldata metadataURI) external {
        if (msg.sender != avs) revert InvalidCaller();
        _avsRegisteredMetadata[avs] = true;
        emit AVSMetadataURIUpdated(avs, metadataURI);
    }

    /// @notice The AVS names the contract the AllocationManager calls on (de)registration; it must support the AVS.
    function setAVSRegistrar(address avs, IAVSRegistrar registrar) external {
        if (msg.sender != avs) revert InvalidCaller();
        if (!registrar.supportsAVS(avs)) revert InvalidAVSRegistrar();
        _avsRegistrar[avs] = registrar;
        emit AVSRegistrarSet(avs, getAVSRegistrar(avs));
    }

    function createOperatorSets(address avs, CreateSetParams[] calldata params) external {
        if (msg.sender != avs) revert InvalidCaller();
        if (!_avsRegisteredMetadata[avs]) revert NonexistentAVSMetadata();
        for (uint256 i = 0; i < params.length; i++) {
            _createOperatorSet(avs, params[i], DEFAULT_BURN_ADDRESS);
        }
    }

    /// @notice Operator sets whose slashed funds go to `redistributionRecipients[i]` instead of being burned (v1.5+).
    function createRedistributingOperatorSets(address avs, CreateSetParams[] calldata params, address[] calldata redistributionRecipients) external {
        if (msg.sender != avs) revert InvalidCaller();
        if (params.length != redistributionRecipients.length) revert InputArrayLengthMismatch();
        if (!_avsRegisteredMetadata[avs]) revert NonexistentAVSMetadata();
        for (uint256 i = 0; i < params.length; i++) {
            if (redistributionRecipients[i] == address(0)) revert InputAddressZero();
            if (redistributionRecipients[i] == DEFAULT_BURN_ADDRESS) revert InvalidRedistributionRecipient();
            _createOperatorSet(avs, params[i], redistributionRecipients[i]);
        }
    }

    function addStrategiesToOperatorSet(address avs, uint32 operatorSetId, IStrategy[] calldata strategies) external {
        if (msg.sender != avs) revert InvalidCaller();
        OperatorSet memory os = OperatorSet(avs, operatorSetId);
        if (!_isSet(os)) revert InvalidOperatorSet();
        for (uint256 i = 0; i < strategies.length; i++) {
            _addStrategyToOperatorSet(os, strategies[i], isRedistributingOperatorSet(os));
        }
    }

    function removeStrategiesFromOperatorSet(address avs, uint32 operatorSetId, IStrategy[] calldata strategies) external {
        if (msg.sender != avs) revert InvalidCaller();
        OperatorSet memory os = OperatorSet(avs, operatorSetId);
        if (!_isSet(os)) revert InvalidOperatorSet();
        for (uint256 i = 0; i < strategies.length; i++) {
            if (!_operatorSetStrategies[os.key()].remove(EnumSet.toBytes32(address(strategies[i])))) revert StrategyNotInOperatorSet();
            emit StrategyRemovedFromOperatorSet(os, strategies[i]);
        }
    }

    /// @notice Slashes `params.operator` in operator set (avs, params.operatorSetId): v1.5+ returns (slashId, shares slashed per strategy).
    function slashOperator(address avs, SlashingParams calldata params)
        external
        onlyWhenNotPaused(PAUSED_OPERATOR_SLASHING)
        returns (uint256 slashId, uint256[] memory shares)
    {
        if (msg.sender != avs) revert InvalidCaller();
        OperatorSet memory os = OperatorSet(avs, params.operatorSetId);
        if (params.strategies.length != params.wadsToSlash.length) revert InputArrayLengthMismatch();
        if (!_isSet(os)) revert InvalidOperatorSet();
        if (!isOperatorSlashable(params.operator, os)) revert OperatorNotSlashable();
        uint256[] memory wadSlashed = new uint256[](params.strategies.length);
        shares = new uint256[](params.strategies.length);
        slashId = ++_slashIds[os.key()];
        for (uint256 i = 0; i < params.strategies.length; i++) {
            if (i > 0 && uint160(address(params.strategies[i])) <= uint160(address(params.strategies[i - 1]))) revert StrategiesMustBeInAscendingOrder();
            if (params.wadsToSlash[i] == 0 || params.wadsToSlash[i] > WAD) revert InvalidWadToSlash();
            if (!_operatorSetStrategies[os.key()].contains(EnumSet.toBytes32(address(params.strategies[i])))) revert StrategyNotInOperatorSet();
            (wadSlashed[i], shares[i]) = _slashOne(params.operator, os, slashId, params.strategies[i], params.wadsToSlash[i]);
        }
        emit OperatorSlashed(params.operator, os, params.strategies, wadSlashed, params.description);
    }

    // ================================================================ operators

    function setAllocationDelay(address operator, uint32 delay) external {
        if (msg.sender != delegation) {
            if (msg.sender != operator) revert InvalidCaller();
            if (!IDelegationManagerHarness(delegation).isOperator(operator)) revert InvalidOperator();
        }
        AllocationDelayInfo memory info = _allocationDelayInfo[operator];
        if (info.effectBlock != 0 && block.number >= info.effectBlock) {
            info.delay = info.pendingDelay;
            info.isSet = true;
        }
        info.pendingDelay = delay;
        info.effectBlock = uint32(block.number) + ALLOCATION_CONFIGURATION_DELAY + 1;
        _allocationDelayInfo[operator] = info;
        emit AllocationDelaySet(operator, delay, info.effectBlock);
    }

    function registerForOperatorSets(address operator, RegisterParams calldata params) external onlyWhenNotPaused(PAUSED_OPERATOR_SET_REGISTRATION_AND_DEREGISTRATION) {
        if (msg.sender != operator) revert InvalidCaller();
        if (!IDelegationManagerHarness(delegation).isOperator(operator)) revert InvalidOperator();
        for (uint256 i = 0; i < params.operatorSetIds.length; i++) {
            OperatorSet memory os = OperatorSet(params.avs, params.operatorSetIds[i]);
            if (!_isSet(os)) revert InvalidOperatorSet();
            if (isOperatorSlashable(operator, os)) revert AlreadyMemberOfSet();
            _registeredSets[operator].add(os.key());
            _operatorSetMembers[os.key()].add(EnumSet.toBytes32(operator));
            emit OperatorAddedToOperatorSet(operator, os);
            registrationStatus[operator][os.key()].registered = true;
        }
        getAVSRegistrar(params.avs).registerOperator(operator, params.avs, params.operatorSetIds, params.data);
    }

    function deregisterFromOperatorSets(DeregisterParams calldata params) external onlyWhenNotPaused(PAUSED_OPERATOR_SET_REGISTRATION_AND_DEREGISTRATION) {
        if (msg.sender != params.operator && msg.sender != params.avs) revert InvalidCaller();
        for (uint256 i = 0; i < params.operatorSetIds.length; i++) {
            OperatorSet memory os = OperatorSet(params.avs, params.operatorSetIds[i]);
            if (!_isSet(os)) revert InvalidOperatorSet();
            if (!registrationStatus[params.operator][os.key()].registered) revert NotMemberOfSet();
            _registeredSets[params.operator].remove(os.key());
            _operatorSetMembers[os.key()].remove(EnumSet.toBytes32(params.operator));
            emit OperatorRemovedFromOperatorSet(params.operator, os);
            registrationStatus[params.operator][os.key()] = RegistrationStatus({registered: false, slashableUntil: uint32(block.number) + DEALLOCATION_DELAY});
        }
        getAVSRegistrar(params.avs).deregisterOperator(params.operator, params.avs, params.operatorSetIds);
    }

    /// @notice Sets new magnitudes; increases take effect after the operator's allocation delay, slashable decreases after DEALLOCATION_DELAY + 1.
    function modifyAllocations(address operator, AllocateParams[] memory params) external onlyWhenNotPaused(PAUSED_MODIFY_ALLOCATIONS) {
        if (msg.sender != operator) revert InvalidCaller();
        (bool isSet, uint32 delay) = getAllocationDelay(operator);
        if (!isSet) revert UninitializedAllocationDelay();
        for (uint256 i = 0; i < params.length; i++) {
            if (params[i].strategies.length != params[i].newMagnitudes.length) revert InputArrayLengthMismatch();
            OperatorSet memory os = params[i].operatorSet;
            if (!_isSet(os)) revert InvalidOperatorSet();
            bool opSlashable = isOperatorSlashable(operator, os);
            for (uint256 j = 0; j < params[i].strategies.length; j++) {
                _modifyOne(operator, os, params[i].strategies[j], params[i].newMagnitudes[j], delay, opSlashable);
            }
        }
    }

    function clearDeallocationQueue(address operator, IStrategy[] calldata strategies, uint16[] calldata numToClear) external onlyWhenNotPaused(PAUSED_MODIFY_ALLOCATIONS) {
        if (strategies.length != numToClear.length) revert InputArrayLengthMismatch();
        for (uint256 i = 0; i < strategies.length; ++i) {
            _clearDeallocationQueue(operator, strategies[i], numToClear[i]);
        }
    }

    // ================================================================ views

    function getOperatorSetCount(address avs) external view returns (uint256) {
        return _operatorSets[avs].length();
    }

    function isOperatorSet(OperatorSet memory operatorSet) external view returns (bool) {
        return _isSet(operatorSet);
    }

    function getAllocatedSets(address operator) public view returns (OperatorSet[] memory out) {
        uint256 n = _allocatedSets[operator].length();
        out = new OperatorSet[](n);
        for (uint256 i = 0; i < n; i++) {
            out[i] = OperatorSetLib.decode(_allocatedSets[operator].at(i));
        }
    }

    function getAllocatedStrategies(address operator, OperatorSet memory operatorSet) external view returns (IStrategy[] memory out) {
        EnumSet.Set storage s = _allocatedStrategies[operator][operatorSet.key()];
        out = new IStrategy[](s.length());
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = IStrategy(EnumSet.toAddress(s.at(i)));
        }
    }

    /// @notice The allocation with any pending change whose effectBlock has passed already applied.
    function getAllocation(address operator, OperatorSet memory operatorSet, IStrategy strategy) public view returns (Allocation memory) {
        (, Allocation memory a) = _getUpdatedAllocation(operator, operatorSet.key(), strategy);
        return a;
    }

    function getAllocations(address[] memory operators, OperatorSet memory operatorSet, IStrategy strategy) external view returns (Allocation[] memory out) {
        out = new Allocation[](operators.length);
        for (uint256 i = 0; i < operators.length; i++) {
            out[i] = getAllocation(operators[i], operatorSet, strategy);
        }
    }

    function getStrategyAllocations(address operator, IStrategy strategy) external view returns (OperatorSet[] memory sets, Allocation[] memory allocs) {
        sets = getAllocatedSets(operator);
        allocs = new Allocation[](sets.length);
        for (uint256 i = 0; i < sets.length; i++) {
            allocs[i] = getAllocation(operator, sets[i], strategy);
        }
    }

    function getEncumberedMagnitude(address operator, IStrategy strategy) external view returns (uint64) {
        (uint64 enc,) = _freeAndUsed(operator, strategy);
        return enc;
    }

    function getAllocatableMagnitude(address operator, IStrategy strategy) external view returns (uint64) {
        (, uint64 free) = _freeAndUsed(operator, strategy);
        return free;
    }

    function getMaxMagnitude(address operator, IStrategy strategy) public view returns (uint64) {
        return uint64(_maxMagnitudeHistory[operator][strategy].latest(WAD));
    }

    function getMaxMagnitudes(address operator, IStrategy[] memory strategies) external view returns (uint64[] memory out) {
        out = new uint64[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            out[i] = getMaxMagnitude(operator, strategies[i]);
        }
    }

    function getMaxMagnitudes(address[] memory operators, IStrategy strategy) external view returns (uint64[] memory out) {
        out = new uint64[](operators.length);
        for (uint256 i = 0; i < operators.length; ++i) {
            out[i] = getMaxMagnitude(operators[i], strategy);
        }
    }

    function getMaxMagnitudesAtBlock(address operator, IStrategy[] memory strategies, uint32 blockNumber) external view returns (uint64[] memory out) {
        out = new uint64[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            out[i] = uint64(_maxMagnitudeHistory[operator][strategies[i]].upperLookup(blockNumber, WAD));
        }
    }

    function getAllocationDelay(address operator) public view returns (bool isSet, uint32 delay) {
        AllocationDelayInfo memory info = _allocationDelayInfo[operator];
        delay = info.delay;
        isSet = info.isSet;
        if (info.effectBlock != 0 && block.number >= info.effectBlock) {
            delay = info.pendingDelay;
            isSet = true;
        }
    }

    function getRegisteredSets(address operator) external view returns (OperatorSet[] memory out) {
        uint256 n = _registeredSets[operator].length();
        out = new OperatorSet[](n);
        for (uint256 i = 0; i < n; ++i) {
            out[i] = OperatorSetLib.decode(_registeredSets[operator].at(i));
        }
    }

    function isMemberOfOperatorSet(address operator, OperatorSet memory operatorSet) external view returns (bool) {
        return _operatorSetMembers[operatorSet.key()].contains(EnumSet.toBytes32(operator));
    }

    function getMembers(OperatorSet memory operatorSet) external view returns (address[] memory out) {
        EnumSet.Set storage s = _operatorSetMembers[operatorSet.key()];
        out = new address[](s.length());
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = EnumSet.toAddress(s.at(i));
        }
    }

    function getMemberCount(OperatorSet memory operatorSet) external view returns (uint256) {
        return _operatorSetMembers[operatorSet.key()].length();
    }

    /// @notice The contract called on (de)registration: the one set with `setAVSRegistrar`, else the AVS address itself.
    function getAVSRegistrar(address avs) public view returns (IAVSRegistrar) {
        IAVSRegistrar registrar = _avsRegistrar[avs];
        return address(registrar) == address(0) ? IAVSRegistrar(avs) : registrar;
    }

    function getStrategiesInOperatorSet(OperatorSet memory operatorSet) external view returns (IStrategy[] memory out) {
        EnumSet.Set storage s = _operatorSetStrategies[operatorSet.key()];
        out = new IStrategy[](s.length());
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = IStrategy(EnumSet.toAddress(s.at(i)));
        }
    }

    function getMinimumSlashableStake(OperatorSet memory operatorSet, address[] memory operators, IStrategy[] memory strategies, uint32 futureBlock)
        external
        view
        returns (uint256[][] memory slashableStake)
    {
        slashableStake = _minimumAllocatedStake(operatorSet, operators, strategies, futureBlock);
        for (uint256 i = 0; i < operators.length; i++) {
            if (!isOperatorSlashable(operators[i], operatorSet)) {
                for (uint256 j = 0; j < strategies.length; j++) {
                    slashableStake[i][j] = 0;
                }
            }
        }
    }

    function getAllocatedStake(OperatorSet memory operatorSet, address[] memory operators, IStrategy[] memory strategies) external view returns (uint256[][] memory) {
        return _minimumAllocatedStake(operatorSet, operators, strategies, uint32(block.number));
    }

    function isOperatorSlashable(address operator, OperatorSet memory operatorSet) public view returns (bool) {
        RegistrationStatus memory status = registrationStatus[operator][operatorSet.key()];
        return status.registered || block.number <= status.slashableUntil;
    }

    /// @notice Where slashed funds of the set go: its recipient when redistributing, else the burn address.
    function getRedistributionRecipient(OperatorSet memory operatorSet) public view returns (address) {
        address recipient = _redistributionRecipients[operatorSet.key()];
        return recipient == address(0) ? DEFAULT_BURN_ADDRESS : recipient;
    }

    function isRedistributingOperatorSet(OperatorSet memory operatorSet) public view returns (bool) {
        return getRedistributionRecipient(operatorSet) != DEFAULT_BURN_ADDRESS;
    }

    function getSlashCount(OperatorSet memory operatorSet) external view returns (uint256) {
        return _slashIds[operatorSet.key()];
    }

    // ================================================================ internal

    function _isSet(OperatorSet memory os) internal view returns (bool) {
        return _operatorSets[os.avs].contains(bytes32(uint256(os.id)));
    }

    function _createOperatorSet(address avs, CreateSetParams calldata params, address redistributionRecipient) internal {
        OperatorSet memory os = OperatorSet(avs, params.operatorSetId);
        if (!_operatorSets[avs].add(bytes32(uint256(os.id)))) revert InvalidOperatorSet();
        emit OperatorSetCreated(os);
        bool redistributing = redistributionRecipient != DEFAULT_BURN_ADDRESS;
        if (redistributing) {
            _redistributionRecipients[os.key()] = redistributionRecipient;
            emit RedistributionAddressSet(os, redistributionRecipient);
        }
        for (uint256 j = 0; j < params.strategies.length; j++) {
            _addStrategyToOperatorSet(os, params.strategies[j], redistributing);
        }
    }

    /// @dev Redistributing sets cannot hold beacon-chain ETH (native ETH cannot be redistributed), as upstream.
    function _addStrategyToOperatorSet(OperatorSet memory os, IStrategy strategy, bool redistributing) internal {
        if (redistributing && address(strategy) == 0xbeaC0eeEeeeeEEeEeEEEEeeEEeEeeeEeeEEBEaC0) revert InvalidStrategy();
        if (!_operatorSetStrategies[os.key()].add(EnumSet.toBytes32(address(strategy)))) revert StrategyAlreadyInOperatorSet();
        emit StrategyAddedToOperatorSet(os, strategy);
    }

    function _slashOne(address operator, OperatorSet memory os, uint256 slashId, IStrategy strategy, uint256 wadToSlash)
        internal
        returns (uint256 wadSlashed, uint256 sharesSlashed)
    {
        (StrategyInfo memory info, Allocation memory allocation) = _getUpdatedAllocation(operator, os.key(), strategy);
        if (allocation.currentMagnitude == 0) return (0, 0);
        uint64 slashedMagnitude = uint64(uint256(allocation.currentMagnitude).mulWadRoundUp(wadToSlash));
        uint64 prevMaxMagnitude = info.maxMagnitude;
        wadSlashed = uint256(slashedMagnitude).divWad(info.maxMagnitude);
        allocation.currentMagnitude -= slashedMagnitude;
        info.maxMagnitude -= slashedMagnitude;
        info.encumberedMagnitude -= slashedMagnitude;
        if (allocation.pendingDiff < 0) {
            uint64 slashedPending = uint64(uint256(uint128(-allocation.pendingDiff)).mulWadRoundUp(wadToSlash));
            allocation.pendingDiff += int128(uint128(slashedPending));
            emit AllocationUpdated(operator, os, strategy, _addInt128(allocation.currentMagnitude, allocation.pendingDiff), allocation.effectBlock);
        }
        _updateAllocationInfo(operator, os.key(), strategy, info, allocation);
        emit AllocationUpdated(operator, os, strategy, allocation.currentMagnitude, uint32(block.number));
        _maxMagnitudeHistory[operator][strategy].push(uint32(block.number), info.maxMagnitude);
        emit MaxMagnitudeUpdated(operator, strategy, info.maxMagnitude);
        sharesSlashed = IDelegationManagerHarness(delegation).slashOperatorShares(operator, os, slashId, strategy, prevMaxMagnitude, info.maxMagnitude);
    }

    function _modifyOne(address operator, OperatorSet memory os, IStrategy strategy, uint64 newMagnitude, uint32 delay, bool opSlashable) internal {
        bytes32 k = os.key();
        _clearDeallocationQueue(operator, strategy, type(uint16).max);
        (StrategyInfo memory info, Allocation memory allocation) = _getUpdatedAllocation(operator, k, strategy);
        if (allocation.effectBlock != 0) revert ModificationAlreadyPending();
        bool slashable = _operatorSetStrategies[k].contains(EnumSet.toBytes32(address(strategy))) && opSlashable && allocation.currentMagnitude != 0;
        allocation.pendingDiff = int128(uint128(newMagnitude)) - int128(uint128(allocation.currentMagnitude));
        if (allocation.pendingDiff == 0) revert SameMagnitude();
        if (allocation.pendingDiff < 0) {
            if (slashable) {
                _deallocationQueue[operator][strategy].push(k);
                allocation.effectBlock = uint32(block.number) + DEALLOCATION_DELAY + 1;
            } else {
                info.encumberedMagnitude = _addInt128(info.encumberedMagnitude, allocation.pendingDiff);
                allocation.currentMagnitude = newMagnitude;
                allocation.pendingDiff = 0;
                allocation.effectBlock = uint32(block.number);
            }
        } else {
            info.encumberedMagnitude = _addInt128(info.encumberedMagnitude, allocation.pendingDiff);
            if (info.encumberedMagnitude > info.maxMagnitude) revert InsufficientMagnitude();
            allocation.effectBlock = uint32(block.number) + delay;
        }
        _updateAllocationInfo(operator, k, strategy, info, allocation);
        emit AllocationUpdated(operator, os, strategy, _addInt128(allocation.currentMagnitude, allocation.pendingDiff), allocation.effectBlock);
    }

    function _clearDeallocationQueue(address operator, IStrategy strategy, uint16 numToClear) internal {
        bytes32[] storage q = _deallocationQueue[operator][strategy];
        uint256 head = _deallocationQueueHead[operator][strategy];
        uint256 cleared;
        while (head < q.length && cleared < numToClear) {
            bytes32 k = q[head];
            (StrategyInfo memory info, Allocation memory allocation) = _getUpdatedAllocation(operator, k, strategy);
            if (block.number < allocation.effectBlock) break;
            _updateAllocationInfo(operator, k, strategy, info, allocation);
            ++head;
            ++cleared;
        }
        _deallocationQueueHead[operator][strategy] = head;
    }

    function _getUpdatedAllocation(address operator, bytes32 k, IStrategy strategy) internal view returns (StrategyInfo memory info, Allocation memory allocation) {
        info = StrategyInfo({maxMagnitude: getMaxMagnitude(operator, strategy), encumberedMagnitude: encumberedMagnitude[operator][strategy]});
        allocation = _allocations[operator][k][strategy];
        if (block.number < allocation.effectBlock) return (info, allocation);
        allocation.currentMagnitude = _addInt128(allocation.currentMagnitude, allocation.pendingDiff);
        if (allocation.pendingDiff < 0) info.encumberedMagnitude = _addInt128(info.encumberedMagnitude, allocation.pendingDiff);
        allocation.effectBlock = 0;
        allocation.pendingDiff = 0;
    }

    function _updateAllocationInfo(address operator, bytes32 k, IStrategy strategy, StrategyInfo memory info, Allocation memory allocation) internal {
        if (encumberedMagnitude[operator][strategy] != info.encumberedMagnitude) {
            encumberedMagnitude[operator][strategy] = info.encumberedMagnitude;
            emit EncumberedMagnitudeUpdated(operator, strategy, info.encumberedMagnitude);
        }
        _allocations[operator][k][strategy] = allocation;
        if (allocation.pendingDiff != 0) {
            _allocatedStrategies[operator][k].add(EnumSet.toBytes32(address(strategy)));
            _allocatedSets[operator].add(k);
        } else if (allocation.currentMagnitude == 0) {
            _allocatedStrategies[operator][k].remove(EnumSet.toBytes32(address(strategy)));
            if (_allocatedStrategies[operator][k].length() == 0) _allocatedSets[operator].remove(k);
        }
    }

    function _freeAndUsed(address operator, IStrategy strategy) internal view returns (uint64 enc, uint64 free) {
        enc = encumberedMagnitude[operator][strategy];
        bytes32[] storage q = _deallocationQueue[operator][strategy];
        for (uint256 i = _deallocationQueueHead[operator][strategy]; i < q.length; ++i) {
            Allocation memory a = _allocations[operator][q[i]][strategy];
            if (block.number < a.effectBlock) break;
            enc = _addInt128(enc, a.pendingDiff);
        }
        free = getMaxMagnitude(operator, strategy) - enc;
    }

    function _minimumAllocatedStake(OperatorSet memory os, address[] memory operators, IStrategy[] memory strategies, uint32 futureBlock)
        internal
        view
        returns (uint256[][] memory stake)
    {
        stake = new uint256[][](operators.length);
        uint256[][] memory delegated = IDelegationManagerHarness(delegation).getOperatorsShares(operators, strategies);
        for (uint256 i = 0; i < operators.length; i++) {
            stake[i] = new uint256[](strategies.length);
            for (uint256 j = 0; j < strategies.length; j++) {
                uint64 maxMagnitude = getMaxMagnitude(operators[i], strategies[j]);
                if (maxMagnitude == 0) continue;
                Allocation memory a = getAllocation(operators[i], os, strategies[j]);
                if (a.effectBlock <= futureBlock && a.pendingDiff < 0) a.currentMagnitude = _addInt128(a.currentMagnitude, a.pendingDiff);
                stake[i][j] = delegated[i][j].mulWad(uint256(a.currentMagnitude).divWad(maxMagnitude));
            }
        }
    }

    /// @dev Checked like SafeCast.toUint64: a negative or too large result reverts.
    function _addInt128(uint64 a, int128 b) internal pure returns (uint64) {
        int256 r = int256(int128(uint128(a))) + int256(b);
        require(r >= 0 && r <= int256(uint256(type(uint64).max)), "SafeCast: value doesn't fit in 64 bits");
        return uint64(uint256(r));
    }
}
