// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title ValuationMath
/// @notice Pure helpers of the valuation layer. Every helper names its rounding direction; every direction favours
/// the pool (a lower price, a lower cap).
library ValuationMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;

    /// @notice Completes value = min(TWAP, floor) x haircut: `price` (from `IValuation.price`) times the loan's
    /// snapshotted `haircutWad` (0.65e18 by default), rounded down. The pool calls this; Valuation has no haircut.
    function applyHaircutDown(uint256 price, uint256 haircutWad) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(price, haircutWad, WAD);
    }

    /// @notice `x x bps / 10_000`, rounded down.
    function mulBpsDown(uint256 x, uint256 bps) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, bps, BPS);
    }

    /// @notice `x x wad / 1e18`, rounded down.
    function mulWadDown(uint256 x, uint256 wad) internal pure returns (uint256) {
        return FixedPointMathLib.fullMulDiv(x, wad, WAD);
    }

    /// @notice Clamps `price` into [avg x (1 - band), avg x (1 + band)], both bounds rounded down.
    function clampToBandDown(uint256 price, uint256 avg, uint256 bandBps) internal pure returns (uint256) {
        uint256 lo = mulBpsDown(avg, BPS - bandBps);
        if (price < lo) return lo;
        uint256 hi = mulBpsDown(avg, BPS + bandBps);
        return price > hi ? hi : price;
    }

    /// @notice Whether `value` is more than `bps` away from `ref`, i.e. |value - ref| x 10_000 > bps x ref.
    /// @dev The test is symmetric in the direction of the move (a drop and a rise of the same size both count).
    function deviatesBeyond(uint256 value, uint256 ref, uint256 bps) internal pure returns (bool) {
        uint256 diff = value > ref ? value - ref : ref - value;
        return diff * BPS > bps * ref;
    }

    /// @notice Converts a feed answer to pool-asset units: `answer x 10^shift`, or `answer / 10^-shift` rounded down.
    function normaliseDown(uint256 answer, int256 shift) internal pure returns (uint256) {
        if (shift >= 0) return answer * 10 ** uint256(shift);
        return answer / 10 ** uint256(-shift);
    }

    /// @notice min(a, b).
    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
