// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice The `aggregate3` entry point of Multicall3, for local chains that lack the canonical deployment: the keeper's
/// batched reads (viem's `multicall`) call only this. Written for the tests; no ether handling, no other entry points.
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice Call `index` reverted and did not allow failure.
    error CallFailed(uint256 index);

    /// @notice Calls each target in order; a failing call that allows failure is returned as (false, revert data).
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        results = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory data) = calls[i].target.call(calls[i].callData);
            if (!ok && !calls[i].allowFailure) revert CallFailed(i);
            results[i] = Result(ok, data);
        }
    }
}
