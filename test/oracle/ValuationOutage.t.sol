// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {OutageLib} from "../../src/oracle/OutageLib.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";

/// @notice The outage clock (`IValuation.outage`): an outage is any time during which `priceView` would not have been
/// Ok. The clock is derived in the view from the last checkpoint and the feeds' own round history, so no keeper is
/// needed, a checkpoint never changes what the view said, and the auction clock built on it never goes backwards.
contract ValuationOutageTest is ValuationBase {
    function setUp() public override {
        super.setUp();
        // A long TWAP maximum age keeps the TWAP out of the floor-feed tests (the TWAP test sets it back).
        vm.prank(timelock);
        valuation.setRiskParams(collection, 30 days, 2000);
        _makeReady();
        valuation.price(collection); // references recorded
        valuation.checkpoint(collection); // the clock records the feed's current round
        _step(1 minutes);
    }

    function _clock() internal view returns (uint256 since, uint256 cumulative) {
        (uint64 s, uint64 c) = valuation.outage(collection);
        return (s, c);
    }

    /// @dev The view equals what a checkpoint records, and recording changes nothing the view says.
    function _assertCheckpointAgrees() internal {
        (uint256 since, uint256 cumulative) = _clock();
        valuation.checkpoint(collection);
        (IValuationAdmin.OutageClock memory clk,) = valuation.outageClock(collection);
        assertEq(clk.since, since, "checkpoint since");
        assertEq(clk.cumulative, cumulative, "checkpoint cumulative");
        assertEq(clk.asOf, block.timestamp);
        (uint256 since2, uint256 cumulative2) = _clock();
        assertEq(since2, since);
        assertEq(cumulative2, cumulative);
    }

    function _assertStatus(IValuation.Status expected) internal view {
        assertEq(uint8(_status(collection)), uint8(expected));
    }

    /*//////////////////////////////////////////////////////////////
                        FLOOR FEED, NO KEEPER AT ALL
    //////////////////////////////////////////////////////////////*/

    function test_outage_runningStaleFloorDerivedWithoutTouch() public {
        (, uint256 cumulative0) = _clock();
        (IValuationAdmin.OutageClock memory before,) = valuation.outageClock(collection);
        uint256 updatedAt = feed.updatedAt();
        _step(HEARTBEAT + 100);
        _assertStatus(IValuation.Status.FloorStale);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, updatedAt + HEARTBEAT);
        assertEq(cumulative, cumulative0);
        (IValuationAdmin.OutageClock memory after_,) = valuation.outageClock(collection);
        assertEq(after_.asOf, before.asOf, "nothing was written");
        _assertCheckpointAgrees();
    }

    /// @dev A stale floor that recovers with no transaction in between is still counted, exactly: from
    /// updatedAt + heartbeat to the recovering round's updatedAt.
    function test_outage_endedStaleFloorDerivedWithoutTouch() public {
        (, uint256 cumulative0) = _clock();
        uint256 updatedAt = feed.updatedAt();
        _step(HEARTBEAT + 500);
        feed.setAnswer(int256(P)); // recovers now
        uint256 recoveredAt = block.timestamp;
        _step(3 hours);
        feed.setAnswer(int256(P));
        _assertStatus(IValuation.Status.Ok);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, recoveredAt - (updatedAt + HEARTBEAT));
        _assertCheckpointAgrees();
    }

    /// @dev Several rounds after the gap (up to the look-back) are read back: the gap still counts.
    function test_outage_gapBehindSeveralRoundsStillCounted() public {
        (, uint256 cumulative0) = _clock();
        uint256 updatedAt = feed.updatedAt();
        _step(HEARTBEAT + 1000);
        uint256 recoveredAt = block.timestamp;
        for (uint256 i; i < OutageLib.MAX_ROUND_LOOKBACK - 1; ++i) {
            feed.setAnswer(int256(P));
            _step(10 minutes);
        }
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, recoveredAt - (updatedAt + HEARTBEAT));
        _assertCheckpointAgrees();
    }

    /// @dev Beyond the look-back the rounds not reached are assumed absent: the recorded round is taken to have stayed
    /// in force until the oldest round reached, which can only over-count (here: from its staleness on).
    function test_outage_beyondLookBackAssumesRecordedRound() public {
        (, uint256 cumulative0) = _clock();
        uint256 updatedAt = feed.updatedAt();
        _step(HEARTBEAT + 1000);
        uint256 recoveredAt = block.timestamp;
        uint256 oldestReached;
        uint256 n = OutageLib.MAX_ROUND_LOOKBACK + 5;
        for (uint256 i; i < n; ++i) {
            feed.setAnswer(int256(P));
            if (i == n - 1 - OutageLib.MAX_ROUND_LOOKBACK) oldestReached = block.timestamp;
            _step(10 minutes);
        }
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, oldestReached - (updatedAt + HEARTBEAT));
        assertGe(cumulative - cumulative0, recoveredAt - (updatedAt + HEARTBEAT));
    }

    /// @dev A round that cannot be read back (a proxy phase change) stops the walk the same way.
    function test_outage_unreadableRoundFallsBackToRecorded() public {
        (, uint256 cumulative0) = _clock();
        uint256 updatedAt = feed.updatedAt();
        _step(HEARTBEAT + 1000);
        feed.setAnswer(int256(P));
        uint256 recoveredAt = block.timestamp;
        _step(10 minutes);
        feed.setAnswer(int256(P));
        uint256 afterPhase = block.timestamp;
        feed.forget(feed.roundId() - 1);
        _step(10 minutes);
        (, uint256 cumulative) = _clock();
        assertEq(cumulative - cumulative0, afterPhase - (updatedAt + HEARTBEAT));
        assertGt(afterPhase, recoveredAt);
    }

    function test_outage_invalidAnswerIntervalExact() public {
        (, uint256 cumulative0) = _clock();
        feed.setAnswer(0);
        uint256 from = block.timestamp;
        _assertStatus(IValuation.Status.FloorInvalid);
        (uint256 since,) = _clock();
        assertEq(since, from);
        _step(25 minutes);
        feed.setAnswer(int256(P));
        uint256 to = block.timestamp;
        _step(1 hours);
        feed.setAnswer(int256(P));
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, to - from);
        _assertCheckpointAgrees();
    }

    /// @dev A jump that returns within the deviation by the next round lasted exactly between the two rounds.
    function test_outage_floorJumpThenBackWithinBand() public {
        (, uint256 cumulative0) = _clock();
        feed.setAnswer(int256(P * 70 / 100));
        uint256 from = block.timestamp;
        _assertStatus(IValuation.Status.Jumped);
        _step(20 minutes);
        feed.setAnswer(int256(P * 95 / 100));
        uint256 to = block.timestamp;
        _assertStatus(IValuation.Status.Ok);
        _step(20 minutes);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, to - from);
        _assertCheckpointAgrees();
    }

    /// @dev A reverting feed is an outage from the last checkpoint (conservative: its start is unknown).
    function test_outage_revertingFeedCountsFromLastCheckpoint() public {
        valuation.checkpoint(collection);
        uint256 asOf = block.timestamp;
        _step(30 minutes);
        feed.setReverts(true);
        _assertStatus(IValuation.Status.FloorStale);
        _step(30 minutes);
        (uint256 since,) = _clock();
        assertEq(since, asOf);
        _assertCheckpointAgrees();
    }

    /// @dev A round published already stale (its `updatedAt` more than a heartbeat back, as an adapter feed relaying an
    /// old observation can publish) is an outage, but only from the last checkpoint on: the record said the feed was
    /// fresh then and is never rewritten. Found by medusa through the invariant harness, which rewrites a round's time
    /// (`test_replay_backdatedStaleRoundMovesTheClockBackToTheRecord`): the auction clock moves back to the record, no
    /// further.
    function test_outage_backdatedRoundCountsFromLastCheckpoint() public {
        valuation.checkpoint(collection);
        uint256 asOf = block.timestamp;
        _step(30 minutes);
        feed.setAnswer(int256(P));
        feed.setUpdatedAt(block.timestamp - 3 * HEARTBEAT);
        _assertStatus(IValuation.Status.FloorStale);
        (uint256 since, uint256 cumulative0) = _clock();
        assertEq(since, asOf, "from the record, not from updatedAt + heartbeat");
        _step(30 minutes);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, asOf, "the running outage keeps its start");
        assertEq(cumulative, cumulative0);
        _assertCheckpointAgrees();
    }

    /// @dev The other side of counting a reverting feed from the last record: the view's outage is provisional. Once the
    /// feed answers again its rounds are replayed from the record, and the part of the revert no record saw is gone
    /// (an auction's clock jumps forward by it, at most the one-day cap). A checkpoint during the revert keeps the
    /// outage up to that checkpoint; the keeper sends one while a watched feed reverts (`revertCheckpointSec`).
    function test_outage_revertingFeedKeptOnlyUpToTheLastRecord() public {
        valuation.checkpoint(collection);
        uint256 asOf = block.timestamp;
        (, uint256 cumulative0) = _clock();
        _step(30 minutes);
        feed.setReverts(true);
        _step(30 minutes);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, asOf);
        assertEq(cumulative, cumulative0);
        uint256 snap = vm.snapshotState();

        // No record during the revert: the hour of outage the view reported is gone once the feed answers.
        feed.setReverts(false);
        (since, cumulative) = _clock();
        assertEq(since, 0, "no outage running");
        assertEq(cumulative, cumulative0, "the unrecorded revert left no trace");

        // A checkpoint during the revert: the outage up to it is kept.
        vm.revertToState(snap);
        valuation.checkpoint(collection);
        uint256 recorded = block.timestamp;
        _step(10 minutes);
        feed.setReverts(false);
        (since, cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, recorded - asOf, "kept up to the checkpoint, not after it");
    }

    /*//////////////////////////////////////////////////////////////
                         COLLECTION SIDE AND WRITES
    //////////////////////////////////////////////////////////////*/

    /// @dev A stale TWAP is an outage from newest sale + maximum age until the write that refreshes it.
    function test_outage_staleTwapEndsAtTheRefreshingWrite() public {
        uint24 maxAge = valuation.DEFAULT_TWAP_MAX_AGE();
        vm.prank(timelock);
        valuation.setRiskParams(collection, maxAge, 2000);
        (, uint256 cumulative0) = _clock();
        uint256 staleAt = _head(collection).staleAt;
        _step(valuation.DEFAULT_TWAP_MAX_AGE() + 2 hours);
        feed.setAnswer(int256(P));
        _assertStatus(IValuation.Status.TwapStale);
        (uint256 since,) = _clock();
        assertEq(since, staleAt);
        _report(P); // the older sales have decayed: one sale is not enough weight, the outage goes on
        _assertStatus(IValuation.Status.TwapNotReady);
        (uint256 since1,) = _clock();
        assertEq(since1, staleAt);
        _step(valuation.minSpacing(collection));
        _report(P); // the write records the clock, then refreshes the TWAP
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, block.timestamp - staleAt);
        _assertCheckpointAgrees();
    }

    /// @dev A fresh sale on a healthy TWAP does not record the clock (the read and write paths stay cheap).
    function test_outage_healthyWriteDoesNotTouchClock() public {
        (IValuationAdmin.OutageClock memory before,) = valuation.outageClock(collection);
        _step(10 minutes);
        _report(P);
        (IValuationAdmin.OutageClock memory after_,) = valuation.outageClock(collection);
        assertEq(keccak256(abi.encode(after_)), keccak256(abi.encode(before)));
    }

    function test_outage_freezeExact() public {
        (, uint256 cumulative0) = _clock();
        vm.prank(guardian);
        valuation.freeze(collection);
        _assertStatus(IValuation.Status.Frozen);
        uint256 from = block.timestamp;
        _step(2 hours);
        feed.setAnswer(int256(P));
        (uint256 since,) = _clock();
        assertEq(since, from);
        vm.prank(timelock);
        valuation.unfreeze(collection);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, 2 hours);
        // Freezing twice changes nothing.
        vm.prank(guardian);
        valuation.freeze(collection);
        bytes32 frozen = _stateHash(valuation, collection);
        vm.prank(guardian);
        valuation.freeze(collection);
        assertEq(_stateHash(valuation, collection), frozen);
    }

    /*//////////////////////////////////////////////////////////////
                              L2 SEQUENCER
    //////////////////////////////////////////////////////////////*/

    /// @dev No transaction can land while the sequencer is down; after the restart the view still counts the downtime
    /// (read back from the sequencer feed's previous round) plus the grace period.
    function test_outage_sequencerDowntimeCountedAfterRecovery() public {
        MockAggregator sequencer = new MockAggregator(0);
        sequencer.setRound(1, 0, block.timestamp - 2 days, block.timestamp - 2 days);
        valuation = _deployValuation(address(sequencer), 1 hours);
        _listAndAuthorise(valuation, collection, feed);
        _makeReady();
        valuation.price(collection);
        _step(5 minutes);
        (, uint256 cumulative0) = _clock();

        uint256 down = block.timestamp;
        sequencer.setRound(2, 1, down, down);
        vm.warp(down + 10 minutes); // nothing happens on chain in between
        sequencer.setRound(3, 0, block.timestamp, block.timestamp);
        feed.setAnswer(int256(P));
        uint256 up = block.timestamp;
        _step(30 minutes);
        _assertStatus(IValuation.Status.SequencerDown);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, down, "from the downtime, not from the restart");
        assertEq(cumulative, cumulative0);
        _step(30 minutes + 1);
        feed.setAnswer(int256(P));
        _assertStatus(IValuation.Status.Ok);
        (since, cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, up + 1 hours - down);
        _assertCheckpointAgrees();
    }

    /*//////////////////////////////////////////////////////////////
                             AUCTION CLOCK
    //////////////////////////////////////////////////////////////*/

    /// @dev The auction module's clock while the feed misses updates for less than its heartbeat: no outage, the
    /// auction clock runs with the wall clock and never moves backwards.
    function test_outage_auctionClockNoFalseOutage() public {
        uint256 start = block.timestamp;
        (uint64 since0, uint64 cum0) = valuation.outage(collection);
        uint64 base = AuctionLib.outageBase(start, since0, cum0);
        uint256 last;
        for (uint256 i; i < 60; ++i) {
            _step(1 hours);
            // The feed skips 10 hourly updates (less than its 1-day heartbeat).
            if (i < 20 || i >= 30) feed.setAnswer(int256(P));
            if (i % 6 == 0) _report(P);
            (uint64 since, uint64 cum) = valuation.outage(collection);
            uint256 elapsed = AuctionLib.effectiveElapsed(start, block.timestamp, since, cum, base);
            assertGe(elapsed, last, "never backwards");
            last = elapsed;
        }
        assertEq(last, block.timestamp - start);
    }

    /// @dev Same, with a heartbeat short enough that the gap is an outage: the auction is extended by it.
    function test_outage_auctionExtendedByGapWithoutKeeper() public {
        vm.prank(timelock);
        valuation.setFeed(collection, address(feed), 2 hours, 0, MAX_ANSWER);
        feed.setAnswer(int256(P));
        valuation.price(collection);
        _step(1 minutes);
        uint256 start = block.timestamp;
        (uint64 since0, uint64 cum0) = valuation.outage(collection);
        uint64 base = AuctionLib.outageBase(start, since0, cum0);
        uint256 last;
        uint256 lastUpdate;
        uint256 gapEnd;
        for (uint256 i; i < 40; ++i) {
            _step(1 hours);
            if (i < 10 || i >= 15) {
                feed.setAnswer(int256(P));
                if (i == 15) gapEnd = block.timestamp;
            }
            if (i == 9) lastUpdate = block.timestamp;
            if (i % 6 == 0) _report(P);
            (uint64 since, uint64 cum) = valuation.outage(collection);
            uint256 elapsed = AuctionLib.effectiveElapsed(start, block.timestamp, since, cum, base);
            assertGe(elapsed, last, "never backwards");
            last = elapsed;
        }
        assertEq((block.timestamp - start) - last, gapEnd - (lastUpdate + 2 hours));
    }

    /*//////////////////////////////////////////////////////////////
                       PROPERTY: CHECKPOINTS CHANGE NOTHING
    //////////////////////////////////////////////////////////////*/

    /// @dev A random history of floor rounds (valid, invalid, late), sales (some after long gaps), valuations and time:
    /// run once with a checkpoint after every step and once with none; after every step of the first run the view
    /// equals the recorded checkpoint, the total outage never decreases, an outage is running iff the status is not
    /// Ok, and both runs end with the same clock.
    /// forge-config: default.fuzz.runs = 64
    function testFuzz_outage_checkpointsNeverChangeTheClock(uint256 seed) public {
        uint256 snap = vm.snapshotState();
        (uint256 sinceA, uint256 cumA) = _history(seed, true);
        vm.revertToState(snap);
        (uint256 sinceB, uint256 cumB) = _history(seed, false);
        assertEq(sinceA, sinceB, "since");
        assertEq(cumA, cumB, "cumulative");
    }

    function _history(uint256 seed, bool checkpoints) internal returns (uint256 since, uint256 cumulative) {
        uint256 total;
        // At most 16 feed rounds: within the look-back even when nothing records the clock.
        for (uint256 i; i < 16; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            _step(bound(r % 1000, 1, 999) * ((r >> 10) % 4 == 0 ? 2 minutes : 20 minutes));
            uint256 kind = (r >> 20) % 8;
            // Answers within +-8 % of P never jump (17 % < 20 % apart at most), so no re-anchoring interferes.
            if (kind < 4) feed.setAnswer(int256(P * (92 + (r >> 30) % 17) / 100));
            else if (kind == 4) feed.setAnswer(0);
            else if (kind == 5) _report(P * (95 + (r >> 40) % 11) / 100);
            else if (kind == 6) _tryPrice();
            // kind 7: time only
            if (checkpoints) {
                _assertCheckpointAgrees();
            }
            (since, cumulative) = _clock();
            uint256 now_ = since != 0 ? cumulative + (block.timestamp - since) : cumulative;
            assertGe(now_, total, "total outage never decreases");
            total = now_;
            assertEq(since != 0, _status(collection) != IValuation.Status.Ok, "running iff not Ok");
        }
    }

    function _tryPrice() internal {
        (, IValuation.Status s) = valuation.priceView(collection);
        if (s == IValuation.Status.Ok) valuation.price(collection);
    }
}
