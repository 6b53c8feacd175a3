// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "../interfaces/AggregatorV3Interface.sol";
import {IValuation} from "../interfaces/IValuation.sol";
import {ValuationMath} from "./ValuationMath.sol";

/// @title FloorFeedLib
/// @notice Reads a Chainlink-style floor feed and an optional L2 sequencer-uptime feed without ever reverting: every
/// failure becomes a status plus the best known start time of the outage.
/// @dev Checks, in order: the feed call succeeds; `0 < updatedAt <= now`; `now - updatedAt <= heartbeat` (staleness
/// from a per-feed heartbeat, never from `answeredInRound` or round ids, whose phase encoding makes them unreliable);
/// `answer > 0` and `minAnswer < answer < maxAnswer` (a circuit-breaker answer equal to a bound is invalid).
library FloorFeedLib {
    /// @notice Reads `feed` and returns its answer in pool-asset units (rounded down).
    /// @return price Normalised answer (0 unless `status` is Ok).
    /// @return status Ok, FloorStale or FloorInvalid.
    /// @return since Best known start of the problem (0 when Ok).
    /// @return updatedAt The feed's `updatedAt` (0 when the call failed).
    function readFloor(
        address feed,
        uint256 heartbeat,
        int256 shift,
        uint256 minAnswer,
        uint256 maxAnswer
    ) internal view returns (uint256 price, IValuation.Status status, uint256 since, uint256 updatedAt) {
        try AggregatorV3Interface(feed).latestRoundData() returns (uint80, int256 answer, uint256, uint256 u, uint80) {
            updatedAt = u;
            if (u == 0 || u > block.timestamp) return (0, IValuation.Status.FloorStale, block.timestamp, u);
            if (block.timestamp - u > heartbeat) return (0, IValuation.Status.FloorStale, u + heartbeat, u);
            if (answer <= 0 || uint256(answer) <= minAnswer || uint256(answer) >= maxAnswer) {
                return (0, IValuation.Status.FloorInvalid, u, u);
            }
            price = ValuationMath.normaliseDown(uint256(answer), shift);
        } catch {
            return (0, IValuation.Status.FloorStale, block.timestamp, 0);
        }
    }

    /// @notice Whether the L2 sequencer is up and past its grace period.
    /// @return up True when the sequencer answers 0 (up) and came up more than `grace` seconds ago.
    /// @return since When not up: the feed's `startedAt` (when the current status began), or now if unknown.
    function sequencerUp(address sequencerFeed, uint256 grace) internal view returns (bool up, uint256 since) {
        try AggregatorV3Interface(sequencerFeed).latestRoundData() returns (
            uint80, int256 answer, uint256 startedAt, uint256, uint80
        ) {
            if (startedAt == 0 || startedAt > block.timestamp) return (false, block.timestamp);
            if (answer != 0) return (false, startedAt);
            if (block.timestamp - startedAt <= grace) return (false, startedAt);
            return (true, 0);
        } catch {
            return (false, block.timestamp);
        }
    }
}
