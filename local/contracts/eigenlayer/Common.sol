// SPDX-License-Identifier: MIT
pragma solidity ^0.8.25;

/// @title EigenLayer harness: shared types, interfaces and math
/// @notice Our own code for the local world. It reproduces the PUBLISHED v1.x (slashing release) types of
///         Layr-Labs/eigenlayer-contracts tag v1.6.0 (cf22b3906a5e667d2c9baba39133a25211805e26): struct layouts,
///         the operator-set key, WAD math of SlashingLib, the Snapshots lookups and Pausable's bit flags. No upstream
///         code is copied.

/// @dev 1e18, the "one" of every scaling factor (uint64 as upstream).
uint64 constant WAD = 1e18;

/// @notice An operator set: `avs ++ uint96(id)` is its bytes32 key.
struct OperatorSet {
    address avs;
    uint32 id;
}

/// @notice Minimal ERC20 surface the harness needs (the LST token implements it).
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function decimals() external view returns (uint8);
}

/// @notice The published IStrategy surface used by the harness.
interface IStrategy {
    function deposit(IERC20 token, uint256 amount) external returns (uint256);
    function withdraw(address recipient, IERC20 token, uint256 amountShares) external returns (uint256);
    function underlyingToken() external view returns (IERC20);
    function sharesToUnderlyingView(uint256 amountShares) external view returns (uint256);
    function underlyingToSharesView(uint256 amountUnderlying) external view returns (uint256);
    function totalShares() external view returns (uint256);
}

/// @notice ISignatureUtilsMixinTypes (v1.x).
interface ISignatureUtilsMixinTypes {
    struct SignatureWithExpiry {
        bytes signature;
        uint256 expiry;
    }
}

/// @notice IDelegationManagerTypes (v1.x): Withdrawal carries SCALED shares; the withdrawer is always the staker.
interface IDelegationManagerTypes {
    struct Withdrawal {
        address staker;
        address delegatedTo;
        address withdrawer;
        uint256 nonce;
        uint32 startBlock;
        IStrategy[] strategies;
        uint256[] scaledShares;
    }

    struct QueuedWithdrawalParams {
        IStrategy[] strategies;
        uint256[] depositShares;
        address __deprecated_withdrawer;
    }
}

/// @notice IAllocationManagerTypes (v1.x) subset.
interface IAllocationManagerTypes {
    struct Allocation {
        uint64 currentMagnitude;
        int128 pendingDiff;
        uint32 effectBlock;
    }

    struct SlashingParams {
        address operator;
        uint32 operatorSetId;
        IStrategy[] strategies;
        uint256[] wadsToSlash;
        string description;
    }

    struct AllocateParams {
        OperatorSet operatorSet;
        IStrategy[] strategies;
        uint64[] newMagnitudes;
    }

    struct RegisterParams {
        address avs;
        uint32[] operatorSetIds;
        bytes data;
    }

    struct DeregisterParams {
        address operator;
        address avs;
        uint32[] operatorSetIds;
    }

    struct CreateSetParams {
        uint32 operatorSetId;
        IStrategy[] strategies;
    }
}

/// @notice IRewardsCoordinatorTypes (v1.x) subset.
interface IRewardsCoordinatorTypes {
    struct StrategyAndMultiplier {
        IStrategy strategy;
        uint96 multiplier;
    }

    struct RewardsSubmission {
        StrategyAndMultiplier[] strategiesAndMultipliers;
        IERC20 token;
        uint256 amount;
        uint32 startTimestamp;
        uint32 duration;
    }

    struct OperatorReward {
        address operator;
        uint256 amount;
    }

    struct OperatorDirectedRewardsSubmission {
        StrategyAndMultiplier[] strategiesAndMultipliers;
        IERC20 token;
        OperatorReward[] operatorRewards;
        uint32 startTimestamp;
        uint32 duration;
        string description;
    }
}

/// @notice What the DelegationManager calls on the StrategyManager (IShareManager + views).
interface IStrategyManagerHarness {
    function stakerDepositShares(address user, IStrategy strategy) external view returns (uint256);
    function getDeposits(address staker) external view returns (IStrategy[] memory, uint256[] memory);
    function removeDepositShares(address staker, IStrategy strategy, uint256 depositSharesToRemove) external returns (uint256);
    function addShares(address staker, IStrategy strategy, uint256 shares) external returns (uint256, uint256);
    function withdrawSharesAsTokens(address staker, IStrategy strategy, IERC20 token, uint256 shares) external;
    function increaseBurnOrRedistributableShares(OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy, uint256 addedSharesToBurn) external;
    function strategyIsWhitelistedForDeposit(IStrategy strategy) external view returns (bool);
}

