// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./StrategyBase.sol";

/// @title StrategyBaseTVLLimits (harness)
/// @notice The strategy type of mainnet's original LST strategies: StrategyBase plus a per-deposit cap and a cap on the
///         strategy's token balance, checked before each deposit with the tokens already transferred in (as upstream:
///         `amount <= maxPerDeposit` else `MaxPerDepositExceedsMax()`, `balance <= maxTotalDeposits` else
///         `BalanceExceedsMaxTotalDeposits()`). Only the unpauser sets the limits.
contract StrategyBaseTVLLimits is StrategyBase {
    /// @notice Max tokens per deposit.
    uint256 public maxPerDeposit;
    /// @notice Max token balance of the strategy after a deposit.
    uint256 public maxTotalDeposits;

    event MaxPerDepositUpdated(uint256 previousValue, uint256 newValue);
    event MaxTotalDepositsUpdated(uint256 previousValue, uint256 newValue);

    error MaxPerDepositExceedsMax();
    error BalanceExceedsMaxTotalDeposits();

    constructor(address _strategyManager, IPauserRegistry _pauserRegistry, IERC20 _underlyingToken, uint256 _maxPerDeposit, uint256 _maxTotalDeposits)
        StrategyBase(_strategyManager, _pauserRegistry, _underlyingToken)
    {
        _setTVLLimits(_maxPerDeposit, _maxTotalDeposits);
    }

    function setTVLLimits(uint256 newMaxPerDeposit, uint256 newMaxTotalDeposits) external onlyUnpauser {
        _setTVLLimits(newMaxPerDeposit, newMaxTotalDeposits);
    }

    function getTVLLimits() external view returns (uint256, uint256) {
        return (maxPerDeposit, maxTotalDeposits);
    }

    function _setTVLLimits(uint256 newMaxPerDeposit, uint256 newMaxTotalDeposits) internal {
        emit MaxPerDepositUpdated(maxPerDeposit, newMaxPerDeposit);
        emit MaxTotalDepositsUpdated(maxTotalDeposits, newMaxTotalDeposits);
        if (newMaxPerDeposit > newMaxTotalDeposits) revert MaxPerDepositExceedsMax();
        maxPerDeposit = newMaxPerDeposit;
        maxTotalDeposits = newMaxTotalDeposits;
    }

    function _beforeDeposit(IERC20 token, uint256 amount) internal virtual override {
        if (amount > maxPerDeposit) revert MaxPerDepositExceedsMax();
        if (_tokenBalance() > maxTotalDeposits) revert BalanceExceedsMaxTotalDeposits();
        super._beforeDeposit(token, amount);
    }
}
