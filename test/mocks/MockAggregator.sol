// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @notice Settable Chainlink-style feed: answer, timestamps and round id, plus a switch to make every call revert.
contract MockAggregator is AggregatorV3Interface {
    uint8 public decimals;
    uint80 public roundId;
    int256 public answer;
    uint256 public startedAt;
    uint256 public updatedAt;
    bool public reverts;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice New round with `answer_` updated now.
    function setAnswer(int256 answer_) external {
        setRound(roundId + 1, answer_, block.timestamp, block.timestamp);
    }

    function setRound(uint80 roundId_, int256 answer_, uint256 startedAt_, uint256 updatedAt_) public {
        roundId = roundId_;
        answer = answer_;
        startedAt = startedAt_;
        updatedAt = updatedAt_;
    }

    function setUpdatedAt(uint256 updatedAt_) external {
        updatedAt = updatedAt_;
    }

    function setReverts(bool reverts_) external {
        reverts = reverts_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverts) revert("MockAggregator: down");
        return (roundId, answer, startedAt, updatedAt, roundId);
    }
}
