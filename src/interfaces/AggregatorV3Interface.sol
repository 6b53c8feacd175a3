// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AggregatorV3Interface
/// @notice The read side of a Chainlink-style price feed (and of the L2 sequencer-uptime feed), declared here because
/// the project does not depend on the Chainlink package. Only the functions the valuation layer calls are listed.
interface AggregatorV3Interface {
    /// @notice Number of decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice The latest round. For a sequencer-uptime feed, `answer` is 0 when the sequencer is up and 1 when it is
    /// down, and `startedAt` is the time the status last changed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
