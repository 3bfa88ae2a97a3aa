// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

import "./Common.sol";

/// @title AVSRegistrar (harness)
/// @notice The smallest IAVSRegistrar an AVS deploys so the AllocationManager can register operators with it: it
///         supports exactly one AVS, accepts every operator the AllocationManager forwards, and keeps no state.
///         Real AVSs check allowlists, stake or signatures here.
contract AVSRegistrar is IAVSRegistrar {
    /// @notice The AVS this registrar serves.
    address public immutable avs;
    /// @notice The only caller of the hooks.
    address public immutable allocationManager;

    event OperatorRegistered(address operator, address avs, uint32[] operatorSetIds);
    event OperatorDeregistered(address operator, address avs, uint32[] operatorSetIds);

    error OnlyAllocationManager();
    error UnsupportedAVS();

    constructor(address _avs, address _allocationManager) {
        avs = _avs;
        allocationManager = _allocationManager;
    }

    function supportsAVS(address _avs) external view returns (bool) {
        return _avs == avs;
    }

    function registerOperator(address operator, address _avs, uint32[] calldata operatorSetIds, bytes calldata) external {
        _check(_avs);
        emit OperatorRegistered(operator, _avs, operatorSetIds);
    }

    function deregisterOperator(address operator, address _avs, uint32[] calldata operatorSetIds) external {
        _check(_avs);
        emit OperatorDeregistered(operator, _avs, operatorSetIds);
    }

    function _check(address _avs) internal view {
        if (msg.sender != allocationManager) revert OnlyAllocationManager();
        if (_avs != avs) revert UnsupportedAVS();
    }
}
