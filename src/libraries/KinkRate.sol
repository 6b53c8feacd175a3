// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoolMath} from "./PoolMath.sol";

/// @title KinkRate
/// @notice The kink interest-rate model: a per-second borrow rate that rises gently up to the kink utilisation and
/// steeply above it. Pure functions over packed parameters, so the pool prices interest without an external call.
/// @dev rate(U) = base + slope1 x U / kink                              for U <= kink
///      rate(U) = base + slope1 + slope2 x (U - kink) / (1 - kink)      for U >  kink
/// Continuous at the kink, non-decreasing in U, and at most base + slope1 + slope2 (all bounded at configuration).
library KinkRate {
    /// @dev Per-second rates in WAD. `kinkBps` in basis points of utilisation.
    struct Params {
        uint48 baseRate;
        uint48 slope1;
        uint48 slope2;
        uint16 kinkBps;
    }

    /// @notice Hard bounds enforced on every configuration, as per-second WAD rates.
    uint256 internal constant MAX_BASE_RATE = uint256(0.1e18) / PoolMath.SECONDS_PER_YEAR; // 10 % APR
    uint256 internal constant MAX_SLOPE1 = uint256(0.5e18) / PoolMath.SECONDS_PER_YEAR; // 50 % APR
    uint256 internal constant MAX_SLOPE2 = uint256(5e18) / PoolMath.SECONDS_PER_YEAR; // 500 % APR
    uint256 internal constant MIN_KINK_BPS = 5000;
    uint256 internal constant MAX_KINK_BPS = 9500;

    /// @dev Utilisation in WAD, 0 when the pool is empty (the 0/0 guard).
    function utilization(uint256 cash, uint256 debt) internal pure returns (uint256) {
        uint256 total = cash + debt;
        return total == 0 ? 0 : PoolMath.mulDivDown(debt, PoolMath.WAD, total);
    }

    /// @dev Borrow rate per second (WAD) at utilisation `u` (WAD, at most 1e18).
    function rate(Params memory p, uint256 u) internal pure returns (uint256) {
        uint256 kink = uint256(p.kinkBps) * 1e14;
        if (u <= kink) return p.baseRate + PoolMath.mulDivDown(p.slope1, u, kink);
        return p.baseRate + p.slope1 + PoolMath.mulDivDown(p.slope2, u - kink, PoolMath.WAD - kink);
    }

    /// @dev True when every parameter sits inside the hard bounds.
    function isValid(Params memory p) internal pure returns (bool) {
        return p.baseRate <= MAX_BASE_RATE && p.slope1 <= MAX_SLOPE1 && p.slope2 <= MAX_SLOPE2
            && p.kinkBps >= MIN_KINK_BPS && p.kinkBps <= MAX_KINK_BPS;
    }
}
