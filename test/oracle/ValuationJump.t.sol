// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
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
        assertEq(since2, since, "view since after checkpoint");
        assertEq(cumulative2, cumulative, "view cumulative after checkpoint");
        // A checkpoint may only change the status by re-anchoring a jump whose cool-down has passed.
        if (status != IValuation.Status.Jumped) assertEq(uint8(_status(collection)), uint8(status), "status");
    }

    function _assertStatus(IValuation.Status expected) internal view {
        assertEq(uint8(_status(collection)), uint8(expected), "status");
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
}
