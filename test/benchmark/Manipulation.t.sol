// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Manipulation cost (benchmark, not a timed test) and the wash-trading attacks of SECURITY.md S16/S17.
/// Honest history: 16 sales at P, 10 minutes apart; the floor sits at 2P, above the TWAP, so min() follows the TWAP
/// (the most favourable case for an attacker who only controls sales: no honest sale lands during the attack, and
/// the Chainlink floor never binds). The attacker's wash sales are reported (by an honest reporter, one per block)
/// at an extreme price; each is clamped to +-10 % of the clamp anchor.
contract ManipulationBenchmarkTest is ValuationBase {
    uint256 internal constant HORIZON = 1 hours;

    function setUp() public override {
        super.setUp();
        _seed(P, 16, 10 minutes);
        feed.setAnswer(int256(2 * P));
        valuation.price(collection); // the last valuation before the attack
    }

    /// @dev One wash sale attempt now at `salePrice`; returns whether it was accepted. A sale within the minimum
    /// spacing of the newest observation must be refused with ObservationTooSoon (and its arguments), and any other
    /// sale accepted: every other revert fails the test, so a valuation that refused all sales cannot pass as safe.
    function _wash(uint256 salePrice) internal returns (bool accepted) {
        (, uint256[] memory times) = valuation.observations(collection);
        uint256 earliest = times[times.length - 1] + valuation.minSpacing(collection);
        vm.prank(reporter);
        try valuation.reportSale(collection, salePrice, block.timestamp) {
            accepted = true;
            assertGe(block.timestamp, earliest, "a sale within the minimum spacing was accepted");
        } catch (bytes memory err) {
            assertEq(
                err,
                abi.encodeWithSelector(
                    IValuationAdmin.ObservationTooSoon.selector, collection, block.timestamp, earliest
                ),
                "a wash sale was refused for another reason than the minimum spacing"
            );
        }
        feed.setAnswer(int256(2 * P)); // fresh floor above the TWAP: never binding, never jumping
    }

    /// @dev Wash sales every `spacing` seconds (one block each) for one hour.
    /// @return sales Accepted wash sales when the valuation first reached +-10 % (0: not within the hour).
    /// @return elapsed Seconds from the first attempt to that moment.
    /// @return extremeBps Largest move of the reported valuation within the hour, in bps of P.
    function _attack(uint256 spacing, bool up) internal returns (uint256 sales, uint256 elapsed, uint256 extremeBps) {
        uint256 snap = vm.snapshotState();
        uint256 start = block.timestamp;
        uint256 accepted;
        while (block.timestamp + spacing - start <= HORIZON) {
            _step(spacing);
            if (_wash(up ? MAX_PRICE : 1)) ++accepted;
            (uint256 p, IValuation.Status s) = valuation.priceView(collection);
            if (s != IValuation.Status.Ok) continue;
            uint256 moveBps = up ? (p > P ? (p - P) * 10_000 / P : 0) : (p < P ? (P - p) * 10_000 / P : 0);
            if (moveBps > extremeBps) extremeBps = moveBps;
            if (sales == 0 && (up ? p * 10 >= P * 11 : p * 10 <= P * 9)) {
                sales = accepted;
                elapsed = block.timestamp - start;
            }
        }
        vm.revertToState(snap);
    }

    function test_benchmark_washSalesToMoveValuationTenPercent() public {
        uint256[6] memory spacings = [uint256(12), 120, 180, 225, 240, 600];
        uint256 fewest = type(uint256).max;
        uint256 largestBps;
        console2.log("Wash sales to move the valuation 10 % within 1 h (defaults: N=16, clamp 10 % of a 1 h anchor,");
        console2.log("half-life 6 h, min spacing 120 s); columns: spacing s | sales, seconds, max move bps (up | down)");
        for (uint256 i; i < spacings.length; ++i) {
            (uint256 upSales, uint256 upTime, uint256 upMax) = _attack(spacings[i], true);
            (uint256 downSales, uint256 downTime, uint256 downMax) = _attack(spacings[i], false);
            console2.log("spacing", spacings[i]);
            console2.log("  up:   sales, seconds, max bps", upSales, upTime, upMax);
            console2.log("  down: sales, seconds, max bps", downSales, downTime, downMax);
            if (upSales != 0 && upSales < fewest) fewest = upSales;
            if (downSales != 0 && downSales < fewest) fewest = downSales;
            if (upMax > largestBps) largestBps = upMax;
            if (downMax > largestBps) largestBps = downMax;
        }
        console2.log("fewest wash sales that move the valuation 10 % within 1 h:", fewest);
        console2.log("largest move within 1 h, bps:", largestBps);
        console2.log("plain last-floor oracle: 1 update, any size");
        // The whole buffer must be replaced by sales at the band edge: 16 sales, and 10 % is also the most an hour of
        // wash sales can move it (the clamp anchor is a TWAP from before the attack).
        assertEq(fewest, 16);
        assertEq(largestBps, 1000);
    }

    /// @dev The move after each accepted wash sale at the band edge (2-minute spacing, the fastest allowed).
    function test_benchmark_moveBySalesCount() public {
        console2.log("accepted wash sales at >= 1.1 x TWAP (every 120 s) | valuation move, bps");
        uint256 previous;
        for (uint256 k = 1; k <= 16; ++k) {
            _step(2 minutes);
            assertTrue(_wash(MAX_PRICE));
            (uint256 p,) = valuation.priceView(collection);
            uint256 moveBps = (p - P) * 10_000 / P;
            console2.log(k, moveBps);
            assertGt(moveBps, previous);
            previous = moveBps;
        }
        assertEq(previous, 1000);
    }

    /// @dev The attack that moved the old TWAP (clamped around its running average) by 10 % with 11 sales in 132 s:
    /// one wash sale per block. Now one sale per 2 minutes is kept, clamped around a TWAP from before the attack.
    function test_attack_washSalePerBlockForTwoMinutesMovesUnderOnePercent() public {
        uint256 accepted;
        for (uint256 i; i < 11; ++i) {
            _step(12);
            if (_wash(MAX_PRICE)) ++accepted;
        }
        // 132 s after the last honest sale, with 120 s spacing: exactly the attempt at 120 s lands.
        assertEq(accepted, 1, "accepted wash sales");
        (uint256 p, IValuation.Status s) = valuation.priceView(collection);
        assertEq(uint8(s), uint8(IValuation.Status.Ok));
        assertLt(p, P * 101 / 100);
    }

    /// @dev Fifteen accepted wash sales at the band edge leave one honest sale in the buffer: below +10 %.
    function test_attack_fifteenWashSalesStayBelowTenPercent() public {
        for (uint256 i; i < 15; ++i) {
            _step(2 minutes);
            assertTrue(_wash(MAX_PRICE));
        }
        (uint256 p, IValuation.Status s) = valuation.priceView(collection);
        assertEq(uint8(s), uint8(IValuation.Status.Ok));
        assertLt(p * 10, P * 11);
        assertGt(p, P * 108 / 100); // the clamp binds at the edge: the attack is close, not blocked by chance
    }

    /// @dev The anchor cannot be walked: valuations, checkpoints and anchor-period boundaries during the hour never
    /// let a recorded wash sale exceed 1.1 x the pre-attack TWAP, and the TWAP stays within +10 %.
    function test_attack_anchorCannotBeWalkedWithinAnHour() public {
        // Start right before the anchor would move, so that a move happens during the attack.
        (,, IValuationAdmin.ClampAnchor memory an,) = valuation.twapState(collection);
        vm.warp(uint256(an.pendingAt) + 1 hours - 3 minutes);
        uint256 start = block.timestamp;
        while (block.timestamp + 2 minutes - start <= HORIZON) {
            _step(2 minutes);
            _wash(MAX_PRICE);
            valuation.price(collection);
            valuation.checkpoint(collection);
            (uint256[] memory prices,) = valuation.observations(collection);
            assertLe(prices[prices.length - 1], P * 11 / 10);
            assertLe(_head(collection).twap, P * 11 / 10);
        }
        (,, an,) = valuation.twapState(collection);
        assertGt(an.pendingAt, start, "the anchor moved during the attack");
        assertEq(an.anchor, P, "to a TWAP captured before it");
    }

    /// @dev Past one period the anchor may follow a tainted TWAP: the move is bounded per period, (1 + 10 %)^k.
    function test_attack_boundedPerAnchorPeriod() public {
        uint256 start = block.timestamp;
        uint256 maxTwap;
        while (block.timestamp + 2 minutes - start <= 2 * HORIZON) {
            _step(2 minutes);
            _wash(MAX_PRICE);
            uint256 t = _head(collection).twap;
            if (t > maxTwap) maxTwap = t;
        }
        assertLe(maxTwap, P * 121 / 100);
    }

    /// @dev S17: a burst of `capacity` self-trades in consecutive blocks can no longer overwrite the buffer: one sale
    /// per minimum spacing is kept, the window stays covered and the oracle keeps reporting (no liveness attack).
    function test_washBurst_cannotOverwriteBufferOrStopOracle() public {
        uint256 accepted;
        for (uint256 i; i < 16; ++i) {
            _step(12);
            if (_wash(MAX_PRICE)) ++accepted;
        }
        assertEq(accepted, 1); // only the attempt 120 s after the last honest sale
        (uint256 p, IValuation.Status s) = valuation.priceView(collection);
        assertEq(uint8(s), uint8(IValuation.Status.Ok));
        assertLt(p, P * 102 / 100);
    }

    /// @dev S17: at most one observation per block; a second one in the same block reverts and changes nothing.
    function test_washBurst_oneObservationPerBlock() public {
        _step(10 minutes);
        _report(P);
        bytes32 before = _stateHash(valuation, collection);
        vm.warp(block.timestamp + 10 minutes); // same block number, a later timestamp
        vm.prank(reporter);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.ObservationSameBlock.selector, collection, block.number));
        valuation.reportSale(collection, MAX_PRICE, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    /// @dev S16: one or two extreme sales right after the last observation move the TWAP by at most
    /// clamp x (sale weight / total weight) each: well under 2 % for the defaults.
    function test_extremeSales_moveTwapByBoundedAmount() public {
        _step(2 minutes);
        _report(MAX_PRICE);
        assertLe(_head(collection).twap, P * 1010 / 1000);
        _step(2 minutes);
        _report(MAX_PRICE);
        assertLe(_head(collection).twap, P * 1020 / 1000);
        feed.setAnswer(int256(2 * P));
        assertLe(valuation.price(collection), P * 1020 / 1000);
    }
}
