// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DefaultParams} from "../../script/lib/DefaultParams.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {PoolMath} from "../../src/libraries/PoolMath.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {ValuationConfigLib} from "../../src/oracle/ValuationConfigLib.sol";
import {ValuationMath} from "../../src/oracle/ValuationMath.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice Issue 15 as a liquidation hunter runs it against the valuation: no purchase below the value before the last
/// unflagged move. A move of exactly the deviation is flagged; repeated permissionless valuations and checkpoints
/// cannot walk a jump reference down; the default auction start covers an unflagged drop; one sale after a quiet
/// period cannot carry the TWAP; a floor that normalises to 0 is invalid; the auction clock's extension is capped.
contract ValuationHunterTest is ValuationBase {
    uint256 internal dev;

    function setUp() public override {
        super.setUp();
        vm.prank(timelock);
        // A long TWAP maximum age keeps TWAP staleness out of the floor tests.
        valuation.setRiskParams(collection, 30 days, 2000);
        dev = 2000;
        _makeReady();
        valuation.price(collection); // references: floor P, TWAP P
        _step(1 minutes);
    }

    /*//////////////////////////////////////////////////////////////
                     A MOVE OF EXACTLY THE DEVIATION
    //////////////////////////////////////////////////////////////*/

    /// @dev The review's case: a floor round of exactly -20 % was Ok, and 1.2 x 0.8 = 0.96 of the pre-drop value.
    function test_floorMoveEqualToDeviation_isFlagged() public {
        feed.setAnswer(int256(P * 80 / 100));
        _assertStatus(IValuation.Status.Jumped);
        feed.setAnswer(int256(P * 120 / 100));
        _assertStatus(IValuation.Status.Jumped);
        feed.setAnswer(int256(P * 8001 / 10_000)); // just within
        _assertStatus(IValuation.Status.Ok);
    }

    function test_deviatesAtLeast_edges() public pure {
        assertTrue(ValuationMath.deviatesAtLeast(80, 100, 2000));
        assertTrue(ValuationMath.deviatesAtLeast(120, 100, 2000));
        assertFalse(ValuationMath.deviatesAtLeast(81, 100, 2000));
        assertFalse(ValuationMath.deviatesAtLeast(119, 100, 2000));
    }

    /*//////////////////////////////////////////////////////////////
                  THE HUNTER: EVERY ORDER OF CALLS
    //////////////////////////////////////////////////////////////*/

    /// @dev Floor rounds falling 15 % each (every one within the deviation of the one before). Before each round and
    /// after it, the hunter calls nothing, `price`, `checkpoint`, or both in either order (5 choices per round, 4
    /// rounds: all 625 orders), either all within one block or 12 minutes apart (within one hour). Every valuation
    /// that succeeds is strictly within the deviation of the value before the first drop, so an auction started at
    /// `minAuctionStartBps` of it opens above that value. Before the fix, `price` moved the reference to each round:
    /// 0.85, 0.72, 0.61, 0.52 of the pre-drop value, all Ok.
    function test_hunter_everyOrderWithinOneBlockAndOneHour() public {
        _hunt(0);
        _hunt(12 minutes);
    }

    function _hunt(uint256 dt) internal {
        uint256 snap = vm.snapshotState();
        uint256 ref = P;
        for (uint256 path; path < 625; ++path) {
            uint256 code = path;
            uint256 f = P;
            for (uint256 round; round < 4; ++round) {
                if (dt != 0) _step(dt);
                f = f * 85 / 100;
                feed.setAnswer(int256(f));
                _act(code % 5, ref);
                code /= 5;
            }
            vm.revertToState(snap);
        }
    }

    /// @dev One of the hunter's five choices, then the check on every successful valuation.
    function _act(uint256 choice, uint256 ref) internal {
        if (choice == 1 || choice == 3) _valueAndCheck(ref);
        if (choice >= 2) valuation.checkpoint(collection);
        if (choice == 4) _valueAndCheck(ref);
    }

    function _valueAndCheck(uint256 ref) internal {
        try valuation.price(collection) returns (uint256 v) {
            assertFalse(ValuationMath.deviatesAtLeast(v, ref, dev), "unflagged cumulative move beyond the deviation");
            assertGt(v * PoolMath.minAuctionStartBps(dev), ref * 10_000, "auction would open below the value");
        } catch {}
    }

    /// @dev The TWAP side: a reporter's signed sales at the clamp's low edge (relayed by the hunter whenever he
    /// likes), a valuation and a checkpoint after every one, for eight hours. Before the fix the TWAP reference
    /// followed each valuation and the TWAP walked down beyond the deviation with status Ok throughout.
    function test_hunter_salesCannotWalkTheTwapReference() public {
        uint256 ref = P;
        uint256 reanchors;
        for (uint256 i; i < 48; ++i) {
            _step(10 minutes);
            feed.setAnswer(int256(P)); // the floor stays put
            _report(P / 2); // clamped to 0.9 x the anchor
            _valueAndCheck(ref);
            IValuation.Status before = _status(collection);
            vm.recordLogs();
            valuation.checkpoint(collection);
            if (_reanchored()) {
                // The only way a reference moves: a flagged move, held for the cool-down, then a checkpoint.
                assertEq(uint8(before), uint8(IValuation.Status.Jumped), "re-anchored without a flagged move");
                ref = valuation.price(collection);
                ++reanchors;
            }
            _valueAndCheck(ref);
        }
        // The TWAP did fall beyond the deviation, but only through flagged moves and their cool-downs.
        assertLe(_head(collection).twap * 10_000, P * 8000, "TWAP fell beyond the deviation");
        assertGt(reanchors, 0);
    }

    function _reanchored() internal returns (bool) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == IValuationAdmin.Reanchored.selector) return true;
        }
        return false;
    }

    /*//////////////////////////////////////////////////////////////
                       START MULTIPLE vs DEVIATION
    //////////////////////////////////////////////////////////////*/

    /// @dev The defaults tie together: the pool's default start multiple covers the valuation's default deviation
    /// (before: 120 % against 20 %, which needs 125 %).
    function test_defaultStartCoversDefaultDeviation() public {
        uint256 start = DefaultParams.terms(1).auctionStartBps;
        assertGe(start, PoolMath.minAuctionStartBps(valuation.DEFAULT_DEVIATION_BPS()), "default start too low");
        assertEq(PoolMath.minAuctionStartBps(2000), 12_500);
        assertEq(PoolMath.minAuctionStartBps(1600), 11_905); // ceil(1e8 / 8_400)
    }

    /// @dev For every deviation and value: an unflagged value times `minAuctionStartBps` is above the reference.
    function testFuzz_minAuctionStartCoversEveryUnflaggedDrop(
        uint256 deviationBps,
        uint256 ref,
        uint256 v
    ) public pure {
        deviationBps = bound(deviationBps, 100, 5000);
        ref = bound(ref, 1, 1e30);
        v = bound(v, 0, ref);
        if (ValuationMath.deviatesAtLeast(v, ref, deviationBps)) return;
        assertGt(v * PoolMath.minAuctionStartBps(deviationBps), ref * 10_000);
    }

    /*//////////////////////////////////////////////////////////////
                        READINESS NEEDS WEIGHT
    //////////////////////////////////////////////////////////////*/

    /// @dev The review's case: 48 h without sales, then one sale at the clamp's edge. Before: status Ok with the TWAP
    /// moved 9.5 %. Now the one sale is not enough weight: not ready until a second sale.
    function test_quietPeriod_oneSaleDoesNotMakeTheTwapReady() public {
        vm.prank(timelock);
        valuation.setRiskParams(collection, 24 hours, 2000);
        _step(48 hours);
        feed.setAnswer(int256(P));
        _report(2 * P); // clamped to 1.1 x the anchor
        _assertStatus(IValuation.Status.TwapNotReady);
        _step(valuation.minSpacing(collection));
        feed.setAnswer(int256(P));
        _report(P);
        _assertStatus(IValuation.Status.Ok);
    }

    /// @dev Over any quiet period: a single sale that leaves (or makes) the TWAP ready moves it by at most 2/3 of the
    /// clamp (the newest sale carries at most 2/3 of the weight).
    function testFuzz_oneSaleMovesAReadyTwapByAtMostTwoThirdsOfTheClamp(uint256 quiet) public {
        quiet = bound(quiet, 2 minutes, 20 days);
        vm.prank(timelock);
        valuation.setRiskParams(collection, 30 days, 5000);
        uint256 before = _head(collection).twap;
        _step(quiet);
        _report(2 * P);
        IValuationAdmin.Head memory h = _head(collection);
        if (!h.ready) return;
        // clamp 10 %: at most 6.67 % (+ rounding)
        assertLe((h.twap - before) * 3 * 10_000, 2 * 1000 * before + 3 * 10_000, "one sale carried the TWAP");
    }

    /*//////////////////////////////////////////////////////////////
                          ZERO NORMALISED FLOOR
    //////////////////////////////////////////////////////////////*/

    /// @dev An 18-decimal feed for a 6-decimal asset with `minAnswer = 0`: an answer below 1e12 normalises to 0.
    /// Before: Ok at a price of 0, and a reference of 0 switched jump detection off.
    function test_zeroNormalisedFloor_isInvalid() public {
        Valuation v6 = _deployValuation(address(0), 0, 6);
        MockAggregator f18 = new MockAggregator(18);
        address c6 = makeAddr("usdc-collection");
        f18.setAnswer(1e18);
        vm.startPrank(timelock);
        v6.listCollection(c6, address(f18), HEARTBEAT, 0, MAX_ANSWER, uint88(1e12));
        v6.setReporter(reporter, true);
        vm.stopPrank();
        for (uint256 i; i < 5; ++i) {
            _step(10 minutes);
            vm.prank(reporter);
            v6.reportSale(c6, 1e6, block.timestamp);
        }
        f18.setAnswer(1e18);
        (uint256 p0, IValuation.Status s0) = v6.priceView(c6);
        assertEq(uint8(s0), uint8(IValuation.Status.Ok));
        assertEq(p0, 1e6);
        f18.setAnswer(1e12 - 1); // normalises to 0
        (, IValuation.Status s) = v6.priceView(c6);
        assertEq(uint8(s), uint8(IValuation.Status.FloorInvalid));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, c6, IValuation.Status.FloorInvalid)
        );
        v6.price(c6);
    }

    /*//////////////////////////////////////////////////////////////
                     THE AUCTION CLOCK'S EXTENSION
    //////////////////////////////////////////////////////////////*/

    /// @dev A quiet collection: the TWAP goes stale a day after the last sale and stays stale. Before: the auction
    /// clock stopped for good (the review: every auction of a quiet collection frozen at its high price). Now it is
    /// extended by at most `MAX_OUTAGE_EXTENSION` and then decays.
    function test_quietCollection_auctionClockExtendedAtMostOneDay() public {
        vm.prank(timelock);
        valuation.setRiskParams(collection, 24 hours, 2000);
        uint256 start = block.timestamp;
        (uint64 since0, uint64 cum0) = valuation.outage(collection);
        uint64 base = AuctionLib.outageBase(start, since0, cum0);
        uint256 last;
        for (uint256 i; i < 10; ++i) {
            _step(1 days);
            feed.setAnswer(int256(P));
            (uint64 since, uint64 cum) = valuation.outage(collection);
            uint256 elapsed = AuctionLib.effectiveElapsed(start, block.timestamp, since, cum, base);
            assertGe(elapsed, last, "never backwards");
            last = elapsed;
        }
        _assertStatus(IValuation.Status.TwapStale);
        assertEq(last, block.timestamp - start - AuctionLib.MAX_OUTAGE_EXTENSION);
        assertLt(AuctionLib.price(12 ether, 5 ether, 48 hours, last), 12 ether, "the auction decays despite the outage");
    }

    function testFuzz_effectiveElapsed_extensionCapped(
        uint256 start,
        uint256 running,
        uint64 since,
        uint64 cumulative,
        uint64 base
    ) public pure {
        start = bound(start, 1, type(uint40).max);
        running = bound(running, 0, 365 days);
        uint256 e = AuctionLib.effectiveElapsed(start, start + running, since, cumulative, base);
        assertLe(e, running);
        assertGe(e + AuctionLib.MAX_OUTAGE_EXTENSION, running);
    }

    function _assertStatus(IValuation.Status expected) internal view {
        assertEq(uint8(_status(collection)), uint8(expected), "status");
    }
}
