// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

/// @title StrategyManager (harness)
/// @notice Holds stakers' DEPOSIT shares per strategy and forwards deposits to strategies, with the published
///         v1.x (v1.6.0) signatures and events. Pausable (flag 0: deposits). Not upgradeable; no deposit-by-signature.
contract StrategyManager is Pausable {
    uint8 internal constant PAUSED_DEPOSITS = 0;
    using OperatorSetLib for OperatorSet;

    uint8 internal constant MAX_STAKER_STRATEGY_LIST_LENGTH = 32;
    /// @notice Where burned shares' tokens go (same constant as upstream).
    address public constant DEFAULT_BURN_ADDRESS = 0x00000000000000000000000000000000000E16E4;

    /// @notice The AllocationManager: where slashed shares go (its redistribution recipient of the operator set).
    address public immutable allocationManager;
    /// @notice The DelegationManager, the only caller of the share-manager hooks.
    address public immutable delegation;

    address public owner;
    address public strategyWhitelister;
    mapping(address => mapping(IStrategy => uint256)) public stakerDepositShares;
    mapping(address => IStrategy[]) public stakerStrategyList;
    mapping(IStrategy => bool) public strategyIsWhitelistedForDeposit;
    /// @dev operatorSet key => slashId => strategy => shares to burn.
    mapping(bytes32 => mapping(uint256 => mapping(IStrategy => uint256))) internal _burnOrRedistributableShares;

    event Deposit(address staker, IStrategy strategy, uint256 shares);
    event StrategyWhitelisterChanged(address previousAddress, address newAddress);
    event StrategyAddedToDepositWhitelist(IStrategy strategy);
    event StrategyRemovedFromDepositWhitelist(IStrategy strategy);
    event BurnOrRedistributableSharesIncreased(OperatorSet operatorSet, uint256 slashId, IStrategy strategy, uint256 shares);
    event BurnOrRedistributableSharesDecreased(OperatorSet operatorSet, uint256 slashId, IStrategy strategy, uint256 shares);

    error MaxStrategiesExceeded();
    error OnlyDelegationManager();
    error OnlyStrategyWhitelister();
    error SharesAmountTooHigh();
    error SharesAmountZero();
    error StakerAddressZero();
    error StrategyNotFound();
    error StrategyNotWhitelisted();
    error StrategyAlreadyInSlash();
    error OnlyOwner();
    error TransferFailed();

    constructor(address _allocationManager, address _delegation, IPauserRegistry _pauserRegistry, address initialOwner, address initialStrategyWhitelister)
        Pausable(_pauserRegistry)
    {
        allocationManager = _allocationManager;
        delegation = _delegation;
        owner = initialOwner;
        strategyWhitelister = initialStrategyWhitelister;
        emit StrategyWhitelisterChanged(address(0), initialStrategyWhitelister);
    }

    modifier onlyDelegationManager() {
        if (msg.sender != delegation) revert OnlyDelegationManager();
        _;
    }

    modifier onlyStrategyWhitelister() {
        if (msg.sender != strategyWhitelister) revert OnlyStrategyWhitelister();
        _;
    }

    // ---------------------------------------------------------------- staker entry point

    /// @notice Deposits `amount` of `token` (caller approved this contract) into `strategy`; returns deposit shares.
    function depositIntoStrategy(IStrategy strategy, IERC20 token, uint256 amount) external onlyWhenNotPaused(PAUSED_DEPOSITS) returns (uint256 depositShares) {
        if (!strategyIsWhitelistedForDeposit[strategy]) revert StrategyNotWhitelisted();
        if (!token.transferFrom(msg.sender, address(strategy), amount)) revert TransferFailed();
        depositShares = strategy.deposit(token, amount);
        (uint256 prevDepositShares, uint256 addedShares) = _addShares(msg.sender, strategy, depositShares);
        IDelegationManagerHarness(delegation).increaseDelegatedShares(msg.sender, strategy, prevDepositShares, addedShares);
    }

    // ---------------------------------------------------------------- IShareManager (DelegationManager only)

    function removeDepositShares(address staker, IStrategy strategy, uint256 depositSharesToRemove) external onlyDelegationManager returns (uint256) {
        if (depositSharesToRemove == 0) revert SharesAmountZero();
        uint256 userDepositShares = stakerDepositShares[staker][strategy];
        if (depositSharesToRemove > userDepositShares) revert SharesAmountTooHigh();
        userDepositShares -= depositSharesToRemove;
        stakerDepositShares[staker][strategy] = userDepositShares;
        if (userDepositShares == 0) _removeStrategyFromStakerStrategyList(staker, strategy);
        return userDepositShares;
    }

    function addShares(address staker, IStrategy strategy, uint256 shares) external onlyDelegationManager returns (uint256, uint256) {
        return _addShares(staker, strategy, shares);
    }

    function withdrawSharesAsTokens(address staker, IStrategy strategy, IERC20 token, uint256 shares) external onlyDelegationManager {
        strategy.withdraw(staker, token, shares);
    }

    function increaseBurnOrRedistributableShares(OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy, uint256 addedSharesToBurn)
        external
        onlyDelegationManager
    {
        bytes32 k = OperatorSetLib.key(operatorSet);
        if (_burnOrRedistributableShares[k][slashId][strategy] != 0) revert StrategyAlreadyInSlash();
        _burnOrRedistributableShares[k][slashId][strategy] = addedSharesToBurn;
        emit BurnOrRedistributableSharesIncreased(operatorSet, slashId, strategy, addedSharesToBurn);
    }

    /// @notice Pays out the slashed shares of one (operator set, slash, strategy) to the set's redistribution recipient
    ///         (DEFAULT_BURN_ADDRESS unless the set is redistributing).
    function clearBurnOrRedistributableSharesByStrategy(OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy) external returns (uint256 amountOut) {
        bytes32 k = OperatorSetLib.key(operatorSet);
        uint256 sharesToRemove = _burnOrRedistributableShares[k][slashId][strategy];
        delete _burnOrRedistributableShares[k][slashId][strategy];
        if (sharesToRemove != 0) {
            address recipient = IAllocationManagerHarness(allocationManager).getRedistributionRecipient(operatorSet);
            amountOut = strategy.withdraw(recipient, strategy.underlyingToken(), sharesToRemove);
            emit BurnOrRedistributableSharesDecreased(operatorSet, slashId, strategy, sharesToRemove);
        }
    }

    function getBurnOrRedistributableShares(OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy) external view returns (uint256) {
        return _burnOrRedistributableShares[OperatorSetLib.key(operatorSet)][slashId][strategy];
    }

    // ---------------------------------------------------------------- admin

    function setStrategyWhitelister(address newStrategyWhitelister) external {
        if (msg.sender != owner) revert OnlyOwner();
        emit StrategyWhitelisterChanged(strategyWhitelister, newStrategyWhitelister);
        strategyWhitelister = newStrategyWhitelister;
    }

    function addStrategiesToDepositWhitelist(IStrategy[] calldata strategiesToWhitelist) external onlyStrategyWhitelister {
        for (uint256 i = 0; i < strategiesToWhitelist.length; ++i) {
            if (!strategyIsWhitelistedForDeposit[strategiesToWhitelist[i]]) {
                strategyIsWhitelistedForDeposit[strategiesToWhitelist[i]] = true;
                emit StrategyAddedToDepositWhitelist(strategiesToWhitelist[i]);
            }
        }
    }

    function removeStrategiesFromDepositWhitelist(IStrategy[] calldata strategiesToRemoveFromWhitelist) external onlyStrategyWhitelister {
        for (uint256 i = 0; i < strategiesToRemoveFromWhitelist.length; ++i) {
            if (strategyIsWhitelistedForDeposit[strategiesToRemoveFromWhitelist[i]]) {
                strategyIsWhitelistedForDeposit[strategiesToRemoveFromWhitelist[i]] = false;
                emit StrategyRemovedFromDepositWhitelist(strategiesToRemoveFromWhitelist[i]);
            }
        }
    }

    // ---------------------------------------------------------------- views

    function getDeposits(address staker) external view returns (IStrategy[] memory, uint256[] memory) {
        IStrategy[] memory list = stakerStrategyList[staker];
        uint256[] memory depositedShares = new uint256[](list.length);
        for (uint256 i = 0; i < list.length; ++i) {
            depositedShares[i] = stakerDepositShares[staker][list[i]];
        }
        return (list, depositedShares);
    }

    function getStakerStrategyList(address staker) external view returns (IStrategy[] memory) {
        return stakerStrategyList[staker];
    }

    function stakerStrategyListLength(address staker) external view returns (uint256) {
        return stakerStrategyList[staker].length;
    }

    // ---------------------------------------------------------------- internal

    function _addShares(address staker, IStrategy strategy, uint256 shares) internal returns (uint256, uint256) {
        if (staker == address(0)) revert StakerAddressZero();
        if (shares == 0) revert SharesAmountZero();
        uint256 prevDepositShares = stakerDepositShares[staker][strategy];
        if (prevDepositShares == 0) {
            if (stakerStrategyList[staker].length >= MAX_STAKER_STRATEGY_LIST_LENGTH) revert MaxStrategiesExceeded();
            stakerStrategyList[staker].push(strategy);
        }
        stakerDepositShares[staker][strategy] = prevDepositShares + shares;
        emit Deposit(staker, strategy, shares);
        return (prevDepositShares, shares);
    }

    function _removeStrategyFromStakerStrategyList(address staker, IStrategy strategy) internal {
        IStrategy[] storage list = stakerStrategyList[staker];
        uint256 n = list.length;
        uint256 j = 0;
        for (; j < n; ++j) {
            if (list[j] == strategy) {
                list[j] = list[n - 1];
                break;
            }
        }
        if (j == n) revert StrategyNotFound();
        list.pop();
    }
}
