// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

/// @title PauserRegistry (harness)
/// @notice Who may pause (any pauser) and unpause (the one unpauser) every Pausable core contract, with the v1.x
///         PauserRegistry signatures, events and errors.
contract PauserRegistry {
    mapping(address => bool) public isPauser;
    address public unpauser;

    event PauserStatusChanged(address pauser, bool canPause);
    event UnpauserChanged(address previousUnpauser, address newUnpauser);

    error OnlyUnpauser();
    error InputAddressZero();

    constructor(address[] memory _pausers, address _unpauser) {
        for (uint256 i = 0; i < _pausers.length; i++) {
            _setIsPauser(_pausers[i], true);
        }
        _setUnpauser(_unpauser);
    }

    modifier onlyUnpauser() {
        if (msg.sender != unpauser) revert OnlyUnpauser();
        _;
    }

    function setIsPauser(address newPauser, bool canPause) external onlyUnpauser {
        _setIsPauser(newPauser, canPause);
    }

    function setUnpauser(address newUnpauser) external onlyUnpauser {
        _setUnpauser(newUnpauser);
    }

    function _setIsPauser(address pauser, bool canPause) internal {
        if (pauser == address(0)) revert InputAddressZero();
        isPauser[pauser] = canPause;
        emit PauserStatusChanged(pauser, canPause);
    }

    function _setUnpauser(address newUnpauser) internal {
        if (newUnpauser == address(0)) revert InputAddressZero();
        emit UnpauserChanged(unpauser, newUnpauser);
        unpauser = newUnpauser;
    }
}
