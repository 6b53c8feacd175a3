// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoolMath} from "../libraries/PoolMath.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

/// @title AuctionLib
/// @notice The Dutch-auction price curve and its outage-adjusted clock, as pure functions of their inputs.
/// @dev Curve: exponential decay from `startPrice` to `reservePrice` over `duration`,
///     price(t) = startPrice x exp(-ln(startPrice / reservePrice) x t / duration)   for t < duration,
///     price(t) = reservePrice                                                       for t >= duration.
/// Why exponential: the price loses the same fraction per second over the whole auction, so one block of delay
/// costs a buyer (and the pool) the same relative amount early and late, and the auction spends more of its time near
/// the market-clearing prices below the valuation than a straight line from a premium start would.
/// Guarantees, for every input: defined (never reverts), non-increasing in `elapsed`, equal to `startPrice` at 0 and
/// to the reserve from `duration` on, never below the reserve, never zero (a zero reserve is read as 1).
/// Rounding: in the pool's favour, never below the exact curve: the ratio and the exponent are rounded down and the
/// exponent is further reduced by a margin that covers the error of `lnWad`/`expWad` (slower decay, at most 2e-17
/// relative above the exact curve), the final product is rounded up, and the result is clamped to the reserve.
/// Domain: prices above `MAX_PRICE` (3.4e38, beyond any token supply) are read as `MAX_PRICE`.
library AuctionLib {
    uint256 internal constant MAX_PRICE = type(uint128).max;
    /// @dev Taken off the exponent's magnitude (in WAD, so 2e-17 relative) so that the price stays at or above the
    /// exact curve despite the ~1e-18 relative error of `lnWad` and `expWad`.
    uint256 internal constant APPROXIMATION_MARGIN = 20;
    /// @notice The most an auction's clock is ever extended by oracle outages, in total: a quiet collection (a stale
    /// TWAP, a deprecated feed, a freeze, a delist) cannot hold its auctions at their high prices for ever. One day,
    /// the shortest auction duration the pool allows: an auction ends at most one duration later than without outages.
    uint256 internal constant MAX_OUTAGE_EXTENSION = 24 hours;

    /// @notice Price at `elapsed` seconds into an auction, rounded up.
    function price(
        uint256 startPrice,
        uint256 reservePrice,
        uint256 duration,
        uint256 elapsed
    ) internal pure returns (uint256) {
        uint256 floor = reservePrice == 0 ? 1 : FixedPointMathLib.min(reservePrice, MAX_PRICE);
        uint256 top = FixedPointMathLib.min(startPrice, MAX_PRICE);
        // From the end on, and for a start at or below the reserve, the price is the reserve. `elapsed < duration`
        // below also guarantees `duration > 0`.
        if (elapsed >= duration || top <= floor) return floor;

        // ln(top / floor) in WAD, with the ratio rounded down (slower decay). top <= 2^128, so ratioWad < 2^188; and
        // ratioWad >= 1e18 because top > floor, so the logarithm is >= 0 (a negative approximation is read as 0).
        int256 lnRatio = FixedPointMathLib.lnWad(int256(FixedPointMathLib.fullMulDiv(top, PoolMath.WAD, floor)));
        if (lnRatio <= 0) return top;

        // Exponent -ln(top/floor) x elapsed / duration, its magnitude rounded down and then reduced by
        // APPROXIMATION_MARGIN (slower decay, covering the error of lnWad and expWad), never above 0. lnRatio <= ln(2^128)
        // ~ 88.7e18, so expWad never overflows; below ~ -41.4e18 it returns 0 and the reserve takes over.
        // casting to 'uint256' is safe because lnRatio > 0 here.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 magnitude = FixedPointMathLib.fullMulDiv(uint256(lnRatio), elapsed, duration);
        magnitude = magnitude > APPROXIMATION_MARGIN ? magnitude - APPROXIMATION_MARGIN : 0;
        // casting to 'int256' is safe because magnitude <= lnRatio < 89e18.
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 exponent = -int256(magnitude);
        uint256 decayed = FixedPointMathLib.mulWadUp(top, uint256(FixedPointMathLib.expWad(exponent)));
        return decayed > floor ? decayed : floor;
    }

    /// @notice The outage snapshot to commit at an auction's start: the valuation's cumulative outage seconds, plus
    /// the part before `start` of an outage still running then (so that when it ends, only its part after the start
    /// counts, and `elapsed` never goes backwards).
    function outageBase(uint256 start, uint64 since, uint64 cumulative) internal pure returns (uint64) {
        if (since == 0 || since >= start) return cumulative;
        // casting to 'uint64' is safe because start is a uint40 timestamp and since < start.
        // forge-lint: disable-next-line(unsafe-typecast)
        return cumulative + uint64(start - since);
    }

    /// @notice Seconds of an auction that count towards its decay: the time since `start` minus the seconds of
    /// oracle outage inside [start, now], at most `MAX_OUTAGE_EXTENSION` of them, never negative, and non-decreasing in
    /// `now_` (the outage grows by at most the time that passes, and stops growing at the cap).
    /// @dev Outage seconds = ended outages since the start (`cumulative - base`, saturating at 0 while an outage
    /// that began before the start is still running) plus the running one (`now - max(since, start)`), capped.
    function effectiveElapsed(
        uint256 start,
        uint256 now_,
        uint64 since,
        uint64 cumulative,
        uint64 base
    ) internal pure returns (uint256) {
        if (now_ <= start) return 0;
        uint256 running = now_ - start;
        uint256 outage = cumulative > base ? cumulative - base : 0;
        if (since != 0 && since < now_) outage += now_ - FixedPointMathLib.max(since, start);
        if (outage > MAX_OUTAGE_EXTENSION) outage = MAX_OUTAGE_EXTENSION;
        return outage >= running ? 0 : running - outage;
    }
}
