// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

/// @title DelegationManager (harness)
/// @notice Delegation, deposit vs withdrawable shares and the withdrawal queue of the EigenLayer slashing release,
///         with the published v1.x (v1.6.0) signatures, struct layouts and events:
///         - withdrawable = mulWad(mulWad(depositShares, dsf), slashingFactor), slashingFactor = operator's maxMagnitude
///         - queue: scaledShares = mulWad(depositShares, dsf); complete: shares = mulWad(scaledShares, maxMagnitude at
///           startBlock + MIN_WITHDRAWAL_DELAY_BLOCKS); completable when block.number > startBlock + delay
///         - queued shares stay slashable by the old operator until completable.
///         Pausable as upstream (flag 0 new delegations, 1 entering the withdrawal queue, 2 completing withdrawals).
///         No EigenPods (beacon chain ETH), no PermissionController appointees, not upgradeable.
contract DelegationManager is IDelegationManagerTypes, ISignatureUtilsMixinTypes, Pausable {
    uint8 internal constant PAUSED_NEW_DELEGATION = 0;
    uint8 internal constant PAUSED_ENTER_WITHDRAWAL_QUEUE = 1;
    uint8 internal constant PAUSED_EXIT_WITHDRAWAL_QUEUE = 2;
    using WadMath for uint256;
    using History for History.Checkpoint[];

    /// @notice The virtual beacon-chain ETH strategy address (unused by the harness: no EigenPods).
    IStrategy public constant beaconChainETHStrategy = IStrategy(0xbeaC0eeEeeeeEEeEeEEEEeeEEeEeeeEeeEEBEaC0);
    bytes32 public constant DELEGATION_APPROVAL_TYPEHASH =
        keccak256("DelegationApproval(address delegationApprover,address staker,address operator,bytes32 salt,uint256 expiry)");
    bytes32 internal constant EIP712_DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    address public immutable strategyManager;
    address public immutable allocationManager;
    uint32 internal immutable MIN_WITHDRAWAL_DELAY_BLOCKS;

    mapping(address => mapping(IStrategy => uint256)) public operatorShares;
    mapping(address => address) public delegatedTo;
    mapping(address => mapping(bytes32 => bool)) public delegationApproverSaltIsSpent;
    mapping(bytes32 => bool) public pendingWithdrawals;
    mapping(address => uint256) public cumulativeWithdrawalsQueued;
    mapping(address => address) internal _delegationApprover;
    /// @dev staker => strategy => deposit scaling factor (0 means WAD).
    mapping(address => mapping(IStrategy => uint256)) internal _depositScalingFactor;
    mapping(bytes32 => Withdrawal) internal _queuedWithdrawals;
    /// @dev staker => queued roots (enumerable set: values + 1-based index).
    mapping(address => bytes32[]) internal _stakerRoots;
    mapping(address => mapping(bytes32 => uint256)) internal _stakerRootIndex;
    /// @dev operator => strategy => cumulative scaled shares ever queued, by block.
    mapping(address => mapping(IStrategy => History.Checkpoint[])) internal _cumulativeScaledSharesHistory;

    event OperatorRegistered(address indexed operator, address delegationApprover);
    event DelegationApproverUpdated(address indexed operator, address newDelegationApprover);
    event OperatorMetadataURIUpdated(address indexed operator, string metadataURI);
    event OperatorSharesIncreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event OperatorSharesDecreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event StakerDelegated(address indexed staker, address indexed operator);
    event StakerUndelegated(address indexed staker, address indexed operator);
    event StakerForceUndelegated(address indexed staker, address indexed operator);
    event DepositScalingFactorUpdated(address staker, IStrategy strategy, uint256 newDepositScalingFactor);
    event SlashingWithdrawalQueued(bytes32 withdrawalRoot, Withdrawal withdrawal, uint256[] sharesToWithdraw);
    event SlashingWithdrawalCompleted(bytes32 withdrawalRoot);
    event OperatorSharesSlashed(address indexed operator, IStrategy strategy, uint256 totalSlashedShares);

    error OnlyStrategyManagerOrEigenPodManager();
    error OnlyAllocationManager();
    error OperatorsCannotUndelegate();
    error ActivelyDelegated();
    error NotActivelyDelegated();
    error OperatorNotRegistered();
    error WithdrawalNotQueued();
    error CallerCannotUndelegate();
    error InputArrayLengthMismatch();
    error InputArrayLengthZero();
    error FullySlashed();
    error SaltSpent();
    error WithdrawalDelayNotElapsed();
    error WithdrawerNotCaller();
    error InvalidSignature();
    error SignatureExpired();

    constructor(address _strategyManager, address _allocationManager, IPauserRegistry _pauserRegistry, uint32 _minWithdrawalDelayBlocks) Pausable(_pauserRegistry) {
        strategyManager = _strategyManager;
        allocationManager = _allocationManager;
        MIN_WITHDRAWAL_DELAY_BLOCKS = _minWithdrawalDelayBlocks;
    }

    // ================================================================ operators

    /// @notice Registers msg.sender as an operator (delegated to itself); sets its allocation delay in the AllocationManager.
    function registerAsOperator(address initDelegationApprover, uint32 allocationDelay, string calldata metadataURI) external {
        if (isDelegated(msg.sender)) revert ActivelyDelegated();
        IAllocationManagerHarness(allocationManager).setAllocationDelay(msg.sender, allocationDelay);
        _setDelegationApprover(msg.sender, initDelegationApprover);
        _delegate(msg.sender, msg.sender);
        emit OperatorRegistered(msg.sender, initDelegationApprover);
        emit OperatorMetadataURIUpdated(msg.sender, metadataURI);
    }

    function modifyOperatorDetails(address operator, address newDelegationApprover) external {
        if (msg.sender != operator) revert CallerCannotUndelegate();
        if (!isOperator(operator)) revert OperatorNotRegistered();
        _setDelegationApprover(operator, newDelegationApprover);
    }

    function updateOperatorMetadataURI(address operator, string calldata metadataURI) external {
        if (msg.sender != operator) revert CallerCannotUndelegate();
        if (!isOperator(operator)) revert OperatorNotRegistered();
        emit OperatorMetadataURIUpdated(operator, metadataURI);
    }

    // ================================================================ stakers

    /// @notice Delegates msg.sender (and all its shares) to `operator`. Signature/salt only matter if the operator has an approver.
    function delegateTo(address operator, SignatureWithExpiry memory approverSignatureAndExpiry, bytes32 approverSalt) public {
        if (isDelegated(msg.sender)) revert ActivelyDelegated();
        if (!isOperator(operator)) revert OperatorNotRegistered();
        _checkApproverSignature(msg.sender, operator, approverSignatureAndExpiry, approverSalt);
        _delegate(msg.sender, operator);
    }

    /// @notice Undelegates `staker`, queueing one withdrawal per strategy. Callable by the staker, its operator or the approver.
    function undelegate(address staker) public returns (bytes32[] memory withdrawalRoots) {
        if (!isDelegated(staker)) revert NotActivelyDelegated();
        if (isOperator(staker)) revert OperatorsCannotUndelegate();
        if (msg.sender != staker) {
            address operator = delegatedTo[staker];
            if (msg.sender != operator && msg.sender != _delegationApprover[operator]) revert CallerCannotUndelegate();
            emit StakerForceUndelegated(staker, operator);
        }
        return _undelegate(staker);
    }

    /// @notice undelegate(msg.sender) then delegateTo(newOperator).
    function redelegate(address newOperator, SignatureWithExpiry memory newOperatorApproverSig, bytes32 approverSalt)
        external
        returns (bytes32[] memory withdrawalRoots)
    {
        withdrawalRoots = undelegate(msg.sender);
        delegateTo(newOperator, newOperatorApproverSig, approverSalt);
    }

    /// @notice Queues withdrawals of DEPOSIT shares; the withdrawer is always msg.sender.
    function queueWithdrawals(QueuedWithdrawalParams[] calldata params) external onlyWhenNotPaused(PAUSED_ENTER_WITHDRAWAL_QUEUE) returns (bytes32[] memory) {
        bytes32[] memory withdrawalRoots = new bytes32[](params.length);
        address operator = delegatedTo[msg.sender];
        for (uint256 i = 0; i < params.length; i++) {
            if (params[i].strategies.length != params[i].depositShares.length) revert InputArrayLengthMismatch();
            uint256[] memory slashingFactors = _getSlashingFactors(operator, params[i].strategies);
            withdrawalRoots[i] = _removeSharesAndQueueWithdrawal(msg.sender, operator, params[i].strategies, params[i].depositShares, slashingFactors);
        }
        return withdrawalRoots;
    }

    function completeQueuedWithdrawal(Withdrawal calldata withdrawal, IERC20[] calldata tokens, bool receiveAsTokens) external onlyWhenNotPaused(PAUSED_EXIT_WITHDRAWAL_QUEUE) {
        _completeQueuedWithdrawal(withdrawal, tokens, receiveAsTokens);
    }

    function completeQueuedWithdrawals(Withdrawal[] calldata withdrawals, IERC20[][] calldata tokens, bool[] calldata receiveAsTokens)
        external
        onlyWhenNotPaused(PAUSED_EXIT_WITHDRAWAL_QUEUE)
    {
        for (uint256 i; i < withdrawals.length; ++i) {
            _completeQueuedWithdrawal(withdrawals[i], tokens[i], receiveAsTokens[i]);
        }
    }

    // ================================================================ hooks

    /// @notice Called by the StrategyManager on deposit: updates the staker's dsf and the operator's shares.
    function increaseDelegatedShares(address staker, IStrategy strategy, uint256 prevDepositShares, uint256 addedShares) external {
        if (msg.sender != strategyManager) revert OnlyStrategyManagerOrEigenPodManager();
        address operator = delegatedTo[staker];
        uint256 slashingFactor = IAllocationManagerHarness(allocationManager).getMaxMagnitude(operator, strategy);
        _increaseDelegation(operator, staker, strategy, prevDepositShares, addedShares, slashingFactor);
    }

    /// @notice Called by the AllocationManager on a slash: removes the slashed operator shares and books the
    ///         slashed shares (incl. the still-slashable withdrawal queue) for burning.
    function slashOperatorShares(address operator, OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy, uint64 prevMaxMagnitude, uint64 newMaxMagnitude)
        external
        returns (uint256 totalDepositSharesToSlash)
    {
        if (msg.sender != allocationManager) revert OnlyAllocationManager();
        uint256 opShares = operatorShares[operator][strategy];
        uint256 operatorSharesSlashed = opShares - WadMath.mulDivUp(opShares, newMaxMagnitude, prevMaxMagnitude);
        uint256 queueSlashed = _slashableSharesInQueue(operator, strategy, prevMaxMagnitude, newMaxMagnitude);
        totalDepositSharesToSlash = operatorSharesSlashed + queueSlashed;
        _decreaseDelegation(operator, address(0), strategy, operatorSharesSlashed);
        emit OperatorSharesSlashed(operator, strategy, totalDepositSharesToSlash);
        if (totalDepositSharesToSlash != 0) {
            IStrategyManagerHarness(strategyManager).increaseBurnOrRedistributableShares(operatorSet, slashId, strategy, totalDepositSharesToSlash);
        }
    }

    // ================================================================ views

    function isDelegated(address staker) public view returns (bool) {
        return delegatedTo[staker] != address(0);
    }

    function isOperator(address operator) public view returns (bool) {
        return operator != address(0) && delegatedTo[operator] == operator;
    }

    function delegationApprover(address operator) public view returns (address) {
        return _delegationApprover[operator];
    }

    function depositScalingFactor(address staker, IStrategy strategy) external view returns (uint256) {
        return _dsf(staker, strategy);
    }

    function getOperatorShares(address operator, IStrategy[] memory strategies) public view returns (uint256[] memory) {
        uint256[] memory out = new uint256[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            out[i] = operatorShares[operator][strategies[i]];
        }
        return out;
    }

    function getOperatorsShares(address[] memory operators, IStrategy[] memory strategies) external view returns (uint256[][] memory) {
        uint256[][] memory out = new uint256[][](operators.length);
        for (uint256 i = 0; i < operators.length; ++i) {
            out[i] = getOperatorShares(operators[i], strategies);
        }
        return out;
    }

    function getSlashableSharesInQueue(address operator, IStrategy strategy) external view returns (uint256) {
        uint64 maxMagnitude = IAllocationManagerHarness(allocationManager).getMaxMagnitude(operator, strategy);
        return _slashableSharesInQueue(operator, strategy, maxMagnitude, 0);
    }

    function getWithdrawableShares(address staker, IStrategy[] memory strategies)
        external
        view
        returns (uint256[] memory withdrawableShares, uint256[] memory depositShares)
    {
        withdrawableShares = new uint256[](strategies.length);
        depositShares = new uint256[](strategies.length);
        uint256[] memory slashingFactors = _getSlashingFactors(delegatedTo[staker], strategies);
        for (uint256 i = 0; i < strategies.length; ++i) {
            depositShares[i] = IStrategyManagerHarness(strategyManager).stakerDepositShares(staker, strategies[i]);
            withdrawableShares[i] = depositShares[i].mulWad(_dsf(staker, strategies[i])).mulWad(slashingFactors[i]);
        }
    }

    function getDepositedShares(address staker) public view returns (IStrategy[] memory, uint256[] memory) {
        return IStrategyManagerHarness(strategyManager).getDeposits(staker);
    }

    function queuedWithdrawals(bytes32 withdrawalRoot) external view returns (Withdrawal memory withdrawal) {
        return _queuedWithdrawals[withdrawalRoot];
    }

    function getQueuedWithdrawal(bytes32 withdrawalRoot) external view returns (Withdrawal memory withdrawal, uint256[] memory shares) {
        return _sharesByRoot(withdrawalRoot);
    }

    function getQueuedWithdrawals(address staker) external view returns (Withdrawal[] memory withdrawals, uint256[][] memory shares) {
        bytes32[] memory roots = _stakerRoots[staker];
        withdrawals = new Withdrawal[](roots.length);
        shares = new uint256[][](roots.length);
        for (uint256 i; i < roots.length; ++i) {
            (withdrawals[i], shares[i]) = _sharesByRoot(roots[i]);
        }
    }

    function getQueuedWithdrawalRoots(address staker) external view returns (bytes32[] memory) {
        return _stakerRoots[staker];
    }

    function convertToDepositShares(address staker, IStrategy[] memory strategies, uint256[] memory withdrawableShares) external view returns (uint256[] memory) {
        uint256[] memory slashingFactors = _getSlashingFactors(delegatedTo[staker], strategies);
        uint256[] memory out = new uint256[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            out[i] = withdrawableShares[i].divWad(_dsf(staker, strategies[i])).divWad(slashingFactors[i]);
        }
        return out;
    }

    function calculateWithdrawalRoot(Withdrawal memory withdrawal) public pure returns (bytes32) {
        return keccak256(abi.encode(withdrawal));
    }

    function minWithdrawalDelayBlocks() external view returns (uint32) {
        return MIN_WITHDRAWAL_DELAY_BLOCKS;
    }

    function domainSeparator() public view returns (bytes32) {
        return keccak256(abi.encode(EIP712_DOMAIN_TYPEHASH, keccak256(bytes("EigenLayer")), keccak256(bytes("v1")), block.chainid, address(this)));
    }

    function calculateDelegationApprovalDigestHash(address staker, address operator, address approver, bytes32 approverSalt, uint256 expiry)
        public
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(DELEGATION_APPROVAL_TYPEHASH, approver, staker, operator, approverSalt, expiry));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    // ================================================================ internal

    function _dsf(address staker, IStrategy strategy) internal view returns (uint256) {
        uint256 f = _depositScalingFactor[staker][strategy];
        return f == 0 ? WAD : f;
    }

    function _setDelegationApprover(address operator, address newDelegationApprover) internal {
        _delegationApprover[operator] = newDelegationApprover;
        emit DelegationApproverUpdated(operator, newDelegationApprover);
    }

    function _delegate(address staker, address operator) internal onlyWhenNotPaused(PAUSED_NEW_DELEGATION) {
        (IStrategy[] memory strategies, uint256[] memory withdrawableShares) = getDepositedShares(staker);
        uint256[] memory slashingFactors = _getSlashingFactors(operator, strategies);
        delegatedTo[staker] = operator;
        emit StakerDelegated(staker, operator);
        for (uint256 i = 0; i < strategies.length; ++i) {
            _increaseDelegation(operator, staker, strategies[i], 0, withdrawableShares[i], slashingFactors[i]);
        }
    }

    function _undelegate(address staker) internal onlyWhenNotPaused(PAUSED_ENTER_WITHDRAWAL_QUEUE) returns (bytes32[] memory withdrawalRoots) {
        address operator = delegatedTo[staker];
        delegatedTo[staker] = address(0);
        emit StakerUndelegated(staker, operator);
        (IStrategy[] memory strategies, uint256[] memory depositedShares) = getDepositedShares(staker);
        if (strategies.length == 0) return withdrawalRoots;
        withdrawalRoots = new bytes32[](strategies.length);
        uint256[] memory slashingFactors = _getSlashingFactors(operator, strategies);
        for (uint256 i = 0; i < strategies.length; i++) {
            IStrategy[] memory one = new IStrategy[](1);
            uint256[] memory oneShares = new uint256[](1);
            uint256[] memory oneFactor = new uint256[](1);
            one[0] = strategies[i];
            oneShares[0] = depositedShares[i];
            oneFactor[0] = slashingFactors[i];
            withdrawalRoots[i] = _removeSharesAndQueueWithdrawal(staker, operator, one, oneShares, oneFactor);
        }
    }

    function _removeSharesAndQueueWithdrawal(
        address staker,
        address operator,
        IStrategy[] memory strategies,
        uint256[] memory depositSharesToWithdraw,
        uint256[] memory slashingFactors
    ) internal returns (bytes32) {
        if (staker == address(0)) revert InputAddressZero();
        if (strategies.length == 0) revert InputArrayLengthZero();
        uint256[] memory scaledShares = new uint256[](strategies.length);
        uint256[] memory withdrawableShares = new uint256[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            uint256 dsf = _dsf(staker, strategies[i]);
            withdrawableShares[i] = depositSharesToWithdraw[i].mulWad(dsf).mulWad(slashingFactors[i]);
            scaledShares[i] = depositSharesToWithdraw[i].mulWad(dsf);
            if (operator != address(0)) {
                History.Checkpoint[] storage h = _cumulativeScaledSharesHistory[operator][strategies[i]];
                h.push(uint32(block.number), h.latest(0) + scaledShares[i]);
                _decreaseDelegation(operator, staker, strategies[i], withdrawableShares[i]);
            }
            uint256 sharesAfter = IStrategyManagerHarness(strategyManager).removeDepositShares(staker, strategies[i], depositSharesToWithdraw[i]);
            if (sharesAfter == 0) {
                _depositScalingFactor[staker][strategies[i]] = 0;
                emit DepositScalingFactorUpdated(staker, strategies[i], WAD);
            }
        }
        uint256 nonce = cumulativeWithdrawalsQueued[staker];
        cumulativeWithdrawalsQueued[staker] = nonce + 1;
        Withdrawal memory withdrawal = Withdrawal({
            staker: staker,
            delegatedTo: operator,
            withdrawer: staker,
            nonce: nonce,
            startBlock: uint32(block.number),
            strategies: strategies,
            scaledShares: scaledShares
        });
        bytes32 root = calculateWithdrawalRoot(withdrawal);
        pendingWithdrawals[root] = true;
        _queuedWithdrawals[root] = withdrawal;
        _stakerRoots[staker].push(root);
        _stakerRootIndex[staker][root] = _stakerRoots[staker].length;
        emit SlashingWithdrawalQueued(root, withdrawal, withdrawableShares);
        return root;
    }

    function _completeQueuedWithdrawal(Withdrawal memory withdrawal, IERC20[] calldata tokens, bool receiveAsTokens) internal {
        if (tokens.length != withdrawal.strategies.length) revert InputArrayLengthMismatch();
        if (msg.sender != withdrawal.withdrawer) revert WithdrawerNotCaller();
        bytes32 root = calculateWithdrawalRoot(withdrawal);
        if (!pendingWithdrawals[root]) revert WithdrawalNotQueued();
        uint32 slashableUntil = withdrawal.startBlock + MIN_WITHDRAWAL_DELAY_BLOCKS;
        if (uint32(block.number) <= slashableUntil) revert WithdrawalDelayNotElapsed();
        uint64[] memory prevFactors =
            IAllocationManagerHarness(allocationManager).getMaxMagnitudesAtBlock(withdrawal.delegatedTo, withdrawal.strategies, slashableUntil);

        _removeRoot(withdrawal.staker, root);
        delete _queuedWithdrawals[root];
        delete pendingWithdrawals[root];
        emit SlashingWithdrawalCompleted(root);

        address newOperator = delegatedTo[withdrawal.staker];
        uint256[] memory newFactors = _getSlashingFactors(newOperator, withdrawal.strategies);
        for (uint256 i = 0; i < withdrawal.strategies.length; i++) {
            uint256 sharesToWithdraw = withdrawal.scaledShares[i].mulWad(prevFactors[i]);
            if (sharesToWithdraw == 0) continue;
            if (receiveAsTokens) {
                IStrategyManagerHarness(strategyManager).withdrawSharesAsTokens(withdrawal.staker, withdrawal.strategies[i], tokens[i], sharesToWithdraw);
            } else {
                (uint256 prevDepositShares, uint256 addedShares) =
                    IStrategyManagerHarness(strategyManager).addShares(withdrawal.staker, withdrawal.strategies[i], sharesToWithdraw);
                _increaseDelegation(newOperator, withdrawal.staker, withdrawal.strategies[i], prevDepositShares, addedShares, newFactors[i]);
            }
        }
    }

    function _increaseDelegation(address operator, address staker, IStrategy strategy, uint256 prevDepositShares, uint256 addedShares, uint256 slashingFactor)
        internal
    {
        if (slashingFactor == 0) revert FullySlashed();
        if (addedShares == 0) return;
        uint256 dsf = _dsf(staker, strategy);
        uint256 newDsf;
        if (prevDepositShares == 0) {
            newDsf = dsf.divWad(slashingFactor);
        } else {
            uint256 currentShares = prevDepositShares.mulWad(dsf).mulWad(slashingFactor);
            newDsf = (currentShares + addedShares).divWad(prevDepositShares + addedShares).divWad(slashingFactor);
            if (newDsf == 0) revert FullySlashed();
        }
        _depositScalingFactor[staker][strategy] = newDsf;
        emit DepositScalingFactorUpdated(staker, strategy, newDsf);
        if (isDelegated(staker)) {
            operatorShares[operator][strategy] += addedShares;
            emit OperatorSharesIncreased(operator, staker, strategy, addedShares);
        }
    }

    function _decreaseDelegation(address operator, address staker, IStrategy strategy, uint256 sharesToDecrease) internal {
        operatorShares[operator][strategy] -= sharesToDecrease;
        emit OperatorSharesDecreased(operator, staker, strategy, sharesToDecrease);
    }

    function _checkApproverSignature(address staker, address operator, SignatureWithExpiry memory signature, bytes32 salt) internal {
        address approver = _delegationApprover[operator];
        if (approver == address(0)) return;
        if (delegationApproverSaltIsSpent[approver][salt]) revert SaltSpent();
        delegationApproverSaltIsSpent[approver][salt] = true;
        if (signature.expiry < block.timestamp) revert SignatureExpired();
        bytes32 digest = calculateDelegationApprovalDigestHash(staker, operator, approver, salt, signature.expiry);
        if (_recover(digest, signature.signature) != approver) revert InvalidSignature();
    }

    /// @dev ECDSA recovery for EOA approvers (65-byte r,s,v). EIP-1271 contract approvers are not supported.
    function _recover(bytes32 digest, bytes memory sig) internal pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _getSlashingFactors(address operator, IStrategy[] memory strategies) internal view returns (uint256[] memory factors) {
        factors = new uint256[](strategies.length);
        uint64[] memory mags = IAllocationManagerHarness(allocationManager).getMaxMagnitudes(operator, strategies);
        for (uint256 i = 0; i < strategies.length; i++) {
            factors[i] = mags[i];
        }
    }

    /// @dev Scaled shares that entered the queue in the last MIN_WITHDRAWAL_DELAY_BLOCKS (+ this block), scaled by the magnitude drop.
    function _slashableSharesInQueue(address operator, IStrategy strategy, uint64 prevMaxMagnitude, uint64 newMaxMagnitude) internal view returns (uint256) {
        History.Checkpoint[] storage h = _cumulativeScaledSharesHistory[operator][strategy];
        uint256 cur = h.latest(0);
        // As upstream: uint32 checked math, so on a chain younger than the delay this reverts (panic 0x11), and with it
        // every slash and getSlashableSharesInQueue. A real deployment is older; the local world mines past it.
        uint256 prev = h.upperLookup(uint32(block.number) - MIN_WITHDRAWAL_DELAY_BLOCKS - 1, 0);
        return (cur - prev).mulWad(prevMaxMagnitude - newMaxMagnitude);
    }

    function _sharesByRoot(bytes32 root) internal view returns (Withdrawal memory withdrawal, uint256[] memory shares) {
        withdrawal = _queuedWithdrawals[root];
        shares = new uint256[](withdrawal.strategies.length);
        uint32 slashableUntil = withdrawal.startBlock + MIN_WITHDRAWAL_DELAY_BLOCKS;
        uint64[] memory mags = slashableUntil < uint32(block.number)
            ? IAllocationManagerHarness(allocationManager).getMaxMagnitudesAtBlock(withdrawal.delegatedTo, withdrawal.strategies, slashableUntil)
            : IAllocationManagerHarness(allocationManager).getMaxMagnitudes(withdrawal.delegatedTo, withdrawal.strategies);
        for (uint256 j; j < withdrawal.strategies.length; ++j) {
            shares[j] = withdrawal.scaledShares[j].mulWad(mags[j]);
        }
    }

    function _removeRoot(address staker, bytes32 root) internal {
        uint256 idx = _stakerRootIndex[staker][root];
        if (idx == 0) return;
        bytes32[] storage roots = _stakerRoots[staker];
        bytes32 last = roots[roots.length - 1];
        roots[idx - 1] = last;
        _stakerRootIndex[staker][last] = idx;
        roots.pop();
        delete _stakerRootIndex[staker][root];
    }
}
