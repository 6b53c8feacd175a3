// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review 3, finding 3 (PoC on branch review3, a09ffb9): the outage replay reads at most
/// `OutageLib.MAX_ROUND_LOOKBACK` (16) floor rounds back from the valuation's last clock record. Past that, the
/// recorded round is assumed in force until the oldest round reached: a phantom stale interval that grows as newer
/// rounds arrive and, since due dates follow `Valuation.outage`, defers a loan's lateness with no real outage at all.
/// A documented limit with a mitigation, not a contract fix (docs/valuation.md, Outage clock; docs/exposure.md,
/// section 6):
/// - mitigated: the keeper (ts/keeper/keeper.ts, `considerCheckpoints`) calls the permissionless `checkpoint` for a
///   collection with open loans once more than 8 rounds (half the look-back) were published since the last record;
///   with that, the loan is late exactly at its due date plus grace plus one second, as if no round had been missed;
/// - unmitigated: the phantom still counts, but like any outage it defers the due date by one term at most.
/// Scenario (the PoC's, real Valuation, heartbeat 1 day, TWAP max age 24 h): a sale records the clock with a floor
/// round 23 h old; the feed publishes every 5 minutes (36 rounds), the borrower borrows, 36 more rounds, then sales
/// every 2 h and a round every 12 h keep everything fresh until the loan is late.
contract OutageLookBackTest is BaseTest {
    /// @dev The keeper's default `checkpointRounds`.
    uint256 internal constant KEEPER_ROUNDS = 8;
    uint256 internal constant GRACE = 2 days;

    Valuation internal real;
    MockAggregator internal feed;
    address internal reporter;
    bool internal keeperOn;
    uint256 internal checkpoints;

    function setUp() public override {
        super.setUp();
        (real, feed, reporter) = _deployReadyValuation();
        pool = _deployPoolWith(address(weth), address(real), MIN_LOAN);
        _listDefaults(pool);
        _deposit(lender, 100 ether);
        real.price(address(apes)); // the floor reference is set (no clock record at the borrow below)
    }

    /// @notice With the keeper's checkpoints no phantom outage is counted: the loan's outage base is the outage
    /// before the rounds, nothing is added afterwards, and the loan is late at due + grace + 1, not a second later.
    /// Fails without the checkpoints (`keeperOn = false`): liquidatable only 10,800 s later.
    function test_dueDate_withKeeperCheckpoints_lateExactlyAtDuePlusGracePlusOne() public {
        keeperOn = true;
        (uint256 loanId, ILendingPoolTypes.Loan memory l, uint64 before) = _scenario();
        assertGt(checkpoints, 0, "the keeper checkpointed");
        assertEq(l.outageBase, before, "no phantom outage at the borrow");
        (, uint64 cumulative) = real.outage(address(apes));
        assertEq(cumulative, before, "no phantom outage after it");

        _lateAt(loanId, l, uint256(l.dueTime) + GRACE);
    }

    /// @notice Without the keeper the replay over-counts (3 h here, as the PoC measured); with a term of one hour the
    /// due date moves by exactly that term, not by the whole phantom: the extension is capped at one term, so the
    /// over-count defers lateness by one term at most (30 days for the default terms).
    function test_dueDate_lookBackOverCount_boundedByOneTerm() public {
        ILendingPoolTypes.Terms memory t = _defaultTerms(1);
        t.duration = 1 hours;
        vm.prank(timelock);
        pool.setTerms(address(apes), t, 1000 ether);

        (uint256 loanId, ILendingPoolTypes.Loan memory l,) = _scenario();
        assertEq(checkpoints, 0);
        (uint64 since, uint64 cumulative) = real.outage(address(apes));
        assertEq(since, 0, "no outage running");
        assertGe(cumulative - l.outageBase, 3 hours, "the phantom outage after the borrow exceeds the term");

        _lateAt(loanId, l, uint256(l.dueTime) + 1 hours + GRACE);
    }

    /// @dev The PoC's sequence up to the borrow and the 36 rounds after it; returns the loan and the outage before.
    function _scenario() internal returns (uint256 loanId, ILendingPoolTypes.Loan memory l, uint64 before) {
        vm.warp(block.timestamp + 23 hours);
        _reportSales(real, reporter, NFT_PRICE);
        (, before) = real.outage(address(apes));
        _rounds(36, 5 minutes);
        (loanId, l) = _borrowApe(borrower, 1, 5 ether);
        _rounds(36, 5 minutes);
        _reportSales(real, reporter, NFT_PRICE);
    }

    /// @dev Keeps the feed and the TWAP fresh until `liquidatableAt` (no real outage), then checks the loan is not
    /// late then (`LoanNotLiquidatable` naming that time) and is one second later.
    function _lateAt(uint256 loanId, ILendingPoolTypes.Loan memory l, uint256 liquidatableAt) internal {
        for (uint256 k = 1; block.timestamp + 2 hours < liquidatableAt; ++k) {
            vm.warp(block.timestamp + 2 hours);
            if (k % 6 == 0) _round();
            _reportSales(real, reporter, NFT_PRICE);
        }
        vm.warp(liquidatableAt);
        _round();
        (uint256 p, IValuation.Status status) = real.priceView(address(apes));
        assertEq(uint256(status), uint256(IValuation.Status.Ok), "priced normally throughout");
        assertEq(p, NFT_PRICE);
        uint256 hf = pool.healthFactor(l);
        assertGe(hf, WAD, "healthy: only lateness can liquidate it");
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.LoanNotLiquidatable.selector, loanId, hf, liquidatableAt)
        );
        vm.prank(liquidator);
        pool.startAuction(loanId, l, keeper);

        vm.warp(liquidatableAt + 1);
        vm.prank(liquidator);
        pool.startAuction(loanId, l, keeper);
    }

    function _rounds(uint256 n, uint256 spacing) internal {
        for (uint256 i; i < n; ++i) {
            vm.warp(block.timestamp + spacing);
            _round();
        }
    }

    /// @dev A floor round now, then what the keeper does on its next tick: checkpoint the collection once more than
    /// `KEEPER_ROUNDS` rounds were published since the valuation's last clock record.
    function _round() internal {
        feed.setAnswer(int256(NFT_PRICE));
        if (!keeperOn) return;
        (IValuationAdmin.OutageClock memory clk,) = real.outageClock(address(apes));
        (uint80 latest,,,,) = feed.latestRoundData();
        if (latest - clk.floorRound > KEEPER_ROUNDS) {
            real.checkpoint(address(apes));
            ++checkpoints;
        }
    }
}