/// @notice What the StrategyManager and AllocationManager call on the DelegationManager.
interface IDelegationManagerHarness {
    function increaseDelegatedShares(address staker, IStrategy strategy, uint256 prevDepositShares, uint256 addedShares) external;
    function slashOperatorShares(address operator, OperatorSet calldata operatorSet, uint256 slashId, IStrategy strategy, uint64 prevMaxMagnitude, uint64 newMaxMagnitude)
        external
        returns (uint256 totalDepositSharesToSlash);
    function isOperator(address operator) external view returns (bool);
    function getOperatorsShares(address[] memory operators, IStrategy[] memory strategies) external view returns (uint256[][] memory);
}

/// @notice What the DelegationManager calls on the AllocationManager.
interface IAllocationManagerHarness {
    function setAllocationDelay(address operator, uint32 delay) external;
    function getMaxMagnitude(address operator, IStrategy strategy) external view returns (uint64);
    function getMaxMagnitudes(address operator, IStrategy[] calldata strategies) external view returns (uint64[] memory);
    function getMaxMagnitudesAtBlock(address operator, IStrategy[] calldata strategies, uint32 blockNumber) external view returns (uint64[] memory);
    function getRedistributionRecipient(OperatorSet memory operatorSet) external view returns (address);
}

/// @notice IAVSRegistrar (v1.x): the AllocationManager always calls the AVS's registrar (the AVS address itself unless
///         `setAVSRegistrar` named another contract), so an AVS without a registrar contract cannot take operators.
interface IAVSRegistrar {
    function registerOperator(address operator, address avs, uint32[] calldata operatorSetIds, bytes calldata data) external;
    function deregisterOperator(address operator, address avs, uint32[] calldata operatorSetIds) external;
    function supportsAVS(address avs) external view returns (bool);
}

/// @notice IPauserRegistry: who may pause (pausers) and unpause (the one unpauser).
interface IPauserRegistry {
    function isPauser(address pauser) external view returns (bool);
    function unpauser() external view returns (address);
}

/// @title Pausable (harness)
/// @notice The v1.x Pausable semantics: a uint256 of flags, bit `i` pauses entry point group `i` of the contract
///         (`onlyWhenNotPaused(i)` reverts `CurrentlyPaused()`); pausers may only set bits, the unpauser only clear
///         them. Same errors and events as upstream IPausable.
abstract contract Pausable {
    uint256 internal constant _PAUSE_ALL = type(uint256).max;

    /// @notice The registry that says who may pause and unpause.
    IPauserRegistry public immutable pauserRegistry;
    uint256 private _paused;

    event Paused(address indexed account, uint256 newPausedStatus);
    event Unpaused(address indexed account, uint256 newPausedStatus);

    error OnlyPauser();
    error OnlyUnpauser();
    error CurrentlyPaused();
    error InvalidNewPausedStatus();
    error InputAddressZero();

    constructor(IPauserRegistry _pauserRegistry) {
        if (address(_pauserRegistry) == address(0)) revert InputAddressZero();
        pauserRegistry = _pauserRegistry;
    }

    modifier onlyPauser() {
        if (!pauserRegistry.isPauser(msg.sender)) revert OnlyPauser();
        _;
    }

    modifier onlyUnpauser() {
        if (msg.sender != pauserRegistry.unpauser()) revert OnlyUnpauser();
        _;
    }

    modifier onlyWhenNotPaused(uint8 index) {
        if (paused(index)) revert CurrentlyPaused();
        _;
    }

    /// @notice Sets more flags (can only pause: every bit set now stays set).
    function pause(uint256 newPausedStatus) external onlyPauser {
        if ((_paused & newPausedStatus) != _paused) revert InvalidNewPausedStatus();
        _paused = newPausedStatus;
        emit Paused(msg.sender, newPausedStatus);
    }

    function pauseAll() external onlyPauser {
        _paused = _PAUSE_ALL;
        emit Paused(msg.sender, _PAUSE_ALL);
    }

    /// @notice Clears flags (can only unpause: every bit clear now stays clear).
    function unpause(uint256 newPausedStatus) external onlyUnpauser {
        if (((~_paused) & (~newPausedStatus)) != (~_paused)) revert InvalidNewPausedStatus();
        _paused = newPausedStatus;
        emit Unpaused(msg.sender, newPausedStatus);
    }

    function paused() public view returns (uint256) {
        return _paused;
    }

    function paused(uint8 index) public view returns (bool) {
        uint256 mask = 1 << index;
        return (_paused & mask) == mask;
    }
}

