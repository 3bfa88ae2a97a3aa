// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

/// @notice Test stand-in for a Symbiotic v2 vault (symbioticfi/core v2.0.0): it answers `version()` = 3 as v2 vaults
/// do, and the v1 getters a careless reader would call, so that a reader that skipped the version check would misread
/// it. The bot must refuse it by its version (shared/protocols/symbiotic/validateVault.ts).
contract VaultV2Stub {
    address public immutable collateral;
    address public immutable delegator;
    address public constant slasher = address(0);
    uint48 public constant epochDuration = 7 days;

    constructor(address collateral_, address delegator_) {
        collateral = collateral_;
        delegator = delegator_;
    }

    function version() external pure returns (uint64) {
        return 3;
    }

    function activeStake() external pure returns (uint256) {
        return 1e24;
    }
}
