// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

/// @title StrategyBase (harness)
/// @notice An IStrategy over one ERC20 with the v1.x StrategyBase share math: virtual offsets
///         SHARES_OFFSET = BALANCE_OFFSET = 1e3 (inflation-attack guard), deposits/withdrawals only through the
///         StrategyManager; pausable as upstream (flag 0 deposits, flag 1 withdrawals). Not upgradeable.
contract StrategyBase is Pausable {
    uint8 internal constant PAUSED_DEPOSITS = 0;
    uint8 internal constant PAUSED_WITHDRAWALS = 1;
    uint256 internal constant SHARES_OFFSET = 1e3;
    uint256 internal constant BALANCE_OFFSET = 1e3;
    uint256 internal constant MAX_TOTAL_SHARES = 1e38 - 1;

    /// @notice The StrategyManager allowed to move shares.
    address public immutable strategyManager;
    /// @notice The underlying token for shares in this strategy.
    IERC20 public underlyingToken;
    /// @notice Total shares outstanding.
    uint256 public totalShares;

    event ExchangeRateEmitted(uint256 rate);
    event StrategyTokenSet(IERC20 token, uint8 decimals);

    error OnlyStrategyManager();
    error NewSharesZero();
    error TotalSharesExceedsMax();
    error WithdrawalAmountExceedsTotalDeposits();
    error OnlyUnderlyingToken();

    constructor(address _strategyManager, IPauserRegistry _pauserRegistry, IERC20 _underlyingToken) Pausable(_pauserRegistry) {
        strategyManager = _strategyManager;
        underlyingToken = _underlyingToken;
        emit StrategyTokenSet(_underlyingToken, _underlyingToken.decimals());
    }

    modifier onlyStrategyManager() {
        if (msg.sender != strategyManager) revert OnlyStrategyManager();
        _;
    }

    /// @notice Called by the StrategyManager after it transferred `amount` tokens here; returns the new shares.
    function deposit(IERC20 token, uint256 amount) external onlyWhenNotPaused(PAUSED_DEPOSITS) onlyStrategyManager returns (uint256 newShares) {
        _beforeDeposit(token, amount);
        uint256 priorTotalShares = totalShares;
        uint256 virtualShareAmount = priorTotalShares + SHARES_OFFSET;
        uint256 virtualTokenBalance = _tokenBalance() + BALANCE_OFFSET;
        uint256 virtualPriorTokenBalance = virtualTokenBalance - amount;
        newShares = (amount * virtualShareAmount) / virtualPriorTokenBalance;
        if (newShares == 0) revert NewSharesZero();
        totalShares = priorTotalShares + newShares;
        if (totalShares > MAX_TOTAL_SHARES) revert TotalSharesExceedsMax();
        _emitExchangeRate(virtualTokenBalance, totalShares + SHARES_OFFSET);
    }

    /// @notice Called by the StrategyManager: burns `amountShares` and sends the underlying to `recipient`.
    function withdraw(address recipient, IERC20 token, uint256 amountShares) external onlyWhenNotPaused(PAUSED_WITHDRAWALS) onlyStrategyManager returns (uint256 amountOut) {
        if (token != underlyingToken) revert OnlyUnderlyingToken();
        uint256 priorTotalShares = totalShares;
        if (amountShares > priorTotalShares) revert WithdrawalAmountExceedsTotalDeposits();
        uint256 virtualPriorTotalShares = priorTotalShares + SHARES_OFFSET;
        uint256 virtualTokenBalance = _tokenBalance() + BALANCE_OFFSET;
        amountOut = (virtualTokenBalance * amountShares) / virtualPriorTotalShares;
        totalShares = priorTotalShares - amountShares;
        _emitExchangeRate(virtualTokenBalance - amountOut, totalShares + SHARES_OFFSET);
        token.transfer(recipient, amountOut);
    }

    function explanation() external pure returns (string memory) {
        return "restake-autopilot harness StrategyBase (v1.x share math)";
    }

    function sharesToUnderlyingView(uint256 amountShares) public view returns (uint256) {
        return ((_tokenBalance() + BALANCE_OFFSET) * amountShares) / (totalShares + SHARES_OFFSET);
    }

    function sharesToUnderlying(uint256 amountShares) external view returns (uint256) {
        return sharesToUnderlyingView(amountShares);
    }

    function underlyingToSharesView(uint256 amountUnderlying) public view returns (uint256) {
        return (amountUnderlying * (totalShares + SHARES_OFFSET)) / (_tokenBalance() + BALANCE_OFFSET);
    }

    function underlyingToShares(uint256 amountUnderlying) external view returns (uint256) {
        return underlyingToSharesView(amountUnderlying);
    }

    /// @notice DEPOSIT shares of `user` as stored in the StrategyManager (slashing NOT applied, as upstream).
    function shares(address user) public view returns (uint256) {
        return IStrategyManagerHarness(strategyManager).stakerDepositShares(user, IStrategy(address(this)));
    }

    /// @notice Underlying of `user`'s deposit shares (ignores slashing, as upstream).
    function userUnderlyingView(address user) external view returns (uint256) {
        return sharesToUnderlyingView(shares(user));
    }

    function userUnderlying(address user) external view returns (uint256) {
        return sharesToUnderlyingView(shares(user));
    }

    /// @dev Checks before a deposit (the tokens are already here); StrategyBaseTVLLimits adds its caps.
    function _beforeDeposit(IERC20 token, uint256) internal virtual {
        if (token != underlyingToken) revert OnlyUnderlyingToken();
    }

    function _tokenBalance() internal view returns (uint256) {
        return underlyingToken.balanceOf(address(this));
    }

    function _emitExchangeRate(uint256 virtualTokenBalance, uint256 virtualTotalShares) internal {
        emit ExchangeRateEmitted((1e18 * virtualTokenBalance) / virtualTotalShares);
    }
}
