// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title Multicall
/// @notice Batches read calls for the local tooling (the crash replay reads every loan's health each market hour; the
/// keeper's tests and benchmark batch through it where a chain lacks the canonical Multicall3).
/// Exposes Multicall3's `aggregate3` signature, so viem's `multicall` can use it by address. Local chains only: it
/// forwards any call, including state-changing ones, as itself.
contract Multicall {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that must not fail did; `index` is its position in the batch.
    error CallFailed(uint256 index);

    /// @notice Makes each call in order and returns every outcome; reverts when a call that disallows failure fails.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory data) = calls[i].target.call(calls[i].callData);
            if (!ok && !calls[i].allowFailure) revert CallFailed(i);
            results[i] = Result(ok, data);
        }
    }
}
