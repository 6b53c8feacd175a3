// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice One user of the protocol in the invariant campaign: an account the harness drives by `exec`, so no engine
/// needs `prank` (forge, medusa and Echidna all run the same calls). It can also be a hostile counterparty: an
/// ERC-1155 receiver that rejects what it is sent, or one that re-enters the protocol from its receiver hook.
/// @dev ERC-721 tokens reach actors by `transferFrom` (no hook), so the hostile modes matter for ERC-1155 returns,
/// auction purchases and `claimNft`, the three paths that hand control to the recipient.
contract Actor {
    /// @notice How the receiver hook behaves.
    enum Mode {
        Normal, // accepts every ERC-1155 transfer
        Reject, // reverts in the hook: transfers to it fail
        Reenter // replays the armed calls from inside the hook, then accepts
    }

    /// @dev Solady's ReentrancyGuardTransient error, `Reentrancy()`.
    bytes4 internal constant REENTRANCY = 0xab143c06;

    address internal immutable HARNESS;
    Mode public mode;

    // Re-entry probe, armed by the harness before an outbound transfer and read after it.
    address[] internal reentryTargets;
    bytes[] internal reentryCalls;
    address internal viewTarget;
    bool internal armed;
    /// @notice Re-entrant calls that did not revert with `Reentrancy()`, since the last arming.
    uint256 public reentryEscapes;
    /// @notice Hook invocations that ran the probe, since the last arming.
    uint256 public hookRuns;
    /// @notice `totalAssets()` and `convertToAssets(1e18)` of `viewTarget` read from inside the last hook.
    uint256 public seenTotalAssets;
    uint256 public seenShareValue;

    error OnlyHarness();
    error Rejected();

    constructor() {
        HARNESS = msg.sender;
    }

    /// @notice Performs `data` on `target` as this account; never reverts, returns the outcome.
    function exec(address target, bytes calldata data) external returns (bool ok, bytes memory ret) {
        if (msg.sender != HARNESS) revert OnlyHarness();
        (ok, ret) = target.call(data);
    }

    function setMode(Mode m) external {
        if (msg.sender != HARNESS) revert OnlyHarness();
        mode = m;
    }

    /// @notice Arms the re-entry probe: `targets[i]` is called with `calls[i]` from inside the next hooks, and the
    /// views of `viewTarget_` are recorded there.
    function arm(address[] calldata targets, bytes[] calldata calls, address viewTarget_) external {
        if (msg.sender != HARNESS) revert OnlyHarness();
        reentryTargets = targets;
        delete reentryCalls;
        for (uint256 i; i < calls.length; ++i) {
            reentryCalls.push(calls[i]);
        }
        viewTarget = viewTarget_;
        reentryEscapes = 0;
        hookRuns = 0;
        armed = true;
    }

    /// @notice Disarms the probe (the harness does this right after the armed operation): hooks fired by anything
    /// else, e.g. minting test tokens to this actor, must not replay calls that would then really execute.
    function disarm() external {
        if (msg.sender != HARNESS) revert OnlyHarness();
        armed = false;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _hook();
        return this.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(
        address,
        address,
        uint256[] calldata,
        uint256[] calldata,
        bytes calldata
    ) external returns (bytes4) {
        _hook();
        return this.onERC1155BatchReceived.selector;
    }

    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        _hook();
        return this.onERC721Received.selector;
    }

    function _hook() internal {
        Mode m = mode;
        if (m == Mode.Reject) revert Rejected();
        if (m != Mode.Reenter || !armed) return;
        hookRuns += 1;
        for (uint256 i; i < reentryCalls.length; ++i) {
            (bool ok, bytes memory ret) = reentryTargets[i].call(reentryCalls[i]);
            if (ok || ret.length < 4 || bytes4(ret) != REENTRANCY) reentryEscapes += 1;
        }
        address v = viewTarget;
        if (v != address(0)) {
            (bool ok1, bytes memory r1) = v.staticcall(abi.encodeWithSignature("totalAssets()"));
            (bool ok2, bytes memory r2) = v.staticcall(abi.encodeWithSignature("convertToAssets(uint256)", 1e18));
            seenTotalAssets = ok1 ? abi.decode(r1, (uint256)) : type(uint256).max;
            seenShareValue = ok2 ? abi.decode(r2, (uint256)) : type(uint256).max;
        }
    }
}
