// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ValuationMath} from "./ValuationMath.sol";

/// @title FloorFeedLib
/// @notice Reads Chainlink-style feeds (AggregatorV3Interface: the floor feed and the optional L2 sequencer-uptime
/// feed) without ever reverting, and judges a floor answer. Every failure becomes `ok == false`.
/// @dev The calls are hand-written static calls: no try/catch, no ABI decoder, and a feed that returns less than the
/// five words (no code, wrong interface) counts as failed instead of reverting the caller. Staleness is judged from a
/// per-feed heartbeat on `updatedAt`, never from `answeredInRound` or round ids (whose phase encoding makes them
/// unreliable); round ids are only used to walk back through recent rounds (`roundAt`).
library FloorFeedLib {
    /// @dev `latestRoundData()` and `getRoundData(uint80)` selectors.
    uint256 private constant LATEST_ROUND_DATA = 0xfeaf968c;
    uint256 private constant GET_ROUND_DATA = 0x9a6fc8f5;

    /// @notice The latest round of `feed`.
    /// @return ok Whether the call succeeded and returned five words.
    /// @return id The round id (uint80; with a Chainlink proxy, phase in the high 16 bits).
    /// @return answer The answer (for a sequencer feed: 0 up, 1 down).
    /// @return startedAt When the round started (for a sequencer feed: when the status last changed).
    /// @return updatedAt When the answer was last updated.
    function latestRound(address feed)
        internal
        view
        returns (bool ok, uint256 id, int256 answer, uint256 startedAt, uint256 updatedAt)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, LATEST_ROUND_DATA))
            let success := staticcall(gas(), feed, m, 0x04, m, 0xa0)
            ok := and(success, gt(returndatasize(), 0x9f))
            if ok {
                id := and(mload(m), 0xffffffffffffffffffff)
                answer := mload(add(m, 0x20))
                startedAt := mload(add(m, 0x40))
                updatedAt := mload(add(m, 0x60))
            }
        }
    }

    /// @notice Round `id` of `feed` (`getRoundData`); `ok == false` when the call fails or the round is unknown.
    function roundAt(
        address feed,
        uint256 id
    ) internal view returns (bool ok, int256 answer, uint256 startedAt, uint256 updatedAt) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, GET_ROUND_DATA))
            mstore(add(m, 0x04), and(id, 0xffffffffffffffffffff))
            let success := staticcall(gas(), feed, m, 0x24, m, 0xa0)
            ok := and(success, gt(returndatasize(), 0x9f))
            if ok {
                answer := mload(add(m, 0x20))
                startedAt := mload(add(m, 0x40))
                updatedAt := mload(add(m, 0x60))
            }
        }
    }

    /// @notice Judges a floor answer that is fresh. Invalid: `answer <= 0`, `answer <= minAnswer` or
    /// `answer >= maxAnswer` (a circuit-breaker answer equal to a bound is invalid), or an answer that normalises to 0
    /// pool-asset units (e.g. a tiny 18-decimal answer for a 6-decimal asset): a zero floor would price at 0 and, as a
    /// jump reference, switch jump detection off. Jumped: the normalised answer is at least `deviationBps` away from
    /// `ref` (ignored while `ref == 0`).
    /// @return invalid Whether the answer is rejected outright.
    /// @return jumped Whether a valid answer moved beyond the deviation.
    /// @return floor The answer in pool-asset units, rounded down (0 when invalid).
    function judge(
        int256 answer,
        uint256 minAnswer,
        uint256 maxAnswer,
        int256 shift,
        uint256 ref,
        uint256 deviationBps
    ) internal pure returns (bool invalid, bool jumped, uint256 floor) {
        if (answer <= 0 || uint256(answer) <= minAnswer || uint256(answer) >= maxAnswer) {
            return (true, false, 0);
        }
        floor = ValuationMath.normaliseDown(uint256(answer), shift);
        if (floor == 0) return (true, false, 0);
        jumped = ref != 0 && ValuationMath.deviatesAtLeast(floor, ref, deviationBps);
    }

    /// @notice Whether a round time is usable: non-zero and not in the future.
    function sane(uint256 time) internal view returns (bool) {
        return time != 0 && time <= block.timestamp;
    }
}
