// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The cheat codes the harness uses: only those that forge, medusa and Echidna (hevm) all implement, at the
/// usual cheat-code address. No `prank`: actors are contracts the harness drives (see Actor).
interface IHevm {
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external returns (address);
}
