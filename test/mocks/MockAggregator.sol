// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AggregatorV3Interface} from "../../src/interfaces/AggregatorV3Interface.sol";

/// @notice Settable Chainlink-style feed: answer, timestamps and round id, plus a switch to make every call revert.
/// Keeps every round it was given, so `getRoundData` can read history like a real aggregator proxy.
/// @dev The latest round is packed into two slots like a real aggregator's hot storage, so gas measurements of its
/// readers are realistic (a real feed behind its EACAggregatorProxy costs about one more cold call and one more cold
/// slot). History lives in a separate mapping that `latestRoundData` never reads.
contract MockAggregator is AggregatorV3Interface {
    struct Round {
        uint80 roundId;
        uint64 startedAt;
        uint64 updatedAt;
        uint8 decimals;
        bool reverts;
    }

    struct Past {
        int256 answer;
        uint64 startedAt;
        uint64 updatedAt;
    }

    Round internal _round;
    int256 public answer;
    mapping(uint80 roundId => Past) internal _history;

    constructor(uint8 decimals_) {
        _round.decimals = decimals_;
    }

    function decimals() external view returns (uint8) {
        return _round.decimals;
    }

    function roundId() external view returns (uint80) {
        return _round.roundId;
    }

    function updatedAt() external view returns (uint256) {
        return _round.updatedAt;
    }

    /// @notice New round with `answer_` updated now.
    function setAnswer(int256 answer_) external {
        setRound(_round.roundId + 1, answer_, block.timestamp, block.timestamp);
    }

    /// @notice New round with `answer_` updated at `updatedAt_` (a round published late, or back-dated history).
    function setAnswerAt(int256 answer_, uint256 updatedAt_) external {
        setRound(_round.roundId + 1, answer_, updatedAt_, updatedAt_);
    }

    function setRound(uint80 roundId_, int256 answer_, uint256 startedAt_, uint256 updatedAt_) public {
        _round.roundId = roundId_;
        _round.startedAt = uint64(startedAt_);
        _round.updatedAt = uint64(updatedAt_);
        answer = answer_;
        _history[roundId_] = Past({answer: answer_, startedAt: uint64(startedAt_), updatedAt: uint64(updatedAt_)});
    }

    /// @notice Rewrites the latest round's `updatedAt` (history included).
    function setUpdatedAt(uint256 updatedAt_) external {
        _round.updatedAt = uint64(updatedAt_);
        _history[_round.roundId].updatedAt = uint64(updatedAt_);
    }

    /// @notice Forgets round `roundId_` (as across a proxy phase change: `getRoundData` reverts for it).
    function forget(uint80 roundId_) external {
        delete _history[roundId_];
    }

    function setReverts(bool reverts_) external {
        _round.reverts = reverts_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _round;
        if (r.reverts) revert("MockAggregator: down");
        return (r.roundId, answer, r.startedAt, r.updatedAt, r.roundId);
    }

    function getRoundData(uint80 roundId_) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (_round.reverts) revert("MockAggregator: down");
        Past memory p = _history[roundId_];
        if (p.updatedAt == 0) revert("No data present");
        return (roundId_, p.answer, p.startedAt, p.updatedAt, roundId_);
    }
}
