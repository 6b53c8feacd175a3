// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";

/// @notice The jump cool-down: a source that moves beyond `deviationBps` since the last valuation stops borrowing and
/// the start of liquidations for `JUMP_COOLDOWN`, measured from when the jumped answer was first in force, whatever
/// outage came before it (a stale feed, a stale TWAP, a sequencer downtime). The outage clock still covers the whole
/// interval, once.
contract ValuationJumpTest is ValuationBase {
    /// @dev A one-hour floor heartbeat, as in the demo: a feed silent for more than an hour is stale.
    uint24 internal constant SHORT_HEARTBEAT = 1 hours;
    uint256 internal cooldown;

    function setUp() public override {
        super.setUp();
        cooldown = valuation.JUMP_COOLDOWN();
        vm.startPrank(timelock);
        // A long TWAP maximum age keeps the TWAP out of the floor tests (the TWAP tests set their own).
        valuation.setRiskParams(collection, 30 days, 2000);
        valuation.setFeed(collection, address(feed), SHORT_HEARTBEAT, 0, MAX_ANSWER);
        vm.stopPrank();
        _makeReady();
        valuation.price(collection); // references recorded: floor P, TWAP P
        valuation.checkpoint(collection);
        _step(1 minutes);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _clock() internal view returns (uint256 since, uint256 cumulative) {
        (uint64 s, uint64 c) = valuation.outage(collection);
        return (s, c);
    }

    /// @dev The view equals what a checkpoint records, and recording changes nothing the view says.
    function _assertCheckpointAgrees() internal {
        (uint256 since, uint256 cumulative) = _clock();
        IValuation.Status status = _status(collection);
        valuation.checkpoint(collection);
        (IValuationAdmin.OutageClock memory clk,) = valuation.outageClock(collection);
        assertEq(clk.since, since, "checkpoint since");
        assertEq(clk.cumulative, cumulative, "checkpoint cumulative");
        (uint256 since2, uint256 cumulative2) = _clock();
        if (status == IValuation.Status.Jumped && _status(collection) == IValuation.Status.Ok) {
            // Re-anchored: the outage ended now, once.
            assertEq(since2, 0, "re-anchored: no outage running");
            assertEq(cumulative2, cumulative + (block.timestamp - since), "re-anchored: outage ended now");
        } else {
            // Otherwise the checkpoint changed nothing the view says.
            assertEq(since2, since, "view since after checkpoint");
            assertEq(cumulative2, cumulative, "view cumulative after checkpoint");
            assertEq(uint8(_status(collection)), uint8(status), "status");
        }
    }

    function _assertStatus(IValuation.Status expected) internal view {
        assertEq(uint8(_status(collection)), uint8(expected), "status");
    }

    /// @dev Moves to `t` in a new block.
    function _at(uint256 t) internal {
        vm.warp(t);
        vm.roll(block.number + 1);
    }

    function _reanchorAt() internal view returns (uint256 at) {
        (, at) = valuation.jumpState(collection);
    }

    /// @dev A checkpoint at `reanchorAt - 1` leaves the jump in place, one at `reanchorAt` re-anchors (the caller keeps
    /// the floor fresh). Both check that the view said what the checkpoint recorded.
    function _assertReanchorsExactlyAt(uint256 reanchorAt, uint256 level) internal {
        _at(reanchorAt - 1);
        feed.setAnswer(int256(level));
        assertEq(_reanchorAt(), reanchorAt, "view: re-anchor time");
        _assertCheckpointAgrees();
        _assertStatus(IValuation.Status.Jumped);
        _assertPriceJumped();
        _at(reanchorAt);
        _assertCheckpointAgrees();
        _assertStatus(IValuation.Status.Ok);
        assertEq(_head(collection).lastFloor, level, "floor reference moved to the jumped level");
        (IValuationAdmin.JumpState memory js, uint256 at) = valuation.jumpState(collection);
        assertEq(at, 0, "no jump left");
        assertEq(js.floorAt, 0);
    }

    /// @dev `price` reverts with Jumped: no borrow, no liquidation start.
    function _assertPriceJumped() internal {
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.Jumped)
        );
        valuation.price(collection);
    }

    /*//////////////////////////////////////////////////////////////
                      THE BYPASS: STALE, THEN A JUMP
    //////////////////////////////////////////////////////////////*/

    /// @dev The finding: the floor is stale for 3 h (heartbeat 1 h); its first fresh answer is already a jump. The
    /// stale interval and the jump are one outage, but the cool-down must run from the jumped answer, not from the
    /// start of the stale interval: a checkpoint right after the jump must not re-anchor.
    function test_jump_afterStaleFloor_keepsFullCooldown() public {
        uint256 staleFrom = feed.updatedAt() + SHORT_HEARTBEAT;
        _step(3 hours);
        _assertStatus(IValuation.Status.FloorStale);
        feed.setAnswer(int256(P * 60 / 100)); // -40 %: the first answer after the gap is a jump
        uint256 jumpedAt = block.timestamp;
        _assertStatus(IValuation.Status.Jumped);
        (uint256 since,) = _clock();
        assertEq(since, staleFrom, "one outage: stale, then jumped");

        _step(1);
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _assertPriceJumped();

        vm.warp(jumpedAt + cooldown - 1);
        vm.roll(block.number + 1);
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _assertPriceJumped();

        vm.warp(jumpedAt + cooldown);
        vm.roll(block.number + 1);
        (, uint256 cumulative0) = _clock();
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Ok);
        assertEq(valuation.price(collection), P * 60 / 100);
        // The outage covered the stale interval and the cool-down, counted once.
        feed.setAnswer(int256(P * 60 / 100));
        _step(1 minutes);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, jumpedAt + cooldown - staleFrom);
    }

    /// @dev The view names the re-anchor time before any checkpoint, and the recorded cool-down equals the replayed one.
    function test_jump_afterStaleFloor_viewAndCheckpointAgree() public {
        _step(5 hours);
        feed.setAnswer(int256(P * 130 / 100));
        uint256 jumpedAt = block.timestamp;
        _step(10 minutes);
        (IValuationAdmin.JumpState memory viewed, uint256 at) = valuation.jumpState(collection);
        assertEq(viewed.floorAt, jumpedAt);
        assertEq(viewed.floorLevel, P * 130 / 100);
        assertEq(at, jumpedAt + cooldown);
        _assertCheckpointAgrees();
        (IValuationAdmin.JumpState memory recorded, uint256 at2) = valuation.jumpState(collection);
        assertEq(keccak256(abi.encode(recorded)), keccak256(abi.encode(viewed)));
        assertEq(at2, at);
        _assertReanchorsExactlyAt(jumpedAt + cooldown, P * 130 / 100);
    }

    /// @dev The same with nothing recorded between the stale gap, the jump and the end of the cool-down: the replay
    /// finds the jump among the rounds published since the last record.
    function test_jump_afterStaleFloor_noKeeperInBetween() public {
        uint256 staleFrom = feed.updatedAt() + SHORT_HEARTBEAT;
        _step(2 hours);
        feed.setAnswer(int256(P * 70 / 100));
        uint256 jumpedAt = block.timestamp;
        for (uint256 i; i < 5; ++i) {
            _step(10 minutes);
            feed.setAnswer(int256(P * 70 / 100)); // the same level: no restart
        }
        _at(jumpedAt + cooldown - 1);
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        (uint256 since,) = _clock();
        assertEq(since, staleFrom);
        _at(jumpedAt + cooldown);
        valuation.checkpoint(collection);
        assertEq(valuation.price(collection), P * 70 / 100);
    }

    /// @dev Stale, then a first fresh answer within the deviation: no jump, the outage ends at that answer (as before).
    function test_jump_staleThenWithinBound_endsOutageAtOnce() public {
        uint256 staleFrom = feed.updatedAt() + SHORT_HEARTBEAT;
        (, uint256 cumulative0) = _clock();
        _step(3 hours);
        feed.setAnswer(int256(P * 81 / 100)); // -19 %
        uint256 back = block.timestamp;
        _assertStatus(IValuation.Status.Ok);
        assertEq(valuation.price(collection), P * 81 / 100);
        (, uint256 at) = valuation.jumpState(collection);
        assertEq(at, 0);
        _step(1 minutes);
        (uint256 since, uint256 cumulative) = _clock();
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, back - staleFrom);
        _assertCheckpointAgrees();
    }

    /// @dev A jump, then the feed goes stale, then a fresh answer at the jumped level: the cool-down ran from the
    /// first jumped answer (staleness does not restart it), and the outage is one interval from the jump on.
    function test_jump_thenStale_cooldownFromFirstJumpedAnswer() public {
        (, uint256 cumulative0) = _clock();
        feed.setAnswer(int256(P * 60 / 100));
        uint256 jumpedAt = block.timestamp;
        valuation.checkpoint(collection);
        _step(3 hours);
        _assertStatus(IValuation.Status.FloorStale);
        valuation.checkpoint(collection); // stale: nothing to re-anchor
        _assertStatus(IValuation.Status.FloorStale);
        feed.setAnswer(int256(P * 62 / 100)); // fresh, within the deviation of the jumped level
        uint256 freshAt = block.timestamp;
        assertEq(_reanchorAt(), jumpedAt + cooldown);
        (uint256 since,) = _clock();
        assertEq(since, jumpedAt, "one outage: jumped, stale, jumped");
        valuation.checkpoint(collection);
        assertEq(valuation.price(collection), P * 62 / 100);
        _step(1 minutes);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, freshAt - jumpedAt, "counted once");
    }

    /// @dev A jump, a stale gap, then a fresh answer beyond the deviation from the jumped level: a new jump.
    function test_jump_thenStaleThenFurtherJump_restartsCooldown() public {
        feed.setAnswer(int256(P * 60 / 100));
        _step(3 hours);
        feed.setAnswer(int256(P * 40 / 100)); // -33 % from the jumped level
        uint256 second = block.timestamp;
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _assertReanchorsExactlyAt(second + cooldown, P * 40 / 100);
    }

    /// @dev Repeated jumps: a move beyond the deviation from the level the cool-down started at restarts it; a move
    /// within it does not.
    function test_jump_repeatedBeyondLevel_restartsCooldown() public {
        feed.setAnswer(int256(P * 60 / 100));
        uint256 first = block.timestamp;
        _assertCheckpointAgrees();
        _step(50 minutes);
        feed.setAnswer(int256(P * 30 / 100)); // -50 % from 0.6 P
        uint256 second = block.timestamp;
        assertEq(_reanchorAt(), second + cooldown);
        _at(first + cooldown);
        feed.setAnswer(int256(P * 30 / 100));
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _assertReanchorsExactlyAt(second + cooldown, P * 30 / 100);
    }

    function test_jump_repeatedWithinLevel_keepsCooldown() public {
        feed.setAnswer(int256(P * 60 / 100));
        uint256 first = block.timestamp;
        _step(20 minutes);
        feed.setAnswer(int256(P * 52 / 100)); // -13 % from 0.6 P: the same jump
        _step(20 minutes);
        valuation.checkpoint(collection);
        feed.setAnswer(int256(P * 55 / 100));
        _assertReanchorsExactlyAt(first + cooldown, P * 55 / 100);
    }

    /// @dev A jump that comes back within the deviation ends; a later jump has its own full cool-down.
    function test_jump_backThenJumpAgain_newCooldown() public {
        feed.setAnswer(int256(P * 60 / 100));
        _step(40 minutes);
        feed.setAnswer(int256(P * 95 / 100));
        _assertStatus(IValuation.Status.Ok);
        valuation.checkpoint(collection);
        _step(40 minutes);
        feed.setAnswer(int256(P * 150 / 100));
        uint256 again = block.timestamp;
        _assertReanchorsExactlyAt(again + cooldown, P * 150 / 100);
    }

    /*//////////////////////////////////////////////////////////////
                         OTHER OUTAGES BEFORE A JUMP
    //////////////////////////////////////////////////////////////*/

    /// @dev L2: a jump published during the sequencer's grace period. The outage runs from the downtime; the cool-down
    /// from the jumped answer, so it ends after the grace period does.
    function test_jump_duringSequencerGrace_cooldownFromJump() public {
        MockAggregator sequencer = new MockAggregator(0);
        sequencer.setRound(1, 0, block.timestamp - 2 days, block.timestamp - 2 days);
        valuation = _deployValuation(address(sequencer), 1 hours);
        _listAndAuthorise(valuation, collection, feed);
        vm.prank(timelock);
        valuation.setRiskParams(collection, 30 days, 2000);
        _makeReady();
        valuation.price(collection);
        _step(5 minutes);
        (, uint256 cumulative0) = _clock();

        uint256 down = block.timestamp;
        sequencer.setRound(2, 1, down, down);
        vm.warp(down + 10 minutes);
        sequencer.setRound(3, 0, block.timestamp, block.timestamp);
        uint256 up = block.timestamp;
        _at(up + 30 minutes);
        feed.setAnswer(int256(P * 60 / 100)); // during the grace period
        uint256 jumpedAt = block.timestamp;
        _assertStatus(IValuation.Status.SequencerDown);
        _at(up + 1 hours + 1);
        _assertStatus(IValuation.Status.Jumped);
        (uint256 since,) = _clock();
        assertEq(since, down);
        _assertReanchorsExactlyAt(jumpedAt + cooldown, P * 60 / 100);
        _step(1 minutes);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, jumpedAt + cooldown - down);
    }

    /// @dev The TWAP side: a stale TWAP, then the write that refreshes it jumps it. The cool-down runs from that write.
    function test_jump_twapAfterStaleTwap_keepsFullCooldown() public {
        _wideTwap(2 hours);
        uint256 staleAt = _head(collection).staleAt;
        for (uint256 i; i < 4; ++i) {
            _step(45 minutes);
            feed.setAnswer(int256(P)); // the floor stays fresh
        }
        _assertStatus(IValuation.Status.TwapStale);
        _report(10 * P); // clamped to 1.5 P; the older sales have decayed: one sale is not enough weight
        _assertStatus(IValuation.Status.TwapNotReady);
        _step(valuation.minSpacing(collection));
        _report(10 * P); // a second one is; with a 10-minute half-life the TWAP follows: a jump
        uint256 jumpedAt = block.timestamp;
        assertTrue(_head(collection).jumped);
        _assertStatus(IValuation.Status.Jumped);
        (uint256 since,) = _clock();
        assertEq(since, staleAt, "one outage: stale, then jumped");
        (IValuationAdmin.JumpState memory js, uint256 at) = valuation.jumpState(collection);
        assertEq(js.twapAt, jumpedAt);
        assertEq(at, jumpedAt + cooldown);

        _step(1);
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _assertPriceJumped();
        _at(jumpedAt + cooldown - 1);
        feed.setAnswer(int256(P));
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Jumped);
        _at(jumpedAt + cooldown);
        valuation.checkpoint(collection);
        _assertStatus(IValuation.Status.Ok);
        assertFalse(_head(collection).jumped);
        assertEq(valuation.price(collection), P); // min(TWAP, floor)
    }

    /// @dev Both sources jump at different times: re-anchoring waits for the later one's full cool-down.
    function test_jump_twapThenFloor_waitsForTheLater() public {
        _wideTwap(30 days);
        _step(3 hours);
        feed.setAnswer(int256(P));
        _report(10 * P);
        _step(valuation.minSpacing(collection));
        _report(10 * P); // two sales after the quiet hours: enough weight for a ready (and jumped) TWAP
        assertTrue(_head(collection).jumped);
        _step(30 minutes);
        feed.setAnswer(int256(P * 200 / 100));
        uint256 floorJumpedAt = block.timestamp;
        assertEq(_reanchorAt(), floorJumpedAt + cooldown);
        _assertReanchorsExactlyAt(floorJumpedAt + cooldown, P * 200 / 100);
        assertFalse(_head(collection).jumped);
    }

    /// @dev A jump published during a guardian freeze: the cool-down ran from the jumped answer, during the freeze
    /// (borrowing and liquidation starts were stopped all along), so it may end before the unfreeze.
    function test_jump_duringFreeze_cooldownFromJumpedAnswer() public {
        vm.prank(guardian);
        valuation.freeze(collection);
        _step(10 minutes);
        feed.setAnswer(int256(P * 60 / 100));
        uint256 jumpedAt = block.timestamp;
        _at(jumpedAt + 30 minutes);
        feed.setAnswer(int256(P * 60 / 100));
        vm.prank(timelock);
        valuation.unfreeze(collection);
        _assertStatus(IValuation.Status.Jumped);
        assertEq(_reanchorAt(), jumpedAt + cooldown);
        _assertReanchorsExactlyAt(jumpedAt + cooldown, P * 60 / 100);
    }

    /// @dev A smaller deviation that makes the current round a jump starts the cool-down at the change.
    function test_jump_deviationLoweredStartsCooldownAtTheChange() public {
        feed.setAnswer(int256(P * 90 / 100)); // within 20 %: valued, the reference stays at P
        valuation.price(collection);
        _step(1 minutes);
        feed.setAnswer(int256(P * 85 / 100)); // -15 % from the reference: within 20 %, beyond 5 %
        _step(10 minutes);
        vm.prank(timelock);
        valuation.setRiskParams(collection, 30 days, 500);
        uint256 changedAt = block.timestamp;
        _assertStatus(IValuation.Status.Jumped);
        _assertReanchorsExactlyAt(changedAt + cooldown, P * 85 / 100);
    }

    function test_jumpState_unknownCollection() public view {
        (IValuationAdmin.JumpState memory js, uint256 at) = valuation.jumpState(address(0xBEEF));
        assertEq(keccak256(abi.encode(js)), keccak256(abi.encode(IValuationAdmin.JumpState(0, 0, 0, 0))));
        assertEq(at, 0);
    }

    /*//////////////////////////////////////////////////////////////
                                  FUZZ
    //////////////////////////////////////////////////////////////*/

    /// @dev Over the stale length, the jump size and direction, and how often a keeper checkpoints: a jump beyond the
    /// deviation never yields a usable value before `JUMP_COOLDOWN` after the jumped answer, yields one at that time,
    /// and the outage runs, once, from the start of the stale gap (or the jump) to the re-anchoring.
    function testFuzz_jump_neverUsableBeforeCooldown(
        uint256 staleFor,
        uint256 jumpBps,
        bool up,
        uint256 keeperEvery
    ) public {
        staleFor = bound(staleFor, 0, 10 days);
        jumpBps = bound(jumpBps, 2001, up ? 50_000 : 9000);
        keeperEvery = bound(keeperEvery, 1, 2 hours);
        uint256 level = up ? P * (10_000 + jumpBps) / 10_000 : P * (10_000 - jumpBps) / 10_000;
        uint256 lastUpdate = feed.updatedAt();
        (, uint256 cumulative0) = _clock();
        _step(staleFor);
        // Stale from `updatedAt + heartbeat` when that is before the jump, else the outage starts at the jump.
        uint256 outageFrom =
            lastUpdate + SHORT_HEARTBEAT < block.timestamp ? lastUpdate + SHORT_HEARTBEAT : block.timestamp;
        feed.setAnswer(int256(level));
        uint256 jumpedAt = block.timestamp;
        (uint256 since,) = _clock();
        assertEq(since, outageFrom, "outage start");
        // A keeper checkpoints and tries to value every `keeperEvery` seconds; the feed answers every 20 minutes.
        uint256 nextFeed = jumpedAt + 20 minutes;
        for (uint256 t = jumpedAt + 1; t < jumpedAt + cooldown; t += keeperEvery) {
            if (t >= nextFeed) {
                _at(nextFeed);
                feed.setAnswer(int256(level));
                nextFeed += 20 minutes;
            }
            _at(t);
            valuation.checkpoint(collection);
            (, IValuation.Status s) = valuation.priceView(collection);
            assertEq(uint8(s), uint8(IValuation.Status.Jumped), "usable before the cool-down ended");
        }
        _at(jumpedAt + cooldown);
        if (block.timestamp - feed.updatedAt() > SHORT_HEARTBEAT) feed.setAnswer(int256(level));
        valuation.checkpoint(collection);
        assertEq(valuation.price(collection), level < P ? level : P, "min(TWAP, floor) at the jumped floor");
        feed.setAnswer(int256(level));
        _step(1 minutes);
        (uint256 since2, uint256 cumulative) = _clock();
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, jumpedAt + cooldown - outageFrom, "outage counted once");
    }

    /// @dev Two moves after a stale gap, checkpointed or not: the cool-down restarts at the second exactly when it is
    /// beyond the deviation from the first, and the view always names the time the checkpoint re-anchors at.
    function testFuzz_jump_repeated(
        uint256 staleFor,
        uint256 firstBps,
        uint256 secondBps,
        uint256 gap,
        bool keeper
    ) public {
        staleFor = bound(staleFor, 0, 5 days);
        firstBps = bound(firstBps, 2000, 5000); // a move of exactly the deviation is a jump
        secondBps = bound(secondBps, 0, 9000);
        gap = bound(gap, 1, cooldown - 1);
        _step(staleFor);
        uint256 l1 = P * (10_000 + firstBps) / 10_000;
        feed.setAnswer(int256(l1));
        uint256 first = block.timestamp;
        if (keeper) valuation.checkpoint(collection);
        _step(gap);
        uint256 l2 = l1 * (10_000 - secondBps) / 10_000;
        feed.setAnswer(int256(l2));
        bool stillJumped = l2 * 10_000 >= P * 12_000 || l2 * 10_000 <= P * 8000;
        bool restarted = stillJumped && secondBps * l1 > 0 && (l1 - l2) * 10_000 >= 2000 * l1;
        if (!stillJumped) {
            _assertStatus(IValuation.Status.Ok);
            assertEq(_reanchorAt(), 0);
            return;
        }
        uint256 expected = (restarted ? block.timestamp : first) + cooldown;
        assertEq(_reanchorAt(), expected, "re-anchor time");
        if (keeper) _assertCheckpointAgrees();
        _assertReanchorsExactlyAt(expected, l2);
    }

    /// @dev Wide clamp, 10-minute half-life, 30-minute anchor period: one write can jump the TWAP.
    function _wideTwap(uint24 twapMaxAge) internal {
        IValuationAdmin.TwapParams memory p = IValuationAdmin.TwapParams({
            maxPrice: MAX_PRICE,
            clampBps: 5000,
            minSales: 5,
            minWindow: 30 minutes,
            halfLife: 10 minutes,
            anchorPeriod: 30 minutes
        });
        vm.startPrank(timelock);
        valuation.setTwapParams(collection, p);
        valuation.setRiskParams(collection, twapMaxAge, 2000);
        vm.stopPrank();
    }
}
