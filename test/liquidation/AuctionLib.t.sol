// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {Test} from "forge-std/Test.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";

contract AuctionLibTest is Test {
    uint256 internal constant START = 15 ether;
    uint256 internal constant RESERVE = 7 ether;
    uint256 internal constant DURATION = 36 hours;

    /*//////////////////////////////////////////////////////////////
                                 PRICE
    //////////////////////////////////////////////////////////////*/

    function test_price_atZeroIsStartPrice() public pure {
        assertEq(AuctionLib.price(START, RESERVE, DURATION, 0), START);
    }

    function test_price_atDurationIsExactlyReserve() public pure {
        assertEq(AuctionLib.price(START, RESERVE, DURATION, DURATION), RESERVE);
        assertEq(AuctionLib.price(START, RESERVE, DURATION, DURATION + 1), RESERVE);
        assertEq(AuctionLib.price(START, RESERVE, DURATION, type(uint256).max), RESERVE);
    }

    function test_price_oneSecondBeforeEndIsJustAboveReserve() public pure {
        uint256 p = AuctionLib.price(START, RESERVE, DURATION, DURATION - 1);
        assertGt(p, RESERVE);
        // One second of a 36 h decay by ln(15/7): a relative step of about 5.9e-6.
        assertApproxEqRel(p, RESERVE, 6e12);
    }

    function test_price_halfwayIsGeometricMean() public pure {
        uint256 p = AuctionLib.price(START, RESERVE, DURATION, DURATION / 2);
        uint256 mean = FixedPointMathLib.sqrt(START * RESERVE);
        assertApproxEqRel(p, mean, 1e6); // 1e-12 relative
        assertGe(p, mean); // rounded up
    }

    function test_price_zeroReserveIsReadAsOneWei() public pure {
        assertEq(AuctionLib.price(START, 0, DURATION, DURATION), 1);
        assertGt(AuctionLib.price(START, 0, DURATION, DURATION - 1), 0);
    }

    function test_price_startAtOrBelowReserveIsFlatReserve() public pure {
        assertEq(AuctionLib.price(RESERVE, RESERVE, DURATION, 1), RESERVE);
        assertEq(AuctionLib.price(1 ether, RESERVE, DURATION, 0), RESERVE);
    }

    function test_price_zeroDurationIsReserve() public pure {
        assertEq(AuctionLib.price(START, RESERVE, 0, 0), RESERVE);
    }

    function test_price_hugeInputsAreCapped() public pure {
        uint256 max = type(uint256).max;
        assertEq(AuctionLib.price(max, max, 1, 0), AuctionLib.MAX_PRICE);
        assertEq(AuctionLib.price(max, 1, DURATION, 0), AuctionLib.MAX_PRICE);
        assertEq(AuctionLib.price(max, 1, DURATION, DURATION), 1);
    }

    /// @dev Defined (no revert), within [max(reserve,1), max(start, reserve)] and never zero, for every input.
    function testFuzz_price_definedAndBoundedEverywhere(
        uint256 startPrice,
        uint256 reservePrice,
        uint256 duration,
        uint256 elapsed
    ) public pure {
        uint256 p = AuctionLib.price(startPrice, reservePrice, duration, elapsed);
        uint256 floor = reservePrice == 0 ? 1 : FixedPointMathLib.min(reservePrice, AuctionLib.MAX_PRICE);
        uint256 top = FixedPointMathLib.max(FixedPointMathLib.min(startPrice, AuctionLib.MAX_PRICE), floor);
        assertGe(p, floor);
        assertLe(p, top);
        assertGt(p, 0);
        if (elapsed >= duration) assertEq(p, floor);
    }

    function testFuzz_price_nonIncreasing(
        uint256 startPrice,
        uint256 reservePrice,
        uint256 duration,
        uint256 t1,
        uint256 t2
    ) public pure {
        duration = bound(duration, 1, 1000 days);
        t1 = bound(t1, 0, duration + 10);
        t2 = bound(t2, t1, duration + 10);
        assertGe(
            AuctionLib.price(startPrice, reservePrice, duration, t1),
            AuctionLib.price(startPrice, reservePrice, duration, t2)
        );
    }

    /// @dev The whole window, second by second at a random stride, for realistic terms: non-increasing, from the start
    /// price to exactly the reserve.
    function testFuzz_price_wholeWindowNonIncreasing(
        uint256 value,
        uint256 startBps,
        uint256 reserveBps,
        uint256 duration,
        uint256 stride
    ) public pure {
        value = bound(value, 1e6, 1e30);
        reserveBps = bound(reserveBps, 1, 10_000);
        startBps = bound(startBps, reserveBps, 30_000);
        duration = bound(duration, 24 hours, 48 hours);
        stride = bound(stride, 97, 3607);
        uint256 startPrice = value * startBps / 10_000;
        uint256 reservePrice = FixedPointMathLib.max(value * reserveBps / 10_000, 1);
        uint256 previous = AuctionLib.price(startPrice, reservePrice, duration, 0);
        assertEq(previous, FixedPointMathLib.max(startPrice, reservePrice));
        for (uint256 t = stride; t < duration + stride; t += stride) {
            uint256 p = AuctionLib.price(startPrice, reservePrice, duration, t);
            assertLe(p, previous);
            assertGe(p, reservePrice);
            previous = p;
        }
        assertEq(AuctionLib.price(startPrice, reservePrice, duration, duration), reservePrice);
    }

    /// @dev Against the curve computed another way, start x (reserve/start)^(t/D) with powWad: within 1e-12 relative,
    /// and never more than that below it.
    function testFuzz_price_matchesExponentialCurve(uint256 value, uint256 elapsed) public pure {
        value = bound(value, 1e9, 1e30);
        elapsed = bound(elapsed, 0, DURATION - 1);
        uint256 startPrice = value * 3 / 2;
        uint256 reservePrice = value * 7 / 10;
        uint256 p = AuctionLib.price(startPrice, reservePrice, DURATION, elapsed);
        int256 fraction = int256(reservePrice * 1e18 / startPrice);
        int256 power = int256(elapsed * 1e18 / DURATION);
        uint256 expected = FixedPointMathLib.mulWad(startPrice, uint256(FixedPointMathLib.powWad(fraction, power)));
        expected = FixedPointMathLib.max(expected, reservePrice);
        assertApproxEqAbs(p, expected, FixedPointMathLib.max(2, expected / 1e12));
    }

    /// @dev At mid-window the exact curve is the geometric mean of start and reserve; the price never falls below it
    /// (rounding in the pool's favour despite the ln/exp approximations).
    function testFuzz_price_halfwayNotBelowGeometricMean(uint256 reservePrice, uint256 factorBps) public pure {
        reservePrice = bound(reservePrice, 1, 1e30);
        factorBps = bound(factorBps, 10_001, 100_000);
        uint256 startPrice = reservePrice * factorBps / 10_000;
        uint256 p = AuctionLib.price(startPrice, reservePrice, DURATION, DURATION / 2);
        assertGe(p, FixedPointMathLib.sqrt(startPrice * reservePrice));
    }

    /*//////////////////////////////////////////////////////////////
                              OUTAGE CLOCK
    //////////////////////////////////////////////////////////////*/

    function test_effectiveElapsed_noOutageIsWallClock() public pure {
        assertEq(AuctionLib.effectiveElapsed(1000, 1600, 0, 50, 50), 600);
        assertEq(AuctionLib.effectiveElapsed(1000, 1000, 0, 0, 0), 0);
        assertEq(AuctionLib.effectiveElapsed(1000, 900, 0, 0, 0), 0);
    }

    function test_effectiveElapsed_runningOutageStopsTheClock() public pure {
        // Outage since 1200: at 1600 only 200 s count.
        assertEq(AuctionLib.effectiveElapsed(1000, 1600, 1200, 50, 50), 200);
    }

    function test_effectiveElapsed_endedOutageIsSubtracted() public pure {
        // A 300 s outage ended after the start.
        assertEq(AuctionLib.effectiveElapsed(1000, 2000, 0, 350, 50), 700);
    }

    function test_effectiveElapsed_outageRunningAtStartCountsFromStart() public pure {
        // Outage since 800, auction started at 1000: the base pre-counts the 200 s before the start.
        uint64 base = AuctionLib.outageBase(1000, 800, 50);
        assertEq(base, 250);
        assertEq(AuctionLib.effectiveElapsed(1000, 1500, 800, 50, base), 0); // still running
        // Ends at 1500 (cumulative += 700): 500 s after the start were blind.
        assertEq(AuctionLib.effectiveElapsed(1000, 1500, 0, 750, base), 0);
        assertEq(AuctionLib.effectiveElapsed(1000, 1900, 0, 750, base), 400);
    }

    function test_effectiveElapsed_cumulativeBelowBaseAddsNothing() public pure {
        assertEq(AuctionLib.effectiveElapsed(1000, 1600, 0, 10, 50), 600);
    }

    function test_effectiveElapsed_futureSinceIgnored() public pure {
        assertEq(AuctionLib.effectiveElapsed(1000, 1600, 1700, 0, 0), 600);
    }

    /// @dev One outage [a, b) anywhere around an auction started at s: the effective clock equals the wall clock
    /// minus the blind seconds after s (at most `MAX_OUTAGE_EXTENSION` of them), never goes backwards, and never runs
    /// faster than the wall clock.
    function testFuzz_effectiveElapsed_matchesOverlapAndMonotone(
        uint64 prior,
        uint256 a,
        uint256 len,
        uint256 t1,
        uint256 t2
    ) public pure {
        uint256 s = 1_000_000;
        prior = uint64(bound(prior, 0, 1e9));
        a = bound(a, s - 100_000, s + 200_000);
        len = bound(len, 1, 200_000);
        uint256 b = a + len;
        t1 = bound(t1, s, s + 500_000);
        t2 = bound(t2, t1, s + 500_000);

        (uint64 since0, uint64 cum0) = _clock(prior, a, b, s);
        uint64 base = AuctionLib.outageBase(s, since0, cum0);
        uint256 e1 = _effective(s, t1, prior, a, b, base);
        uint256 e2 = _effective(s, t2, prior, a, b, base);

        assertLe(e1, e2);
        assertLe(e2 - e1, t2 - t1);
        // The extension is capped (issue 15: a quiet collection cannot freeze its auctions).
        uint256 overlap = FixedPointMathLib.min(_overlap(s, t2, a, b), AuctionLib.MAX_OUTAGE_EXTENSION);
        assertEq(e2, t2 - s - overlap);
    }

    function _effective(
        uint256 s,
        uint256 t,
        uint64 prior,
        uint256 a,
        uint256 b,
        uint64 base
    ) internal pure returns (uint256) {
        (uint64 since, uint64 cum) = _clock(prior, a, b, t);
        return AuctionLib.effectiveElapsed(s, t, since, cum, base);
    }

    /// @dev The valuation's (since, cumulative) at time t for one outage [a, b) after `prior` seconds of older ones.
    function _clock(uint64 prior, uint256 a, uint256 b, uint256 t) internal pure returns (uint64, uint64) {
        if (t < a) return (0, prior);
        if (t < b) return (uint64(a), prior);
        return (0, prior + uint64(b - a));
    }

    function _overlap(uint256 s, uint256 t, uint256 a, uint256 b) internal pure returns (uint256) {
        uint256 lo = FixedPointMathLib.max(s, a);
        uint256 hi = FixedPointMathLib.min(t, b);
        return hi > lo ? hi - lo : 0;
    }
}