/// @notice Operator-set key and decoding, as OperatorSetLib.
library OperatorSetLib {
    function key(OperatorSet memory os) internal pure returns (bytes32) {
        return bytes32(abi.encodePacked(os.avs, uint96(os.id)));
    }

    function decode(bytes32 k) internal pure returns (OperatorSet memory) {
        return OperatorSet({avs: address(uint160(uint256(k) >> 96)), id: uint32(uint256(k) & type(uint96).max)});
    }
}

/// @notice WAD math with SlashingLib's rounding: mulWad/divWad round DOWN, mulWadRoundUp rounds up.
/// @dev Plain checked 256-bit arithmetic (upstream uses 512-bit mulDiv): an overflow reverts instead of rounding,
///      unreachable with token amounts below MAX_TOTAL_SHARES (1e38) times WAD.
library WadMath {
    function mulWad(uint256 x, uint256 y) internal pure returns (uint256) {
        return (x * y) / WAD;
    }

    function divWad(uint256 x, uint256 y) internal pure returns (uint256) {
        return (x * WAD) / y;
    }

    function mulWadRoundUp(uint256 x, uint256 y) internal pure returns (uint256) {
        uint256 p = x * y;
        return p == 0 ? 0 : (p - 1) / WAD + 1;
    }

    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256) {
        uint256 p = x * y;
        return p == 0 ? 0 : (p - 1) / d + 1;
    }
}

/// @notice A block-keyed history (Snapshots.sol semantics): one value per block, binary-searched lookups.
library History {
    struct Checkpoint {
        uint32 key;
        uint224 value;
    }

    /// @dev Records `value` at block `key` (overwrites a same-block entry).
    function push(Checkpoint[] storage h, uint32 key, uint256 value) internal {
        uint256 n = h.length;
        if (n > 0 && h[n - 1].key == key) {
            h[n - 1].value = uint224(value);
        } else {
            h.push(Checkpoint({key: key, value: uint224(value)}));
        }
    }

    /// @dev The newest value, or `dflt` when empty.
    function latest(Checkpoint[] storage h, uint256 dflt) internal view returns (uint256) {
        uint256 n = h.length;
        return n == 0 ? dflt : h[n - 1].value;
    }

    /// @dev The value of the last checkpoint with key <= `key`, or `dflt` when there is none.
    function upperLookup(Checkpoint[] storage h, uint32 key, uint256 dflt) internal view returns (uint256) {
        uint256 lo = 0;
        uint256 hi = h.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].key > key) hi = mid;
            else lo = mid + 1;
        }
        return hi == 0 ? dflt : h[hi - 1].value;
    }
}

/// @notice An enumerable set of bytes32 (addresses are stored left-padded), like OpenZeppelin's EnumerableSet.
library EnumSet {
    struct Set {
        bytes32[] values;
        mapping(bytes32 => uint256) index; // 1-based
    }

    function add(Set storage s, bytes32 v) internal returns (bool) {
        if (s.index[v] != 0) return false;
        s.values.push(v);
        s.index[v] = s.values.length;
        return true;
    }

    function remove(Set storage s, bytes32 v) internal returns (bool) {
        uint256 i = s.index[v];
        if (i == 0) return false;
        bytes32 last = s.values[s.values.length - 1];
        s.values[i - 1] = last;
        s.index[last] = i;
        s.values.pop();
        delete s.index[v];
        return true;
    }

    function contains(Set storage s, bytes32 v) internal view returns (bool) {
        return s.index[v] != 0;
    }

    function length(Set storage s) internal view returns (uint256) {
        return s.values.length;
    }

    function at(Set storage s, uint256 i) internal view returns (bytes32) {
        return s.values[i];
    }

    function toBytes32(address a) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(a)));
    }

    function toAddress(bytes32 b) internal pure returns (address) {
        return address(uint160(uint256(b)));
    }
}
