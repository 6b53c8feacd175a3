// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoolMath} from "../libraries/PoolMath.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title ValuationMath
/// @notice Pure helpers of the valuation layer. Every helper names its rounding direction; every direction favours
/// the pool (a lower price, a lower cap, a tighter bound).
library ValuationMath {
    /// @notice Mantissa bits of a packed feed bound (`packBoundUp` / `packBoundDown`).
    uint256 internal constant BOUND_MANTISSA_BITS = 32;

    /// @notice Clamps `price` into [centre x (1 - band), centre x (1 + band)], both bounds rounded down.
    function clampToBandDown(uint256 price, uint256 centre, uint256 bandBps) internal pure returns (uint256) {
        uint256 lo = PoolMath.mulBpsDown(centre, PoolMath.BPS - bandBps);
        if (price < lo) return lo;
        uint256 hi = PoolMath.mulBpsDown(centre, PoolMath.BPS + bandBps);
        return price > hi ? hi : price;
    }

    /// @notice Whether `value` is at least `bps` away from `ref`, i.e. |value - ref| x 10_000 >= bps x ref.
    /// @dev The test is symmetric in the direction of the move (a drop and a rise of the same size both count). A move
    /// of exactly `bps` counts: an unflagged drop is always strictly smaller than the deviation, so an auction that
    /// starts at `PoolMath.minAuctionStartBps(bps)` of the value opens strictly above the value before the drop.
    function deviatesAtLeast(uint256 value, uint256 ref, uint256 bps) internal pure returns (bool) {
        uint256 diff = value > ref ? value - ref : ref - value;
        return diff * PoolMath.BPS >= bps * ref;
    }

    /// @notice Converts a feed answer to pool-asset units: `answer x 10^shift`, or `answer / 10^-shift` rounded down.
    function normaliseDown(uint256 answer, int256 shift) internal pure returns (uint256) {
        if (shift == 0) return answer;
        if (shift > 0) return answer * 10 ** uint256(shift);
        return answer / 10 ** uint256(-shift);
    }

    /// @notice min(a, b).
    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @notice max(a, b).
    function max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }

    /// @notice Packs a feed LOWER bound into 40 bits (32-bit mantissa, 8-bit binary exponent), rounded UP.
    /// @dev A lower bound rounded up only rejects more answers: the check never loosens. Exact for every value below
    /// 2^32 and every value with at most 32 significant bits; otherwise tighter by less than 2^-31 relative.
    function packBoundUp(uint256 x) internal pure returns (uint256) {
        if (x >> BOUND_MANTISSA_BITS == 0) return x << 8;
        uint256 e = FixedPointMathLib.log2(x) + 1 - BOUND_MANTISSA_BITS;
        uint256 m = x >> e;
        if (m << e != x) {
            m += 1;
            if (m >> BOUND_MANTISSA_BITS != 0) {
                m >>= 1;
                e += 1;
            }
        }
        return (m << 8) | e;
    }

    /// @notice Packs a feed UPPER bound into 40 bits, rounded DOWN (never loosens the check; see `packBoundUp`).
    function packBoundDown(uint256 x) internal pure returns (uint256) {
        if (x >> BOUND_MANTISSA_BITS == 0) return x << 8;
        uint256 e = FixedPointMathLib.log2(x) + 1 - BOUND_MANTISSA_BITS;
        return ((x >> e) << 8) | e;
    }

    /// @notice The value of a packed bound.
    function unpackBound(uint256 packed) internal pure returns (uint256) {
        return (packed >> 8) << (packed & 0xff);
    }
}
