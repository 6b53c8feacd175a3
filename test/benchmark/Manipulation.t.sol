// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {console2} from "forge-std/console2.sol";

/// @notice Manipulation cost (benchmark, not a timed test) and the wash-trading attacks of SECURITY.md S16/S17.
/// Honest history: 16 sales at P, 10 minutes apart; the floor sits above the TWAP so min() follows the TWAP (the
/// most favourable case for an attacker who only controls sales). The attacker relays wash sales at an extreme price
/// (every one is clamped to +-10 % of the running average), `spacing` seconds and one block apart, and we count the
/// sales until the valuation is reported (status Ok) at least 10 % away from P, within one hour.
contract ManipulationBenchmarkTest is ValuationBase {
    uint256 internal constant HORIZON = 1 hours;

    function setUp() public override {
        super.setUp();
        _seed(P, 16, 10 minutes);
        feed.setAnswer(int256(2 * P));
        valuation.price(collection); // the last valuation before the attack
    }

    /// @return sales Wash sales needed (0 when 10 % was not reached within the horizon).
    /// @return elapsed Seconds from the first wash sale to the moved valuation.
    function _attack(uint256 spacing, bool up) internal returns (uint256 sales, uint256 elapsed) {
        uint256 snap = vm.snapshotState();
        uint256 start = block.timestamp;
        for (uint256 k = 1; block.timestamp + spacing - start <= HORIZON; ++k) {
            _step(spacing);
            _report(up ? MAX_PRICE : 1);
            feed.setAnswer(int256(2 * P)); // fresh floor above the TWAP: never binding, never jumping
            (uint256 p, IValuation.Status s) = valuation.priceView(collection);
            if (s == IValuation.Status.Ok && (up ? p * 10 >= P * 11 : p * 10 <= P * 9)) {
                sales = k;
                elapsed = block.timestamp - start;
                break;
            }
        }
        vm.revertToState(snap);
    }

    function test_benchmark_washSalesToMoveValuationTenPercent() public {
        uint256[7] memory spacings = [uint256(12), 60, 120, 180, 240, 300, 600];
        uint256 best = type(uint256).max;
        console2.log(
            "Wash sales needed to move the valuation by 10 % within 1 h (defaults: N=16, clamp 10 %, half-life 6 h)"
        );
        for (uint256 i; i < spacings.length; ++i) {
            (uint256 upSales, uint256 upTime) = _attack(spacings[i], true);
            (uint256 downSales, uint256 downTime) = _attack(spacings[i], false);
            console2.log("spacing (s) / up: sales, seconds / down: sales, seconds");
            console2.log(spacings[i], upSales, upTime);
            console2.log("                                       ", downSales, downTime);
            if (upSales != 0 && upSales < best) best = upSales;
            if (downSales != 0 && downSales < best) best = downSales;
        }
        console2.log("fewest wash sales that move the valuation 10 % within 1 h:", best);
        console2.log("plain last-sale / last-floor oracle: 1 sale");
        // The TWAP needs several clamped sales, spread over enough time to keep the 30-minute window covered.
        assertGt(best, 1);
    }

    /// @dev S17: a burst of `capacity` self-trades in consecutive blocks overwrites the buffer, but each is clamped
    /// and the covered window collapses, so the oracle stops reporting instead of reporting the wash price.
    function test_washBurst_fullBufferOverwriteStopsReporting() public {
        for (uint256 i; i < 16; ++i) {
            _step(12);
            _report(MAX_PRICE);
        }
        feed.setAnswer(int256(2 * P));
        (, IValuation.Status s) = valuation.priceView(collection);
        assertEq(uint8(s), uint8(IValuation.Status.TwapNotReady));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.TwapNotReady)
        );
        valuation.price(collection);
    }

    /// @dev S17: at most one observation per block; a second one in the same block reverts and changes nothing.
    function test_washBurst_oneObservationPerBlock() public {
        _step(12);
        _report(P);
        bytes32 before = _stateHash(valuation, collection);
        vm.warp(block.timestamp + 1); // same block number, a later timestamp
        vm.prank(reporter);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.ObservationSameBlock.selector, collection, block.number));
        valuation.reportSale(collection, MAX_PRICE, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    /// @dev S16: one or two extreme sales right after the last observation move the TWAP by at most
    /// clamp x (sale weight / total weight) each: well under 2 % for the defaults.
    function test_extremeSales_moveTwapByBoundedAmount() public {
        _step(12);
        _report(MAX_PRICE);
        (IValuationAdmin.Head memory h,) = valuation.twapState(collection);
        assertLe(h.twap, P * 1010 / 1000);
        _step(12);
        _report(MAX_PRICE);
        (h,) = valuation.twapState(collection);
        assertLe(h.twap, P * 1020 / 1000);
        feed.setAnswer(int256(2 * P));
        assertLe(valuation.price(collection), P * 1020 / 1000);
    }
}
